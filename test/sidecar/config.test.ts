import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TracekitError } from '../../src/errors.js';
import { parseBytes, parseDurationMillis, resolveSidecarConfig, type SidecarFlags } from '../../src/sidecar/config.js';

describe('sidecar configuration precedence', () => {
  let dir: string;
  let yamlFile: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tracekit-cfg-'));
    yamlFile = path.join(dir, 'sidecar.yaml');
    await writeFile(
      yamlFile,
      ['listen: 127.0.0.1:5000', 'upstream: http://from-file:4318', 'maxQueueBytes: 8MiB', 'signals: [traces]', 'shutdownTimeout: 3s', 'spoolDir: spool', 'retry:', '  maxAttempts: 4'].join('\n'),
    );
    await writeFile(path.join(dir, 'token'), 'file-token\n');
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  const resolve = (flags: SidecarFlags, env: Record<string, string> = {}) => {
    const warnings: string[] = [];
    const config = resolveSidecarConfig({ flags, env, cwd: dir, warn: (m) => warnings.push(m) });
    return { config, warnings };
  };

  it('uses defaults when nothing is set', () => {
    const { config } = resolve({});
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 4318 });
    expect(config.socket).toEqual({ path: '/run/tracekit/otlp.sock', mode: 0o660, group: null });
    expect(config.upstream.url).toBe('http://localhost:4318');
    expect(config.spoolDir).toBeNull();
    expect(config.signals).toEqual(['traces', 'metrics', 'logs']);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('takes the config file over defaults', () => {
    const { config } = resolve({ config: yamlFile });
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 5000 });
    expect(config.upstream.url).toBe('http://from-file:4318');
    expect(config.maxQueueBytes).toBe(8 * 1024 * 1024);
    expect(config.signals).toEqual(['traces']);
    expect(config.shutdownTimeoutMillis).toBe(3000);
    expect(config.spoolDir).toBe(path.join(dir, 'spool'));
    expect(config.retry.maxAttempts).toBe(4);
  });

  it('takes OTEL_EXPORTER_OTLP_* over the file, TRACEKIT_* over those, flags over everything', () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://from-otel:4318', OTEL_EXPORTER_OTLP_TIMEOUT: '2500', OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=a%20b,Authorization=Basic%20xyz' };
    let { config } = resolve({ config: yamlFile }, env);
    expect(config.upstream.url).toBe('http://from-otel:4318');
    expect(config.upstream.timeoutMillis).toBe(2500);
    expect(config.upstream.headers).toEqual({ 'x-tenant': 'a b', authorization: 'Basic xyz' });
    ({ config } = resolve({ config: yamlFile }, { ...env, TRACEKIT_UPSTREAM: 'http://from-tracekit:4318', TRACEKIT_MAX_QUEUE_BYTES: '1MiB' }));
    expect(config.upstream.url).toBe('http://from-tracekit:4318');
    expect(config.maxQueueBytes).toBe(1024 * 1024);
    ({ config } = resolve({ config: yamlFile, upstream: 'http://from-flag:4318', maxQueueBytes: '2MiB' }, { ...env, TRACEKIT_UPSTREAM: 'http://from-tracekit:4318', TRACEKIT_MAX_QUEUE_BYTES: '1MiB' }));
    expect(config.upstream.url).toBe('http://from-flag:4318');
    expect(config.maxQueueBytes).toBe(2 * 1024 * 1024);
  });

  it('uses OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as the full traces URL', () => {
    const { config } = resolve({}, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector:4318/custom/traces' });
    expect(config.upstream.signalUrls.traces).toBe('https://collector:4318/custom/traces');
  });

  it('warns about and ignores a bad environment value, but fails on a bad flag', () => {
    const { config, warnings } = resolve({}, { TRACEKIT_MAX_QUEUE_BYTES: 'plenty' });
    expect(config.maxQueueBytes).toBe(64 * 1024 * 1024);
    expect(warnings[0]).toMatch(/TRACEKIT_MAX_QUEUE_BYTES: expected a size .* found 'plenty'/);
    expect(() => resolve({ maxQueueBytes: 'plenty' })).toThrow(TracekitError);
  });

  it('reads the token from --token-file, or TRACEKIT_UPSTREAM_TOKEN, into an Authorization header', () => {
    expect(resolve({ tokenFile: 'token' }).config.upstream.headers.authorization).toBe('Bearer file-token');
    expect(resolve({}, { TRACEKIT_UPSTREAM_TOKEN: 'env-token' }).config.upstream.headers.authorization).toBe('Bearer env-token');
    expect(() => resolve({ tokenFile: 'missing' })).toThrow(/--token-file: expected a readable file .* ENOENT/);
  });

  it('refuses credentials in the upstream URL (they would be visible in ps)', () => {
    expect(() => resolve({ upstream: 'http://user:pw@collector:4318' })).toThrow(/credentials do not belong in the URL/);
  });

  it('allows a remote --listen only with --allow-remote, and disables listeners with --no-x', () => {
    expect(() => resolve({ listen: '10.0.0.5:4318' })).toThrow(/--allow-remote/);
    expect(resolve({ listen: '10.0.0.5:4318', allowRemote: true }).config.listen).toEqual({ host: '10.0.0.5', port: 4318 });
    expect(resolve({ listen: '[::1]:4318' }).config.listen).toEqual({ host: '::1', port: 4318 });
    expect(resolve({ listen: false }).config.listen).toBeNull();
    expect(resolve({ socket: false }).config.socket).toBeNull();
    expect(() => resolve({ listen: false, socket: false })).toThrow(/at least one of --listen and --socket/);
  });

  it('parses socket modes, sizes and durations', () => {
    expect(resolve({ socketMode: '0666', socketGroup: 'www-data' }).config.socket).toMatchObject({ mode: 0o666, group: 'www-data' });
    expect(() => resolve({ socketMode: '999' })).toThrow(/expected an octal mode/);
    expect(parseBytes('64MiB', 'x')).toBe(67108864);
    expect(parseBytes('1GB', 'x')).toBe(1e9);
    expect(parseDurationMillis('500ms', 'x')).toBe(500);
    expect(parseDurationMillis('2m', 'x')).toBe(120_000);
    expect(parseDurationMillis('7', 'x')).toBe(7000);
  });

  it('takes the upstream gzip level from env or file, 0 meaning uncompressed', () => {
    expect(resolve({}).config.upstream.gzipLevel).toBe(1);
    expect(resolve({}, { TRACEKIT_UPSTREAM_GZIP_LEVEL: '0' }).config.upstream.gzipLevel).toBe(0);
    const { config, warnings } = resolve({}, { TRACEKIT_UPSTREAM_GZIP_LEVEL: '11' });
    expect(config.upstream.gzipLevel).toBe(1);
    expect(warnings[0]).toMatch(/TRACEKIT_UPSTREAM_GZIP_LEVEL: expected 0 \(no compression\) to 9, found '11'/);
  });

  it('resolves upstream compression: flag > TRACEKIT_* > OTEL_*_TRACES_* > OTEL_* > file > the spec default none', async () => {
    const file = path.join(dir, 'compression.json');
    await writeFile(file, JSON.stringify({ upstreamCompression: 'gzip' }));
    expect(resolve({}).config.upstream.compression).toBe('none');
    expect(resolve({ config: file }).config.upstream.compression).toBe('gzip');
    expect(resolve({ config: file }, { OTEL_EXPORTER_OTLP_COMPRESSION: 'none' }).config.upstream.compression).toBe('none');
    expect(resolve({}, { OTEL_EXPORTER_OTLP_COMPRESSION: 'none', OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'GZIP' }).config.upstream.compression).toBe('gzip');
    expect(resolve({}, { OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'gzip', TRACEKIT_UPSTREAM_COMPRESSION: 'none' }).config.upstream.compression).toBe('none');
    expect(resolve({ upstreamCompression: 'gzip' }, { TRACEKIT_UPSTREAM_COMPRESSION: 'none' }).config.upstream.compression).toBe('gzip');
    const { config, warnings } = resolve({}, { OTEL_EXPORTER_OTLP_COMPRESSION: 'zstd' });
    expect(config.upstream.compression).toBe('none');
    expect(warnings[0]).toMatch(/OTEL_EXPORTER_OTLP_COMPRESSION: expected gzip or none, found 'zstd'/);
    expect(() => resolve({ upstreamCompression: 'br' })).toThrow(/--upstream-compression: expected gzip or none, found 'br'/);
    await writeFile(file, JSON.stringify({ upstreamCompression: 'deflate' }));
    expect(() => resolve({ config: file })).toThrow(/upstreamCompression/);
  });

  it('reports the first bad key of a config file by path', async () => {
    const bad = path.join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ retry: { maxAttempts: 'many' } }));
    expect(() => resolve({ config: bad })).toThrow(/bad\.json: retry\.maxAttempts: /);
  });
});
