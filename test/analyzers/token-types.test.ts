// The token tier that replaces most parses (docs/audit.md, "Analysis tiers"):
// receivers typed from tokens must give exactly the facts the AST pass gives,
// and a file counted without a parse must be one php-parser accepts.
// test/fixtures/audit/typing/ holds a case for each rule: typed-* files are
// typed from their tokens, parse-* files are left to the parser (the tokens
// cannot type them as the AST pass would, or cannot prove their syntax),
// broken-* files do not parse and must keep their parse error.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseText } from '../../analyzers/php/analyze-file.js';
import { runAudit } from '../../analyzers/php/audit.js';
import type { FileFacts, TypeRef } from '../../analyzers/php/facts.js';
import type { AuditReport } from '../../analyzers/php/report.js';
import { scanPhp } from '../../analyzers/php/scanner.js';
import { typedFactsFromTokens } from '../../analyzers/php/token-facts.js';
import { provesSyntax } from '../../analyzers/php/token-syntax.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const typing = path.join(here, '../fixtures/audit/typing');
const fixtureTree = path.join(here, '../fixtures/audit/tree');
const example = path.resolve(here, '../../examples/legacy-app');

function phpFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...phpFiles(full));
    else if (/\.(php|inc|phtml)$/i.test(entry.name)) out.push(full);
  }
  return out.sort();
}

/** Language constructs the scanner reads as calls (`isset(`, `array(`): they resolve to no function either way. */
const CONSTRUCTS = new Set(['array', 'list', 'isset', 'empty', 'exit', 'die', 'eval', 'unset', 'echo', 'print', 'include', 'include_once', 'require', 'require_once', 'if', 'elseif', 'while', 'for', 'foreach', 'switch', 'declare', 'and', 'or', 'xor']);

/** Facts in a comparable form: local-variable references replaced by their bindings, lists sorted where order carries no meaning. */
function comparable(facts: FileFacts): Record<string, unknown> {
  const expand = (type: TypeRef, seen: ReadonlySet<string> = new Set()): unknown => {
    switch (type.k) {
      case 'v': {
        const key = `${type.s}:${type.n}`;
        if (seen.has(key)) return { v: type.n, cycle: true };
        const next = new Set(seen).add(key);
        return { v: type.n, bindings: (facts.scopes[type.s]?.[type.n] ?? []).map((t) => expand(t, next)) };
      }
      case 'm':
        return { m: type.m, r: expand(type.r, seen) };
      case 'p':
        return { p: type.p, r: expand(type.r, seen) };
      case 'u':
        return { u: type.a.map((t) => expand(t, seen)) };
      default:
        return type;
    }
  };
  const sorted = (items: unknown[]): string[] => items.map((item) => JSON.stringify(item)).sort();
  const refs = facts.classRefs.filter((r) => r.how !== 'static');
  return {
    calls: sorted(facts.calls.filter((c) => !CONSTRUCTS.has(c.c[c.c.length - 1]!))),
    methodCalls: sorted(facts.methodCalls.map((c) => ({ m: c.m, r: expand(c.r), in: c.in }))),
    news: sorted(facts.news),
    // Only whether a class is referenced matters, except `X::` (counted as PDO static references).
    classRefs: [...new Set(sorted(refs))],
    staticRefs: sorted(facts.classRefs.filter((r) => r.how === 'static')),
    mysqliConstants: facts.mysqliConstants,
    functions: facts.functions.map((f) => ({ key: f.key, name: f.name, kind: f.kind, line: f.line, ret: f.ret.map((t) => expand(t)) })),
    classes: facts.classes.map((c) => ({
      key: c.key,
      name: c.name,
      line: c.line,
      parent: c.parent,
      props: Object.fromEntries(Object.keys(c.props).sort().map((k) => [k, c.props[k]!.map((t) => expand(t))])),
    })),
    globals: Object.fromEntries(Object.keys(facts.globals).sort().map((k) => [k, facts.globals[k]!.map((t) => expand(t))])),
  };
}

function parses(text: string): boolean {
  return parseText(text, 'x.php', text.length).parseError === null;
}

