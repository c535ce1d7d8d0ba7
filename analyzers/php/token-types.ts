/**
 * Receiver typing from tokens: the part of ast-facts.ts that needs an AST,
 * done on the scanner's tokens for the code shapes legacy PHP is made of, so
 * most files with DB method calls are not parsed (php-parser runs at ~5–18
 * MB/s, the scanner at ~100). token-facts.ts calls it at each step and it
 * records what the AST pass would: local bindings in evaluation order (an
 * assignment binds after its right-hand side), receivers of method calls,
 * `return` types, declared/`@return` return types, parameter and property
 * types, `@var` docblocks, `global`, and `$this->p = …` assignments.
 *
 * Where tokens cannot be sure to type as the AST pass would (closures, arrow
 * functions, anonymous classes, attributes, `$GLOBALS`, variable variables,
 * dynamic member names, nested ternaries, a typed docblock in an odd place…)
 * it throws GiveUp, and the file is parsed instead (docs/audit.md, "Analysis
 * tiers"). test/analyzers/token-types.test.ts checks the facts it gives equal
 * the AST pass's on every file of the fixture trees and the example.
 */
import { bindVariable, docTags, resolveDocType, variableType, type ClassCtx, type VariableScope } from './ast-facts.js';
import { UNKNOWN, type ClassDecl, type FileFacts, type FunctionDecl, type TypeRef } from './facts.js';
import type { NameContext } from './names.js';
import type { TokenStream } from './scanner.js';
import { T_STRING, T_NAME_QUALIFIED, T_NAME_FULLY_QUALIFIED, T_NAME_RELATIVE, T_VARIABLE, T_OBJECT_OPERATOR, T_NULLSAFE, T_DOUBLE_COLON, T_FUNCTION, T_NEW, T_STATIC, T_AS, T_ELLIPSIS, T_CONST, T_RETURN, T_GLOBAL, T_CLASS, T_TRAIT, T_INTERFACE, T_USE, T_NAMESPACE, T_FN, T_ENUM, T_STRING_LITERAL } from './token-ids.js';

/** Thrown where the token tier cannot type a file as the AST pass would. */
export class GiveUp extends Error {
  constructor(reason = 'unsure') {
    super(reason);
  }
}

interface Scope extends VariableScope {
  returns: TypeRef[] | null;
}

interface PendingFunction {
  decl: FunctionDecl;
  cls: ClassCtx | null;
  params: Array<{ name: string; type: TypeRef; promoted: boolean }>;
  declared: TypeRef | null;
  docReturn: TypeRef | null;
  isConstructor: boolean;
}

/**
 * The key of `$GLOBALS[KEY]` when KEY is a plain string literal (the scanner
 * keeps the text of a string right after `$GLOBALS[`), null when KEY is
 * something else, undefined when tokens cannot tell (escapes, interpolation).
 */
function globalsKey(kind: number | string | undefined, text: string): string | null | undefined {
  if (kind !== T_STRING_LITERAL) return null;
  if (text.length < 2 || text.includes('\\')) return undefined;
  const quote = text[0];
  if (quote === "'") return text.slice(1, -1);
  if (quote === '"' && !text.includes('$')) return text.slice(1, -1);
  return undefined;
}

/** Built-in type names php-parser reads as type references, not class names (its TypeReference.types). */
const TYPE_REFERENCES = new Set(['int', 'float', 'string', 'bool', 'object', 'array', 'callable', 'iterable', 'void', 'static', 'null', 'never', 'mixed', 'true', 'false']);
const MODIFIERS = new Set(['public', 'protected', 'private', 'static', 'abstract', 'final', 'var', 'readonly']);
/** Compound assignments (the scanner emits operators whole): their value types as unknown. */
const COMPOUND_ASSIGN = new Set(['+=', '-=', '*=', '/=', '.=', '%=', '&=', '|=', '^=', '<<=', '>>=', '**=', '??=']);
/** Words that end an assignment's right-hand side (lower precedence than `=`). */
const LOW_PRECEDENCE = new Set(['and', 'or', 'xor']);
/** Prefix words whose operand is the whole rest of the expression (their node types as unknown). */
const LOW_PREFIX = new Set(['print', 'include', 'include_once', 'require', 'require_once', 'throw', 'yield']);
/** Language constructs that look like calls to the scanner but are not calls in the AST. */
const NOT_CALLS = new Set(['array', 'list', 'isset', 'empty', 'exit', 'die', 'eval', 'unset', 'echo', 'print', 'include', 'include_once', 'require', 'require_once']);
/** Statements that a `@var` docblock annotates in the AST pass (ast-facts.ts DOC_STATEMENTS), by first word. */
const DOC_STATEMENT_WORDS = new Set(['foreach', 'for', 'while', 'if', 'echo', 'switch', 'try', 'do']);
/** First words of statements a docblock does not annotate, or that tokens cannot place: give up there. */
const UNSURE_STATEMENT_WORDS = new Set([
  'throw', 'unset', 'break', 'continue', 'goto', 'declare', 'else', 'elseif', 'case', 'default', 'endif', 'endwhile',
  'endfor', 'endforeach', 'endswitch', 'enddeclare', 'finally', 'catch', '__halt_compiler', 'yield', 'match',
]);
/** Words that make a file too dynamic for token typing. */
const GIVE_UP_WORDS = new Set(['yield', 'match', '__halt_compiler']);

