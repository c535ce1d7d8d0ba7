/**
 * One file from bytes to facts: read once, skip binary and oversize files,
 * decode (UTF-8, else latin1), prefilter, parse, and fall back to tokens
 * when the parser rejects the file. Runs on worker threads and, with
 * `threads: 0`, on the calling thread.
 */
import { readFileSync, statSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { createRequire } from 'node:module';
import { EVIDENCE_PATTERN, RECEIVER_PATTERN } from './catalog.js';
import { scanPhp } from './scanner.js';
import { collectAstFacts } from './ast-facts.js';
import { collectTokenFacts, factsFromTokens, type TokenEngine } from './token-facts.js';
import { emptyFacts, type FileOutcome } from './facts.js';

const require = createRequire(import.meta.url);

interface PhpEngine extends TokenEngine {
  parseCode(code: string, filename: string): unknown;
}

type EngineConstructor = new (options: object) => PhpEngine;

let engine: PhpEngine | null = null;

function getEngine(): PhpEngine {
  if (!engine) {
    const PhpParser = require('php-parser') as { Engine: EngineConstructor };
    engine = new PhpParser.Engine({
      // extractDoc off: docblocks are read from the text (ast-facts.ts), twice as fast.
      parser: { extractDoc: false, suppressErrors: false, php8: true },
      ast: { withPositions: true },
    });
  }
  return engine;
}

export interface AnalyzeTask {
  absPath: string;
  relPath: string;
}

export interface AnalyzeSettings {
  maxFileBytes: number;
  /**
   * 'evidence': parse only files the prefilter lets through; others come back
   * as `no-evidence`. 'demand': analyse only files matching one of `words`
   * (see demandPattern); others come back as null. 'ast': parse every file
   * (scanned files whose types another file needs).
   */
  mode: 'evidence' | 'demand' | 'ast';
  words?: readonly string[];
  /**
   * Set false to parse every file to an AST: no prefilter, no scan tier
   * (benchmarks measure what they save; tests check they change no count).
   */
  prefilter?: boolean;
}

const BINARY_PROBE_BYTES = 8192;

/**
 * One regex for the demand words, each tagged with what it names:
 * `f:name` a function call or definition (`name(`), `m:name` a method call
 * (`->name(`, `::name(`), `c:name` a class name (whole identifier), `g:name`
 * an assignment to the global `$name` (or `$GLOBALS['name']`).
 * Case-insensitive, like PHP names (globals are matched the same way: a
 * superset is harmless, it only parses one more file).
 */
export interface DemandPatterns {
  /** Files matching it are analysed (scanned, or parsed when RECEIVER_PATTERN or `parse` matches). */
  scan: RegExp;
  /** Files matching it are parsed: the words whose answer needs types (methods, classes, globals, missing functions). */
  parse: RegExp | null;
}

export function demandPattern(words: readonly string[]): DemandPatterns | null {
  if (words.length === 0) return null;
  const scan = demandRegex(words);
  if (!scan) return null;
  return { scan, parse: demandRegex(words.filter((w) => !w.startsWith('f:') && !w.startsWith('c:'))) };
}

function demandRegex(words: readonly string[]): RegExp | null {
  if (words.length === 0) return null;
  const byKind = new Map<string, string[]>();
  for (const word of [...words].sort()) {
    const kind = word.slice(0, 1);
    const name = word.slice(2).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    if (!name) continue;
    byKind.set(kind, [...(byKind.get(kind) ?? []), name]);
  }
  const gap = String.raw`(?:\s|/\*[\s\S]*?\*/|(?:#|//)[^\n]*\n)*`;
  const start = String.raw`(?<![\w$\x80-\uffff])`;
  const end = String.raw`(?![\w\x80-\uffff])`;
  const parts: string[] = [];
  const f = byKind.get('f');
  if (f) parts.push(`${start}(?:${f.join('|')})${gap}\\(`);
  const m = byKind.get('m');
  if (m) parts.push(`(?:->|::)${gap}(?:${m.join('|')})${gap}\\(`);
  const c = byKind.get('c');
  if (c) parts.push(`${start}(?:${c.join('|')})${end}`);
  const g = byKind.get('g');
  if (g) parts.push(`(?:\\$(?:${g.join('|')})|GLOBALS\\[\\s*['"](?:${g.join('|')})['"]\\s*\\])${end}\\s*=(?!=)`);
  return parts.length === 0 ? null : new RegExp(parts.join('|'), 'i');
}

export function analyzeFile(task: AnalyzeTask, settings: AnalyzeSettings, demand: DemandPatterns | null = null): FileOutcome | null {
  let bytes: Buffer;
  let size: number;
  try {
    size = statSync(task.absPath).size;
    if (size > settings.maxFileBytes) {
      if (settings.mode === 'demand') return null;
      return {
        kind: 'skipped',
        bytes: size,
        skipped: { path: task.relPath, reason: 'too-large', detail: `${size} bytes, over the limit of ${settings.maxFileBytes}` },
      };
    }
    bytes = readFileSync(task.absPath);
  } catch (error) {
    if (settings.mode === 'demand') return null;
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    return { kind: 'skipped', bytes: 0, skipped: { path: task.relPath, reason: 'unreadable', detail: `${code}: ${(error as Error).message}` } };
  }
  const probe = bytes.subarray(0, BINARY_PROBE_BYTES);
  if (probe.includes(0)) {
    if (settings.mode === 'demand') return null;
    return { kind: 'skipped', bytes: bytes.length, skipped: { path: task.relPath, reason: 'binary', detail: 'NUL byte in the first 8 KiB' } };
  }
  // latin1 maps every byte to one code point, so non-UTF-8 legacy files still read.
  const text = isUtf8(bytes) ? bytes.toString('utf8') : bytes.toString('latin1');
  if (settings.mode === 'ast' || settings.prefilter === false) return { kind: 'facts', facts: parseText(text, task.relPath, bytes.length) };
  if (settings.mode === 'evidence') {
    if (!EVIDENCE_PATTERN.test(text)) return { kind: 'facts', facts: emptyFacts(task.relPath, 'no-evidence', bytes.length) };
  } else if (!demand || !demand.scan.test(text)) {
    if (!demand?.parse || !demand.parse.test(text)) return null;
    return { kind: 'facts', facts: parseText(text, task.relPath, bytes.length) };
  } else if (demand.parse?.test(text)) {
    return { kind: 'facts', facts: parseText(text, task.relPath, bytes.length) };
  }
  // Only method calls need receiver types, hence an AST; everything else counts exactly from a scan.
  if (RECEIVER_PATTERN.test(text)) return { kind: 'facts', facts: parseText(text, task.relPath, bytes.length) };
  const tokens = scanPhp(text);
  if (tokens.suspect) return { kind: 'facts', facts: parseText(text, task.relPath, bytes.length) };
  return { kind: 'facts', facts: factsFromTokens(tokens, task.relPath, bytes.length, 'scan') };
}

export function parseText(text: string, relPath: string, byteLength: number) {
  const php = getEngine();
  let program: unknown;
  try {
    program = php.parseCode(text, relPath);
  } catch (error) {
    const facts = collectTokenFacts(php, text, relPath, byteLength);
    const err = error as Error & { lineNumber?: number };
    facts.parseError = { message: err.message.replace(/\s+/g, ' ').trim(), line: typeof err.lineNumber === 'number' ? err.lineNumber : null };
    return facts;
  }
  return collectAstFacts(program, text, relPath, byteLength);
}
