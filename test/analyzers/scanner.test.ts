// The fast token scanner: code tokens only, strings/comments/HTML dropped,
// interpolated code kept, and structural damage flagged for parsing.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runAudit } from '../../analyzers/php/audit.js';
import type { AuditReport } from '../../analyzers/php/report.js';
import { scanPhp } from '../../analyzers/php/scanner.js';
import { parseText } from '../../analyzers/php/analyze-file.js';
import { factsFromTokens } from '../../analyzers/php/token-facts.js';

const names = (code: string): string[] => scanPhp(code).texts.filter((t) => /^[\\$A-Za-z_]/.test(t));

describe('scanPhp', () => {
  it('keeps names and variables of code, drops comments, strings, heredoc, nowdoc and HTML', () => {
    const code = [
      '<html>mysqli_a()<?php',
      '// mysqli_b() ?> mysqli_c() <?php',
      '# mysqli_d()',
      '/* mysqli_e() */',
      "$s = 'mysqli_f()' . \"mysqli_g() {$o->m()} ${v}\";",
      '$h = <<<EOT',
      '  mysqli_h() {$x[0]}',
      '  EOT;',
      "$n = <<<'EOT'",
      'mysqli_i() {$y}',
      'EOT;',
      'mysqli_j($link);',
    ].join('\n');
    expect(names(code)).toEqual(['$s', '$o', 'm', 'v', '$h', '$x', '$n', 'mysqli_j', '$link']);
    const tokens = scanPhp(code);
    expect(tokens.suspect).toBe(false);
    expect(tokens.lines[tokens.texts.indexOf('mysqli_j')]).toBe(12);
  });

  it('tells qualified, fully qualified and relative names apart, and keywords after -> are names', () => {
    const { texts } = scanPhp('<?php \\A\\f(); A\\g(); namespace\\h(); $x->new(); X::class;');
    expect(texts.filter((t) => /^[\\$A-Za-z]/.test(t))).toEqual(['\\A\\f', 'A\\g', 'namespace\\h', '$x', 'new', 'X', 'class']);
  });

  it('flags unbalanced brackets and unterminated strings, comments and heredocs', () => {
    expect(scanPhp('<?php function f( { }').suspect).toBe(true);
    expect(scanPhp('<?php $a = "open;').suspect).toBe(true);
    expect(scanPhp('<?php /* open').suspect).toBe(true);
    expect(scanPhp('<?php $a = <<<EOT\nnever closed\n').suspect).toBe(true);
    expect(scanPhp('<?php #[Attr] class A { function f() { return [1, (2)]; } }').suspect).toBe(false);
  });
});

describe('token facts against AST facts', () => {
  const cases: Record<string, string> = {
    'group use of functions and classes': [
      '<?php namespace P;',
      'use function App\\Db\\{db_run as run, db_all};',
      'use App\\{Models\\User, function helper as h};',
      'run(1); db_all(); h(); new User(); mysqli_query($l, "x"); \\mysqli_close($l);',
    ].join('\n'),
    'functions and methods in classes and namespaces': [
      '<?php namespace Shop { class Db extends \\mysqli { function run($q) { return mysqli_query($this, $q); } } }',
      'namespace { function page() { $f = function () { return mysqli_ping($GLOBALS["l"]); }; return db_q(1) + strlen("mysqli_x()"); } }',
    ].join('\n'),
    'language constructs written like calls are no calls': [
      '<?php namespace N; function f($a) { if ($a) { foreach (array(1) as $x) { while (isset($x) && !empty($x)) { unset($x); } } }',
      'elseif (1) {} switch (count($a)) { case (1): echo("x"); } list($p) = ARRAY(1); print("y"); include("z.php"); require_once("w.php");',
      'do { eval("1;"); } while (0); for ($i = 0; $i < 1; $i++) {} if (1 AND (2) OR (3) XOR (4)) { exit(1); die("x"); throw(new \Exception()); }',
      'declare(ticks=1); $a->list(); $a::ISSET(); Foo::array(); mysqli_query($a, "q"); } f(1);',
    ].join('\n'),
  };
  for (const [name, code] of Object.entries(cases)) {
    it(name, () => {
      const fromTokens = factsFromTokens(scanPhp(code), 'x.php', code.length, 'scan');
      const fromAst = parseText(code, 'x.php', code.length);
      expect(fromAst.parseError).toBeNull();
      expect(fromTokens.calls).toEqual(fromAst.calls);
      expect(fromTokens.news).toEqual(fromAst.news);
      expect(fromTokens.functions.map((f) => [f.key, f.name])).toEqual(fromAst.functions.map((f) => [f.key, f.name]));
      expect(fromTokens.classes.map((c) => [c.key, c.parent])).toEqual(fromAst.classes.map((c) => [c.key, c.parent]));
    });
  }
});

const example = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/legacy-app');

describe.skipIf(!existsSync(example))('tiers on examples/legacy-app', () => {
  it('the default tiers give the same report as parsing every file', async () => {
    const strip = (r: AuditReport) => ({ ...r, files: { ...r.files, parsed: 0 }, perFile: r.perFile.map((f) => ({ ...f, analysis: f.analysis === 'tokens' ? 'tokens' : 'ast' })) });
    const tiers = new Set<string>();
    const tiered = await runAudit({ root: example, threads: 0, onFileAnalysed: (_p, tier) => tiers.add(tier) });
    const parsed = await runAudit({ root: example, threads: 0, prefilter: false });
    expect(tiers.has('scan')).toBe(true);
    expect(strip(tiered)).toEqual(strip(parsed));
  });
});