/** Asked for every name of a typed file: lower-cases only names as long as one of the words. */
function isGiveUpWord(word: string): boolean {
  return (word.length === 5 || word.length === 15) && GIVE_UP_WORDS.has(word.toLowerCase());
}

function isNameKind(k: number | string | undefined): boolean {
  return k === T_STRING || k === T_NAME_QUALIFIED || k === T_NAME_FULLY_QUALIFIED || k === T_NAME_RELATIVE;
}

function resolutionOf(k: number | string | undefined): string {
  return k === T_NAME_FULLY_QUALIFIED ? 'fqn' : k === T_NAME_RELATIVE ? 'rn' : k === T_NAME_QUALIFIED ? 'qn' : 'uqn';
}

export class TokenTyper {
  private readonly kinds: Array<number | string>;
  private readonly texts: string[];
  private readonly docs: Map<number, string>;
  private readonly n: number;
  private scope: Scope;
  private readonly scopes: Scope[] = [];
  private scopeCounter = 0;
  /** Bindings of assignments whose right-hand side is still being read, innermost last. */
  private readonly deferred: Array<{ end: number; apply: () => void }> = [];
  /** Up to this token, `$x =` is a default value (parameters, properties, static variables), not an assignment. */
  private noAssignUntil = -1;
  private readonly docBound = new Map<string, TypeRef>();
  private docBoundUntil = -1;
  private pendingFunction: PendingFunction | null = null;
  private readonly functionStack: PendingFunction[] = [];
  private readonly classStack: Array<{ ctx: ClassCtx; outer: Scope }> = [];

  constructor(
    tokens: TokenStream,
    private readonly facts: FileFacts,
    private readonly names: NameContext,
  ) {
    this.kinds = tokens.kinds;
    this.texts = tokens.texts;
    this.docs = tokens.docs ?? new Map();
    this.n = this.kinds.length;
    this.scope = { id: null, cur: new Map(), all: facts.globals, cls: null, returns: null };
    this.checkShapes();
  }

  /** Whole-file shapes the token tier does not type. */
  private checkShapes(): void {
    const { kinds, texts } = this;
    for (let i = 0; i < this.n; i++) {
      const k = kinds[i];
      if (k === '#[' || k === '$' || k === T_FN || k === T_ENUM) throw new GiveUp(`${texts[i]}`);
      if (k === T_FUNCTION && (kinds[i + 1] === '(' || (kinds[i + 1] === '&' && kinds[i + 2] === '('))) throw new GiveUp('closure');
      if (k === T_NEW && kinds[i + 1] === T_CLASS) throw new GiveUp('anonymous class');
      if ((k === T_OBJECT_OPERATOR || k === T_NULLSAFE) && !isNameKind(kinds[i + 1])) throw new GiveUp('dynamic member');
      if (k === T_DOUBLE_COLON) {
        const before = kinds[i - 1];
        if (!(isNameKind(before) || before === T_STATIC)) throw new GiveUp('dynamic class');
      }
      if (k === T_STRING && isGiveUpWord(texts[i]!)) throw new GiveUp(texts[i]);
      if (k === T_ELLIPSIS && kinds[i + 1] === ')' && kinds[i - 1] === '(') throw new GiveUp('first-class callable');
      if (k === T_VARIABLE && texts[i] === '$GLOBALS' && kinds[i + 1] === '[' && globalsKey(kinds[i + 2], texts[i + 2]!) === undefined) throw new GiveUp('$GLOBALS');
    }
  }

  // -- driven by token-facts.ts ---------------------------------------------

  /** Next token `at` has to look at (token-facts.ts skips some tokens; they are read here all the same). */
  private cursor = 0;

  /** Called before token `i` is read: ends finished assignments and `@var` statements, applies docblocks. */
  at(i: number, inClassBody: boolean): void {
    for (; this.cursor <= i; this.cursor++) this.step(this.cursor, inClassBody);
  }

  private step(i: number, inClassBody: boolean): void {
    while (this.deferred.length > 0 && this.deferred[this.deferred.length - 1]!.end <= i) this.deferred.pop()!.apply();
    if (this.docBoundUntil >= 0 && i > this.docBoundUntil) {
      this.docBound.clear();
      this.docBoundUntil = -1;
    }
    const doc = this.docs.get(i);
    if (doc !== undefined) this.docAt(i, doc, inClassBody);
    const k = this.kinds[i];
    if (k === '=' && i > this.noAssignUntil) this.assignment(i);
    else if (k === T_RETURN) this.returnAt(i);
    else if (k === T_GLOBAL) this.globalAt(i);
    else if (k === T_STATIC && this.kinds[i + 1] === T_VARIABLE && !inClassBody) this.noAssignUntil = Math.max(this.noAssignUntil, this.statementEnd(i));
    else if (inClassBody && k === T_STRING && MODIFIERS.has(this.texts[i]!.toLowerCase())) this.propertyAt(i);
    else if (inClassBody && k === T_STATIC) this.propertyAt(i);
  }

