import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { validateOtelcolConfig } from '../../src/collector/otelcol-schema.js';
import { runCli } from '../doctor/run-cli.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tracekit-collector-cli-'));
});
afterEach(() => {
  chmodSync(dir, 0o755);
  rmSync(dir, { recursive: true, force: true });
});

const listFiles = (root: string): string[] =>
  readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .sort();

describe('tracekit collector as a child process', () => {
  it('writes the seam, exit 0, and the same bytes on a second run', () => {
    const out = path.join(dir, 'seam');
    const token = path.join(dir, 'token');
    writeFileSync(token, 'abc\n');
    const args = ['collector', '--out', out, '--listen', '10.0.0.5', '--allow', '10.0.0.0/24', '--allow', '10.0.1.0/24', '--token-file', token, '--grafana'];
    const r = runCli(args);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const files = listFiles(out);
    expect(files).toEqual(
      [
        'README.md',
        'firewall/firewalld.sh',
        'firewall/tracekit-otlp.nft',
        'grafana/dashboards/tracekit-agent-usage.json',
        'grafana/dashboards/tracekit-requests.json',
        'grafana/dashboards/tracekit-sidecar-health.json',
        'grafana/provisioning/dashboards/tracekit.yaml',
        'grafana/provisioning/datasources/tracekit.yaml',
        'otelcol/config.yaml',
        'prometheus/rules/tracekit-alerts.rules.yml',
        'prometheus/rules/tracekit-recording.rules.yml',
        'prometheus/tracekit-scrape.yml',
        'prometheus/tracekit-sidecars.yml',
        'systemd/tracekit-otelcol.service',
        'systemd/tracekit-tempo.service',
        'tempo/tempo.yaml',
      ].map((p) => p.split('/').join(path.sep)),
    );
    const snapshot = files.map((f) => readFileSync(path.join(out, f), 'utf8'));
    expect(validateOtelcolConfig(parseYaml(snapshot[files.indexOf(path.join('otelcol', 'config.yaml'))]!))).toEqual([]);
    expect(snapshot[files.indexOf(path.join('otelcol', 'config.yaml'))]).toContain('--allow 10.0.0.0/24,10.0.1.0/24');
    expect(runCli(args).code).toBe(0);
    expect(files.map((f) => readFileSync(path.join(out, f), 'utf8'))).toEqual(snapshot);
  });

  it('leaves Grafana out without --grafana', () => {
    const out = path.join(dir, 'seam');
    expect(runCli(['collector', '--out', out, '--listen', '192.168.10.2', '--allow', '192.168.10.0/24']).code).toBe(0);
    expect(listFiles(out).some((f) => f.startsWith('grafana'))).toBe(false);
  });

  it.each([
    [['--listen', '8.8.8.8', '--allow', '10.0.0.0/8'], /--listen expects a private address .* found public address '8\.8\.8\.8'/, 'TRACEKIT_E_COLLECTOR_BAD_LISTEN'],
    [['--listen', '0.0.0.0', '--allow', '10.0.0.0/8'], /binds every interface/, 'TRACEKIT_E_COLLECTOR_BAD_LISTEN'],
    [['--listen', '10.0.0.5', '--allow', '10.0.0.0/33'], /--allow expects CIDRs .* found '10\.0\.0\.0\/33' \(the prefix length is above 32\)/, 'TRACEKIT_E_COLLECTOR_BAD_CIDR'],
    [['--listen', '10.0.0.5', '--allow', '10.0.0.0/8,10.0.0.x/24'], /found '10\.0\.0\.x\/24' \(not an IPv4 or IPv6 address\)/, 'TRACEKIT_E_COLLECTOR_BAD_CIDR'],
    [['--listen', '10.0.0.5', '--allow', '10.0.0.0/8', '--token-file', '/nonexistent/token'], /--token-file expects a readable file, found nothing at \/nonexistent\/token/, 'TRACEKIT_E_INPUT_NOT_FOUND'],
    [['--allow', '10.0.0.0/8'], /--listen expects the private address/, 'TRACEKIT_E_USAGE'],
  ])('exits 2 with one clear line on %j', (args, message, code) => {
    const r = runCli(['collector', '--out', path.join(dir, 'seam'), ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain(`[${code}]`);
    expect(r.stdout).toBe('');
  });

  it('exits 2 with one line when --out cannot be written', () => {
    const blocker = path.join(dir, 'a-file');
    writeFileSync(blocker, 'not a directory');
    const r = runCli(['collector', '--out', path.join(blocker, 'seam'), '--listen', '10.0.0.5', '--allow', '10.0.0.0/8']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(r.stderr).toMatch(/--out expects a directory tracekit can write, cannot write .* \(ENOTDIR\) \[TRACEKIT_E_OUTPUT_UNWRITABLE\]/);
  });

  it('has --help with an example', () => {
    const r = runCli(['collector', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Example:\n {2}tracekit collector --out/);
  });
});
