import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditReportSchema } from '../../src/audit/schema.js';
import type { AuditReport } from '../../analyzers/php/report.js';

// The CLI as users run it: the built bin in a child process (`npm test` builds first).
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(repo, 'bin', 'tracekit.js');
const example = path.join(repo, 'examples', 'legacy-app');

function tracekit(args: string[], cwd = repo) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Runs the CLI so that file permissions apply to it. Root reads anything, so
 * as root the child runs without the capabilities that bypass permission
 * checks (util-linux setpriv, always present on Debian).
 */
function tracekitWithoutOverride(args: string[]) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const drop = ['--inh-caps=-dac_override,-dac_read_search', '--bounding-set=-dac_override,-dac_read_search'];
  const [command, argv] = isRoot ? ['setpriv', [...drop, process.execPath, bin, ...args]] : [process.execPath, [bin, ...args]];
  const result = spawnSync(command, argv, { cwd: repo, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

let tmp: string;
beforeAll(() => {
  if (!existsSync(path.join(repo, 'dist', 'src', 'cli.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
  tmp = mkdtempSync(path.join(tmpdir(), 'tracekit-audit-cli-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('tracekit audit on examples/legacy-app (hand count in its README)', () => {
  let report: AuditReport;
  beforeAll(() => {
    const result = tracekit(['audit', example, '--format', 'json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    report = JSON.parse(result.stdout);
  });

  it('writes JSON valid against the published schema', () => {
    const parsed = auditReportSchema.safeParse(report);
    expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues.slice(0, 3))).toBe(true);
    expect(report.root).toBe(example);
  });

  it('counts files by API', () => {
    expect(report.files).toMatchObject({ scanned: 29, withMysqli: 8, withPdo: 3, withBoth: 0, withLegacyMysql: 0, withOther: 0, parseErrors: 0, skipped: 0 });
  });

  it('counts mysqli call sites by function, not user functions or mentions', () => {
    expect(report.mysqli.callSites).toBe(34);
    expect(report.mysqli.byFunction).toEqual({
      mysqli_close: 2, mysqli_connect: 3, mysqli_connect_errno: 1, mysqli_errno: 2, mysqli_fetch_assoc: 4, mysqli_fetch_row: 1,
      mysqli_free_result: 4, mysqli_insert_id: 1, mysqli_num_rows: 2, mysqli_prepare: 1, mysqli_query: 4, mysqli_real_escape_string: 2,
      mysqli_report: 1, mysqli_set_charset: 2, mysqli_stmt_bind_param: 1, mysqli_stmt_close: 1, mysqli_stmt_execute: 1, mysqli_stmt_get_result: 1,
    });
    expect(report.mysqli.newInstances).toBe(2);
    expect(report.mysqli.constantRefs).toBe(1);
    expect(report.pdo).toMatchObject({ newInstances: 1, staticRefs: 8 });
  });

  it('classifies DB method calls by receiver', () => {
    expect(report.methodCalls).toMatchObject({ mysqli: 5, pdo: 16, unknown: 0 });
    expect(report.methodCalls.byMethod.mysqli).toEqual({ prepare: 2, execute: 2, query: 1 });
  });

  it('finds the DB entry points and who calls them', () => {
    const byName = Object.fromEntries(report.entryPoints.map((ep) => [ep.name, ep]));
    expect(Object.keys(byName).sort()).toEqual([
      'CustomerRepository::find', 'CustomerRepository::fromConfig', 'CustomerRepository::orders', 'Legacy\\Stats\\status_breakdown',
      'Legacy\\Stats\\table_rows', 'db_connect', 'db_errno', 'db_escape', 'db_fetch_all', 'db_fetch_one', 'db_insert_id', 'db_query',
      'mysqli_quote', 'mysqli_result_to_array', 'shop_pdo',
    ]);
    expect(byName.db_fetch_one).toMatchObject({ kind: 'function', file: 'inc/db.php', line: 58, apis: ['mysqli'], callers: { callSites: 6, files: 3 } });
    expect(byName.shop_pdo).toMatchObject({ apis: ['pdo'], directDbCalls: 1, callers: { callSites: 2, files: 2 } });
    expect(report.entryPoints[0]!.callers.callSites).toBeGreaterThanOrEqual(report.entryPoints.at(-1)!.callers.callSites);
  });

  it('says what each way of instrumenting would see', () => {
    const brief = report.coverage.map((c) => `${c.mode} ${c.callSites.covered}/${c.callSites.total} files ${c.files.covered}/${c.files.total}`);
    expect(brief).toEqual([
      'otel-auto-pdo 17/33 files 3/9',
      'otel-auto-mysqli 33/33 files 9/9',
      'tracekit-ext 33/33 files 9/9',
      'tracekit-wrap-entry-points 28/33 files 7/9',
      'tracekit-wrap-all 33/33 files 9/9',
    ]);
  });

  it('gives the same bytes on the main thread and with workers', () => {
    const single = tracekit(['audit', example, '--format', 'json', '--threads', '0']);
    const pooled = tracekit(['audit', example, '--format', 'json', '--threads', '2']);
    expect(single.code).toBe(0);
    expect(pooled.stdout).toBe(single.stdout);
  });

  it('prints a table by default and markdown on request', () => {
    const table = tracekit(['audit', example]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('DB entry points');
    expect(table.stdout).not.toContain('\u001b[');
    const md = tracekit(['audit', example, '--format', 'markdown']);
    expect(md.stdout.startsWith('## Database layer audit')).toBe(true);
  });

  it('audits the current directory when DIR is omitted', () => {
    const here = tracekit(['audit', '--format', 'json'], example);
    expect(here.code).toBe(0);
    expect(JSON.parse(here.stdout).files.scanned).toBe(29);
  });
});

describe('tracekit audit: files, exit codes and errors', () => {
  it('--out writes the file, says so on stderr, and prints nothing on stdout', () => {
    const out = path.join(tmp, 'reports', 'audit.json');
    const result = tracekit(['audit', example, '--format', 'json', '--out', out]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`tracekit: wrote the json report to ${out}\n`);
    expect(JSON.parse(readFileSync(out, 'utf8')).mysqli.callSites).toBe(34);
  });

  it('a missing DIR is exit 2 with one line naming it', () => {
    const missing = path.join(tmp, 'no-such-app');
    const result = tracekit(['audit', missing]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(missing);
    expect(result.stderr).toContain('[TRACEKIT_E_INPUT_NOT_FOUND]');
  });

  it('a file given as DIR is exit 2', () => {
    const result = tracekit(['audit', path.join(example, 'index.php')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('[TRACEKIT_E_AUDIT_NOT_A_DIRECTORY]');
  });

  it('an unreadable file is skipped with its reason and the run goes on', () => {
    const app = path.join(tmp, 'app-with-secret');
    cpSync(example, app, { recursive: true });
    const secret = path.join(app, 'secret.php');
    writeFileSync(secret, "<?php mysqli_query($link, 'SELECT 1');\n");
    chmodSync(secret, 0o000);
    const result = tracekitWithoutOverride(['audit', app, '--format', 'json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as AuditReport;
    expect(report.skipped).toEqual([{ path: 'secret.php', reason: 'unreadable', detail: expect.stringContaining('EACCES') }]);
    expect(report.files.skipped).toBe(1);
    expect(report.mysqli.callSites).toBe(34);
  });

  it('an unreadable DIR is exit 2 with one line naming it', () => {
    const locked = path.join(tmp, 'locked-app');
    cpSync(example, locked, { recursive: true });
    chmodSync(locked, 0o000);
    try {
      const result = tracekitWithoutOverride(['audit', locked]);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain(locked);
      expect(result.stderr).toContain('[TRACEKIT_E_INPUT_UNREADABLE]');
    } finally {
      chmodSync(locked, 0o755);
    }
  });

  it('an unwritable --out is exit 2 and names the path', () => {
    const blocker = path.join(tmp, 'plain-file');
    writeFileSync(blocker, 'x');
    const result = tracekit(['audit', example, '--format', 'json', '--out', path.join(blocker, 'audit.json')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--out expects a writable file path');
    expect(result.stderr).toContain('[TRACEKIT_E_OUTPUT_UNWRITABLE]');
  });

  it('a file that does not parse is reported, the run goes on, and --fail-on makes it exit 1', () => {
    const app = path.join(tmp, 'app-with-broken-file');
    cpSync(example, app, { recursive: true });
    mkdirSync(path.join(app, 'wip'), { recursive: true });
    writeFileSync(path.join(app, 'wip', 'half.php'), "<?php\n$r = mysqli_query($link, 'SELECT 1');\nif ($r {\n  mysqli_free_result($r);\n");
    const plain = tracekit(['audit', app, '--format', 'json']);
    expect(plain.code).toBe(0);
    const report = JSON.parse(plain.stdout) as AuditReport;
    expect(report.files.scanned).toBe(30);
    expect(report.files.parseErrors).toBe(1);
    expect(report.parseErrors.map((e) => e.path)).toEqual(['wip/half.php']);
    const half = report.perFile.find((f) => f.path === 'wip/half.php')!;
    expect(half).toMatchObject({ analysis: 'tokens', mysqliCallSites: 2, usesMysqli: true });
    expect(report.mysqli.callSites).toBe(36);

    const strict = tracekit(['audit', app, '--format', 'json', '--fail-on', 'parse-errors']);
    expect(strict.code).toBe(1);
    expect(JSON.parse(strict.stdout).files.parseErrors).toBe(1);
    expect(strict.stderr).toContain('--fail-on found 1 files that do not parse [TRACEKIT_E_FINDINGS]');
  });
});