describe('receivers typed from tokens', () => {
  const cases = readdirSync(typing).sort();

  for (const name of cases.filter((n) => n.startsWith('typed-'))) {
    it(`${name}: the tokens prove it parses and give the AST pass's facts`, () => {
      const text = readFileSync(path.join(typing, name), 'utf8');
      const tokens = scanPhp(text);
      expect(provesSyntax(tokens)).toBe(true);
      const typed = typedFactsFromTokens(tokens, name, text.length);
      expect(typed).not.toBeNull();
      const ast = parseText(text, name, text.length);
      expect(ast.parseError).toBeNull();
      expect(comparable(typed!)).toEqual(comparable(ast));
      // The case exercises typing: some DB method call got a receiver that is not unknown.
      expect(typed!.methodCalls.some((c) => c.r.k !== 'x')).toBe(true);
    });
  }

  for (const name of cases.filter((n) => n.startsWith('parse-'))) {
    it(`${name}: left to the parser, which accepts it`, () => {
      const text = readFileSync(path.join(typing, name), 'utf8');
      const tokens = scanPhp(text);
      expect(provesSyntax(tokens) && typedFactsFromTokens(tokens, name, text.length) !== null).toBe(false);
      expect(parses(text)).toBe(true);
    });
  }

  for (const name of cases.filter((n) => n.startsWith('broken-'))) {
    it(`${name}: not proven, so the parser reports its error`, () => {
      const text = readFileSync(path.join(typing, name), 'utf8');
      expect(provesSyntax(scanPhp(text))).toBe(false);
      expect(parses(text)).toBe(false);
    });
  }

  it('every file of the fixture tree and the example the tokens type gives the AST facts', () => {
    let typedCount = 0;
    for (const file of [...phpFiles(fixtureTree), ...phpFiles(example)]) {
      const text = readFileSync(file, 'utf8');
      const tokens = scanPhp(text);
      if (tokens.suspect) continue;
      const typed = typedFactsFromTokens(tokens, file, text.length);
      const ast = parseText(text, file, text.length);
      if (!typed || ast.parseError) continue;
      typedCount++;
      expect({ file, facts: comparable(typed) }).toEqual({ file, facts: comparable(ast) });
    }
    expect(typedCount).toBeGreaterThan(50);
  });

  it('the tiers give the same report as parsing every file', async () => {
    const strip = (r: AuditReport) => ({ ...r, files: { ...r.files, parsed: 0 }, perFile: r.perFile.map((f) => ({ ...f, analysis: f.analysis === 'tokens' ? 'tokens' : 'ast' })) });
    const tiers = new Map<string, string>();
    const tiered = await runAudit({ root: typing, threads: 0, onFileAnalysed: (p, tier) => tiers.set(p, tier) });
    const parsed = await runAudit({ root: typing, threads: 0, prefilter: false });
    expect(strip(tiered)).toEqual(strip(parsed));
    for (const [file, tier] of tiers) {
      if (file.startsWith('typed-')) expect({ file, tier }).toEqual({ file, tier: 'typed' });
      if (file.startsWith('parse-')) expect({ file, tier }).toEqual({ file, tier: 'ast' });
      if (file.startsWith('broken-')) expect({ file, tier }).toEqual({ file, tier: 'tokens' });
    }
    expect(tiered.parseErrors.map((e) => e.path)).toEqual(['broken-empty-rhs.php', 'broken-glued-number.php', 'broken-missing-semicolon.php']);
    expect(tiered.methodCalls.unknown).toBeLessThan(tiered.methodCalls.mysqli + tiered.methodCalls.pdo);
  });
});

describe('syntax proven from tokens', () => {
  it.each([20261121, 2])('refuses what php-parser rejects, on thousands of small mutations of valid files (seed %i)', (first) => {
    // A fixed-seed generator: the same mutants on every run.
    let seed = first;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const pieces = [';', '(', ')', '{', '}', '=', '$', '->', ',', '.', '?', ':', '[', ']', '"', "'", 'if', 'function', ' ', '&', '::', 'new', '=>', '!', '++', 'as', 'else', '<?php ', '?>', '/*', '1', 'x'];
    let proven = 0;
    const unsound: string[] = [];
    for (const file of [...phpFiles(typing), ...phpFiles(fixtureTree), ...phpFiles(example)]) {
      const text = readFileSync(file, 'utf8');
      if (!provesSyntax(scanPhp(text))) continue;
      expect({ file, parses: parses(text) }).toEqual({ file, parses: true });
      for (let m = 0; m < 40; m++) {
        const at = random(text.length + 1);
        let mutant: string;
        const kind = random(3);
        if (kind === 0) mutant = text.slice(0, at) + text.slice(at + 1 + random(4));
        else if (kind === 1) mutant = text.slice(0, at) + pieces[random(pieces.length)]! + text.slice(at);
        else {
          const to = random(text.length + 1);
          mutant = text.slice(0, to) + text.slice(at, at + 1 + random(6)) + text.slice(to);
        }
        if (!provesSyntax(scanPhp(mutant))) continue;
        proven++;
        if (!parses(mutant)) unsound.push(`${file}: ${JSON.stringify(mutant.slice(Math.max(0, at - 40), at + 40))}`);
      }
    }
    expect(unsound).toEqual([]);
    // Many mutants stay valid PHP (a space, a duplicated statement): the proof must still accept those.
    expect(proven).toBeGreaterThan(500);
  });
});
