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
/**
 * Matches the demand words, each tagged with what it names: `f:name` a
 * function call (`name(`), `d:name` a function whose declaration is needed
 * (its `name(` too, but parsed), `m:name` a method call (`->name(`,
 * `::name(`), `c:name` a class whose declaration is needed and `k:name` a
 * class whose uses are counted (whole identifiers), `g:name` an assignment to
 * the global `$name`. One pass over the identifiers of the
 * text with set lookups: thousands of entry points cost no more than one
 * (an alternation regex of 3,000 words was measured 10× slower).
 */
export class DemandMatcher {
  private readonly functions = new Set<string>();
  private readonly declarations = new Set<string>();
  private readonly methods = new Set<string>();
  private readonly classes = new Set<string>();
  private readonly usedClasses = new Set<string>();
  private readonly globals = new Set<string>();

  constructor(words: readonly string[]) {
    for (const word of words) {
      const name = word.slice(2).toLowerCase();
      if (!name) continue;
      if (word.startsWith('f:')) this.functions.add(name);
      else if (word.startsWith('d:')) this.declarations.add(name);
      else if (word.startsWith('m:')) this.methods.add(name);
      else if (word.startsWith('c:')) this.classes.add(name);
      else if (word.startsWith('k:')) this.usedClasses.add(name);
      else if (word.startsWith('g:')) this.globals.add(name);
    }
  }

  get empty(): boolean {
    return this.functions.size + this.declarations.size + this.methods.size + this.classes.size + this.usedClasses.size + this.globals.size === 0;
  }

  /**
   * 'parse' when a match needs types (methods, declarations, globals), 'scan'
   * when only function calls and class uses matched, null when nothing did.
   */
  match(text: string): 'parse' | 'scan' | null {
    let found: 'scan' | null = null;
    IDENTIFIER.lastIndex = 0;
    for (let m = IDENTIFIER.exec(text); m !== null; m = IDENTIFIER.exec(text)) {
      const word = m[0];
      const start = m.index;
      if (word.charCodeAt(0) === 36 /* $ */) {
        if (this.globals.size > 0 && this.globals.has(word.slice(1).toLowerCase())) {
          const next = skipGap(text, start + word.length);
          if (text.charCodeAt(next) === 61 && text.charCodeAt(next + 1) !== 61) return 'parse';
        }
        continue;
      }
      if (start > 0 && isWordChar(text.charCodeAt(start - 1))) continue;
      const lower = word.toLowerCase();
      if (this.classes.has(lower)) return 'parse';
      if (this.usedClasses.has(lower)) {
        found = 'scan';
        continue;
      }
      const inFunctions = this.functions.has(lower);
      const inDeclarations = this.declarations.has(lower);
      const inMethods = this.methods.has(lower);
      if (!inFunctions && !inDeclarations && !inMethods) continue;
      if (text.charCodeAt(skipGap(text, start + word.length)) !== 40 /* ( */) continue;
      const member = precededByMember(text, start);
      if (inMethods && member) return 'parse';
      if (inDeclarations && !member) return 'parse';
      if (inFunctions && !member) found = 'scan';
    }
    return found;
  }
}

/** A variable or an identifier (PHP allows bytes ≥ 0x80 in names). */
const IDENTIFIER = /\$?[A-Za-z_\x80-\uffff][\w\x80-\uffff]*/g;

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c >= 128;
}

/** Past whitespace and comments, as PHP allows them between tokens. */
function skipGap(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) i++;
    else if (c === 47 && text.charCodeAt(i + 1) === 42) {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) return text.length;
      i = end + 2;
    } else if ((c === 47 && text.charCodeAt(i + 1) === 47) || c === 35) {
      const end = text.indexOf('\n', i);
      if (end < 0) return text.length;
      i = end + 1;
    } else return i;
  }
}

/** Whether `->`, `?->` or `::` (then whitespace) comes right before `start`. */
function precededByMember(text: string, start: number): boolean {
  let i = start - 1;
  while (i >= 0) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) i--;
    else break;
  }
  const a = text.charCodeAt(i - 1);
  const b = text.charCodeAt(i);
  return (a === 45 && b === 62) || (a === 58 && b === 58);
}

export function demandPattern(words: readonly string[]): DemandMatcher | null {
  const matcher = new DemandMatcher(words);
  return matcher.empty ? null : matcher;
}

export function analyzeFile(task: AnalyzeTask, settings: AnalyzeSettings, demand: DemandMatcher | null = null): FileOutcome | null {
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
  } else {
    const wanted = demand ? demand.match(text) : null;
    if (wanted === null) return null;
    if (wanted === 'parse') return { kind: 'facts', facts: parseText(text, task.relPath, bytes.length) };
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
