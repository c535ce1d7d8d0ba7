// The counting rules, file by file, on test/fixtures/audit/tree: each fixture
// file trips a naive counter (grep, substring match, prefix match) and its
// exact counts are asserted here. Then the whole tree's totals, entry points
// and coverage, computed by hand from the per-file expectations.
//
// Everything runs twice: the default tiers (prefilter, fast scan, parse on
// demand) and every file parsed to an AST. The counts must be the same.
import { isUtf8 } from 'node:buffer';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runAudit } from '../../analyzers/php/audit.js';
import type { FileTier } from '../../analyzers/php/facts.js';
import type { AuditReport, PerFile } from '../../analyzers/php/report.js';

const tree = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/audit/tree');

type Expected = Partial<Omit<PerFile, 'methodCalls' | 'path' | 'analysis'>> & { methodCalls?: Partial<PerFile['methodCalls']> };

/** How the engine reads each file by default (prefilter, scan tier, token typing, parse where tokens cannot type or prove the syntax, on demand); see docs/audit.md. */
const TIERS: Record<string, FileTier> = {
  'broken/namespaced-broken.php': 'tokens',
  'broken/no-db-broken.php': 'tokens',
  'broken/syntax-error.php': 'tokens',
  'config/app.php': 'typed',
  'legacy/latin1.php': 'scan',
  'legacy/old-apis.php': 'typed',
  'lib/AppDb.php': 'typed',
  'lib/AuditLog.php': 'typed',
  'lib/ReadReplica.php': 'scan',
  'lib/Registry.php': 'typed',
  'lib/ReportQuery.php': 'typed',
  'lib/UserRepository.php': 'typed',
  'lib/db.php': 'typed',
  'lib/factory.php': 'typed',
  'lib/handles.php': 'typed',
  'pages/list.php': 'no-evidence',
  'pages/orders.php': 'typed',
  'pages/profile.php': 'typed',
  'pages/registry.php': 'ast',
  'pages/replica.php': 'no-evidence',
  'pages/report.php': 'no-evidence',
  'pages/reports.php': 'typed',
  'pages/shared.php': 'typed',
  'pages/stats.php': 'typed',
  'rules/callables.php': 'scan',
  'rules/comments-strings.php': 'typed',
  'rules/constants-only.php': 'scan',
  'rules/lookalike-names.php': 'scan',
  'rules/namespaced-alias.php': 'scan',
  'rules/pdo-alias.php': 'typed',
  'rules/pdo-exception-only.php': 'scan',
  'rules/scan-strings.php': 'scan',
  'rules/shadowing.php': 'scan',
  'rules/words-inside.php': 'no-evidence',
  'templates/header.inc': 'scan',
  'templates/view.PHTML': 'scan',
};

const MODES = [
  ['default tiers', { threads: 0 }],
  ['every file parsed', { threads: 0, prefilter: false }],
] as const;

