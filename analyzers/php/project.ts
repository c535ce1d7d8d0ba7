/**
 * Project-wide knowledge, built on the main thread from every file's facts:
 * which functions and classes the project defines, the class hierarchy, and
 * the resolution of symbolic receiver types (docs/audit.md, "Receivers").
 */
import {
  builtinFamily,
  FUNCTION_RETURNS,
  LEGACY_MYSQL_FUNCTIONS,
  METHOD_RETURNS,
  MYSQLI_FUNCTIONS,
  OTHER_FUNCTION_PREFIXES,
  type DbFamily,
} from './catalog.js';
import type { ClassDecl, FileFacts, FunctionDecl, TypeRef } from './facts.js';
import type { OtherDbApi } from './report.js';

export type Family = DbFamily | 'user' | 'unknown';

export interface Resolved {
  /** Lower-case class key. */
  cls: string;
  /** The object came from a procedural mysqli function (mysqli_connect, mysqli_prepare…), not from `new`. */
  proc: boolean;
}

export type FunctionTarget =
  | { kind: 'mysqli'; name: string }
  | { kind: 'legacy'; name: string }
  | { kind: 'other'; api: Exclude<OtherDbApi, 'sqlite3'>; name: string }
  | { kind: 'user'; key: string }
  | { kind: 'external'; name: string };

const MAX_DEPTH = 24;

export class ProjectModel {
  readonly functions = new Map<string, { decl: FunctionDecl; file: string }>();
  readonly classes = new Map<string, { decl: ClassDecl; file: string }>();
  private readonly globals = new Map<string, TypeRef[]>();
  private readonly scopes = new Map<string, Record<string, TypeRef[]>>();
  private readonly memo = new Map<string, Resolved | null | 'pending'>();
  private readonly familyMemo = new Map<string, Family>();
  /** Scanned files whose types a receiver needs: the next round parses them. */
  readonly needTypes = new Set<string>();

  /** `files` must be sorted by path: the first definition of a name wins, as the first include would. */
  constructor(files: readonly FileFacts[]) {
    for (const file of files) {
      for (const decl of file.functions) if (!this.functions.has(decl.key)) this.functions.set(decl.key, { decl, file: file.path });
      for (const decl of file.classes) if (!this.classes.has(decl.key)) this.classes.set(decl.key, { decl, file: file.path });
      // Own keys, as Object.entries gives them, without an entry array per key.
      for (const name of Object.keys(file.globals)) {
        const types = file.globals[name]!;
        const list = this.globals.get(name);
        if (list) for (const type of types) list.push(type);
        else this.globals.set(name, types.slice());
      }
      for (const id of Object.keys(file.scopes)) this.scopes.set(id, file.scopes[id]!);
    }
  }

  private readonly functionMemo = new Map<string, FunctionTarget>();

  /** What a named call reaches, given its candidates in PHP's lookup order. */
  resolveFunction(candidates: readonly string[]): FunctionTarget {
    // Asked for every call record several times (demand rounds, summary, entry points); one candidate is the common case.
    if (candidates.length !== 1) return this.lookupFunction(candidates);
    const name = candidates[0]!;
    let target = this.functionMemo.get(name);
    if (target === undefined) {
      target = this.lookupFunction(candidates);
      this.functionMemo.set(name, target);
    }
    return target;
  }

  private lookupFunction(candidates: readonly string[]): FunctionTarget {
    const last = candidates.length - 1;
    for (let i = 0; i < candidates.length; i++) {
      const name = candidates[i]!;
      const isGlobal = !name.includes('\\');
      // A namespaced user function shadows the global built-in (PHP looks in the namespace first).
      if (i < last) {
        if (this.functions.has(name)) return { kind: 'user', key: name };
        continue;
      }
      // Built-in mysqli functions win over a global user definition: PHP cannot redeclare them, so a
      // polyfill behind function_exists() never runs where mysqli is loaded.
      if (isGlobal && MYSQLI_FUNCTIONS.has(name)) return { kind: 'mysqli', name };
      if (this.functions.has(name)) return { kind: 'user', key: name };
      if (isGlobal && LEGACY_MYSQL_FUNCTIONS.has(name)) return { kind: 'legacy', name };
      if (isGlobal) {
        for (const [prefix, api] of OTHER_FUNCTION_PREFIXES) if (name.startsWith(prefix)) return { kind: 'other', api, name };
      }
      return { kind: 'external', name };
    }
    return { kind: 'external', name: candidates[last] ?? '' };
  }

