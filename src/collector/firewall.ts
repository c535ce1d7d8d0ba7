import { generatedHeader } from '../generated-header.js';
import { PORTS, type SeamOptions } from './options.js';

const OTLP_PORTS = [PORTS.otlpGrpc, PORTS.otlpHttp];

/**
 * firewalld: one rich rule per allowed CIDR and port, in the zone of the
 * private interface. Written as a script of firewall-cmd calls, because
 * rich rules have no file format of their own outside a zone file.
 */
export function buildFirewalldScript(o: SeamOptions): string {
  const lines = [
    '#!/bin/sh',
    generatedHeader(o.command, 'hash').trimEnd(),
    '# Opens the OTLP ports of the collector only to the allowed CIDRs.',
    '# Usage: sh firewalld.sh [ZONE]   (default: the zone firewalld puts the private interface in)',
    'set -eu',
    'ZONE_ARG=""',
    'if [ "$#" -gt 0 ]; then ZONE_ARG="--zone=$1"; fi',
  ];
  for (const cidr of o.allow) {
    const family = cidr.family === 4 ? 'ipv4' : 'ipv6';
    for (const port of OTLP_PORTS) {
      lines.push(`firewall-cmd --permanent $ZONE_ARG --add-rich-rule='rule family="${family}" source address="${cidr.text}" destination address="${o.listen}" port port="${port}" protocol="tcp" accept'`);
    }
  }
  lines.push('firewall-cmd --reload');
  return `${lines.join('\n')}\n`;
}

/**
 * nftables: a table of its own that drops OTLP traffic to the listen address
 * unless it comes from an allowed CIDR. It only ever drops, so it cannot open
 * anything another ruleset closes.
 */
export function buildNftables(o: SeamOptions): string {
  const v4 = o.allow.filter((c) => c.family === 4).map((c) => c.text);
  const v6 = o.allow.filter((c) => c.family === 6).map((c) => c.text);
  const daddr = o.listenFamily === 4 ? 'ip daddr' : 'ip6 daddr';
  const ports = `{ ${OTLP_PORTS.join(', ')} }`;
  const lines = [
    '#!/usr/sbin/nft -f',
    generatedHeader(o.command, 'hash').trimEnd(),
    '# Load with: nft -f tracekit-otlp.nft (or include it from /etc/nftables.conf).',
    'table inet tracekit_otlp',
    'delete table inet tracekit_otlp',
    'table inet tracekit_otlp {',
  ];
  if (v4.length > 0) lines.push('\tset allowed_v4 {', '\t\ttype ipv4_addr', '\t\tflags interval', `\t\telements = { ${v4.join(', ')} }`, '\t}');
  if (v6.length > 0) lines.push('\tset allowed_v6 {', '\t\ttype ipv6_addr', '\t\tflags interval', `\t\telements = { ${v6.join(', ')} }`, '\t}');
  lines.push('\tchain input {', '\t\ttype filter hook input priority filter - 10; policy accept;');
  if (v4.length > 0) lines.push(`\t\t${daddr} ${o.listen} tcp dport ${ports} ip saddr @allowed_v4 accept`);
  if (v6.length > 0) lines.push(`\t\t${daddr} ${o.listen} tcp dport ${ports} ip6 saddr @allowed_v6 accept`);
  lines.push(`\t\t${daddr} ${o.listen} tcp dport ${ports} drop`, '\t}', '}');
  return `${lines.join('\n')}\n`;
}
