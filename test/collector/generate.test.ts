import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { generateSeam } from '../../src/collector/generate.js';
import { NOTIONAL } from '../../src/collector/grafana.js';
import { parseCidr, parseListenAddress } from '../../src/collector/net.js';
import { resolveSeamOptions } from '../../src/collector/options.js';
import { otelcolSchema, validateOtelcolConfig } from '../../src/collector/otelcol-schema.js';
import { panelsOf } from '../../src/doctor/check-dashboards.js';
import { hasGeneratedStamp } from '../../src/generated-header.js';
import { TracekitError } from '../../src/errors.js';
import { requireTool } from '../helpers/require-tool.js';
import { BASE_FLAGS, writeTempSeam, type WrittenSeam } from './seam-fixture.js';

let seam: WrittenSeam;
beforeAll(async () => {
  seam = await writeTempSeam();
});
afterAll(() => seam?.cleanup());

const collectorConfig = (): Record<string, any> => parseYaml(seam.read('otelcol/config.yaml')) as Record<string, any>;

describe('tracekit collector output', () => {
  it('is deterministic: the same flags give the same bytes', () => {
    const again = generateSeam(resolveSeamOptions(BASE_FLAGS));
    expect(again.map((f) => [f.path, f.content])).toEqual(seam.files.map((f) => [f.path, f.content]));
  });

  it('stamps every file with tracekit, its version and the command', () => {
    for (const f of seam.files) {
      expect(hasGeneratedStamp(f.content), f.path).toBe(true);
      expect(f.content, f.path).toContain(BASE_FLAGS.command);
    }
    const dashboard = JSON.parse(seam.read('grafana/dashboards/tracekit-agent-usage.json')) as Record<string, unknown>;
    expect(hasGeneratedStamp(String(dashboard._generated))).toBe(true);
  });

  it('writes the collector config that passes the schema of the components it uses', () => {
    const config = collectorConfig();
    expect(validateOtelcolConfig(config)).toEqual([]);
    expect(config.receivers.otlp.protocols.grpc.endpoint).toBe('10.0.0.5:4317');
    expect(config.receivers.otlp.protocols.http.endpoint).toBe('10.0.0.5:4318');
    expect(config.exporters.prometheus).toMatchObject({ endpoint: '127.0.0.1:8889', metric_expiration: '168h', resource_to_telemetry_conversion: { enabled: true } });
    expect(config.service.pipelines.traces.processors).toEqual(['memory_limiter', 'batch']);
    expect(config.service.pipelines.traces.exporters).toContain('spanmetrics');
    expect(config.service.pipelines.metrics.receivers).toContain('spanmetrics');
    expect(Object.keys(config.service.pipelines)).toEqual(['traces', 'metrics']);
    expect(config.connectors.spanmetrics.dimensions).toContainEqual({ name: 'http.route' });
  });

  it('turns on bearer-token auth on both receivers with --token-file, reading it through a systemd credential', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tracekit-token-'));
    try {
      const token = path.join(dir, 'token');
      writeFileSync(token, 'secret\n');
      const files = generateSeam(resolveSeamOptions({ ...BASE_FLAGS, tokenFile: token }));
      const config = parseYaml(files.find((f) => f.path === 'otelcol/config.yaml')!.content) as Record<string, any>;
      expect(validateOtelcolConfig(config)).toEqual([]);
      expect(config.receivers.otlp.protocols.grpc.auth).toEqual({ authenticator: 'bearertokenauth/in' });
      expect(config.receivers.otlp.protocols.http.auth).toEqual({ authenticator: 'bearertokenauth/in' });
      expect(config.service.extensions).toContain('bearertokenauth/in');
      const unit = files.find((f) => f.path === 'systemd/tracekit-otelcol.service')!.content;
      expect(unit).toContain(`LoadCredential=otlp-token:${token}`);
      expect(JSON.stringify(files)).not.toContain('secret');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('the schema refuses every trap the doctor looks for', () => {
    const mutate = (fn: (c: Record<string, any>) => void): Record<string, any> => {
      const c = collectorConfig();
      fn(c);
      return c;
    };
    const cases: Array<[string, (c: Record<string, any>) => void, RegExp]> = [
      ['series expiry under a day', (c) => (c.exporters.prometheus.metric_expiration = '5m'), /series-expiry-short/],
      ['series expiry left at the default', (c) => delete c.exporters.prometheus.metric_expiration, /metric_expiration/],
      ['resource attributes not kept as labels', (c) => (c.exporters.prometheus.resource_to_telemetry_conversion.enabled = false), /resource_to_telemetry_conversion/],
      ['a logs pipeline', (c) => (c.service.pipelines.logs = { receivers: ['otlp'], processors: ['memory_limiter', 'batch'], exporters: ['prometheus'] }), /logs/],
      ['OTLP on 0.0.0.0 without auth', (c) => (c.receivers.otlp.protocols.grpc.endpoint = '0.0.0.0:4317'), /otlp-public-unauthenticated/],
      ['OTLP on a public address without auth', (c) => (c.receivers.otlp.protocols.http.endpoint = '203.0.113.7:4318'), /otlp-public-unauthenticated/],
      ['OTLP on 0.0.0.0 even with auth', (c) => {
        c.extensions['bearertokenauth/in'] = { filename: '/x' };
        c.service.extensions.push('bearertokenauth/in');
        c.receivers.otlp.protocols.grpc.endpoint = '0.0.0.0:4317';
        c.receivers.otlp.protocols.grpc.auth = { authenticator: 'bearertokenauth/in' };
      }, /otlp-all-interfaces/],
      ['session id deleted by an attributes processor', (c) => {
        c.processors['attributes/strip'] = { actions: [{ key: 'session.id', action: 'delete' }] };
        c.service.pipelines.metrics.processors = ['memory_limiter', 'attributes/strip', 'batch'];
      }, /attributes\/strip/],
      ['batch before memory_limiter', (c) => (c.service.pipelines.traces.processors = ['batch', 'memory_limiter']), /memory-limiter-not-first|memory_limiter must come first/],
      ['a pipeline naming an undefined exporter', (c) => c.service.pipelines.traces.exporters.push('otlp/nowhere'), /pipeline-undefined-component/],
      ['a memory_limiter without a limit', (c) => delete c.processors.memory_limiter.limit_mib, /limit_mib or limit_percentage/],
      ['an unknown key', (c) => (c.exporters.prometheus.metric_expiry = '168h'), /metric_expiry|Unrecognized/i],
    ];
    for (const [name, fn, pattern] of cases) {
      it(`rejects ${name}`, () => {
        const issues = validateOtelcolConfig(mutate(fn));
        expect(issues.length, name).toBeGreaterThan(0);
        expect(issues.join('\n')).toMatch(pattern);
      });
    }
    it('accepts the unmodified config (the cases above fail for their mutation only)', () => {
      expect(otelcolSchema.safeParse(collectorConfig()).success).toBe(true);
    });
  });

  it('gives every Grafana panel a datasource and an expression, and every cost panel a notional label', () => {
    const dashboards = seam.files.filter((f) => f.path.startsWith('grafana/dashboards/'));
    expect(dashboards.map((d) => path.basename(d.path)).sort()).toEqual(['tracekit-agent-usage.json', 'tracekit-requests.json', 'tracekit-sidecar-health.json']);
    let costPanels = 0;
    for (const d of dashboards) {
      const panels = panelsOf(JSON.parse(d.content));
      expect(panels.length, d.path).toBeGreaterThan(2);
      for (const p of panels) {
        const ds = p.datasource as { uid?: string; type?: string } | undefined;
        expect(ds?.uid, `${d.path} ${String(p.title)}`).toBe('tracekit-prometheus');
        const targets = p.targets as Array<{ expr?: string; datasource?: { uid?: string } }>;
        expect(targets.length).toBeGreaterThan(0);
        for (const t of targets) {
          expect(t.expr?.trim().length ?? 0, String(p.title)).toBeGreaterThan(0);
          expect(t.datasource?.uid).toBe('tracekit-prometheus');
        }
        if (targets.some((t) => t.expr?.includes('claude_code_cost_usage'))) {
          costPanels++;
          expect(`${String(p.title)} ${String(p.description ?? '')}`, String(p.title)).toMatch(/notional/i);
          expect(`${String(p.title)} ${String(p.description ?? '')}`).toMatch(/API list prices/);
        }
      }
    }
    expect(costPanels).toBeGreaterThanOrEqual(4);
    expect(NOTIONAL).toMatch(/notional/i);
  });

  it('covers the panels the issue asks for', () => {
    const titles = (file: string): string[] => panelsOf(JSON.parse(seam.read(`grafana/dashboards/${file}`))).map((p) => String(p.title));
    const agent = titles('tracekit-agent-usage.json').join('\n');
    for (const needle of ['Tokens by type', 'Tokens by model', 'Tokens by host', 'Tokens by person', 'Sessions started in range', 'Active time', 'Lines of code', 'Notional cost']) expect(agent).toContain(needle);
    const requests = titles('tracekit-requests.json').join('\n');
    for (const needle of ['Pageviews per route', 'Latency p50', 'Latency p95', 'Error rate']) expect(requests).toContain(needle);
    const reqPanels = panelsOf(JSON.parse(seam.read('grafana/dashboards/tracekit-requests.json')));
    const linked = reqPanels.filter((p) => JSON.stringify(p).includes('tracekit-tempo'));
    expect(linked.length).toBeGreaterThanOrEqual(4);
  });

  it('provisions the Prometheus and Tempo datasources and the dashboards folder', () => {
    const ds = parseYaml(seam.read('grafana/provisioning/datasources/tracekit.yaml')) as { datasources: Array<{ uid: string; type: string; url: string }> };
    expect(ds.datasources.map((d) => [d.uid, d.type])).toEqual([
      ['tracekit-prometheus', 'prometheus'],
      ['tracekit-tempo', 'tempo'],
    ]);
    const provider = parseYaml(seam.read('grafana/provisioning/dashboards/tracekit.yaml')) as { providers: Array<{ type: string; options: { path: string } }> };
    expect(provider.providers[0]).toMatchObject({ type: 'file', options: { path: '/var/lib/grafana/dashboards/tracekit' } });
  });

  it('writes a Tempo monolithic config with local storage and 7-day retention', () => {
    const tempo = parseYaml(seam.read('tempo/tempo.yaml')) as Record<string, any>;
    expect(tempo.storage.trace.backend).toBe('local');
    expect(tempo.storage.trace.wal.path).toBeTruthy();
    expect(tempo.storage.trace.local.path).toBeTruthy();
    expect(tempo.compactor.compaction.block_retention).toBe('168h');
    expect(tempo.distributor.receivers.otlp.protocols.grpc.endpoint).toBe(collectorConfig().exporters['otlp/tempo'].endpoint);
  });

  it('points at an existing Tempo instead of writing one with --tempo', () => {
    const files = generateSeam(resolveSeamOptions({ ...BASE_FLAGS, tempo: 'https://10.0.0.9:4317' }));
    expect(files.some((f) => f.path.startsWith('tempo/'))).toBe(false);
    const config = parseYaml(files.find((f) => f.path === 'otelcol/config.yaml')!.content) as Record<string, any>;
    expect(config.exporters['otlp/tempo']).toEqual({ endpoint: '10.0.0.9:4317', tls: { insecure: false } });
  });

  it('opens the OTLP ports only to the allowed CIDRs (firewalld and nftables)', () => {
    const firewalld = seam.read('firewall/firewalld.sh');
    const rules = firewalld.split('\n').filter((l) => l.includes('--add-rich-rule'));
    expect(rules).toHaveLength(4);
    for (const cidr of ['10.0.0.0/24', '10.0.1.0/24']) {
      for (const port of ['4317', '4318']) {
        expect(rules.some((r) => r.includes(`source address="${cidr}"`) && r.includes(`port port="${port}" protocol="tcp" accept`) && r.includes('destination address="10.0.0.5"'))).toBe(true);
      }
    }
    const nft = seam.read('firewall/tracekit-otlp.nft');
    expect(nft).toContain('elements = { 10.0.0.0/24, 10.0.1.0/24 }');
    expect(nft).toMatch(/ip daddr 10\.0\.0\.5 tcp dport \{ 4317, 4318 \} ip saddr @allowed_v4 accept\n\t\tip daddr 10\.0\.0\.5 tcp dport \{ 4317, 4318 \} drop/);
    // nftables braces balance (no nft binary here to parse it)
    expect((nft.match(/\{/g) ?? []).length).toBe((nft.match(/\}/g) ?? []).length);
  });

  const systemdAnalyze = requireTool('systemd-analyze');
  it.skipIf(systemdAnalyze === null)('writes systemd units that systemd-analyze verify accepts without a warning', () => {
    // ExecStart must name binaries that exist for verify to pass; the real
    // collector and Tempo are not installable here, so point at /bin/true.
    const dir = mkdtempSync(path.join(tmpdir(), 'tracekit-units-'));
    try {
      const token = path.join(dir, 'token');
      writeFileSync(token, 'x\n');
      const files = generateSeam(resolveSeamOptions({ ...BASE_FLAGS, tokenFile: token, otelcolBinary: '/bin/true', tempoBinary: '/bin/true' }));
      const units = files.filter((f) => f.path.startsWith('systemd/'));
      expect(units.map((u) => path.basename(u.path))).toEqual(['tracekit-otelcol.service', 'tracekit-tempo.service']);
      const paths = units.map((u) => {
        const p = path.join(dir, path.basename(u.path));
        writeFileSync(p, u.content);
        return p;
      });
      const r = spawnSync(systemdAnalyze as string, ['verify', ...paths], { encoding: 'utf8', cwd: dir });
      const ours = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes('tracekit-'));
      expect(ours, `${r.stdout}${r.stderr}`).toEqual([]);
      expect(r.status, r.stderr).toBe(0);
      // the check is live: a misspelt key is reported
      const broken = path.join(dir, 'tracekit-broken.service');
      writeFileSync(broken, readFileSync(paths[0]!, 'utf8').replace('DynamicUser=yes', 'DynamicUsr=yes'));
      const r2 = spawnSync(systemdAnalyze as string, ['verify', broken], { encoding: 'utf8', cwd: dir });
      expect(`${r2.stdout}${r2.stderr}`).toMatch(/Unknown key 'DynamicUsr'/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('bad input', () => {
  const codeOf = (fn: () => unknown): string => {
    try {
      fn();
    } catch (error) {
      if (error instanceof TracekitError) return `${error.code} ${error.message}`;
      throw error;
    }
    return 'no error';
  };
  it.each([
    ['8.8.8.8', /public address/],
    ['0.0.0.0', /every interface/],
    ['::', /every interface/],
    ['collector.internal', /no host name/],
    ['10.0.0.5:4317', /no port/],
    ['10.0.0.256', /private IP address/],
  ])('refuses --listen %s', (value, message) => {
    const out = codeOf(() => parseListenAddress(value));
    expect(out).toMatch(/^TRACEKIT_E_COLLECTOR_BAD_LISTEN /);
    expect(out).toMatch(message);
  });
  it.each(['10.0.0.0/33', '10.0.0.1/24', '10.0.0/24', 'ten/8', '0.0.0.0/0', '10.0.0.0/', 'fd00::1/8'])('refuses --allow %s', (value) => {
    expect(codeOf(() => parseCidr(value))).toMatch(/^TRACEKIT_E_COLLECTOR_BAD_CIDR .*--allow expects CIDRs/);
  });
  it('accepts private listen addresses and normalises CIDRs', () => {
    expect(parseListenAddress('192.168.1.10').address).toBe('192.168.1.10');
    expect(parseListenAddress('fd12::5').family).toBe(6);
    expect(parseCidr('10.1.2.3').text).toBe('10.1.2.3/32');
    expect(parseCidr('FD00::/8').text).toBe('fd00::/8');
  });
  it('refuses CIDRs of the other IP family than --listen', () => {
    expect(codeOf(() => resolveSeamOptions({ ...BASE_FLAGS, allow: ['fd00::/8'] }))).toMatch(/TRACEKIT_E_COLLECTOR_BAD_CIDR .*IPv4 CIDRs/);
  });
  it('refuses a --tempo that is not http(s)://HOST:PORT', () => {
    expect(codeOf(() => resolveSeamOptions({ ...BASE_FLAGS, tempo: 'tempo:4317' }))).toMatch(/TRACEKIT_E_COLLECTOR_BAD_TEMPO_URL/);
    expect(codeOf(() => resolveSeamOptions({ ...BASE_FLAGS, tempo: 'http://10.0.0.9' }))).toMatch(/TRACEKIT_E_COLLECTOR_BAD_TEMPO_URL/);
  });
});