  /** The class chain from `cls` up through its user-defined ancestors (ends at a built-in or undefined class). */
  chain(cls: string): string[] {
    const chain: string[] = [];
    let current: string | null = cls;
    while (current && chain.length < MAX_DEPTH && !chain.includes(current)) {
      chain.push(current);
      current = this.classes.get(current)?.decl.parent ?? null;
    }
    return chain;
  }

  /** What kind of object an instance of `cls` is. */
  family(cls: string): Family {
    const cached = this.familyMemo.get(cls);
    if (cached !== undefined) return cached;
    let family: Family = 'user';
    for (const c of this.chain(cls)) {
      const builtin = builtinFamily(c);
      if (builtin && !this.classes.has(c)) {
        family = builtin;
        break;
      }
      const decl = this.classes.get(c);
      if (!decl) {
        family = 'unknown';
        break;
      }
    }
    this.familyMemo.set(cls, family);
    return family;
  }

  resolve(type: TypeRef, depth = 0): Resolved | null {
    if (depth > MAX_DEPTH) return null;
    switch (type.k) {
      case 'x':
        return null;
      case 's':
        this.needTypes.add(type.f);
        return null;
      case 'c':
        if (!this.classes.has(type.n) && !builtinFamily(type.n) && type.fb && (this.classes.has(type.fb) || builtinFamily(type.fb))) {
          return { cls: type.fb, proc: false };
        }
        return { cls: type.n, proc: false };
      case 'u':
        return this.resolveList(type.a, depth);
      case 'g':
        return this.memoized(`g:${type.n}`, () => this.resolveList(this.globals.get(type.n) ?? [], depth));
      case 'v':
        return this.memoized(`v:${type.s}:${type.n}`, () => this.resolveList(this.scopes.get(type.s)?.[type.n] ?? [], depth));
      case 'f': {
        const target = this.resolveFunction(type.c);
        if (target.kind === 'mysqli') {
          const cls = FUNCTION_RETURNS.get(target.name);
          return cls ? { cls, proc: true } : null;
        }
        if (target.kind === 'user') {
          return this.memoized(`f:${target.key}`, () => this.resolveList(this.functions.get(target.key)?.decl.ret ?? [], depth));
        }
        return null;
      }
      case 'm': {
        const receiver = this.resolve(type.r, depth + 1);
        if (!receiver) return null;
        const result = this.memoized(`m:${receiver.cls}::${type.m}`, () => this.methodReturn(receiver.cls, type.m, depth));
        return result && receiver.proc && !result.proc ? { cls: result.cls, proc: true } : result;
      }
      case 'p': {
        const receiver = this.resolve(type.r, depth + 1);
        if (!receiver) return null;
        return this.memoized(`p:${receiver.cls}->${type.p}`, () => {
          for (const c of this.chain(receiver.cls)) {
            const found = this.classes.get(c);
            if (found && !found.decl.typed) this.needTypes.add(found.file);
            const props = found?.decl.props[type.p];
            if (props && props.length > 0) return this.resolveList(props, depth);
          }
          return null;
        });
      }
    }
  }

  /** The user method `method` as seen from class `cls` (walking up the hierarchy), or null. */
  findMethod(cls: string, method: string): string | null {
    for (const c of this.chain(cls)) {
      const key = `${c}::${method}`;
      if (this.functions.has(key)) return key;
    }
    return null;
  }

  private methodReturn(cls: string, method: string, depth: number): Resolved | null {
    for (const c of this.chain(cls)) {
      const key = `${c}::${method}`;
      const user = this.functions.get(key);
      if (user) {
        // `return $this` / `static` in a parent method means the receiver's own class.
        const resolved = this.resolveList(user.decl.ret, depth);
        return resolved;
      }
      const builtin = METHOD_RETURNS.get(key);
      if (builtin) return { cls: builtin, proc: false };
      if (builtinFamily(c) && !this.classes.has(c)) return null;
    }
    return null;
  }

  /** The first alternative that resolves; null when alternatives disagree on the family. */
  private resolveList(types: readonly TypeRef[], depth: number): Resolved | null {
    let first: Resolved | null = null;
    let firstFamily: Family | null = null;
    for (const type of types) {
      const resolved = this.resolve(type, depth + 1);
      if (!resolved) continue;
      const family = this.family(resolved.cls);
      if (!first) {
        first = resolved;
        firstFamily = family;
      } else if (family !== firstFamily && family !== 'unknown' && firstFamily !== 'unknown') {
        return null;
      }
    }
    return first;
  }

  private memoized(key: string, compute: () => Resolved | null): Resolved | null {
    const cached = this.memo.get(key);
    if (cached === 'pending') return null;
    if (cached !== undefined) return cached;
    this.memo.set(key, 'pending');
    const result = compute();
    this.memo.set(key, result);
    return result;
  }
}
