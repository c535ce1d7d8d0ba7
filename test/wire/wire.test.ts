import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { run } from '../../src/cli.js';
import { hasGeneratedStamp } from '../../src/generated-header.js';
import { planFastapi, planLitellm, FASTAPI_PACKAGES, LITELLM_PACKAGES } from '../../src/wire/index.js';
import type { WirePlan } from '../../src/wire/index.js';
import { captureIO } from '../helpers/capture-io.js';
import { requireTool } from '../helpers/require-tool.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'tk-wire-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const file = (plan: WirePlan, p: string): string => {
  const f = plan.files.find((x) => x.path === p);
  if (f === undefined) throw new Error(`no ${p} in ${plan.files.map((x) => x.path).join(', ')}`);
  return f.content;
};

/** KEY=value lines of an env file, comments dropped, parsed by a real shell (`set -a; . file; env`). */
function shellEnv(content: string): Record<string, string> {
  const p = path.join(tmp, `env-${Math.random().toString(16).slice(2)}`);
  writeFileSync(p, content);
  const r = spawnSync('sh', ['-c', `set -a; . "${p}"; env -0`], { encoding: 'utf8', env: {} });
  expect(r.status, r.stderr).toBe(0);
  const out: Record<string, string> = {};
  for (const entry of r.stdout.split('\0')) {
    const i = entry.indexOf('=');
    if (i > 0 && entry.startsWith('OTEL_')) out[entry.slice(0, i)] = entry.slice(i + 1);
  }
  return out;
}

