/**
 * The compact, structured-clone-safe record one file's analysis produces.
 * Workers post these back (never the AST); the main thread merges them and
 * resolves everything that needs project-wide knowledge (function fallback
 * in namespaces, receiver types across files, entry points).
 *
 * Names are lower case and fully qualified without the leading `\`
 * (`app\db\connection`), because PHP function and class names are
 * case-insensitive. Display names keep the case of their definition.
 */
import type { FileAnalysis, SkippedFile } from './report.js';

/**
 * How the engine read a file: the report's FileAnalysis, plus `scan` (counted
 * by the fast scanner, every rule exact without an AST) and `typed` (scanned,
 * with receivers typed from the tokens as a parse would type them); both are
 * reported as `ast`, see docs/audit.md "Analysis tiers".
 */
export type FileTier = FileAnalysis | 'scan' | 'typed';

/**
 * A symbolic type, resolved on the main thread once every file is known.
 * - `c`: an instance of class `n` (`fb`: the global class to try when `n` is
 *   not defined — only for docblock types, which are often written sloppily)
 * - `f`: what a function call returns; `c` holds the candidate functions in
 *   PHP's lookup order (namespaced first, then the global fallback)
 * - `m`: what method `m` returns when called on `r`
 * - `p`: property `p` of `r`
 * - `g`: the global variable `n` (top-level assignments in any file)
 * - `v`: local variable `n` of scope `s`, whatever it is assigned anywhere in
 *   that scope (used when a variable is read before any assignment is seen)
 * - `u`: one of several alternatives (ternaries, `??`)
 * - `s`: set in file `f`, which was only scanned: parse it to know
 * - `x`: unknown
 */
export type TypeRef =
  | { k: 'c'; n: string; fb?: string }
  | { k: 'f'; c: string[] }
  | { k: 'm'; r: TypeRef; m: string }
  | { k: 'p'; r: TypeRef; p: string }
  | { k: 'g'; n: string }
  | { k: 'v'; s: string; n: string }
  | { k: 'u'; a: TypeRef[] }
  | { k: 's'; f: string }
  | { k: 'x' };

export const UNKNOWN: TypeRef = { k: 'x' };

/**
 * Calls of a named function: `n` identical calls (same candidates, same
 * enclosing function or method `in`, null at top level). Aggregated because
 * calls are most of a file's facts.
 */
export interface CallRec {
  c: string[];
  in: string | null;
  n: number;
}

/** Adds one call to `calls`, merging it with an identical one (`index` is per file). */
export function addCall(calls: CallRec[], index: Map<string, CallRec>, candidates: string[], within: string | null): void {
  // The same key as `${within}\0${candidates.join('\0')}`, without the join (one candidate is the common case).
  let key = `${within ?? ''}\u0000${candidates[0] ?? ''}`;
  for (let i = 1; i < candidates.length; i++) key += `\u0000${candidates[i]}`;
  const existing = index.get(key);
  if (existing) existing.n += 1;
  else {
    const rec: CallRec = { c: candidates, in: within, n: 1 };
    index.set(key, rec);
    calls.push(rec);
  }
}

/** A call of a named method (`->m()`, `?->m()`, `X::m()`). */
export interface MethodCallRec {
  m: string;
  r: TypeRef;
  in: string | null;
}

export interface NewRec {
  c: string;
  in: string | null;
}

/** Where a class name is referenced, for "uses mysqli/PDO" and `PDO::X`. */
export interface ClassRefRec {
  c: string;
  how: 'extends' | 'implements' | 'static' | 'instanceof' | 'type' | 'catch' | 'import' | 'new';
}

export interface FunctionDecl {
  /** `app\db_query` or `app\db::query`. */
  key: string;
  /** As defined: `App\db_query`, `App\Db::query`. */
  name: string;
  kind: 'function' | 'method';
  line: number;
  /** Declared return type, `@return`, else the `return` expressions. */
  ret: TypeRef[];
}

export interface ClassDecl {
  key: string;
  name: string;
  line: number;
  parent: string | null;
  /** Property types: declared, `@var`, promoted constructor parameters and `$this->p = …` assignments. */
  props: Record<string, TypeRef[]>;
  /** False when the file was only scanned: its property types are not known until it is parsed. */
  typed: boolean;
}

export interface FileFacts {
  /** Relative to the audited root, with forward slashes. */
  path: string;
  analysis: FileTier;
  bytes: number;
  parseError: { message: string; line: number | null } | null;
  calls: CallRec[];
  methodCalls: MethodCallRec[];
  news: NewRec[];
  classRefs: ClassRefRec[];
  /** `MYSQLI_*` constants referenced. */
  mysqliConstants: number;
  functions: FunctionDecl[];
  classes: ClassDecl[];
  /** Top-level (and `$GLOBALS['x']`) assignments: variable name → types. */
  globals: Record<string, TypeRef[]>;
  /** Local variables of each function scope, keyed by scope id (unique across the project). */
  scopes: Record<string, Record<string, TypeRef[]>>;
}

export type FileOutcome = { kind: 'facts'; facts: FileFacts } | { kind: 'skipped'; skipped: SkippedFile; bytes: number };

export function emptyFacts(path: string, analysis: FileTier, bytes: number): FileFacts {
  return {
    path,
    analysis,
    bytes,
    parseError: null,
    calls: [],
    methodCalls: [],
    news: [],
    classRefs: [],
    mysqliConstants: 0,
    functions: [],
    classes: [],
    globals: {},
    // Keyed by ids unique to this file (`path#n`): a null-prototype object is a plain dictionary from
    // the start, where `{}` would build a new hidden-class chain per file, each hanging off the one
    // shared root (measured: enterFunction ~10 % of the generated tree's pass 1).
    scopes: Object.create(null) as Record<string, Record<string, TypeRef[]>>,
  };
}
