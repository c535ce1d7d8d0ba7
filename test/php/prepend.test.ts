import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planPhpInit, writePhpInit } from '../../src/php/init.js';
import { requireTool } from '../helpers/require-tool.js';
import { runPhpFile } from './php-cli.js';
import { pollUntilTrue } from '../helpers/poll.js';

const php = requireTool('php');

/**
 * A script that snapshots everything the prepend must leave alone, then exits
 * with a status of its own. Run with and without the prepend; the outputs must
 * be identical.
 */
const PROBE = `<?php
$snapshot = [
  'globals' => array_keys($GLOBALS),
  'functions' => get_defined_functions()['user'],
  'globalClasses' => array_values(array_filter(array_merge(get_declared_classes(), get_declared_interfaces(), get_declared_traits()), function ($c) { return strpos($c, '\\\\') === false && (new ReflectionClass($c))->isUserDefined(); })),
  'constants' => isset(get_defined_constants(true)['user']) ? get_defined_constants(true)['user'] : [],
  'errorReporting' => error_reporting(),
  // The one ini value that differs by construction is auto_prepend_file itself.
  'ini' => array_diff_key(ini_get_all(null, false), ['auto_prepend_file' => true]),
  'errorHandler' => set_error_handler(null),
  'exceptionHandler' => set_exception_handler(null),
  'ob' => [ob_get_level(), ob_list_handlers()],
  'lastError' => error_get_last(),
  'json' => json_last_error(),
  'preg' => preg_last_error(),
  'autoload' => spl_autoload_functions(),
  'cwd' => getcwd(),
  'umask' => umask(),
  'tz' => date_default_timezone_get(),
  'locale' => setlocale(LC_ALL, '0'),
];
$after = 0;
register_shutdown_function(function () use (&$after) { echo "app shutdown\\n"; });
echo json_encode($snapshot), "\\n";
exit(7);
`;

/** Damages one declaration without changing the file's size: a parse error at include time. */
function corruptSameSize(runtime: string): string {
  const damaged = runtime.replace('final class Config', 'final class {{{{{{');
  if (damaged === runtime || damaged.length !== runtime.length) throw new Error('the corruption did not apply');
  return damaged;
}

function waitFor(condition: () => boolean, timeoutMillis = 5000): Promise<void> {
  return pollUntilTrue('the condition', condition, { timeoutMillis, intervalMillis: 10 });
}

