import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildManagedSettings } from '../../src/agent/settings.js';
import { runDoctor } from '../../src/doctor/run.js';
import type { Finding } from '../../src/doctor/findings.js';
import { writeTempSeam, type WrittenSeam } from '../collector/seam-fixture.js';
import { FIXTURES, runCli } from './run-cli.js';

const f = (rel: string): string => path.join(FIXTURES, rel);
const ids = (findings: readonly Finding[]): string[] => [...new Set(findings.map((x) => x.id))].sort();
const idsAt = (findings: readonly Finding[], severity: Finding['severity']): string[] => ids(findings.filter((x) => x.severity === severity));

describe('doctor finds each trap, with a fix', () => {
  it('collector: short expiry, logs pipeline, 0.0.0.0/public without auth, session id deleted, no resource labels, limiter order, delta', async () => {
    const { findings } = await runDoctor({ collector: f('collector-traps.yaml') });
    expect(idsAt(findings, 'error')).toEqual(['logs-exported', 'otlp-public-unauthenticated', 'series-expiry-short', 'session-id-dropped']);
    expect(idsAt(findings, 'warning')).toEqual(['memory-limiter-not-first', 'resource-labels-dropped']);
    expect(idsAt(findings, 'info')).toEqual(['delta-temporality']);
    const exposed = findings.filter((x) => x.id === 'otlp-public-unauthenticated').map((x) => x.where);
    expect(exposed).toEqual(['receivers.otlp.protocols.grpc.endpoint', 'receivers.otlp.protocols.http.endpoint']);
    for (const x of findings) expect(x.fix.length).toBeGreaterThan(10);
  });

  it('collector: series expiry under a day is an error even when all else is right', async () => {
    const { findings } = await runDoctor({ collector: f('collector-short-expiry.yaml') });
    expect(idsAt(findings, 'error')).toEqual(['series-expiry-short']);
    expect(findings.find((x) => x.id === 'series-expiry-short')?.message).toContain('12h');
  });

  it('prometheus: labeldrop of session_id and increase() over the session counter in a rule file it includes', async () => {
    const { findings } = await runDoctor({ prometheus: f('prometheus/prometheus.yml') });
    expect(ids(findings)).toEqual(['session-counter-increase', 'session-id-dropped']);
    expect(findings.find((x) => x.id === 'session-counter-increase')?.file).toBe(f('prometheus/rules/agents.rules.yml'));
  });

  it('dashboards: increase() over sessions (also inside a row), sessions as series present, cost without a notional label', async () => {
    const { findings } = await runDoctor({ dashboards: f('dashboards') });
    const byPanel = findings.map((x) => `${x.id} ${x.where ?? ''}`).sort();
    expect(byPanel).toEqual(['cost-not-notional panel "Spend"', 'session-counter-increase panel "Sessions today"', 'sessions-as-series-present panel "Sessions"']);
  });

  it('managed settings: protocol unset, delta temporality, session id dropped, logs and prompts exported', async () => {
    const { findings } = await runDoctor({ managedSettings: f('managed-settings-traps.json') });
    expect(idsAt(findings, 'error')).toEqual(['delta-temporality', 'logs-exported', 'prompt-content-logged', 'protocol-unset', 'session-id-dropped']);
  });

  it('managed settings: the defaults left unset are traps too (delta by default, no protocol, logs not pinned)', async () => {
    const { findings } = await runDoctor({ managedSettings: f('managed-settings-minimal.json') });
    expect(idsAt(findings, 'error')).toEqual(['delta-temporality', 'protocol-unset']);
    expect(idsAt(findings, 'warning')).toEqual(['logs-exported']);
  });

  it('fpm pool: no auto_prepend_file (a commented one does not count), or one naming a missing file', async () => {
    const none = await runDoctor({ fpmPool: f('fpm/www-no-prepend.conf') });
    expect(none.findings.map((x) => [x.id, x.where])).toEqual([['fpm-no-auto-prepend', 'pool [www]']]);
    const missing = await runDoctor({ fpmPool: f('fpm/www-missing-file.conf') });
    expect(ids(missing.findings)).toEqual(['fpm-prepend-missing-file']);
  });
});

