/**
 * One file from bytes to facts: read once, skip binary and oversize files,
 * decode (UTF-8, else latin1), prefilter, parse, and fall back to tokens
 * when the parser rejects the file. Runs on worker threads and, with
 * `threads: 0`, on the calling thread.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { createRequire } from 'node:module';
import { EVIDENCE_PATTERN, RECEIVER_PATTERN } from './catalog.js';
import { scanPhp } from './scanner.js';
import { provesSyntax } from './token-syntax.js';
import { collectAstFacts } from './ast-facts.js';
import { collectTokenFacts, factsFromTokens, typedFactsFromTokens, type TokenEngine } from './token-facts.js';
import { emptyFacts, type FileFacts, type FileOutcome } from './facts.js';

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
   * 'tiers': type files holding a DB method call from their tokens (parse
   * those the tokens cannot type), scan the others (files the prefilter
   * passes over come back as `no-evidence`, with their scanned calls and
   * declarations). 'typed': type every file from its tokens, else parse it
   * (scanned files whose types another file needs).
   */
  mode: 'tiers' | 'typed';
  /**
   * Set false to parse every file to an AST: no prefilter, no scan tier
   * (benchmarks measure what they save; tests check they change no count).
   */
  prefilter?: boolean;
}

const BINARY_PROBE_BYTES = 8192;

/** The file's `size` bytes as fstat saw them (fewer if it shrank meanwhile), as readFileSync reads them. */
function readAll(fd: number, size: number): Buffer {
  const buffer = Buffer.allocUnsafe(size);
  let length = 0;
  while (length < size) {
    const read = readSync(fd, buffer, length, size - length, null);
    if (read === 0) break;
    length += read;
  }
  return length === size ? buffer : buffer.subarray(0, length);
}

/** Reads one file and returns its facts (or why it was skipped). Never throws for a bad file. */
export function analyzeFile(task: AnalyzeTask, settings: AnalyzeSettings): FileOutcome {
  let bytes: Buffer;
  let fd: number | null = null;
  try {
    // One open, fstat and read (a stat and then readFileSync cost a second path lookup and fstat per file).
    fd = openSync(task.absPath, 'r');
    const size = fstatSync(fd).size;
    if (size > settings.maxFileBytes) {
      return {
        kind: 'skipped',
        bytes: size,
        skipped: { path: task.relPath, reason: 'too-large', detail: `${size} bytes, over the limit of ${settings.maxFileBytes}` },
      };
    }
    bytes = readAll(fd, size);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    return { kind: 'skipped', bytes: 0, skipped: { path: task.relPath, reason: 'unreadable', detail: `${code}: ${(error as Error).message}` } };
  } finally {
    if (fd !== null) closeSync(fd);
  }
  const probe = bytes.subarray(0, BINARY_PROBE_BYTES);
  if (probe.includes(0)) {
    return { kind: 'skipped', bytes: bytes.length, skipped: { path: task.relPath, reason: 'binary', detail: 'NUL byte in the first 8 KiB' } };
  }
  // latin1 maps every byte to one code point, so non-UTF-8 legacy files still read.
  const text = isUtf8(bytes) ? bytes.toString('utf8') : bytes.toString('latin1');
  try {
    return analyzeText(text, task.relPath, bytes.length, settings);
  } catch (error) {
    // A bug of ours on one odd file must not end the run: count the file from php-parser's tokens, flagged.
    const message = `tracekit could not analyse this file (${(error as Error).message}); counted from its tokens`;
    let facts: FileFacts;
    try {
      facts = collectTokenFacts(getEngine(), text, task.relPath, bytes.length);
    } catch {
      facts = emptyFacts(task.relPath, 'tokens', bytes.length);
    }
    facts.parseError = { message, line: null };
    return { kind: 'facts', facts };
  }
}

function analyzeText(text: string, relPath: string, byteLength: number, settings: AnalyzeSettings): FileOutcome {
  if (settings.prefilter === false) return { kind: 'facts', facts: parseText(text, relPath, byteLength) };
  if (settings.mode === 'typed') return { kind: 'facts', facts: typedOrParsed(text, relPath, byteLength) };
  if (!EVIDENCE_PATTERN.test(text)) {
    // No rule can count anything here, but the file may call an entry point, create a user subclass of
    // PDO, or define what another file's receiver needs: a scan records that (the merge step decides).
    const tokens = scanPhp(text);
    const facts = tokens.suspect ? parseText(text, relPath, byteLength) : factsFromTokens(tokens, relPath, byteLength, 'scan');
    if (facts.parseError === null) facts.analysis = 'no-evidence';
    return { kind: 'facts', facts };
  }
  // Only method calls need receiver types; everything else counts exactly from a scan.
  if (RECEIVER_PATTERN.test(text)) return { kind: 'facts', facts: typedOrParsed(text, relPath, byteLength) };
  const tokens = scanPhp(text);
  if (tokens.suspect) return { kind: 'facts', facts: parseText(text, relPath, byteLength) };
  return { kind: 'facts', facts: factsFromTokens(tokens, relPath, byteLength, 'scan') };
}

/**
 * Receivers typed from tokens (token-types.ts) where they can be and the
 * tokens prove the file parses (token-syntax.ts), else from a parse, which
 * also reports the file's syntax error.
 */
function typedOrParsed(text: string, relPath: string, byteLength: number): FileFacts {
  const tokens = scanPhp(text);
  if (provesSyntax(tokens)) {
    const typed = typedFactsFromTokens(tokens, relPath, byteLength);
    if (typed) return typed;
  }
  return parseText(text, relPath, byteLength);
}

export function parseText(text: string, relPath: string, byteLength: number): FileFacts {
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