/** Splits a command line into argv with Python's shlex (what a POSIX shell would do), else with sh itself. */
function argvOf(commandLine: string): string[] {
  const python = requireTool('python3');
  if (python !== null) {
    const r = spawnSync(python, ['-c', 'import json,shlex,sys; print(json.dumps(shlex.split(sys.stdin.read())))'], { input: commandLine, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as string[];
  }
  const r = spawnSync('sh', ['-c', `set -- ${commandLine}; printf '%s\\0' "$@"`], { encoding: 'utf8' });
  return r.stdout.split('\0').slice(0, -1);
}

async function cli(args: string[], cwd = tmp): Promise<{ code: number; out: string; err: string }> {
  const io = captureIO({ cwd });
  const code = await run(args, io);
  return { code, out: io.out(), err: io.err() };
}

describe('wire fastapi', () => {
  const request = { app: 'shop.main:app', serviceName: 'shop-api', systemd: 'shop-api', endpoint: 'http://10.0.0.5:4318', venv: '/srv/shop/venv' };
  const plan = planFastapi(request);

  it('lists the packages, the environment, the start command and the drop-in, each stamped', () => {
    expect(plan.files.map((f) => f.path)).toEqual(['requirements-otel.txt', 'otel.env', 'start.sh', 'shop-api.service.d/tracekit-otel.conf']);
    for (const f of plan.files) expect(hasGeneratedStamp(f.content), f.path).toBe(true);
    const reqs = file(plan, 'requirements-otel.txt').split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(reqs).toEqual([...FASTAPI_PACKAGES]);
    expect(reqs).toEqual(expect.arrayContaining(['opentelemetry-distro', 'opentelemetry-exporter-otlp-proto-http', 'opentelemetry-instrumentation-fastapi']));
  });

  it('points the OTEL_* environment at the given receiver, as a shell reads it', () => {
    expect(shellEnv(file(plan, 'otel.env'))).toEqual({
      OTEL_SERVICE_NAME: 'shop-api',
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_METRICS_EXPORTER: 'otlp',
      OTEL_LOGS_EXPORTER: 'none',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://10.0.0.5:4318',
      OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'cumulative',
      OTEL_PROPAGATORS: 'tracecontext,baggage',
    });
  });

  it('starts uvicorn under opentelemetry-instrument: the command line parses into the expected argv', () => {
    const start = file(plan, 'start.sh');
    expect(spawnSync('sh', ['-n', '-c', start]).status).toBe(0);
    const execLine = start.split('\n').find((l) => l.startsWith('exec '));
    expect(execLine).toBeDefined();
    const argv = argvOf(execLine!.slice('exec '.length));
    expect(argv).toHaveLength(7);
    expect(argv[0]).toBe('/srv/shop/venv/bin/opentelemetry-instrument');
    expect(path.posix.basename(argv[1]!)).toBe('uvicorn');
    expect(argv[2]).toMatch(/^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*$/);
    expect(argv[2]).toBe('shop.main:app');
    expect(argv.slice(3)).toEqual(['--host', '127.0.0.1', '--port', '8000']);
    // the drop-in runs the same argv
    const drop = file(plan, 'shop-api.service.d/tracekit-otel.conf');
    const exec = drop.split('\n').filter((l) => l.startsWith('ExecStart='));
    expect(exec[0]).toBe('ExecStart=');
    expect(argvOf(exec[1]!.slice('ExecStart='.length))).toEqual(argv);
  });

  it('start.sh really reads otel.env and execs the instrumented command (stand-in binaries record argv and env)', () => {
    const dir = path.join(tmp, 'run-start');
    const venv = path.join(dir, 'venv');
    mkdirSync(path.join(venv, 'bin'), { recursive: true });
    const record = path.join(dir, 'record');
    writeFileSync(path.join(venv, 'bin', 'opentelemetry-instrument'), `#!/bin/sh\n{ printf '%s\\n' "$@"; env | grep '^OTEL_' | sort; } > "${record}"\n`);
    chmodSync(path.join(venv, 'bin', 'opentelemetry-instrument'), 0o755);
    const p = planFastapi({ ...request, venv, systemd: undefined });
    for (const f of p.files) writeFileSync(path.join(dir, f.path), f.content, { mode: f.mode ?? 0o644 });
    const r = spawnSync(path.join(dir, 'start.sh'), [], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
    expect(r.status, r.stderr).toBe(0);
    const lines = readFileSync(record, 'utf8').trim().split('\n');
    expect(lines.slice(0, 6)).toEqual([path.join(venv, 'bin', 'uvicorn'), 'shop.main:app', '--host', '127.0.0.1', '--port', '8000']);
    expect(lines).toContain('OTEL_EXPORTER_OTLP_ENDPOINT=http://10.0.0.5:4318');
    expect(lines).toContain('OTEL_SERVICE_NAME=shop-api');
  });

  it('is deterministic and defaults the service name to the top-level module', () => {
    expect(planFastapi(request)).toEqual(plan);
    const d = planFastapi({ app: 'billing_api.app:create' });
    expect(shellEnv(file(d, 'otel.env')).OTEL_SERVICE_NAME).toBe('billing-api');
    expect(shellEnv(file(d, 'otel.env')).OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://127.0.0.1:4318');
    expect(d.files.map((f) => f.path)).toEqual(['requirements-otel.txt', 'otel.env', 'start.sh']);
  });
});

describe('wire litellm', () => {
  const plan = planLitellm({ endpoint: 'http://10.0.0.5:4318', systemd: 'litellm' });

  it("turns on the proxy's otel callback and keeps prompts out, as parseable YAML", () => {
    const config = parseYaml(file(plan, 'litellm-otel.yaml')) as { litellm_settings: { callbacks: string[]; turn_off_message_logging: boolean } };
    expect(config.litellm_settings.callbacks).toEqual(['otel']);
    expect(config.litellm_settings.turn_off_message_logging).toBe(true);
    for (const f of plan.files) expect(hasGeneratedStamp(f.content), f.path).toBe(true);
    expect(file(plan, 'requirements-otel.txt').split('\n').filter((l) => l !== '' && !l.startsWith('#'))).toEqual([...LITELLM_PACKAGES]);
  });

  it('gives the environment its callback reads (OTEL_EXPORTER / OTEL_ENDPOINT)', () => {
    expect(shellEnv(file(plan, 'otel.env'))).toEqual({ OTEL_EXPORTER: 'otlp_http', OTEL_ENDPOINT: 'http://10.0.0.5:4318/v1/traces', OTEL_SERVICE_NAME: 'litellm-proxy' });
    const drop = file(plan, 'litellm.service.d/tracekit-otel.conf');
    expect(drop).toContain('Environment="OTEL_ENDPOINT=http://10.0.0.5:4318/v1/traces"');
    expect(drop).not.toContain('ExecStart');
  });
});

describe('systemd drop-ins', () => {
  const systemdAnalyze = requireTool('systemd-analyze');
  it.skipIf(systemdAnalyze === null)('pass systemd-analyze verify on top of a unit, and a broken one does not', () => {
    const dir = path.join(tmp, 'units');
    const venv = path.join(tmp, 'venv');
    mkdirSync(path.join(venv, 'bin'), { recursive: true });
    for (const b of ['opentelemetry-instrument', 'uvicorn']) {
      writeFileSync(path.join(venv, 'bin', b), '#!/bin/sh\n');
      chmodSync(path.join(venv, 'bin', b), 0o755);
    }
    mkdirSync(dir, { recursive: true });
    const base = '[Unit]\nDescription=test service\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n';
    const plans = [planFastapi({ app: 'shop.main:app', systemd: 'shop-api', venv }), planLitellm({ systemd: 'litellm.service' })];
    const units = ['shop-api.service', 'litellm.service'];
    for (const [i, plan] of plans.entries()) {
      writeFileSync(path.join(dir, units[i]!), base);
      const drop = plan.files.find((f) => f.path.endsWith('/tracekit-otel.conf'))!;
      mkdirSync(path.join(dir, path.dirname(drop.path)), { recursive: true });
      writeFileSync(path.join(dir, drop.path), drop.content);
    }
    const verify = (unit: string) =>
      spawnSync(systemdAnalyze as string, ['verify', path.join(dir, unit)], { encoding: 'utf8', cwd: dir, env: { ...process.env, SYSTEMD_UNIT_PATH: `${dir}:` } });
    for (const unit of units) {
      const r = verify(unit);
      expect(`${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes(dir)), `${r.stdout}${r.stderr}`).toEqual([]);
      expect(r.status, r.stderr).toBe(0);
    }
    // live check: the drop-in is read, and a misspelt key or a missing binary is reported
    const dropPath = path.join(dir, 'shop-api.service.d', 'tracekit-otel.conf');
    const good = readFileSync(dropPath, 'utf8');
    writeFileSync(dropPath, good.replace('Environment="OTEL_SERVICE_NAME', 'Environmnt="OTEL_SERVICE_NAME'));
    expect(`${verify('shop-api.service').stderr}`).toMatch(/Unknown key 'Environmnt'/);
    writeFileSync(dropPath, good.replaceAll(venv, path.join(tmp, 'no-such-venv')));
    const missing = verify('shop-api.service');
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/no-such-venv\/bin\/opentelemetry-instrument/);
  });
});

describe('the wire command', () => {
  it('prints the plan, or writes it with --out (start.sh executable)', async () => {
    const printed = await cli(['wire', 'fastapi', '--app', 'shop.main:app', '--systemd', 'shop-api']);
    expect(printed.code).toBe(0);
    expect(printed.out).toContain('### start command (start.sh)');
    expect(printed.out).toContain('ExecStart=/usr/local/bin/opentelemetry-instrument /usr/local/bin/uvicorn shop.main:app --host 127.0.0.1 --port 8000');
    const out = path.join(tmp, 'out-fastapi');
    const written = await cli(['wire', 'fastapi', '--app', 'shop.main:app', '--out', out]);
    expect(written.code, written.err).toBe(0);
    expect(statSync(path.join(out, 'start.sh')).mode & 0o777).toBe(0o755);
    expect(readFileSync(path.join(out, 'otel.env'), 'utf8')).toContain('OTEL_SERVICE_NAME=shop\n');
    const lit = await cli(['wire', 'litellm', '--out', path.join(tmp, 'out-litellm')]);
    expect(lit.code, lit.err).toBe(0);
    expect(parseYaml(readFileSync(path.join(tmp, 'out-litellm', 'litellm-otel.yaml'), 'utf8'))).toEqual({ litellm_settings: { callbacks: ['otel'], turn_off_message_logging: true } });
  });

  it.each([
    [['wire', 'fastapi'], 'TRACEKIT_E_WIRE_BAD_APP', /found nothing/],
    [['wire', 'fastapi', '--app', 'shop/main.py'], 'TRACEKIT_E_WIRE_BAD_APP', /found 'shop\/main\.py'/],
    [['wire', 'fastapi', '--app', 'shop.main'], 'TRACEKIT_E_WIRE_BAD_APP', /MODULE:APP/],
    [['wire', 'fastapi', '--app', 'a:b', '--endpoint', 'http://10.0.0.5:4317'], 'TRACEKIT_E_WIRE_BAD_ENDPOINT', /4317, which is OTLP\/gRPC/],
    [['wire', 'fastapi', '--app', 'a:b', '--endpoint', 'http://10.0.0.5:4318/v1/traces'], 'TRACEKIT_E_WIRE_BAD_ENDPOINT', /found a path/],
    [['wire', 'litellm', '--endpoint', 'collector'], 'TRACEKIT_E_WIRE_BAD_ENDPOINT', /found 'collector'/],
    [['wire', 'fastapi', '--app', 'a:b', '--systemd', 'shop api'], 'TRACEKIT_E_WIRE_BAD_UNIT', /found 'shop api'/],
    [['wire', 'fastapi', '--app', 'a:b', '--port', '70000'], 'TRACEKIT_E_USAGE', /found '70000'/],
    [['wire', 'fastapi', '--app', 'a:b', '--venv', 'venv'], 'TRACEKIT_E_USAGE', /absolute path/],
  ])('%j fails with exit 2 and %s', async (args, code, message) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`[${code}]`);
    expect(r.err).toMatch(message);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });

  it('has --help with an example for each subcommand', async () => {
    for (const sub of ['fastapi', 'litellm']) {
      const r = await cli(['wire', sub, '--help']);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(new RegExp(`Example:\\n  \\$ tracekit wire ${sub} `));
    }
  });
});