describe('doctor on what tracekit writes finds nothing to fix', () => {
  let seam: WrittenSeam;
  let dir: string;
  beforeAll(async () => {
    seam = await writeTempSeam();
    dir = mkdtempSync(path.join(tmpdir(), 'tracekit-doctor-'));
  });
  afterAll(() => {
    seam?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports no warning or error on the generated collector config, rules, dashboards, settings and a prepended pool', async () => {
    const settings = path.join(dir, 'managed-settings.json');
    writeFileSync(settings, JSON.stringify(buildManagedSettings({ endpoint: 'http://10.0.0.5:4317', protocol: 'grpc', token: null, resourceAttributes: null, command: 'test' })));
    const bootstrap = path.join(dir, 'bootstrap.php');
    writeFileSync(bootstrap, '<?php\n');
    const pool = path.join(dir, 'www.conf');
    writeFileSync(pool, `[www]\nlisten = /run/php/fpm.sock\nphp_admin_value[auto_prepend_file] = ${bootstrap}\n`);
    const { findings, checked } = await runDoctor({
      collector: path.join(seam.dir, 'otelcol/config.yaml'),
      prometheus: path.join(seam.dir, 'prometheus/rules/tracekit-recording.rules.yml'),
      dashboards: path.join(seam.dir, 'grafana/dashboards'),
      managedSettings: settings,
      fpmPool: pool,
    });
    expect(checked).toHaveLength(5);
    expect(findings.filter((x) => x.severity !== 'info')).toEqual([]);
  });
});

describe('tracekit doctor as a child process', () => {
  it('exits 1 when a finding is at or above --fail-level, and prints each with its fix', () => {
    const r = runCli(['doctor', '--collector', f('collector-traps.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^ERROR series-expiry-short: .*collector-traps\.yaml \(exporters\.prometheus\.metric_expiration\): .*\n {2}fix: set exporters\.prometheus\.metric_expiration: 168h$/m);
    expect(r.stdout).toMatch(/at or above warning\n$/);
    expect(r.stderr).toBe('');
  });

  it('exits 0 when every finding is below --fail-level, 1 once the level reaches it', async () => {
    const seam = await writeTempSeam();
    try {
      // The generated config only carries the info note about delta senders.
      const config = path.join(seam.dir, 'otelcol/config.yaml');
      const atWarning = runCli(['doctor', '--collector', config]);
      expect(atWarning.code, atWarning.stdout).toBe(0);
      expect(atWarning.stdout).toContain('INFO delta-temporality');
      const atInfo = runCli(['doctor', '--collector', config, '--fail-level', 'info']);
      expect(atInfo.code).toBe(1);
      const errors = runCli(['doctor', '--dashboards', f('dashboards/agents.json'), '--fail-level', 'error']);
      expect(errors.code).toBe(1);
    } finally {
      seam.cleanup();
    }
  });

  it('distinguishes the levels: the same file exits 0 at --fail-level error and 1 at warning', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tracekit-doctor-lvl-'));
    try {
      const settings = path.join(dir, 'ms.json');
      const env = buildManagedSettings({ endpoint: 'http://10.0.0.5:4317', protocol: 'grpc', token: null, resourceAttributes: null, command: 'test' }).env;
      env.OTEL_METRICS_INCLUDE_ACCOUNT_UUID = 'false'; // a warning
      writeFileSync(settings, JSON.stringify({ env }));
      const atError = runCli(['doctor', '--managed-settings', settings, '--fail-level', 'error']);
      expect(atError.code, atError.stdout + atError.stderr).toBe(0);
      expect(atError.stdout).toContain('WARNING account-id-dropped');
      const atWarning = runCli(['doctor', '--managed-settings', settings, '--fail-level', 'warning']);
      expect(atWarning.code).toBe(1);
      const json = runCli(['doctor', '--managed-settings', settings, '--format', 'json', '--fail-level', 'error']);
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout)).toMatchObject({ failing: 0, findings: [{ id: 'account-id-dropped', severity: 'warning' }] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 2 with one line on a missing file, unparseable YAML, or a bad --fail-level', () => {
    const missing = runCli(['doctor', '--collector', '/nonexistent/config.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^tracekit: --collector expects an existing file, found nothing at \/nonexistent\/config\.yaml \[TRACEKIT_E_INPUT_NOT_FOUND\]\n$/);
    const bad = runCli(['doctor', '--managed-settings', f('collector-traps.yaml')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain('TRACEKIT_E_DOCTOR_UNPARSEABLE');
    const level = runCli(['doctor', '--collector', f('collector-traps.yaml'), '--fail-level', 'fatal']);
    expect(level.code).toBe(2);
    expect(level.stderr).toMatch(/--fail-level expects one of info, warning, error, found 'fatal'/);
  });

  it('has --help with an example', () => {
    const r = runCli(['doctor', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Example:\n {2}tracekit doctor --collector/);
  });
});