  private docAt(i: number, doc: string, inClassBody: boolean): void {
    const { kinds, texts } = this;
    const k = kinds[i];
    const word = typeof k === 'number' && isNameKind(k) ? texts[i]!.toLowerCase() : '';
    if (inClassBody) {
      // Members: methods and properties read their docblock themselves; constants and trait uses ignore it.
      if (k === T_FUNCTION || k === T_STATIC || k === T_CONST || k === T_USE || MODIFIERS.has(word)) return;
      throw new GiveUp();
    }
    if (k === T_FUNCTION || k === T_CLASS || k === T_INTERFACE || k === T_TRAIT || k === T_CONST || k === T_USE || k === T_NAMESPACE || k === '{') return;
    if ((word === 'abstract' || word === 'final') && (kinds[i + 1] === T_CLASS || isNameKind(kinds[i + 1]))) return;
    const prev = i > 0 ? kinds[i - 1] : ';';
    if (prev !== ';' && prev !== '{' && prev !== '}') {
      // Inside an expression the AST pass reads no docblock; after `)`, `:` or `else` a statement may start.
      if (prev === ')' || prev === ':' || (isNameKind(prev) && /^(else|do)$/i.test(texts[i - 1]!))) throw new GiveUp();
      return;
    }
    if (word && (UNSURE_STATEMENT_WORDS.has(word) || kinds[i + 1] === ':')) throw new GiveUp();
    if (word && DOC_STATEMENT_WORDS.has(word)) throw new GiveUp(); // compound statements: the binding spans their body
    const simple =
      k === T_VARIABLE || k === T_RETURN || k === T_GLOBAL || k === T_STATIC || k === T_NEW || k === '(' || k === '@' || k === '[' || word !== '';
    if (!simple) throw new GiveUp();
    const end = this.statementEnd(i);
    for (let j = i; j < end; j++) if (kinds[j] === '{' || kinds[j] === '}') throw new GiveUp();
    for (const tag of docTags(doc)) {
      if (tag.tag !== 'var') continue;
      const type = resolveDocType(tag.type, this.names, this.scope.cls?.key ?? null);
      if (!type) continue;
      let variable = tag.variable;
      if (!variable && k === T_VARIABLE && kinds[i + 1] === '=') variable = texts[i]!.slice(1);
      if (!variable) continue;
      bindVariable(this.scope, variable, type);
      this.docBound.set(`${this.scope.id ?? ''}$${variable}`, type);
    }
    this.docBoundUntil = end;
  }

  /** The `;` (or `?>`) ending the statement at `i`, at bracket depth 0. */
  private statementEnd(i: number): number {
    let depth = 0;
    for (let j = i; j < this.n; j++) {
      const k = this.kinds[j];
      if (k === '(' || k === '[' || k === '{') depth++;
      else if (k === ')' || k === ']' || k === '}') depth--;
      else if (k === ';' && depth <= 0) return j;
    }
    return this.n;
  }

  /** A plain `=` at `i`: binds a variable, or a property of `$this`/the class, once its right-hand side is read. */
  private assignment(i: number): void {
    const { kinds, texts } = this;
    const before = kinds[i - 1];
    if (before === T_VARIABLE) {
      const lhs = i - 1;
      const ahead = kinds[lhs - 1];
      if (ahead === T_OBJECT_OPERATOR || ahead === T_NULLSAFE) throw new GiveUp();
      const start = kinds[i + 1] === '&' ? i + 2 : i + 1;
      const end = this.expressionEnd(start);
      if (ahead === T_DOUBLE_COLON) {
        // `self::$p = …` types the class's own static property.
        const cls = this.classOfToken(lhs - 2);
        const scopeCls = this.scope.cls;
        const name = texts[lhs]!.slice(1).toLowerCase();
        this.deferred.push({
          end,
          apply: () => {
            const type = this.exprType(start, end);
            if (cls && scopeCls && cls === scopeCls.key) (scopeCls.decl.props[name] ??= []).push(type);
          },
        });
        return;
      }
      const name = texts[lhs]!.slice(1);
      this.deferred.push({
        end,
        apply: () => {
          const type = this.exprType(start, end);
          bindVariable(this.scope, name, this.docBound.get(`${this.scope.id ?? ''}$${name}`) ?? type);
        },
      });
      return;
    }
    if (isNameKind(before) && (kinds[i - 2] === T_OBJECT_OPERATOR || kinds[i - 2] === T_NULLSAFE)) {
      const start = kinds[i + 1] === '&' ? i + 2 : i + 1;
      const end = this.expressionEnd(start);
      const isThis = kinds[i - 3] === T_VARIABLE && texts[i - 3] === '$this' && kinds[i - 4] !== T_OBJECT_OPERATOR && kinds[i - 4] !== T_NULLSAFE && kinds[i - 4] !== T_DOUBLE_COLON;
      if (!isThis) return;
      const scopeCls = this.scope.cls;
      const name = texts[i - 1]!.toLowerCase();
      this.deferred.push({
        end,
        apply: () => {
          const type = this.exprType(start, end);
          if (scopeCls) (scopeCls.decl.props[name] ??= []).push(type);
        },
      });
    }
    if (before === ']' && kinds[i - 4] === T_VARIABLE && texts[i - 4] === '$GLOBALS' && kinds[i - 3] === '[') {
      const key = globalsKey(kinds[i - 2], texts[i - 2]!);
      if (key === undefined) throw new GiveUp('$GLOBALS');
      if (key !== null && kinds[i - 5] !== T_OBJECT_OPERATOR && kinds[i - 5] !== T_NULLSAFE && kinds[i - 5] !== T_DOUBLE_COLON) {
        const start = kinds[i + 1] === '&' ? i + 2 : i + 1;
        const end = this.expressionEnd(start);
        this.deferred.push({ end, apply: () => (this.facts.globals[key] ??= []).push(this.exprType(start, end)) });
      }
      return;
    }
    // Other left-hand sides (`$a[…] =`, `$a->b->c =`, `list(…) =`) bind nothing.
  }

