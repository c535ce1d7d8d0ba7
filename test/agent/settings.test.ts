import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MANAGED_SETTINGS_PATHS, STAMP_ENV } from '../../src/agent/settings.js';
import { checkManagedSettings } from '../../src/doctor/check-managed-settings.js';
import { hasGeneratedStamp } from '../../src/generated-header.js';
import { FIXTURES, runCli } from '../doctor/run-cli.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tracekit-agent-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('tracekit agent settings', () => {
  it('writes metrics-only managed settings with every trap set explicitly', () => {
    const r = runCli(['agent', 'settings', '--endpoint', 'http://10.0.0.5:4317']);
    expect(r.code, r.stderr).toBe(0);
    const settings = JSON.parse(r.stdout) as { env: Record<string, string> };
    expect(settings.env).toMatchObject({
      CLAUDE_CODE_ENABLE_TELEMETRY: '1',
      OTEL_METRICS_EXPORTER: 'otlp',
      OTEL_LOGS_EXPORTER: 'none',
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://10.0.0.5:4317',
      OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'cumulative',
      OTEL_METRICS_INCLUDE_SESSION_ID: 'true',
      OTEL_METRICS_INCLUDE_ACCOUNT_UUID: 'true',
    });
    expect(Object.values(settings.env).every((v) => typeof v === 'string')).toBe(true);
    expect(settings.env).not.toHaveProperty('OTEL_EXPORTER_OTLP_HEADERS');
    expect(hasGeneratedStamp(settings.env[STAMP_ENV] ?? '')).toBe(true);
    // where it goes, and the restart caveat
    for (const p of Object.values(MANAGED_SETTINGS_PATHS)) expect(r.stderr).toContain(p);
    expect(r.stderr).toMatch(/Running agent sessions keep their old settings.*restart/s);
    // and the doctor has nothing to say about it
    expect(checkManagedSettings(settings, 'stdout')).toEqual([]);
  });

  it('is deterministic and takes the token from --token-file into the auth header, writing --out owner-only', () => {
    const token = path.join(dir, 'token');
    writeFileSync(token, 's3cr3t-token\n');
    const out = path.join(dir, 'managed-settings.json');
    const args = ['agent', 'settings', '--endpoint', 'http://10.0.0.5:4318', '--protocol', 'http/protobuf', '--token-file', token, '--out', out];
    const r = runCli(args);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`wrote ${out}`);
    const first = readFileSync(out, 'utf8');
    const env = (JSON.parse(first) as { env: Record<string, string> }).env;
    expect(env.OTEL_EXPORTER_OTLP_HEADERS).toBe('Authorization=Bearer s3cr3t-token');
    expect(env.OTEL_EXPORTER_OTLP_PROTOCOL).toBe('http/protobuf');
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(runCli(args).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(first);
    const check = runCli(['agent', 'settings', '--check', out]);
    expect(check.code, check.stdout).toBe(0);
    expect(check.stdout).toContain('ok');
  });

  it('--check exits 1 on a settings file with traps, naming each with its fix', () => {
    const r = runCli(['agent', 'settings', '--check', path.join(FIXTURES, 'managed-settings-traps.json')]);
    expect(r.code).toBe(1);
    for (const id of ['protocol-unset', 'delta-temporality', 'session-id-dropped', 'logs-exported', 'prompt-content-logged']) expect(r.stdout).toContain(`ERROR ${id}`);
    expect(r.stdout).toContain('fix: set "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE": "cumulative"');
    expect(r.stderr).toMatch(/^tracekit: .*managed-settings-traps\.json: 5 problem\(s\) at or above warning \(expected none\) \[TRACEKIT_E_AGENT_SETTINGS_INVALID\]\n$/);
  });

  it.each([
    [['--endpoint', '10.0.0.5:4317'], /--endpoint expects an http:\/\/ or https:\/\/ URL|--endpoint expects the collector's OTLP URL/, 'TRACEKIT_E_AGENT_BAD_ENDPOINT'],
    [['--endpoint', 'http://10.0.0.5:4318'], /port 4318 is OTLP\/HTTP but --protocol is grpc/, 'TRACEKIT_E_AGENT_BAD_ENDPOINT'],
    [['--endpoint', 'http://10.0.0.5:4318/v1/metrics', '--protocol', 'http/protobuf'], /base URL/, 'TRACEKIT_E_AGENT_BAD_ENDPOINT'],
    [['--endpoint', 'http://10.0.0.5:4317', '--protocol', 'http/json'], /--protocol expects grpc or http\/protobuf, found 'http\/json'/, 'TRACEKIT_E_USAGE'],
    [['--endpoint', 'http://10.0.0.5:4317', '--token-file', '/nonexistent/token'], /--token-file expects an existing file/, 'TRACEKIT_E_INPUT_NOT_FOUND'],
    [['--check', '/nonexistent/managed-settings.json'], /--check expects an existing file/, 'TRACEKIT_E_INPUT_NOT_FOUND'],
    [['--endpoint', 'http://10.0.0.5:4317', '--out', '/nonexistent-dir/managed-settings.json'], /--out expects a file path tracekit can write/, 'TRACEKIT_E_OUTPUT_UNWRITABLE'],
    [[], /--endpoint expects the collector's OTLP URL/, 'TRACEKIT_E_USAGE'],
  ])('exits 2 with one line on bad input %j', (args, message, code) => {
    const r = runCli(['agent', 'settings', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain(`[${code}]`);
    expect(r.stdout).toBe('');
  });

  it('refuses an empty token file', () => {
    const token = path.join(dir, 'empty');
    writeFileSync(token, '\n');
    const r = runCli(['agent', 'settings', '--endpoint', 'http://10.0.0.5:4317', '--token-file', token]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('TRACEKIT_E_AGENT_BAD_TOKEN');
  });

  it('has --help with an example', () => {
    const r = runCli(['agent', 'settings', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Examples:\n {2}tracekit agent settings --endpoint/);
    const parent = runCli(['agent', '--help']);
    expect(parent.code).toBe(0);
    expect(parent.stdout).toMatch(/Example:\n {2}tracekit agent settings --endpoint/);
  });
});