describe.each(MODES)('%s', (mode, modeOptions) => {
  let report: AuditReport;
  const tiers: Record<string, FileTier> = {};
  beforeAll(async () => {
    report = await runAudit({ root: tree, ...modeOptions, onFileAnalysed: (p, tier) => (tiers[p] = tier) });
  });

  it('reads each file in the expected tier', () => {
    const expected = Object.fromEntries(
      Object.entries(TIERS).map(([p, tier]) => [p, mode === 'default tiers' || tier === 'tokens' ? tier : 'ast']),
    );
    expect(tiers).toEqual(expected);
  });

  it('reports scanned files as `ast`, and files that counted nothing and were not parsed as `no-evidence`', () => {
    const reported = Object.fromEntries(report.perFile.map((f) => [f.path, f.analysis]));
    const expected = Object.fromEntries(
      Object.entries(TIERS).map(([p, tier]) => [
        p,
        tier === 'tokens' ? 'tokens' : mode === 'default tiers' && p === 'rules/words-inside.php' ? 'no-evidence' : 'ast',
      ]),
    );
    expect(reported).toEqual(expected);
  });

  function row(relPath: string): PerFile {
    const found = report.perFile.find((f) => f.path === relPath);
    if (!found) throw new Error(`${relPath} is not in perFile (have: ${report.perFile.map((f) => f.path).join(', ')})`);
    return found;
  }

  /** Every field of the file's row: zeros and false unless the case says otherwise. */
  function expectRow(relPath: string, expected: Expected): void {
    const { methodCalls, ...rest } = expected;
    const { analysis: _analysis, ...actual } = row(relPath);
    expect(actual).toEqual({
      path: relPath,
      mysqliCallSites: 0,
      mysqliNewInstances: 0,
      pdoNewInstances: 0,
      pdoStaticRefs: 0,
      methodCalls: { mysqli: 0, pdo: 0, unknown: 0, ...methodCalls },
      legacyMysqlCallSites: 0,
      otherCallSites: 0,
      entryPointCalls: 0,
      usesMysqli: false,
      usesPdo: false,
      parseError: null,
      ...rest,
    });
  }

  describe('mysqli call sites', () => {
    it('ignores mysqli_* in comments, strings, heredoc, nowdoc and docblocks', () => {
      expectRow('rules/comments-strings.php', {});
    });

    it('ignores ->mysqli_query(), X::mysqli_connect() and user functions sharing the prefix', () => {
      expectRow('rules/lookalike-names.php', {});
    });

    it('ignores first-class callables and string callbacks, counts the one real call', () => {
      expectRow('rules/callables.php', { mysqliCallSites: 1, usesMysqli: true });
    });

    it('resolves `use function … as`, leading `\\`, upper case and the global fallback in a namespace', () => {
      expectRow('rules/namespaced-alias.php', { mysqliCallSites: 5, usesMysqli: true });
    });

    it('lets a namespace function named like a built-in shadow it inside that namespace', () => {
      expectRow('rules/shadowing.php', { mysqliCallSites: 2, usesMysqli: true });
    });

    it('skips comments (also ending at ?>), inline HTML, strings, heredoc, nowdoc, backticks; reads <?= and interpolations', () => {
      expectRow('rules/scan-strings.php', { mysqliCallSites: 3, usesMysqli: true });
    });

    it('reads .inc and .PHTML files, not inline HTML', () => {
      expectRow('templates/header.inc', { mysqliCallSites: 1, usesMysqli: true });
      expectRow('templates/view.PHTML', { mysqliCallSites: 1, usesMysqli: true });
    });

    it('reads a latin1 (non-UTF-8) file', () => {
      expect(isUtf8(readFileSync(path.join(tree, 'legacy/latin1.php')))).toBe(false);
      expectRow('legacy/latin1.php', { mysqliCallSites: 2, usesMysqli: true });
    });
  });

  describe('classes, constants and PDO', () => {
    it('counts `new Db` through `use PDO as Db`, and PDO::X through the alias and \\PDO', () => {
      expectRow('rules/pdo-alias.php', { pdoNewInstances: 1, pdoStaticRefs: 3, methodCalls: { pdo: 1 }, usesPdo: true });
    });

    it('does not see PDO or mysql inside other words (dropdown, pdo_like, TPdoHelper, mysqlx_like)', () => {
      expectRow('rules/words-inside.php', {});
    });

    it('marks a file that only catches PDOException as using PDO, with zero call sites', () => {
      expectRow('rules/pdo-exception-only.php', { usesPdo: true });
    });

    it('marks a file that only reads MYSQLI_* constants as using mysqli', () => {
      expectRow('rules/constants-only.php', { usesMysqli: true });
      expect(report.mysqli.constantRefs).toBe(3);
    });

    it('counts method calls on $this in a class extending mysqli, and lists the subclass', () => {
      expectRow('lib/AppDb.php', { methodCalls: { mysqli: 2 }, usesMysqli: true });
      expect(report.mysqli.subclasses).toContain('AppDb (lib/AppDb.php:2)');
    });

    it('counts `new` of a user subclass as a mysqli instance and its methods as mysqli calls', () => {
      expectRow('pages/orders.php', { mysqliNewInstances: 1, methodCalls: { mysqli: 1 }, entryPointCalls: 1, usesMysqli: true });
      expect(report.mysqli.newByClass).toEqual({ AppDb: 1, mysqli: 2 });
    });

    it('finds `new ReadReplica` (a PDO subclass) in a file with no DB word, by demand parsing', () => {
      expectRow('lib/ReadReplica.php', { usesPdo: true });
      expectRow('pages/replica.php', { pdoNewInstances: 1, usesPdo: true });
      expect(report.pdo.subclasses).toEqual(['App\\Db\\ReadReplica (lib/ReadReplica.php:4)']);
    });
  });

  describe('receivers', () => {
    it('types `new mysqli`, ->prepare() statements, mysqli_prepare() statements', () => {
      expectRow('pages/profile.php', { mysqliCallSites: 2, mysqliNewInstances: 1, methodCalls: { mysqli: 3 }, usesMysqli: true });
      expect(report.methodCalls.byMethod.mysqli.execute).toBe(2);
    });

    it('types a property set in the constructor from a typed parameter, and PDOStatement from ->prepare()', () => {
      expectRow('lib/UserRepository.php', { pdoStaticRefs: 1, methodCalls: { pdo: 2 }, usesPdo: true });
    });

    it('types a @var property and a typed static-method parameter', () => {
      expectRow('lib/AuditLog.php', { methodCalls: { mysqli: 2 }, usesMysqli: true });
    });

    it('does not count query()/execute() on a user class that is not a DB class', () => {
      expectRow('lib/ReportQuery.php', {});
    });

    it('types factories (@return, return type), inline @var, `global` across files; the rest is unknown', () => {
      expectRow('pages/stats.php', { methodCalls: { mysqli: 2, pdo: 2, unknown: 1 }, entryPointCalls: 1, usesMysqli: true, usesPdo: true });
      expect(report.methodCalls.byMethod.unknown).toEqual({ query: 1 });
    });

    it('types static factories, promoted constructor properties, closure `use`, ternaries and $GLOBALS[…]', () => {
      expectRow('lib/Registry.php', { pdoNewInstances: 1, methodCalls: { pdo: 1 }, usesPdo: true });
      expectRow('pages/registry.php', {
        mysqliCallSites: 1,
        mysqliNewInstances: 1,
        methodCalls: { mysqli: 2, pdo: 2 },
        entryPointCalls: 1,
        usesMysqli: true,
        usesPdo: true,
      });
    });

    it('types a factory defined in a file with no DB word (parsed on demand for `shared_link()`)', () => {
      expectRow('lib/handles.php', {});
      expectRow('pages/shared.php', { methodCalls: { mysqli: 1 }, usesMysqli: true });
    });

    it('types a global assigned in a file with no DB word (found by demand parsing for `$reportsDb =`)', () => {
      expectRow('config/app.php', {});
      expectRow('pages/reports.php', { methodCalls: { mysqli: 1 }, usesMysqli: true });
    });

    it('counts `new PDO` inside a factory and a `mysqli` return type as a mysqli reference', () => {
      expectRow('lib/factory.php', { pdoNewInstances: 1, usesMysqli: true, usesPdo: true });
    });
  });

  describe('legacy and other APIs', () => {
    it('counts mysql_*, pg_*, sqlsrv_*, oci_* and SQLite3, not a user pg_* function', () => {
      expectRow('legacy/old-apis.php', { legacyMysqlCallSites: 3, otherCallSites: 7 });
      expect(report.legacyMysql).toEqual({ callSites: 3, byFunction: { mysql_connect: 1, mysql_query: 1, mysql_select_db: 1 } });
      expect(report.other.byApi).toEqual({ pgsql: 2, sqlsrv: 1, oci8: 1, sqlite3: 3 });
      expect(report.other.byFunction).toEqual({
        'SQLite3::exec': 1,
        'SQLite3::query': 1,
        'new SQLite3': 1,
        oci_connect: 1,
        pg_connect: 1,
        pg_query: 1,
        sqlsrv_connect: 1,
      });
    });
  });

  describe('files the parser rejects', () => {
    it('counts a broken file from its tokens, flags it and lists it', () => {
      expectRow('broken/syntax-error.php', {
        mysqliCallSites: 1,
        pdoNewInstances: 1,
        usesMysqli: true,
        usesPdo: true,
        parseError: "Parse Error : syntax error, unexpected '{', expecting T_VARIABLE on line 2",
      });
      expect(report.parseErrors).toContainEqual({
        path: 'broken/syntax-error.php',
        line: 2,
        message: "Parse Error : syntax error, unexpected '{', expecting T_VARIABLE on line 2",
      });
    });

    it('flags a broken file with no DB word too (the scan sees unbalanced brackets, the parser confirms)', () => {
      expectRow('broken/no-db-broken.php', { parseError: "Parse Error : syntax error, unexpected '{', expecting T_VARIABLE on line 2" });
      expect(report.parseErrors.map((e) => e.path)).toEqual(['broken/namespaced-broken.php', 'broken/no-db-broken.php', 'broken/syntax-error.php']);
    });

    it('tracks namespaces, `use function` aliases, shadowing and subclasses at token level', () => {
      expectRow('broken/namespaced-broken.php', {
        mysqliCallSites: 2,
        pdoNewInstances: 1,
        methodCalls: { mysqli: 1 },
        usesMysqli: true,
        usesPdo: true,
        parseError: "Parse Error : syntax error, unexpected ';' on line 20",
      });
      expect(report.mysqli.subclasses).toContain('Shop\\Broken\\BrokenDb (broken/namespaced-broken.php:16)');
    });
  });

  describe('the file set', () => {
    it('skips a binary .php file with a reason', () => {
      expect(report.skipped).toEqual([{ path: 'assets/blob.php', reason: 'binary', detail: 'NUL byte in the first 8 KiB' }]);
    });

    it('excludes vendor/, node_modules/, .gitignored paths (root and nested) and other extensions', () => {
      const paths = report.perFile.map((f) => f.path);
      for (const excluded of ['vendor/acme/dbal/helpers.php', 'node_modules/pkg/x.php', 'generated/compiled.php', 'lib/routes.cache.php', 'legacy/old/dead.php', 'templates/readme.txt']) {
        expect(paths).not.toContain(excluded);
      }
      expect(report.vendor).toBeNull();
      expect(report.options).toEqual({ extensions: ['inc', 'php', 'phtml'], includeVendor: false, respectGitignore: true });
    });

    it('lists perFile sorted by path, root absolute', () => {
      const paths = report.perFile.map((f) => f.path);
      expect(paths).toEqual([...paths].sort());
      expect(report.root).toBe(tree);
      expect(report.schemaVersion).toBe(1);
      expect(report.tool.name).toBe('tracekit');
    });
  });

  describe('the whole tree', () => {
    it('totals', () => {
      expect(report.files).toEqual({
        scanned: 36,
        parsed: mode === 'default tiers' ? 35 : 36,
        withMysqli: 20,
        withPdo: 11,
        withBoth: 5,
        withLegacyMysql: 1,
        withOther: 1,
        parseErrors: 3,
        skipped: 1,
        bytes: report.perFile.length > 0 ? expect.any(Number) : 0,
      });
      expect(report.mysqli.callSites).toBe(25);
      expect(report.mysqli.newInstances).toBe(3);
      expect(report.pdo.newInstances).toBe(6);
      expect(report.pdo.staticRefs).toBe(4);
      expect(report.methodCalls).toMatchObject({ mysqli: 15, pdo: 8, unknown: 1 });
      expect(report.mysqli.byFunction).toEqual({
        mysqli_close: 2,
        mysqli_connect: 3,
        mysqli_errno: 1,
        mysqli_error: 2,
        mysqli_fetch_assoc: 2,
        mysqli_num_rows: 2,
        mysqli_ping: 1,
        mysqli_prepare: 1,
        mysqli_query: 9,
        mysqli_real_escape_string: 1,
        mysqli_stmt_execute: 1,
      });
    });

    it('per-file rows add up to the totals', () => {
      const sum = (pick: (f: PerFile) => number) => report.perFile.reduce((n, f) => n + pick(f), 0);
      expect(sum((f) => f.mysqliCallSites)).toBe(report.mysqli.callSites);
      expect(sum((f) => f.methodCalls.mysqli)).toBe(report.methodCalls.mysqli);
      expect(Object.values(report.mysqli.byFunction).reduce((a, b) => a + b, 0)).toBe(report.mysqli.callSites);
      expect(Object.values(report.methodCalls.byMethod.pdo).reduce((a, b) => a + b, 0)).toBe(report.methodCalls.pdo);
      expect(report.files.bytes).toBe(
        report.perFile.reduce((n, f) => n + readFileSync(path.join(tree, f.path)).length, 0),
      );
    });

    it('finds the DB layer: entry points with their callers across files, sorted by callers', () => {
      const brief = report.entryPoints.map((e) => `${e.name} ${e.kind} ${e.file}:${e.line} ${e.apis.join('+')} direct=${e.directDbCalls} callers=${e.callers.callSites}/${e.callers.files}`);
      expect(brief).toEqual([
        'db_fetch_all function lib/db.php:10 mysqli direct=1 callers=2/2',
        'db_query function lib/db.php:4 mysqli direct=1 callers=2/2',
        'AppDb::run method lib/AppDb.php:9 mysqli direct=1 callers=1/1',
        'Registry::getInstance method lib/Registry.php:6 pdo direct=1 callers=1/1',
        'db_escape function lib/db.php:20 mysqli direct=1 callers=1/1',
        'report_db function lib/factory.php:5 pdo direct=1 callers=1/1',
        'AppDb::begin method lib/AppDb.php:15 mysqli direct=1 callers=0/0',
        'App\\UserRepository::find method lib/UserRepository.php:15 pdo direct=2 callers=0/0',
        'AuditLog::purge method lib/AuditLog.php:17 mysqli direct=1 callers=0/0',
        'AuditLog::write method lib/AuditLog.php:12 mysqli direct=1 callers=0/0',
        'Promoted::count method lib/Registry.php:21 pdo direct=1 callers=0/0',
        'Shop\\Broken\\BrokenDb::fetchAll method broken/namespaced-broken.php:18 mysqli direct=1 callers=0/0',
        'broken_page function broken/syntax-error.php:2 mysqli+pdo direct=2 callers=0/0',
        'stats_refresh function pages/stats.php:9 mysqli direct=1 callers=0/0',
      ]);
    });

    it('counts entry-point calls per page, including a page with no DB word (demand parsing)', () => {
      expectRow('pages/list.php', { entryPointCalls: 2 });
      expectRow('pages/report.php', { entryPointCalls: 2 });
      expectRow('lib/db.php', { mysqliCallSites: 4, entryPointCalls: 1, usesMysqli: true });
    });

    it('coverage per way of instrumenting', () => {
      const brief = report.coverage.map((c) => `${c.mode} ${c.callSites.covered}/${c.callSites.total}=${c.callSites.share} files ${c.files.covered}/${c.files.total}=${c.files.share}`);
      // 46 span-making DB call sites = 14 mysqli_* (connect 3, query 9, prepare 1, stmt_execute 1; the other 11
      // mysqli_* calls fetch, escape, ping or close) + 15 mysqli methods + 8 PDO methods + 3 new mysqli + 6 new PDO,
      // in 20 files. otel-auto-pdo sees 8 PDO methods + 6 new PDO; 5 files have only PDO sites.
      // Both wrap rows miss the 3 methods called on objects from mysqli_prepare()/mysqli_connect();
      // wrap-entry-points also misses the 12 top-level span-making procedural calls.
      expect(brief).toEqual([
        'otel-auto-pdo 14/46=0.3043 files 5/20=0.25',
        'otel-auto-mysqli 46/46=1 files 20/20=1',
        'tracekit-ext 46/46=1 files 20/20=1',
        'tracekit-wrap-entry-points 31/46=0.6739 files 11/20=0.55',
        'tracekit-wrap-all 43/46=0.9348 files 17/20=0.85',
      ]);
      for (const c of report.coverage) expect(c.assumptions.length).toBeGreaterThanOrEqual(2);
    });
  });
});