  private returnAt(i: number): void {
    const returns = this.scope.returns;
    if (!returns) return;
    const end = this.statementEnd(i);
    if (end === i + 1) return;
    // The AST pass types `return` before it visits the expression.
    returns.push(this.statementExprType(i + 1, end));
  }

  private globalAt(i: number): void {
    const end = this.statementEnd(i);
    for (let j = i + 1; j < end; j++) {
      if (this.kinds[j] === T_VARIABLE) {
        const name = this.texts[j]!.slice(1);
        bindVariable(this.scope, name, { k: 'g', n: name });
      } else if (this.kinds[j] !== ',') throw new GiveUp();
    }
  }

  /** `catch (A|B $e)`: `$e` is an A. */
  catchAt(firstName: number, variable: number): void {
    const cls = isNameKind(this.kinds[firstName]) ? this.classOfToken(firstName) : null;
    bindVariable(this.scope, this.texts[variable]!.slice(1), cls ? { k: 'c', n: cls } : UNKNOWN);
  }

  /** A property declaration in a class body, from its first modifier. */
  private propertyAt(i: number): void {
    if (i <= this.noAssignUntil) return;
    const { kinds, texts } = this;
    let j = i;
    while (j < this.n && (kinds[j] === T_STATIC || (kinds[j] === T_STRING && MODIFIERS.has(texts[j]!.toLowerCase())))) j++;
    if (kinds[j] === T_FUNCTION || kinds[j] === T_CONST) return;
    const end = this.statementEnd(j);
    this.noAssignUntil = end;
    let typeEnd = j;
    while (typeEnd < end && kinds[typeEnd] !== T_VARIABLE) typeEnd++;
    const declared = this.declaredType(j, typeEnd);
    let docType: TypeRef | null = null;
    const doc = this.docs.get(i);
    if (doc !== undefined) for (const tag of docTags(doc)) if (tag.tag === 'var') docType ??= resolveDocType(tag.type, this.names, this.scope.cls?.key ?? null);
    const type = declared ?? docType;
    const cls = this.scope.cls;
    let depth = 0;
    for (let p = typeEnd; p < end; p++) {
      const k = kinds[p];
      if (k === '(' || k === '[' || k === '{') depth++;
      else if (k === ')' || k === ']' || k === '}') depth--;
      else if (depth === 0 && k === T_VARIABLE && (p === typeEnd || kinds[p - 1] === ',')) {
        if (cls && type) (cls.decl.props[texts[p]!.slice(1).toLowerCase()] ??= []).push(type);
      }
    }
  }

