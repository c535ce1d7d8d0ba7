import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const runtimeLoader = path.join(repoRoot, 'php-bootstrap', 'load.php');

export interface PhpRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a PHP script through the real php-cli with every error reported, so a
 * warning or deprecation from the runtime shows up on stderr and fails the test.
 */
export function runPhpFile(php: string, file: string, options: { env?: Record<string, string>; ini?: Record<string, string>; args?: string[] } = {}): PhpRun {
  const ini = { error_reporting: '-1', display_errors: 'stderr', log_errors: '0', 'zend.assertions': '1', ...options.ini };
  const args = [...Object.entries(ini).flatMap(([k, v]) => ['-d', `${k}=${v}`]), file, ...(options.args ?? [])];
  const result = spawnSync(php, args, { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env }, timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Writes `<?php` + code (which may require $loader) to a temp file and runs it. */
export function runPhpCode(php: string, code: string, options: { env?: Record<string, string>; ini?: Record<string, string> } = {}): PhpRun {
  const dir = mkdtempSync(path.join(tmpdir(), 'tracekit-php-'));
  try {
    const file = path.join(dir, 'case.php');
    writeFileSync(file, `<?php\nrequire ${JSON.stringify(runtimeLoader)};\n${code}\n`);
    return runPhpFile(php, file, options);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs code that ends by echoing json_encode(...) and returns the decoded value. */
export function phpJson<T = unknown>(php: string, code: string, options: { env?: Record<string, string> } = {}): T {
  const run = runPhpCode(php, code, options);
  if (run.status !== 0 || run.stderr !== '') throw new Error(`php failed (status ${run.status}): ${run.stderr}${run.stdout}`);
  return JSON.parse(run.stdout) as T;
}