describe.skipIf(php === null)('the prepend under php-cli: nothing the script can observe changes', () => {
  const bin = php as string;
  let dir: string;
  let hung: net.Server;
  let hungSocket: string;
  const hungConnections: net.Socket[] = [];
  const hungReceived: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tracekit-prepend-'));
    await writePhpInit(planPhpInit({ outDir: path.join(dir, 'ok'), cwd: dir, serviceName: 'probe', endpoint: `unix://${dir}/nobody-listens.sock` }));
    writeFileSync(path.join(dir, 'probe.php'), PROBE);
    // A sidecar stand-in that accepts connections and never answers.
    hungSocket = path.join(dir, 'hung.sock');
    hung = net.createServer((socket) => {
      hungConnections.push(socket);
      socket.on('data', (chunk) => hungReceived.push(chunk.toString('utf8')));
      socket.on('error', () => {});
    });
    hung.listen(hungSocket);
    await once(hung, 'listening');
  });

  afterAll(async () => {
    for (const s of hungConnections) s.destroy();
    await new Promise<void>((resolve) => hung.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  function variant(name: string, mutate: (runtime: string) => string | null): string {
    const target = path.join(dir, name);
    const plan = planPhpInit({ outDir: target, cwd: dir, serviceName: 'probe', endpoint: `unix://${dir}/nobody-listens.sock` });
    mkdirSync(target, { recursive: true });
    for (const f of plan.files) {
      const content = f.name === 'tracekit-runtime.php' ? mutate(f.content) : f.content;
      if (content !== null) writeFileSync(path.join(target, f.name), content);
    }
    return path.join(target, 'tracekit-prepend.php');
  }

  function probe(prepend: string | null, env: Record<string, string> = {}) {
    return runPhpFile(bin, path.join(dir, 'probe.php'), { ini: prepend === null ? {} : { auto_prepend_file: prepend }, env });
  }

  it('with the runtime loaded and exporting to a socket nobody listens on', () => {
    const baseline = probe(null);
    expect(baseline.status).toBe(7);
    expect(baseline.stderr).toBe('');
    const traced = probe(path.join(dir, 'ok', 'tracekit-prepend.php'));
    expect(traced).toEqual(baseline);
  });

  it('with a sidecar stand-in that accepts the connection and never answers', async () => {
    const baseline = probe(null);
    const traced = probe(path.join(dir, 'ok', 'tracekit-prepend.php'), { OTEL_EXPORTER_OTLP_ENDPOINT: `unix://${hungSocket}`, TRACEKIT_EXPORT_TIMEOUT_MS: '20' });
    expect(traced).toEqual(baseline);
    // The export really went to the stand-in (which never answered).
    await waitFor(() => hungReceived.join('').includes('"name":"probe.php"'));
    expect(hungReceived.join('')).toMatch(/^POST \/v1\/traces HTTP\/1\.1\r\n/);
    expect(hungReceived.join('')).toContain('"kind":1');
  });

  it('with bad configuration values everywhere', () => {
    const baseline = probe(null);
    const traced = probe(path.join(dir, 'ok', 'tracekit-prepend.php'), {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://no such host',
      OTEL_TRACES_SAMPLER: '???',
      OTEL_TRACES_SAMPLER_ARG: 'NaN',
      OTEL_RESOURCE_ATTRIBUTES: '%%%,=,a=%ZZ',
      TRACEKIT_EXPORT_TIMEOUT_MS: '99999999999',
      OTEL_SERVICE_NAME: '\u0001',
    });
    expect(traced).toEqual(baseline);
  });

  it.each([
    ['missing', () => null],
    ['truncated', (r: string) => r.slice(0, Math.floor(r.length / 2))],
    ['empty', () => ''],
    ['corrupt, same size (parse error)', corruptSameSize],
    ['corrupt, same size, and a fatal error no try/catch can stop (a class declared twice)', (r: string) => {
      const damaged = r.replace('final class Config', 'final class Clock ');
      if (damaged === r || damaged.length !== r.length) throw new Error('the corruption did not apply');
      return damaged;
    }],
    ['replaced by a same-size file that prints', (r: string) => 'GARBAGE <html>'.padEnd(r.length, 'x')],
    ['replaced by a same-size file that throws', (r: string) => `<?php throw new \\Exception('runtime exploded');\n//`.padEnd(r.length, 'x')],
    ['replaced by a same-size file that warns and prints inside PHP', (r: string) => `<?php echo $undefinedVariable, 'oops'; trigger_error('boom', E_USER_WARNING);\n//`.padEnd(r.length, 'x')],
  ])('with the runtime %s, the script runs exactly as without the prepend', (name, mutate) => {
    const prepend = variant(name.replace(/\W+/g, '-'), mutate as (r: string) => string | null);
    expect(existsSync(path.join(path.dirname(prepend), 'tracekit-runtime.php'))).toBe(name !== 'missing');
    const baseline = probe(null);
    const traced = probe(prepend);
    expect(traced).toEqual(baseline);
  });

  it('really loads the runtime and traces when nothing is wrong (so the checks above can fail)', () => {
    const check = path.join(dir, 'check.php');
    writeFileSync(check, `<?php echo json_encode([class_exists('Tracekit\\\\Runtime\\\\Tracer', false), \\Tracekit\\Runtime\\Tracer::rootSpan() !== null ? \\Tracekit\\Runtime\\Tracer::rootSpan()->name : null]);`);
    const r = runPhpFile(bin, check, { ini: { auto_prepend_file: path.join(dir, 'ok', 'tracekit-prepend.php') } });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([true, 'check.php']);
    // A cron job continues its caller's trace from the TRACEPARENT variable; its root span is INTERNAL.
    writeFileSync(path.join(dir, 'cron.php'), `<?php $s = \\Tracekit\\Runtime\\Tracer::rootSpan(); echo json_encode([$s->traceId, $s->parentSpanId, $s->kind, $s->sampled]);`);
    const cron = runPhpFile(bin, path.join(dir, 'cron.php'), { ini: { auto_prepend_file: path.join(dir, 'ok', 'tracekit-prepend.php') }, env: { TRACEPARENT: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } });
    expect(cron.stderr).toBe('');
    expect(JSON.parse(cron.stdout)).toEqual(['0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331', 1, true]);
    const off = runPhpFile(bin, check, { ini: { auto_prepend_file: path.join(dir, 'ok', 'tracekit-prepend.php') }, env: { TRACEKIT_CLI_SPANS: '0' } });
    expect(JSON.parse(off.stdout)).toEqual([true, null]);
    const corrupt = variant('check-corrupt', corruptSameSize);
    writeFileSync(path.join(dir, 'check2.php'), `<?php echo json_encode(class_exists('Tracekit\\\\Runtime\\\\Tracer', false));`);
    expect(runPhpFile(bin, path.join(dir, 'check2.php'), { ini: { auto_prepend_file: corrupt } }).stdout).toBe('false');
    // Switched off, the runtime is not even loaded.
    const okPrepend = { auto_prepend_file: path.join(dir, 'ok', 'tracekit-prepend.php') };
    expect(runPhpFile(bin, path.join(dir, 'check2.php'), { ini: okPrepend, env: { TRACEKIT_DISABLED: '1' } }).stdout).toBe('false');
    expect(runPhpFile(bin, path.join(dir, 'check2.php'), { ini: okPrepend, env: { OTEL_SDK_DISABLED: 'TRUE' } }).stdout).toBe('false');
    expect(runPhpFile(bin, path.join(dir, 'check2.php'), { ini: okPrepend, env: { OTEL_SDK_DISABLED: 'false' } }).stdout).toBe('true');
    expect(readFileSync(corrupt, 'utf8')).toContain('Bootstrap::start');
  });
});