  /** A named function or method declared at `i` (its `function` token); `decl` is what token-facts recorded. */
  declareFunction(i: number, nameIndex: number, decl: FunctionDecl, isMethod: boolean): void {
    if (this.functionStack.length > 0) throw new GiveUp();
    const { kinds, texts } = this;
    let first = i;
    if (isMethod) while (first > 0 && (kinds[first - 1] === T_STATIC || (kinds[first - 1] === T_STRING && MODIFIERS.has(texts[first - 1]!.toLowerCase())))) first--;
    const cls = isMethod ? this.classStack[this.classStack.length - 1]?.ctx ?? null : null;
    if (isMethod && !cls) throw new GiveUp();
    const selfKey = cls?.key ?? null;
    const docParams = new Map<string, TypeRef>();
    let docReturn: TypeRef | null = null;
    const doc = this.docs.get(first);
    if (doc !== undefined) {
      for (const tag of docTags(doc)) {
        const type = resolveDocType(tag.type, this.names, selfKey);
        if (!type) continue;
        if (tag.tag === 'param' && tag.variable) docParams.set(tag.variable, type);
        if (tag.tag === 'return') docReturn ??= type;
      }
    }
    const open = nameIndex + 1;
    if (kinds[open] !== '(') throw new GiveUp();
    const close = this.matching(open);
    const isConstructor = isMethod && texts[nameIndex]!.toLowerCase() === '__construct';
    const params: PendingFunction['params'] = [];
    // Parameters: [modifiers] [type] [&] [...] $name [= default], split at depth-1 commas.
    let p = open + 1;
    while (p < close) {
      let q = p;
      let depth = 0;
      while (q < close && !(depth === 0 && kinds[q] === ',')) {
        const k = kinds[q];
        if (k === '(' || k === '[' || k === '{') depth++;
        else if (k === ')' || k === ']' || k === '}') depth--;
        q++;
      }
      let v = p;
      while (v < q && kinds[v] !== T_VARIABLE) v++;
      if (v < q) {
        let t = p;
        let promoted = false;
        while (t < v && kinds[t] === T_STRING && MODIFIERS.has(texts[t]!.toLowerCase())) {
          promoted = true;
          t++;
        }
        let typeEnd = v;
        while (typeEnd > t && (kinds[typeEnd - 1] === '&' || kinds[typeEnd - 1] === T_ELLIPSIS)) typeEnd--;
        const name = texts[v]!.slice(1);
        const declared = this.declaredTypeIn(t, typeEnd, selfKey, cls?.parent ?? null);
        params.push({ name, type: declared ?? docParams.get(name) ?? UNKNOWN, promoted });
      }
      p = q + 1;
    }
    this.noAssignUntil = Math.max(this.noAssignUntil, close);
    let declared: TypeRef | null = null;
    if (kinds[close + 1] === ':') {
      let e = close + 2;
      while (e < this.n && kinds[e] !== '{' && kinds[e] !== ';') e++;
      declared = this.declaredTypeIn(close + 2, e, selfKey, cls?.parent ?? null);
    }
    this.pendingFunction = { decl, cls, params, declared, docReturn, isConstructor };
  }

  /** The pending function's body starts (its `{`). */
  enterFunction(): void {
    const fn = this.pendingFunction;
    if (!fn) throw new GiveUp();
    this.pendingFunction = null;
    this.functionStack.push(fn);
    this.scopes.push(this.scope);
    const id = `${this.facts.path}#${++this.scopeCounter}`;
    const all: Record<string, TypeRef[]> = {};
    this.facts.scopes[id] = all;
    this.scope = { id, cur: new Map(), all, cls: fn.cls, returns: [] };
    for (const param of fn.params) {
      bindVariable(this.scope, param.name, param.type);
      if (fn.isConstructor && fn.cls && param.promoted) (fn.cls.decl.props[param.name.toLowerCase()] ??= []).push(param.type);
    }
  }

  /** The pending function had no body (`;`: abstract or interface method). */
  bodiless(): void {
    const fn = this.pendingFunction;
    this.pendingFunction = null;
    if (fn?.docReturn) fn.decl.ret.push(fn.docReturn);
  }

  exitFunction(): void {
    const fn = this.functionStack.pop();
    if (!fn) throw new GiveUp();
    while (this.deferred.length > 0) this.deferred.pop()!.apply();
    const inferred = this.scope.returns ?? [];
    this.scope = this.scopes.pop()!;
    if (fn.declared) fn.decl.ret.push(fn.declared);
    else if (fn.docReturn) fn.decl.ret.push(fn.docReturn);
    else fn.decl.ret.push(...inferred);
  }

  enterClass(decl: ClassDecl): void {
    if (this.functionStack.length > 0 || this.classStack.length > 0) throw new GiveUp();
    const ctx: ClassCtx = { key: decl.key, parent: decl.parent, decl };
    this.classStack.push({ ctx, outer: this.scope });
    this.scope = { id: null, cur: new Map(), all: {}, cls: ctx, returns: null };
  }

  exitClass(): void {
    const entry = this.classStack.pop();
    if (!entry) throw new GiveUp();
    this.scope = entry.outer;
  }

  /** Ends the file: applies what is still pending. */
  finish(inClassBody: boolean): void {
    this.at(this.n - 1, inClassBody);
    while (this.deferred.length > 0) this.deferred.pop()!.apply();
    if (this.functionStack.length > 0 || this.classStack.length > 0 || this.pendingFunction) throw new GiveUp();
  }

  /** The receiver type of the method call whose `->`/`?->` is at `arrow`. */
  receiver(arrow: number): TypeRef {
    const start = this.chainStart(arrow - 1);
    // The AST pass types a call's receiver before it visits the calls inside it: an assignment in
    // their arguments (`$x->m($x = new B)->n()`) would already be bound here.
    for (let j = start; j < arrow; j++) if (this.kinds[j] === '=') throw new GiveUp('assignment inside a receiver');
    return this.exprType(start, arrow);
  }

  /** The receiver type of `X::m()` with the class name at `i` (self, static and parent included). */
  staticReceiver(i: number): TypeRef {
    const cls = this.classOfToken(i);
    if (!cls) throw new GiveUp();
    return { k: 'c', n: cls };
  }

  // -- types ------------------------------------------------------------------

