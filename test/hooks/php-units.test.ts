import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRACED_FUNCTIONS, TRACED_METHODS } from '../../src/hooks/catalog.js';
import { renderHooks, type HooksPlan } from '../../src/hooks/generate.js';
import { findMariaDB, startMariaDB, type MariaDB } from '../helpers/mariadb.js';
import { requireTool } from '../helpers/require-tool.js';
import { runPhpFile, runtimeLoader } from '../php/php-cli.js';

const php = requireTool('php', ['/usr/bin/php']);
const ready = php !== null && findMariaDB() !== null;

/** Every traced function, class and method: the widest file the generator can write. */
const FULL_PLAN: HooksPlan = {
  functions: [...TRACED_FUNCTIONS],
  classes: ['mysqli', 'pdo'],
  methods: Object.entries(TRACED_METHODS).flatMap(([cls, methods]) => methods.map((m): [string, string] => [cls, m])),
};

interface SpanOut {
  name: string;
  kind: number;
  id: string;
  parent: string;
  attrs: Record<string, unknown>;
  status: number;
  events: string[];
}

/**
 * php-cli against a real MariaDB. The prelude loads the runtime (or not),
 * optionally activates it with a root span, then loads the generated hooks
 * file; `spans()` returns what was recorded.
 */
describe.skipIf(!ready)('mysqli/PDO wrappers and extension closures under php-cli with a real MariaDB', () => {
  let db: MariaDB;
  let dir: string;
  let hooksFile: string;

  beforeAll(async () => {
    db = await startMariaDB();
    await db.query('CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(20)); INSERT INTO t VALUES (1, "one"), (2, "two")');
    dir = mkdtempSync(path.join(tmpdir(), 'tk-hooks-php-'));
    hooksFile = path.join(dir, 'tracekit-hooks.php');
    writeFileSync(hooksFile, renderHooks(FULL_PLAN, { mode: 'ext', rawSql: false, command: 'test' }));
  });
  afterAll(async () => {
    await db?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function runPhp(body: string, options: { runtime?: 'active' | 'loaded' | 'absent'; env?: Record<string, string>; prelude?: string } = {}): { out: any; stderr: string } {
    const runtime = options.runtime ?? 'active';
    const file = path.join(dir, `case-${Math.random().toString(36).slice(2)}.php`);
    const lines = ['<?php'];
    if (runtime !== 'absent') lines.push(`require ${JSON.stringify(runtimeLoader)};`);
    if (runtime === 'active') {
      lines.push(
        "Tracekit\\Runtime\\Tracer::activate(Tracekit\\Runtime\\Config::resolve(['serviceName' => 'unit'], function ($n) { return false; }), null);",
        "$root = Tracekit\\Runtime\\Tracer::startSpan('root', Tracekit\\Runtime\\Span::KIND_SERVER);",
      );
    } else {
      lines.push('$root = null;');
    }
    lines.push(options.prelude ?? '');
    lines.push(`require ${JSON.stringify(hooksFile)};`);
    lines.push(`
$S = getenv('LEGACY_DB_SOCKET'); $U = getenv('LEGACY_DB_USER'); $P = getenv('LEGACY_DB_PASSWORD'); $D = getenv('LEGACY_DB_NAME');
function spans() {
    if (!class_exists('Tracekit\\\\Runtime\\\\Tracer', false)) { return []; }
    $out = [];
    foreach (Tracekit\\Runtime\\Tracer::takeFinished() as $s) {
        $events = [];
        foreach ($s->events as $e) { $events[] = $e['name']; }
        $out[] = ['name' => $s->name, 'kind' => $s->kind, 'id' => $s->spanId, 'parent' => $s->parentSpanId, 'attrs' => $s->attributes, 'status' => $s->statusCode, 'events' => $events];
    }
    return $out;
}
function describe_value($v) {
    if ($v instanceof mysqli_result) { return ['result', $v->num_rows, $v->fetch_all(MYSQLI_ASSOC)]; }
    if ($v instanceof PDOStatement) { return ['statement', $v->fetchAll(PDO::FETCH_ASSOC)]; }
    if (is_object($v)) { return ['object', get_parent_class($v) ?: get_class($v)]; }
    return [gettype($v), $v];
}
/** Runs $f, capturing its result, warnings and exception the way the application would see them. */
function observe(callable $f) {
    $warnings = [];
    set_error_handler(function ($no, $str) use (&$warnings) { $warnings[] = [$no, $str]; return true; });
    try { $r = ['value' => describe_value($f())]; } catch (Throwable $e) { $r = ['threw' => [get_class($e), $e->getMessage(), $e->getCode()]]; }
    restore_error_handler();
    $r['warnings'] = $warnings;
    return $r;
}
`);
    lines.push(body);
    writeFileSync(file, lines.join('\n'));
    const run = runPhpFile(php!, file, { env: { ...db.env, ...options.env } });
    if (run.status !== 0) throw new Error(`php exited ${run.status}: ${run.stderr}${run.stdout}`);
    return { out: JSON.parse(run.stdout), stderr: run.stderr };
  }

  /** Scenario code sees $W (true = the Tracekit\Wrap names), $fn('mysqli_query') and $cls('mysqli'). */
  function compare(scenario: string, options: { runtime?: 'active' | 'loaded' | 'absent' } = {}) {
    const { out, stderr } = runPhp(
      `
$results = [];
foreach ([false, true] as $W) {
    $fn = function ($name) use ($W) { return $W ? 'Tracekit\\\\Wrap\\\\' . $name : $name; };
    $cls = function ($name) use ($W) { return $W ? 'Tracekit\\\\Wrap\\\\' . $name : $name; };
    $results[] = (function () use ($W, $fn, $cls, $S, $U, $P, $D) { ${scenario} })();
}
echo json_encode(['native' => $results[0], 'wrapped' => $results[1], 'spans' => spans()]);`,
      options,
    );
    expect(stderr).toBe('');
    expect(out.wrapped).toEqual(out.native);
    return out as { native: unknown; wrapped: unknown; spans: SpanOut[] };
  }

  describe('the wrappers behave exactly like the originals', () => {
    it('procedural query: rows, then a failing query with its errno (MYSQLI_REPORT_OFF)', () => {
      const r = compare(`
        mysqli_report(MYSQLI_REPORT_OFF);
        $link = $fn('mysqli_connect')('localhost', $U, $P, $D, 0, $S);
        $out = [];
        $out[] = observe(function () use ($fn, $link) { return $fn('mysqli_query')($link, 'SELECT id, name FROM t ORDER BY id'); });
        $out[] = observe(function () use ($fn, $link) { return $fn('mysqli_query')($link, 'SELECT * FROM missing'); });
        $out[] = [mysqli_errno($link), mysqli_error($link)];
        $out[] = observe(function () use ($fn, $link) { return $fn('mysqli_prepare')($link, 'SELECT * FROM missing_too'); });
        $out[] = [mysqli_errno($link), mysqli_sqlstate($link)];
        $stmt = $fn('mysqli_prepare')($link, 'SELECT name FROM t WHERE id = ?');
        $id = 1;
        mysqli_stmt_bind_param($stmt, 'i', $id);
        $out[] = [$stmt->execute(), mysqli_stmt_get_result($stmt)->fetch_all(), $stmt instanceof mysqli_stmt];
        mysqli_stmt_close($stmt);
        $out[] = observe(function () use ($fn, $link) { return $fn('mysqli_real_query')($link, 'SELECT 1'); });
        mysqli_free_result(mysqli_store_result($link));
        $out[] = observe(function () use ($fn, $link) { return $fn('mysqli_multi_query')($link, 'SELECT 1; SELECT 2'); });
        do {
            if ($r = mysqli_store_result($link)) { mysqli_free_result($r); }
        } while (mysqli_more_results($link) && mysqli_next_result($link));
        return $out;`);
      const native = r.native as any[];
      expect(native[0].value).toEqual(['result', 2, [{ id: '1', name: 'one' }, { id: '2', name: 'two' }]]);
      expect(native[1]).toEqual({ value: ['boolean', false], warnings: [] });
      expect(native[2]).toEqual([1146, expect.stringContaining("missing' doesn't exist")]);
      expect(native[4]).toEqual([1146, '42S02']);
      expect(native[5]).toEqual([true, [['one']], true]);
      // A statement from the mysqli_prepare() wrapper is traced when executed as a method too.
      expect(r.spans.map((s) => [s.attrs['tracekit.db.call'], s.attrs['db.query.text'] ?? null])).toEqual([
        ['mysqli_connect', null],
        ['mysqli_query', 'SELECT id, name FROM t ORDER BY id'],
        ['mysqli_query', 'SELECT * FROM missing'],
        ['mysqli_prepare', 'SELECT * FROM missing_too'],
        ['mysqli_prepare', 'SELECT name FROM t WHERE id = ?'],
        ['mysqli_stmt::execute', 'SELECT name FROM t WHERE id = ?'],
        ['mysqli_real_query', 'SELECT ?'],
        ['mysqli_multi_query', 'SELECT ?; SELECT ?'],
      ]);
    });

    it('the same warnings with MYSQLI_REPORT_ERROR and the same exceptions with MYSQLI_REPORT_STRICT', () => {
      const r = compare(`
        $out = [];
        mysqli_report(MYSQLI_REPORT_ERROR);
        $link = $fn('mysqli_connect')('localhost', $U, $P, $D, 0, $S);
        $out[] = observe(function () use ($fn, $link) { return $fn('mysqli_query')($link, 'SELECT * FROM missing'); });
        $out[] = observe(function () use ($fn, $link) { return $fn('mysqli_prepare')($link, 'SELECT * FROM missing2'); });
        mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
        $out[] = observe(function () use ($fn, $link) { return $fn('mysqli_query')($link, 'SELECT * FROM missing'); });
        $out[] = observe(function () use ($cls, $link) { $c = $cls('Mysqli'); $m = new $c('localhost', getenv('LEGACY_DB_USER'), getenv('LEGACY_DB_PASSWORD'), getenv('LEGACY_DB_NAME'), 0, getenv('LEGACY_DB_SOCKET')); return $m->prepare('SELECT * FROM missing3'); });
        $out[] = observe(function () use ($fn) { return $fn('mysqli_connect')('localhost', getenv('LEGACY_DB_USER'), 'wrong password', '', 0, getenv('LEGACY_DB_SOCKET')); });
        mysqli_report(MYSQLI_REPORT_OFF);
        return $out;`);
      expect(r.native).toMatchObject([
        { warnings: [[2, expect.stringContaining("mysqli_query(): (42S02/1146): Table")]] },
        { warnings: [[2, expect.stringContaining('mysqli_prepare(): (42S02/1146)')]] },
        { threw: ['mysqli_sql_exception', expect.stringContaining("missing' doesn't exist"), 1146] },
        { threw: ['mysqli_sql_exception', expect.stringContaining("missing3' doesn't exist"), 1146] },
        { threw: ['mysqli_sql_exception', expect.stringContaining('Access denied'), 1045] },
      ]);
      const failed = r.spans.filter((s) => s.status === 2);
      expect(failed.map((s) => [s.attrs['tracekit.db.call'], s.attrs['error.type'], s.attrs['db.response.status_code']])).toEqual([
        ['mysqli_query', '1146', '1146'],
        ['mysqli_prepare', '1146', '1146'],
        ['mysqli_query', '1146', '1146'],
        ['mysqli::prepare', '1146', '1146'],
        ['mysqli_connect', '1045', '1045'],
      ]);
      expect(failed.slice(2).every((s) => s.events.includes('exception'))).toBe(true);
    });

    it('OO mysqli: prepare/execute rows, a failed prepare leaves errno on the link, stmt_init, connect failure', () => {
      const r = compare(`
        mysqli_report(MYSQLI_REPORT_OFF);
        $c = $cls('Mysqli');
        $m = new $c('localhost', $U, $P, $D, 0, $S);
        $out = [];
        $stmt = $m->prepare('SELECT name FROM t WHERE id = ?');
        $id = 2;
        $stmt->bind_param('i', $id);
        $out[] = observe(function () use ($stmt) { return $stmt->execute(); });
        $out[] = describe_value($stmt->get_result());
        $out[] = observe(function () use ($m) { return $m->prepare('SELECT * FROM nowhere'); });
        $out[] = [$m->errno, $m->error, $m->sqlstate];
        $s2 = $m->stmt_init();
        $out[] = [$s2->prepare('SELECT 7'), $s2->execute(), $s2->get_result()->fetch_row()];
        $out[] = observe(function () use ($m) { return $m->query('SELECT COUNT(*) AS n FROM t'); });
        $out[] = [$m->begin_transaction(), $m->query('UPDATE t SET name = name'), $m->rollback(), $m->commit()];
        $bad = @new $c('localhost', $U, 'wrong password', $D, 0, $S);
        $out[] = [$bad->connect_errno, mysqli_connect_errno()];
        return $out;`);
      expect((r.native as unknown[])[1]).toEqual(['result', 1, [{ name: 'two' }]]);
      expect((r.native as unknown[])[3]).toEqual([1146, expect.stringContaining('nowhere'), '42S02']);
      const calls = r.spans.map((s) => s.attrs['tracekit.db.call']);
      expect(calls).toEqual([
        'mysqli::__construct', 'mysqli::prepare', 'mysqli_stmt::execute', 'mysqli::prepare',
        'mysqli_stmt::prepare', 'mysqli_stmt::execute', 'mysqli::query',
        'mysqli::begin_transaction', 'mysqli::query', 'mysqli::rollback', 'mysqli::commit', 'mysqli::__construct',
      ]);
    });

    it('argument errors are PHP\'s own', () => {
      const r = compare(`
        return [
            observe(function () use ($fn) { return $fn('mysqli_query')(); }),
            observe(function () use ($fn) { return $fn('mysqli_stmt_execute')('not a statement'); }),
        ];`);
      expect(r.native).toMatchObject([{ threw: ['ArgumentCountError', 'mysqli_query() expects at least 2 arguments, 0 given', 0] }, { threw: ['TypeError', expect.stringContaining('mysqli_stmt_execute(): Argument #1'), 0] }]);
    });

    it('PDO: rows, silent/warning/exception error modes, transactions, a persistent connection', () => {
      const r = compare(`
        $c = $cls('PDO');
        $dsn = 'mysql:unix_socket=' . $S . ';dbname=' . $D;
        $out = [];
        $pdo = new $c($dsn, $U, $P, [PDO::ATTR_ERRMODE => PDO::ERRMODE_SILENT]);
        $out[] = observe(function () use ($pdo) { return $pdo->query('SELECT id, name FROM t ORDER BY id'); });
        $out[] = observe(function () use ($pdo) { return $pdo->query('SELECT * FROM missing'); });
        $out[] = $pdo->errorInfo();
        $st = $pdo->prepare('SELECT name FROM t WHERE id = :id');
        $out[] = [$st->execute([':id' => 1]), $st->fetchAll(PDO::FETCH_ASSOC), get_parent_class($st) ?: get_class($st)];
        $pdo->setAttribute(PDO::ATTR_ERRMODE, PDO::ERRMODE_WARNING);
        $out[] = observe(function () use ($pdo) { return $pdo->exec('DELETE FROM missing'); });
        $pdo->setAttribute(PDO::ATTR_ERRMODE, PDO::ERRMODE_EXCEPTION);
        $out[] = observe(function () use ($pdo) { return $pdo->exec('DELETE FROM missing'); });
        $out[] = [$pdo->beginTransaction(), $pdo->exec('UPDATE t SET name = name'), $pdo->rollBack()];
        $out[] = observe(function () use ($c, $dsn, $U) { return new $c($dsn, $U, 'wrong password'); });
        $p = new $c($dsn, $U, $P, [PDO::ATTR_PERSISTENT => true]);
        $ps = $p->prepare('SELECT 1 AS one');
        $out[] = [$ps->execute(), $ps->fetchAll(PDO::FETCH_ASSOC)];
        return $out;`);
      expect((r.native as any[])[1]).toEqual({ value: ['boolean', false], warnings: [] });
      expect((r.native as any[])[4].warnings[0][1]).toContain("PDO::exec(): SQLSTATE[42S02]: Base table or view not found: 1146");
      expect((r.native as any[])[5].threw[0]).toBe('PDOException');
      expect((r.native as any[])[7].threw).toEqual(['PDOException', expect.stringContaining('Access denied'), 1045]);
      const calls = r.spans.map((s) => `${s.attrs['tracekit.db.call']}${s.status === 2 ? ' !' + s.attrs['error.type'] : ''}`);
      expect(calls).toEqual([
        'PDO::__construct', 'PDO::query', 'PDO::query !1146', 'PDO::prepare', 'PDOStatement::execute',
        'PDO::exec !1146', 'PDO::exec !1146', 'PDO::beginTransaction', 'PDO::exec', 'PDO::rollBack',
        'PDO::__construct !1045', 'PDO::__construct', 'PDO::prepare',
      ]);
    });
  });

  describe('span content', () => {
    it('CLIENT spans under the current span, with the semantic-convention attributes; sanitised text by default', () => {
      const { out } = runPhp(`
        mysqli_report(MYSQLI_REPORT_OFF);
        $link = \\Tracekit\\Wrap\\mysqli_connect('localhost', $U, $P, $D, 0, $S);
        $child = Tracekit\\Runtime\\Tracer::startSpan('inner');
        \\Tracekit\\Wrap\\mysqli_query($link, "SELECT name FROM t WHERE id IN (1, 2, 3) AND name <> 'x' -- why");
        $child->end();
        \\Tracekit\\Wrap\\mysqli_query($link, 'SELECT 1 FROM t WHERE ' . str_repeat("name = 'abcdefghij' OR ", 1000) . '1');
        $tcp = \\Tracekit\\Wrap\\mysqli_connect('127.0.0.1', $U, $P, $D, ${db.port});
        \\Tracekit\\Wrap\\mysqli_query($tcp, 'SELECT 1');
        echo json_encode(['root' => $root->spanId, 'child' => $child->spanId, 'spans' => spans()]);`);
      const all = out.spans as SpanOut[];
      const [connect, query, inner, long, tcpConnect, tcpQuery] = all;
      expect(inner!.name).toBe('inner');
      expect(connect).toMatchObject({ name: 'CONNECT shop', kind: 3, parent: out.root, attrs: { 'db.system.name': 'mysql', 'db.operation.name': 'CONNECT', 'db.namespace': 'shop', 'server.address': 'localhost' } });
      expect(connect!.attrs['server.port']).toBeUndefined();
      expect(query).toMatchObject({ name: 'SELECT shop', kind: 3, parent: out.child, attrs: { 'db.query.text': 'SELECT name FROM t WHERE id IN (?) AND name <> ?', 'db.operation.name': 'SELECT', 'db.namespace': 'shop' } });
      expect(long!.attrs['db.query.text']).toHaveLength(2048);
      expect(long!.attrs['db.query.text']).not.toContain('abcdefghij');
      expect(tcpConnect!.attrs).toMatchObject({ 'server.address': '127.0.0.1', 'server.port': db.port });
      expect(tcpQuery!.attrs).toMatchObject({ 'server.address': '127.0.0.1', 'server.port': db.port, 'db.namespace': 'shop' });
    });

    it('the same statement on two connections, on a reconnected one, and two prepared statements in turn: each span its own', () => {
      const { out } = runPhp(`
        mysqli_report(MYSQLI_REPORT_OFF);
        $sock = \\Tracekit\\Wrap\\mysqli_connect('localhost', $U, $P, $D, 0, $S);
        $tcp = \\Tracekit\\Wrap\\mysqli_connect('127.0.0.1', $U, $P, $D, ${db.port});
        for ($i = 0; $i < 2; $i++) { \\Tracekit\\Wrap\\mysqli_query($sock, 'SELECT 1'); \\Tracekit\\Wrap\\mysqli_query($tcp, 'SELECT 1'); }
        $m = new \\Tracekit\\Wrap\\Mysqli('localhost', $U, $P, $D, 0, $S);
        $m->query('SELECT 1');
        $m->real_connect('127.0.0.1', $U, $P, '', ${db.port});
        $m->query('SELECT 1');
        $pdo = new \\Tracekit\\Wrap\\Pdo('mysql:unix_socket=' . $S . ';dbname=' . $D, $U, $P);
        $a = $pdo->prepare('SELECT name FROM t WHERE id = ?');
        $b = $pdo->prepare('SELECT id FROM t WHERE name = ?');
        for ($i = 0; $i < 2; $i++) { $a->execute([1]); $a->closeCursor(); $b->execute(['one']); $b->closeCursor(); }
        echo json_encode(spans());`);
      const queries = (out as SpanOut[]).filter((s) => !['CONNECT', 'PREPARE'].includes(s.attrs['db.operation.name'] as string));
      expect(queries.map((s) => [s.attrs['tracekit.db.call'], s.attrs['server.address'], s.attrs['server.port'] ?? null, s.attrs['db.namespace'] ?? null, s.attrs['db.query.text']])).toEqual([
        ['mysqli_query', 'localhost', null, 'shop', 'SELECT ?'],
        ['mysqli_query', '127.0.0.1', db.port, 'shop', 'SELECT ?'],
        ['mysqli_query', 'localhost', null, 'shop', 'SELECT ?'],
        ['mysqli_query', '127.0.0.1', db.port, 'shop', 'SELECT ?'],
        ['mysqli::query', 'localhost', null, 'shop', 'SELECT ?'],
        ['mysqli::query', '127.0.0.1', db.port, null, 'SELECT ?'],
        ['PDOStatement::execute', 'localhost', null, 'shop', 'SELECT name FROM t WHERE id = ?'],
        ['PDOStatement::execute', 'localhost', null, 'shop', 'SELECT id FROM t WHERE name = ?'],
        ['PDOStatement::execute', 'localhost', null, 'shop', 'SELECT name FROM t WHERE id = ?'],
        ['PDOStatement::execute', 'localhost', null, 'shop', 'SELECT id FROM t WHERE name = ?'],
      ]);
      expect(queries[5]!.name).toBe('SELECT');
      expect(new Set((out as SpanOut[]).map((s) => s.parent)).size).toBe(1);
    });

    it('more distinct statements on one connection than the template cache keeps: every span has its own text', () => {
      const { out } = runPhp(`
        mysqli_report(MYSQLI_REPORT_OFF);
        $link = \\Tracekit\\Wrap\\mysqli_connect('localhost', $U, $P, $D, 0, $S);
        spans();
        $texts = [];
        for ($round = 0; $round < 2; $round++) {
            for ($i = 0; $i < 300; $i++) { mysqli_free_result(\\Tracekit\\Wrap\\mysqli_query($link, 'SELECT ' . $i . ' AS c' . $i)); }
            foreach (spans() as $s) { $texts[] = $s['attrs']['db.query.text']; }
        }
        echo json_encode($texts);`);
      const expected = Array.from({ length: 300 }, (_, i) => `SELECT ? AS c${i}`);
      expect(out).toEqual([...expected, ...expected]);
    });

    it('what an error handler does during a query (a span, a traced query) lands under that query', () => {
      const { out } = runPhp(`
        mysqli_report(MYSQLI_REPORT_ERROR);
        $link = \\Tracekit\\Wrap\\mysqli_connect('localhost', $U, $P, $D, 0, $S);
        $log = \\Tracekit\\Wrap\\mysqli_connect('localhost', $U, $P, $D, 0, $S);
        set_error_handler(function ($no, $message) use ($log) {
            $s = Tracekit\\Runtime\\Tracer::startSpan('error handler');
            \\Tracekit\\Wrap\\mysqli_query($log, 'SELECT 2');
            $s->end();
            return true;
        });
        $r = \\Tracekit\\Wrap\\mysqli_query($link, 'SELECT * FROM missing');
        restore_error_handler();
        \\Tracekit\\Wrap\\mysqli_query($link, 'SELECT 3');
        echo json_encode(['r' => $r, 'root' => $root->spanId, 'spans' => spans()]);`);
      const spans = out.spans as SpanOut[];
      expect(out.r).toBe(false);
      expect(spans.map((s) => s.name)).toEqual(['CONNECT shop', 'CONNECT shop', 'SELECT shop', 'error handler', 'SELECT shop', 'SELECT shop']);
      const [, , logged, handler, failed, after] = spans;
      expect(failed!.attrs).toMatchObject({ 'db.query.text': 'SELECT * FROM missing', 'error.type': '1146' });
      expect(failed!.parent).toBe(out.root);
      expect(after!.parent).toBe(out.root);
      expect(logged!.attrs['db.query.text']).toBe('SELECT ?');
      // The handler ran inside the failing query (its warning), so its span is that query's child,
      // and the query it made is the handler span's child.
      expect(handler!.parent).toBe(failed!.id);
      expect(logged!.parent).toBe(handler!.id);
    });

    it('raw SQL only when asked (TRACEKIT_DB_RAW_SQL=1)', () => {
      const { out } = runPhp(
        `mysqli_report(MYSQLI_REPORT_OFF);
        $link = \\Tracekit\\Wrap\\mysqli_connect('localhost', $U, $P, $D, 0, $S);
        \\Tracekit\\Wrap\\mysqli_query($link, "SELECT name FROM t WHERE name = 'one'");
        echo json_encode(spans());`,
        { env: { TRACEKIT_DB_RAW_SQL: '1' } },
      );
      expect(out[1].attrs['db.query.text']).toBe("SELECT name FROM t WHERE name = 'one'");
    });

    it('the sanitiser: literals, comments, IN-lists, quoted identifiers, placeholders, a cut string', () => {
      const cases: Array<[string, string]> = [
        ["SELECT * FROM t WHERE a = 'x''y' AND b = \"q\\\"z\" AND c = 42", 'SELECT * FROM t WHERE a = ? AND b = ? AND c = ?'],
        ['SELECT * FROM t1 WHERE id IN (1, 2,3) OR id IN ( ?, ? )', 'SELECT * FROM t1 WHERE id IN (?) OR id IN (?)'],
        ["SELECT 1 /* 'secret' */ # note\nFROM dual -- tail", 'SELECT ? FROM dual'],
        ['SELECT `weird``name`, x FROM `t2` WHERE y = -1.5e3 AND z = 0x1F AND w = X\'4142\'', 'SELECT `weird``name`, x FROM `t2` WHERE y = -? AND z = ? AND w = ?'],
        ['UPDATE t SET a = :a WHERE b = ?', 'UPDATE t SET a = :a WHERE b = ?'],
        ["SELECT 'unterminated secret", 'SELECT ?'],
        ['SELECT 1--1', 'SELECT ?--?'],
        ["SELECT '/* not a comment */', `a -- b`, \"x # y\" FROM t -- real 'comment", 'SELECT ?, `a -- b`, ? FROM t'],
        ["SELECT N'nat', b'0101', x'4142', col1 FROM t2 WHERE t2.c3 = .5 LIMIT 10, 20", 'SELECT ?, ?, ?, col1 FROM t2 WHERE t2.c3 = ? LIMIT ?, ?'],
        ["SELECT 'it\\'s', 'a\\\\' , 3 FROM x /* unterminated 'secret", 'SELECT ?, ? , ? FROM x'],
      ];
      const { out } = runPhp(`echo json_encode(array_map(function ($q) { return Tracekit\\Hooks\\Sanitizer::sanitize($q); }, json_decode(${JSON.stringify(JSON.stringify(cases.map((c) => c[0])))}, true)));`, { runtime: 'absent' });
      expect(out).toEqual(cases.map((c) => c[1]));
    });
  });

  describe('tracing off', () => {
    for (const runtime of ['loaded', 'absent'] as const) {
      it(`rewritten code runs unchanged when the runtime is ${runtime === 'loaded' ? 'loaded but inactive' : 'missing'}`, () => {
        const r = compare(`
          mysqli_report(MYSQLI_REPORT_OFF);
          $link = $fn('mysqli_connect')('localhost', $U, $P, $D, 0, $S);
          $c = $cls('PDO');
          $pdo = new $c('mysql:unix_socket=' . $S . ';dbname=' . $D, $U, $P);
          $st = $pdo->prepare('SELECT name FROM t ORDER BY id');
          $st->execute();
          return [describe_value($fn('mysqli_query')($link, 'SELECT id FROM t')), $st->fetchAll(PDO::FETCH_COLUMN)];`, { runtime });
        expect(r.spans).toEqual([]);
      });
    }
  });

  describe('ext mode: the generated pre/post closures, called the way the extension calls them', () => {
    function fakeHook(): string {
      const file = path.join(dir, 'fake-hook.php');
      // The extension is not installed here: this stands in for its hook() and records what the hooks file registers.
      writeFileSync(file, `<?php
namespace OpenTelemetry\\Instrumentation;

function hook($class, $function, $pre = null, $post = null)
{
    $GLOBALS['registered'][($class === null ? '' : $class . '::') . $function] = [$pre, $post];
    return true;
}
`);
      return `$registered = []; require ${JSON.stringify(file)};`;
    }

    function extRun(body: string) {
      return runPhp(
        `
$n = Tracekit\\Hooks\\Ext::register(${JSON.stringify([...FULL_PLAN.functions.map((f) => [null, f]), ...FULL_PLAN.methods]).replace(/\[/g, '[').replace(/"/g, "'")});
function pre($name, $object, $params) { global $registered; return $registered[$name][0]($object, $params, $object === null ? null : get_class($object), $name, __FILE__, __LINE__, null, null); }
function post($name, $object, $params, $ret, $ex = null) { global $registered; return $registered[$name][1]($object, $params, $ret, $ex); }
mysqli_report(MYSQLI_REPORT_OFF);
${body}`,
        { prelude: fakeHook() },
      );
    }

    it('is not switched on by the generated file without the extension (PHP 8.2 here, no opentelemetry): the wrappers trace', () => {
      const { out } = runPhp(`
        $link = \\Tracekit\\Wrap\\mysqli_connect('localhost', $U, $P, $D, 0, $S);
        echo json_encode([Tracekit\\Hooks\\Ext::available(), Tracekit\\Hooks\\Db::$extActive, count(spans())]);`);
      expect(out).toEqual([false, false, 1]);
    });

    it('the wrappers stand down only for the calls the extension hooks', () => {
      const { out } = runPhp(
        `
$n = Tracekit\\Hooks\\Ext::register([[null, 'mysqli_query'], ['mysqli', 'query']]);
mysqli_report(MYSQLI_REPORT_OFF);
$link = mysqli_connect('localhost', $U, $P, $D, 0, $S);
\\Tracekit\\Wrap\\mysqli_query($link, 'SELECT 1');
\\Tracekit\\Wrap\\mysqli_real_query($link, 'SELECT 2');
mysqli_free_result(mysqli_store_result($link));
$m = new \\Tracekit\\Wrap\\Mysqli('localhost', $U, $P, $D, 0, $S);
$m->query('SELECT 3');
$m->multi_query('SELECT 4');
echo json_encode(['accepted' => $n, 'calls' => array_map(function ($s) { return $s['attrs']['tracekit.db.call']; }, spans())]);`,
        { prelude: fakeHook() },
      );
      // The stand-in hook() registers but never fires: what remains are the wrappers' own spans.
      expect(out).toEqual({ accepted: 2, calls: ['mysqli_real_query', 'mysqli::__construct', 'mysqli::multi_query'] });
    });

    it('procedural, OO, statement and PDO forms each give one span; pre returns nothing, post keeps the return value', () => {
      const { out, stderr } = extRun(`
        $r = [];
        $params = ['localhost', $U, $P, $D, 0, $S];
        $r[] = pre('mysqli_connect', null, $params);
        $link = mysqli_connect(...$params);
        $r[] = post('mysqli_connect', null, $params, $link);
        $r[] = pre('mysqli_query', null, [$link, 'SELECT id FROM t WHERE id = 1']);
        $res = mysqli_query($link, 'SELECT id FROM t WHERE id = 1');
        $r[] = post('mysqli_query', null, [$link, 'SELECT id FROM t WHERE id = 1'], $res);
        $m = mysqli_init();
        pre('mysqli::__construct', $m, $params);
        $m->real_connect(...$params);
        post('mysqli::__construct', $m, $params, null);
        pre('mysqli::prepare', $m, ['SELECT name FROM t WHERE id = ?']);
        $stmt = $m->prepare('SELECT name FROM t WHERE id = ?');
        post('mysqli::prepare', $m, ['SELECT name FROM t WHERE id = ?'], $stmt);
        pre('mysqli_stmt::execute', $stmt, []);
        $ok = $stmt->execute([1]);
        post('mysqli_stmt::execute', $stmt, [], $ok);
        $stmt->close();
        pre('mysqli::query', $m, ['SELECT * FROM missing']);
        $bad = $m->query('SELECT * FROM missing');
        post('mysqli::query', $m, ['SELECT * FROM missing'], $bad);
        $dsn = 'mysql:unix_socket=' . $S . ';dbname=' . $D;
        $pdo = new PDO($dsn, $U, $P, [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
        pre('PDO::__construct', $pdo, [$dsn, $U, $P]);
        post('PDO::__construct', $pdo, [$dsn, $U, $P], null);
        pre('PDO::prepare', $pdo, ['SELECT name FROM t WHERE id = ?']);
        $ps = $pdo->prepare('SELECT name FROM t WHERE id = ?');
        post('PDO::prepare', $pdo, ['SELECT name FROM t WHERE id = ?'], $ps);
        pre('PDOStatement::execute', $ps, [[2]]);
        post('PDOStatement::execute', $ps, [[2]], $ps->execute([2]));
        pre('PDO::exec', $pdo, ['DELETE FROM missing']);
        try { $pdo->exec('DELETE FROM missing'); } catch (PDOException $e) { post('PDO::exec', $pdo, ['DELETE FROM missing'], null, $e); }
        // Odd shapes never throw out of a closure.
        pre('mysqli_query', null, 'not an array');
        post('mysqli_query', null, null, null);
        post('mysqli_query', null, null, null);
        $wrapped = \\Tracekit\\Wrap\\mysqli_query($link, 'SELECT 2');
        echo json_encode(['returns' => $r, 'active' => Tracekit\\Hooks\\Db::$extActive, 'wrapped' => $wrapped instanceof mysqli_result, 'spans' => spans()]);`);
      expect(stderr).toBe('');
      expect(out.returns).toEqual([null, null, null, null]);
      expect(out.active).toBe(true);
      expect(out.wrapped).toBe(true);
      const spans = out.spans as SpanOut[];
      expect(spans.map((s) => [s.attrs['tracekit.db.call'], s.attrs['db.query.text'] ?? null, s.status])).toEqual([
        ['mysqli_connect', null, 0],
        ['mysqli_query', 'SELECT id FROM t WHERE id = ?', 0],
        ['mysqli::__construct', null, 0],
        ['mysqli::prepare', 'SELECT name FROM t WHERE id = ?', 0],
        ['mysqli_stmt::execute', 'SELECT name FROM t WHERE id = ?', 0],
        ['mysqli::query', 'SELECT * FROM missing', 2],
        ['PDO::__construct', null, 0],
        ['PDO::prepare', 'SELECT name FROM t WHERE id = ?', 0],
        ['PDOStatement::execute', 'SELECT name FROM t WHERE id = ?', 0],
        ['PDO::exec', 'DELETE FROM missing', 2],
      ]);
      for (const s of spans) expect(s).toMatchObject({ kind: 3, attrs: { 'db.system.name': 'mysql', 'db.namespace': 'shop' } });
      expect(spans[5]!.attrs['error.type']).toBe('1146');
      expect(spans[9]!.attrs['error.type']).toBe('1146');
      expect(spans[9]!.events).toEqual(['exception']);
    });
  });
});