  /** The class a name token stands for, as the AST pass's classOfName reads it. */
  private classOfToken(i: number): string | null {
    const k = this.kinds[i];
    const cls = this.scope.cls;
    if (k === T_STATIC) return cls?.key ?? null;
    if (!isNameKind(k)) return null;
    const raw = this.texts[i]!;
    const lower = raw.toLowerCase();
    if (lower === 'self' || lower === 'static') return cls?.key ?? null;
    if (lower === 'parent') return cls?.parent ?? null;
    return this.names.resolveClass(raw, resolutionOf(k));
  }

  private declaredType(start: number, end: number): TypeRef | null {
    return this.declaredTypeIn(start, end, this.scope.cls?.key ?? null, this.scope.cls?.parent ?? null);
  }

  /** A declared type in tokens [start, end): `?X`, `X|Y`, `X&Y`; the first member that is a class. */
  private declaredTypeIn(start: number, end: number, selfKey: string | null, parentKey: string | null): TypeRef | null {
    const { kinds, texts } = this;
    let first: TypeRef | null = null;
    for (let j = start; j < end; j++) {
      const k = kinds[j];
      if (k === '?' || k === '|' || k === '&') continue;
      if (k === T_STATIC) continue; // php-parser: a type reference
      if (!isNameKind(k)) throw new GiveUp();
      const raw = texts[j]!;
      const lower = raw.toLowerCase();
      let cls: string | null;
      if (k === T_STRING && TYPE_REFERENCES.has(lower)) cls = null;
      else if (lower === 'self') cls = selfKey;
      else if (lower === 'parent') cls = parentKey;
      else {
        cls = this.names.resolveClass(raw, resolutionOf(k));
        // Declared types are class references (the scan tier records them as `Type $var` only).
        if (cls !== null) this.facts.classRefs.push({ c: cls, how: 'type' });
      }
      if (cls !== null) first ??= { k: 'c', n: cls };
    }
    return first;
  }

  private matching(open: number): number {
    let depth = 0;
    for (let j = open; j < this.n; j++) {
      const k = this.kinds[j];
      if (k === '(' || k === '[' || k === '{') depth++;
      else if (k === ')' || k === ']' || k === '}') {
        depth--;
        if (depth === 0) return j;
      }
    }
    throw new GiveUp();
  }

  private matchingBack(close: number): number {
    let depth = 0;
    for (let j = close; j >= 0; j--) {
      const k = this.kinds[j];
      if (k === ')' || k === ']' || k === '}') depth++;
      else if (k === '(' || k === '[' || k === '{') {
        depth--;
        if (depth === 0) return j;
      }
    }
    throw new GiveUp();
  }

  /** Where an assignment's right-hand side starting at `start` ends (exclusive). */
  private expressionEnd(start: number): number {
    const { kinds, texts } = this;
    let depth = 0;
    let ternaries = 0;
    for (let j = start; j < this.n; j++) {
      const k = kinds[j];
      if (k === '(' || k === '[' || k === '{') {
        depth++;
        continue;
      }
      if (k === ')' || k === ']' || k === '}') {
        if (depth === 0) return j;
        depth--;
        continue;
      }
      if (depth > 0) continue;
      if (k === ';' || k === ',' || k === '=>' || k === T_AS) return j;
      if (k === '?') ternaries++;
      else if (k === ':') {
        if (ternaries === 0) return j;
        ternaries--;
      } else if (k === T_STRING && LOW_PRECEDENCE.has(texts[j]!.toLowerCase())) return j;
    }
    return this.n;
  }

  /** The type of a `return` expression [start, end): a low-precedence `and`/`or` makes it unknown. */
  private statementExprType(start: number, end: number): TypeRef {
    let depth = 0;
    for (let j = start; j < end; j++) {
      const k = this.kinds[j];
      if (k === '(' || k === '[' || k === '{') depth++;
      else if (k === ')' || k === ']' || k === '}') depth--;
      else if (depth === 0 && k === T_STRING && LOW_PRECEDENCE.has(this.texts[j]!.toLowerCase())) return UNKNOWN;
    }
    return this.exprType(start, end);
  }

  /** The symbolic type of the expression in tokens [start, end), as the AST pass's typeOf gives it. */
  private exprType(start: number, end: number): TypeRef {
    const { kinds, texts } = this;
    if (start >= end) return UNKNOWN;
    // `include (…) . $x` too: these take the whole rest of the expression as their operand.
    if (isNameKind(kinds[start]) && LOW_PREFIX.has(texts[start]!.toLowerCase())) return UNKNOWN;
    let depth = 0;
    let question = -1;
    let questions = 0;
    let coalesce = -1;
    let assign = -1;
    for (let j = start; j < end; j++) {
      const k = kinds[j];
      if (k === '(' || k === '[' || k === '{') depth++;
      else if (k === ')' || k === ']' || k === '}') depth--;
      else if (depth === 0) {
        if (k === '?') {
          questions++;
          if (question < 0) question = j;
        } else if (k === '??' && coalesce < 0) coalesce = j;
        else if ((k === '=' || (typeof k === 'string' && COMPOUND_ASSIGN.has(k))) && assign < 0) assign = j;
        else if (k === T_STRING && LOW_PRECEDENCE.has(texts[j]!.toLowerCase())) throw new GiveUp();
      }
    }
    if (assign >= 0) {
      const kind = kinds[assign] === '=' ? this.equalsKind(assign) : 'compound';
      if (kind === 'assign') {
        if ((question >= 0 && question < assign) || (coalesce >= 0 && coalesce < assign)) throw new GiveUp();
        return this.exprType(kinds[assign + 1] === '&' ? assign + 2 : assign + 1, end);
      }
      if (kind === 'compound') {
        if ((question >= 0 && question < assign) || (coalesce >= 0 && coalesce < assign)) throw new GiveUp();
        return UNKNOWN;
      }
      // a comparison: an operator like any other
    }
    if (questions > 1) throw new GiveUp();
    if (question >= 0) {
      let colon = -1;
      depth = 0;
      for (let j = question + 1; j < end; j++) {
        const k = kinds[j];
        if (k === '(' || k === '[' || k === '{') depth++;
        else if (k === ')' || k === ']' || k === '}') depth--;
        else if (depth === 0 && k === ':') {
          colon = j;
          break;
        }
      }
      if (colon < 0) throw new GiveUp();
      const whenTrue = colon === question + 1 ? this.exprType(start, question) : this.exprType(question + 1, colon);
      return { k: 'u', a: [whenTrue, this.exprType(colon + 1, end)] };
    }
    if (coalesce >= 0) return { k: 'u', a: [this.exprType(start, coalesce), this.exprType(coalesce + 1, end)] };
    let s = start;
    // `@` (silence) and `clone` type as their operand.
    while (s < end && (kinds[s] === '@' || (kinds[s] === T_STRING && texts[s]!.toLowerCase() === 'clone'))) s++;
    const chain = this.chain(s, end);
    return chain && chain.end === end ? chain.type : UNKNOWN;
  }

  /** What the `=` at `i` is: an assignment, a compound assignment (`.=`), or part of a comparison (`<=`, `!=`, `===`). */
  private equalsKind(i: number): 'assign' | 'compound' | 'comparison' {
    const before = this.kinds[i - 1];
    if (before === T_VARIABLE || isNameKind(before) || before === ']' || before === ')' || before === '}') return 'assign';
    if (before === '==' || before === '!') return 'comparison';
    if ((before === '<' || before === '>') && this.kinds[i - 2] !== before) return 'comparison';
    return 'compound';
  }

  /** A primary expression with its member/call/offset chain from `s`; null when `s` starts something else. */
  private chain(s: number, end: number): { type: TypeRef; end: number } | null {
    const { kinds, texts } = this;
    const k = kinds[s];
    let type: TypeRef;
    let j: number;
    if (k === T_VARIABLE) {
      type = variableType(this.scope, texts[s]!.slice(1));
      j = s + 1;
      if (texts[s] === '$GLOBALS' && kinds[j] === '[') {
        const close = this.matching(j);
        const key = close === j + 2 ? globalsKey(kinds[j + 1], texts[j + 1]!) : null;
        if (key === undefined) throw new GiveUp('$GLOBALS');
        type = key === null ? UNKNOWN : { k: 'g', n: key };
        j = close + 1;
      }
    } else if (k === T_NEW) {
      const what = s + 1;
      if (!(isNameKind(kinds[what]) || kinds[what] === T_STATIC)) {
        if (kinds[what] === T_VARIABLE && kinds[what + 1] !== T_OBJECT_OPERATOR && kinds[what + 1] !== T_DOUBLE_COLON && kinds[what + 1] !== '[') {
          j = kinds[what + 1] === '(' ? this.matching(what + 1) + 1 : what + 1;
          if (j < end && (kinds[j] === T_OBJECT_OPERATOR || kinds[j] === T_NULLSAFE || kinds[j] === T_DOUBLE_COLON || kinds[j] === '[')) throw new GiveUp();
          return { type: UNKNOWN, end: j };
        }
        throw new GiveUp();
      }
      const cls = this.classOfToken(what);
      type = cls ? { k: 'c', n: cls } : UNKNOWN;
      j = kinds[what + 1] === '(' ? this.matching(what + 1) + 1 : what + 1;
      if (kinds[what + 1] === T_DOUBLE_COLON) throw new GiveUp();
      // `new X()->m()` (PHP 8.4) is not read alike by every parser.
      if (j < end && (kinds[j] === T_OBJECT_OPERATOR || kinds[j] === T_NULLSAFE || kinds[j] === T_DOUBLE_COLON || kinds[j] === '[')) throw new GiveUp();
      return { type, end: j };
    } else if (isNameKind(k) || k === T_STATIC) {
      const next = kinds[s + 1];
      if (next === '(' && k !== T_STATIC) {
        const lower = texts[s]!.toLowerCase();
        type = NOT_CALLS.has(lower) ? UNKNOWN : { k: 'f', c: this.names.functionCandidates(texts[s]!, resolutionOf(k)) };
        j = this.matching(s + 1) + 1;
      } else if (next === T_DOUBLE_COLON) {
        const cls = this.classOfToken(s);
        const member = s + 2;
        if (isNameKind(kinds[member]) && kinds[member + 1] === '(') {
          type = { k: 'm', r: cls ? { k: 'c', n: cls } : UNKNOWN, m: texts[member]!.toLowerCase() };
          j = this.matching(member + 1) + 1;
        } else if (kinds[member] === T_VARIABLE) {
          type = { k: 'p', r: cls ? { k: 'c', n: cls } : UNKNOWN, p: texts[member]!.slice(1).toLowerCase() };
          j = member + 1;
        } else if (isNameKind(kinds[member]) || kinds[member] === T_CLASS) {
          type = UNKNOWN;
          j = member + 1;
          if (j < end && (kinds[j] === T_OBJECT_OPERATOR || kinds[j] === T_NULLSAFE || kinds[j] === '(' || kinds[j] === T_DOUBLE_COLON)) throw new GiveUp();
        } else throw new GiveUp();
      } else {
        if (k === T_STATIC) throw new GiveUp();
        type = UNKNOWN; // a constant
        j = s + 1;
        if (j < end && (kinds[j] === T_OBJECT_OPERATOR || kinds[j] === T_NULLSAFE || kinds[j] === '(')) throw new GiveUp();
      }
    } else if (k === '(') {
      const close = this.matching(s);
      type = this.exprType(s + 1, close);
      j = close + 1;
    } else return null;
    // Postfix: ->m(…), ->p, ::m(…), ::$p, […].
    while (j < end) {
      const op = kinds[j];
      if (op === T_OBJECT_OPERATOR || op === T_NULLSAFE) {
        if (!isNameKind(kinds[j + 1])) throw new GiveUp();
        const name = texts[j + 1]!.toLowerCase();
        if (kinds[j + 2] === '(') {
          type = { k: 'm', r: type, m: name };
          j = this.matching(j + 2) + 1;
        } else {
          type = { k: 'p', r: type, p: name };
          j += 2;
        }
      } else if (op === T_DOUBLE_COLON) {
        throw new GiveUp();
      } else if (op === '[') {
        type = UNKNOWN;
        j = this.matching(j) + 1;
      } else if (op === '(') {
        // Calling a variable or a call's result (`$fn()`, `f()()`): the AST pass types it unknown.
        type = UNKNOWN;
        j = this.matching(j) + 1;
      } else if (op === '{') {
        throw new GiveUp('string offset');
      } else break;
    }
    return { type, end: j };
  }

  /** Where the member/call chain that ends at token `last` starts (for a receiver). */
  private chainStart(last: number): number {
    const { kinds, texts } = this;
    let p = last;
    for (;;) {
      const k = kinds[p];
      if (k === ')') {
        const open = this.matchingBack(p);
        const before = kinds[open - 1];
        if (isNameKind(before)) {
          const ahead = kinds[open - 2];
          if (ahead === T_OBJECT_OPERATOR || ahead === T_NULLSAFE) {
            p = open - 3;
            continue;
          }
          if (ahead === T_DOUBLE_COLON) {
            p = open - 3;
            if (isNameKind(kinds[p]) || kinds[p] === T_STATIC) {
              if (kinds[p - 1] === T_OBJECT_OPERATOR || kinds[p - 1] === T_NULLSAFE || kinds[p - 1] === T_DOUBLE_COLON || kinds[p - 1] === T_NEW) throw new GiveUp();
              return p;
            }
            throw new GiveUp();
          }
          if (ahead === T_NEW) throw new GiveUp();
          if (NOT_CALLS.has(texts[open - 1]!.toLowerCase())) throw new GiveUp();
          return open - 1;
        }
        if (before === ')' || before === ']' || before === T_VARIABLE) {
          p = open - 1;
          continue;
        }
        if (before === '}' || before === T_STATIC) throw new GiveUp('receiver');
        return open;
      }
      if (k === T_VARIABLE) {
        const ahead = kinds[p - 1];
        if (ahead === T_DOUBLE_COLON) {
          p -= 2;
          if ((isNameKind(kinds[p]) || kinds[p] === T_STATIC) && kinds[p - 1] !== T_OBJECT_OPERATOR && kinds[p - 1] !== T_NULLSAFE && kinds[p - 1] !== T_DOUBLE_COLON) return p;
          throw new GiveUp();
        }
        if (ahead === T_OBJECT_OPERATOR || ahead === T_NULLSAFE || ahead === '$') throw new GiveUp();
        return p;
      }
      if (isNameKind(k)) {
        const ahead = kinds[p - 1];
        if (ahead === T_OBJECT_OPERATOR || ahead === T_NULLSAFE) {
          p -= 2;
          continue;
        }
        throw new GiveUp();
      }
      if (k === ']') {
        const open = this.matchingBack(p);
        p = open - 1;
        const before = kinds[p];
        if (!(before === T_VARIABLE || before === ')' || before === ']' || isNameKind(before))) throw new GiveUp();
        continue;
      }
      throw new GiveUp();
    }
  }
}
