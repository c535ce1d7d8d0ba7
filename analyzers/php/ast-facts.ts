/**
 * Pass over one file's AST (php-parser) that records the facts the rules
 * need: named function calls, method calls with a symbolic receiver type,
 * `new`, class references, `MYSQLI_*` constants, and the declarations and
 * assignments that later let the merge step type receivers across files.
 *
 * Variables are typed in evaluation order inside each scope (the latest
 * assignment seen wins); a variable read before any assignment is typed by
 * every assignment in its scope (`v` refs), and an unassigned top-level
 * variable by the project's globals (`g` refs). See docs/audit.md.
 */
import { addCall, emptyFacts, UNKNOWN, type CallRec, type ClassDecl, type FileFacts, type FunctionDecl, type TypeRef } from './facts.js';
import { NameContext, lastSegment } from './names.js';
import { NON_CLASS_TYPES } from './catalog.js';

interface Node {
  kind: string;
  loc?: { start: { line: number; offset: number } } | null;
  [key: string]: unknown;
}

/** The class whose body the facts are being read in. Shared with token-types.ts, which reads the same facts from tokens. */
export interface ClassCtx {
  key: string;
  parent: string | null;
  decl: ClassDecl;
}

/** A function body's (or the top level's) variables, as both fact passes keep them. */
export interface VariableScope {
  /** Null for the file's top level, whose variables are globals. */
  id: string | null;
  /** The type each variable holds at this point of the walk. */
  cur: Map<string, TypeRef>;
  /** Every type each variable was given in the scope (the file's facts). */
  all: Record<string, TypeRef[]>;
  cls: ClassCtx | null;
}

interface Scope extends VariableScope {
  fnKey: string | null;
  /** Where `return` expressions go (null in closures and at top level). */
  returns: TypeRef[] | null;
}

/** `$name` now holds `type`. */
export function bindVariable(scope: VariableScope, name: string, type: TypeRef): void {
  scope.cur.set(name, type);
  (scope.all[name] ??= []).push(type);
}

/** The type `$name` holds here: `$this`'s class, its last binding, else a reference to the global or scope variable. */
export function variableType(scope: VariableScope, name: string): TypeRef {
  if (name === 'this') return scope.cls ? { k: 'c', n: scope.cls.key } : UNKNOWN;
  const bound = scope.cur.get(name);
  if (bound) return bound;
  if (scope.id === null) return { k: 'g', n: name };
  return { k: 'v', s: scope.id, n: name };
}

const SKIP_KEYS = new Set(['kind', 'loc', 'attrGroups', 'type', 'raw', 'leadingComments', 'trailingComments', 'parenthesizedExpression']);
/** Child keys per node kind: php-parser gives every node of a kind the same child keys (only loc, comments and parenthesizedExpression are optional). */
const CHILD_KEYS = new Map<string, string[]>();

function line(node: Node | null | undefined): number {
  return node?.loc?.start.line ?? 0;
}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && typeof (value as { kind?: unknown }).kind === 'string';
}

function identName(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (isNode(value) && value.kind === 'identifier' && typeof value.name === 'string') return value.name;
  return null;
}

const DOC_TAG = /@(var|param|return|phpstan-var|psalm-var)\s+(\S+)(?:\s+(?:\.\.\.)?(\$\w+|\S+))?/g;

interface DocTag {
  tag: string;
  type: string;
  variable: string | null;
}

/** Statements a `@var` docblock can annotate. */
const DOC_STATEMENTS = new Set(['expressionstatement', 'return', 'foreach', 'for', 'while', 'if', 'echo', 'global', 'static', 'switch', 'try', 'do']);

/**
 * The docblock right before a node (only whitespace between). Read from the
 * source text rather than the parser's comment extraction: measured here,
 * php-parser's extractDoc halves parse speed (8 vs 18 MB/s).
 */
function docBefore(text: string, node: Node): string | null {
  let i = node.loc?.start.offset ?? -1;
  if (i <= 0) return null;
  while (i > 0) {
    const c = text.charCodeAt(i - 1);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break;
    i--;
  }
  if (i < 5 || text.charCodeAt(i - 1) !== 47 || text.charCodeAt(i - 2) !== 42) return null;
  const start = text.lastIndexOf('/**', i - 3);
  if (start < 0 || text.indexOf('*/', start + 2) !== i - 2) return null;
  return text.slice(start, i);
}

export function docTags(doc: string | null): DocTag[] {
  if (!doc) return [];
  const tags: DocTag[] = [];
  {
    for (const m of doc.matchAll(DOC_TAG)) {
      let type = m[2] ?? '';
      let variable: string | null = m[3] && m[3].startsWith('$') ? m[3].slice(1) : null;
      // `@var $db PDO` is a common misspelling of `@var PDO $db`.
      if (type.startsWith('$') && m[3] && !m[3].startsWith('$')) {
        variable = type.slice(1);
        type = m[3];
      }
      tags.push({ tag: (m[1] ?? '').replace(/^(phpstan|psalm)-/, ''), type, variable });
    }
  }
  return tags;
}

/**
 * A docblock type (`?PDO`, `\mysqli|null`, `Db`), resolved like code but with a
 * global fallback; `selfKey` is the enclosing class (for self, static, $this).
 * Shared with the token tier (token-types.ts), so both read docblocks alike.
 */
export function resolveDocType(text: string, names: NameContext, selfKey: string | null): TypeRef | null {
  for (let part of text.split('|')) {
    part = part.replace(/^\?/, '').replace(/[(){}<>].*$/, '');
    if (!part || part.endsWith('[]')) continue;
    const lower = part.toLowerCase();
    if (lower === 'self' || lower === 'static' || lower === '$this') return selfKey ? { k: 'c', n: selfKey } : null;
    if (NON_CLASS_TYPES.has(lower) || !/^\\?[a-z_\x80-\uffff][\w\\\x80-\uffff]*$/i.test(part)) continue;
    const resolution = part.startsWith('\\') ? 'fqn' : part.includes('\\') ? 'qn' : 'uqn';
    const cls = names.resolveClass(part, resolution);
    if (cls === null) continue;
    const fallback = resolution === 'uqn' ? lower : undefined;
    return fallback && fallback !== cls ? { k: 'c', n: cls, fb: fallback } : { k: 'c', n: cls };
  }
  return null;
}

export class AstFactCollector {
  readonly facts: FileFacts;
  private readonly names = new NameContext();
  private scope: Scope;
  private scopeCounter = 0;
  private readonly callIndex = new Map<string, CallRec>();
  private anonymousClasses = 0;

  constructor(
    path: string,
    bytes: number,
    private readonly text: string,
  ) {
    this.facts = emptyFacts(path, 'ast', bytes);
    this.scope = { id: null, cur: new Map(), all: this.facts.globals, fnKey: null, cls: null, returns: null };
  }

  collect(program: Node): FileFacts {
    this.visitList(program.children);
    pruneScopes(this.facts);
    return this.facts;
  }

  // -- scopes ---------------------------------------------------------------

  private newScope(fnKey: string | null, cls: ClassCtx | null, returns: TypeRef[] | null): Scope {
    const id = `${this.facts.path}#${++this.scopeCounter}`;
    const all: Record<string, TypeRef[]> = {};
    this.facts.scopes[id] = all;
    return { id, cur: new Map(), all, fnKey, cls, returns };
  }

  // -- types ----------------------------------------------------------------

  private classOfName(node: Node): string | null {
    switch (node.kind) {
      case 'selfreference':
      case 'staticreference':
        return this.scope.cls?.key ?? null;
      case 'parentreference':
        return this.scope.cls?.parent ?? null;
      case 'name': {
        const raw = String(node.name);
        const lower = raw.toLowerCase();
        if (lower === 'self' || lower === 'static') return this.scope.cls?.key ?? null;
        if (lower === 'parent') return this.scope.cls?.parent ?? null;
        return this.names.resolveClass(raw, node.resolution as string);
      }
      default:
        return null;
    }
  }

  /** A declared type (parameter, property, return) as a TypeRef, recording the class reference. */
  private declaredType(typeNode: unknown): TypeRef | null {
    if (!isNode(typeNode)) return null;
    if (typeNode.kind === 'uniontype' || typeNode.kind === 'intersectiontype') {
      let first: TypeRef | null = null;
      for (const member of (typeNode.types as Node[]) ?? []) {
        const t = this.declaredType(member);
        first ??= t;
      }
      return first;
    }
    const cls = this.classOfName(typeNode);
    if (cls === null) return null;
    if (typeNode.kind === 'name') this.facts.classRefs.push({ c: cls, how: 'type' });
    return { k: 'c', n: cls };
  }

  private docType(text: string): TypeRef | null {
    return resolveDocType(text, this.names, this.scope.cls?.key ?? null);
  }

  /** The symbolic type of an expression. */
  private typeOf(node: unknown): TypeRef {
    if (!isNode(node)) return UNKNOWN;
    switch (node.kind) {
      case 'new': {
        const what = node.what as Node;
        const cls = what.kind === 'class' ? this.anonymousKey(what) : this.classOfName(what);
        return cls ? { k: 'c', n: cls } : UNKNOWN;
      }
      case 'variable':
        return typeof node.name === 'string' ? variableType(this.scope, node.name) : UNKNOWN;
      case 'call': {
        const what = node.what as Node;
        if (what.kind === 'name') return { k: 'f', c: this.names.functionCandidates(String(what.name), what.resolution as string) };
        if (what.kind === 'propertylookup' || what.kind === 'nullsafepropertylookup') {
          const m = identName(what.offset);
          return m ? { k: 'm', r: this.typeOf(what.what), m: m.toLowerCase() } : UNKNOWN;
        }
        if (what.kind === 'staticlookup') {
          const m = identName(what.offset);
          return m ? { k: 'm', r: this.staticReceiver(what.what as Node), m: m.toLowerCase() } : UNKNOWN;
        }
        return UNKNOWN;
      }
      case 'propertylookup':
      case 'nullsafepropertylookup': {
        const p = identName(node.offset);
        return p ? { k: 'p', r: this.typeOf(node.what), p: p.toLowerCase() } : UNKNOWN;
      }
      case 'staticlookup': {
        const offset = node.offset as Node;
        if (offset.kind === 'variable' && typeof offset.name === 'string') {
          return { k: 'p', r: this.staticReceiver(node.what as Node), p: offset.name.toLowerCase() };
        }
        return UNKNOWN;
      }
      case 'offsetlookup': {
        const what = node.what as Node;
        const offset = node.offset as Node | null;
        if (what.kind === 'variable' && what.name === 'GLOBALS' && offset?.kind === 'string') return { k: 'g', n: String(offset.value) };
        return UNKNOWN;
      }
      case 'assign':
      case 'assignref':
        return node.operator === '=' || node.kind === 'assignref' ? this.typeOf(node.right) : UNKNOWN;
      case 'retif': {
        const alternatives = [this.typeOf(node.trueExpr ?? node.test), this.typeOf(node.falseExpr)];
        return { k: 'u', a: alternatives };
      }
      case 'bin':
        if (node.type === '??') return { k: 'u', a: [this.typeOf(node.left), this.typeOf(node.right)] };
        return UNKNOWN;
      case 'silent':
      case 'clone':
        return this.typeOf(node.expr ?? node.what);
      case 'cast':
        return UNKNOWN;
      default:
        return UNKNOWN;
    }
  }

  private staticReceiver(what: Node): TypeRef {
    const cls = this.classOfName(what);
    if (cls) return { k: 'c', n: cls };
    return this.typeOf(what);
  }

  private anonymousKey(node: Node): string {
    const existing = node.__tracekitKey;
    if (typeof existing === 'string') return existing;
    const key = `class@anonymous#${this.facts.path}#${++this.anonymousClasses}`;
    node.__tracekitKey = key;
    return key;
  }

  // -- walking --------------------------------------------------------------

  private visitList(list: unknown): void {
    if (!Array.isArray(list)) return;
    for (const item of list) this.visit(item);
  }

  private visitChildren(node: Node): void {
    let keys = CHILD_KEYS.get(node.kind);
    if (!keys) {
      keys = Object.keys(node).filter((key) => !SKIP_KEYS.has(key));
      CHILD_KEYS.set(node.kind, keys);
    }
    for (const key of keys) {
      const value = node[key];
      if (typeof value !== 'object' || value === null) continue;
      if (Array.isArray(value)) this.visitList(value);
      else if (isNode(value)) this.visit(value);
    }
  }

  private visit(value: unknown): void {
    if (!isNode(value)) return;
    const doc = DOC_STATEMENTS.has(value.kind) ? docBefore(this.text, value) : null;
    if (!doc) {
      this.visitNode(value);
      return;
    }
    // A `@var` docblock annotates the one statement it precedes.
    const pending = this.applyVarDocs(value, doc);
    this.visitNode(value);
    for (const key of pending) this.docBound.delete(key);
  }

  private visitNode(node: Node): void {
    switch (node.kind) {
      case 'namespace':
        this.names.enterNamespace(String(node.name ?? ''));
        this.namespaceDisplay = String(node.name ?? '').replace(/^\\/, '');
        this.visitList(node.children);
        return;
      case 'usegroup':
        this.visitUse(node);
        return;
      case 'function':
        this.visitFunction(node);
        return;
      case 'class':
      case 'trait':
      case 'interface':
      case 'enum':
        this.visitClass(node);
        return;
      case 'closure':
      case 'arrowfunc':
        this.visitClosure(node);
        return;
      case 'assign':
      case 'assignref':
        this.visitAssign(node);
        return;
      case 'call':
        this.visitCall(node);
        return;
      case 'new':
        this.visitNew(node);
        return;
      case 'staticlookup': {
        const what = node.what as Node;
        const cls = this.classOfName(what);
        if (cls && what.kind === 'name') this.facts.classRefs.push({ c: cls, how: 'static' });
        if (!cls) this.visit(what);
        if (isNode(node.offset) && node.offset.kind !== 'identifier' && node.offset.kind !== 'variable') this.visit(node.offset);
        return;
      }
      case 'bin':
        if (node.type === 'instanceof' && isNode(node.right) && node.right.kind === 'name') {
          this.visit(node.left);
          const cls = this.classOfName(node.right);
          if (cls) this.facts.classRefs.push({ c: cls, how: 'instanceof' });
          return;
        }
        this.visitChildren(node);
        return;
      case 'catch':
        for (const what of (node.what as Node[]) ?? []) {
          const cls = this.classOfName(what);
          if (cls) this.facts.classRefs.push({ c: cls, how: 'catch' });
        }
        if (isNode(node.variable) && typeof node.variable.name === 'string') {
          const first = ((node.what as Node[]) ?? [])[0];
          const cls = first ? this.classOfName(first) : null;
          bindVariable(this.scope, node.variable.name, cls ? { k: 'c', n: cls } : UNKNOWN);
        }
        this.visit(node.body);
        return;
      case 'global':
        for (const item of (node.items as Node[]) ?? []) {
          if (item.kind === 'variable' && typeof item.name === 'string') bindVariable(this.scope, item.name, { k: 'g', n: item.name });
        }
        return;
      case 'return':
        if (node.expr && this.scope.returns) this.scope.returns.push(this.typeOf(node.expr));
        this.visit(node.expr);
        return;
      case 'name':
        this.countConstant(String(node.name));
        return;
      case 'propertystatement':
        this.visitProperties(node);
        return;
      case 'method':
        // Only reached inside classes, through visitClass.
        return;
      default:
        this.visitChildren(node);
    }
  }

  private countConstant(name: string): void {
    const short = lastSegment(name);
    if (short.startsWith('MYSQLI_')) this.facts.mysqliConstants += 1;
  }

  private applyVarDocs(node: Node, doc: string): string[] {
    const pending: string[] = [];
    for (const tag of docTags(doc)) {
      if (tag.tag !== 'var') continue;
      const type = this.docType(tag.type);
      if (!type) continue;
      let variable = tag.variable;
      if (!variable) {
        // `/** @var PDO */ $db = …;` names the variable being assigned.
        const expression = (node.kind === 'expressionstatement' ? node.expression : node) as Node | undefined;
        if (expression?.kind === 'assign' && isNode(expression.left) && expression.left.kind === 'variable') variable = String(expression.left.name);
      }
      if (variable) {
        // A `@var` type wins over the assignment it annotates.
        bindVariable(this.scope, variable, type);
        const key = `${this.scope.id ?? ''}$${variable}`;
        this.docBound.set(key, type);
        pending.push(key);
      }
    }
    return pending;
  }

  private readonly docBound = new Map<string, TypeRef>();

  private visitUse(node: Node): void {
    const prefix = typeof node.name === 'string' && node.name ? `${node.name}\\` : '';
    for (const item of (node.items as Node[]) ?? []) {
      const type = (item.type ?? node.type) as string | null;
      const full = prefix + String(item.name);
      const alias = identName(item.alias);
      if (type === 'function') this.names.addFunctionImport(full, alias);
      else if (type === 'const') continue;
      else {
        this.names.addClassImport(full, alias);
        this.facts.classRefs.push({ c: full.replace(/^\\/, '').toLowerCase(), how: 'import' });
      }
    }
  }

  private visitAssign(node: Node): void {
    this.visit(node.right);
    const left = node.left as Node;
    const type = this.typeOf(node.right);
    if (node.operator !== '=' && node.kind !== 'assignref') {
      this.visit(left);
      return;
    }
    switch (left.kind) {
      case 'variable':
        if (typeof left.name === 'string') {
          const doc = this.docBound.get(`${this.scope.id ?? ''}$${left.name}`);
          bindVariable(this.scope, left.name, doc ?? type);
        } else this.visit(left);
        return;
      case 'propertylookup':
      case 'nullsafepropertylookup': {
        const p = identName(left.offset);
        const what = left.what as Node;
        if (p && what.kind === 'variable' && what.name === 'this' && this.scope.cls) {
          (this.scope.cls.decl.props[p.toLowerCase()] ??= []).push(type);
          return;
        }
        this.visit(left);
        return;
      }
      case 'staticlookup': {
        const offset = left.offset as Node;
        const cls = this.classOfName(left.what as Node);
        if (cls && this.scope.cls && cls === this.scope.cls.key && offset.kind === 'variable' && typeof offset.name === 'string') {
          (this.scope.cls.decl.props[offset.name.toLowerCase()] ??= []).push(type);
          return;
        }
        this.visit(left);
        return;
      }
      case 'offsetlookup': {
        const what = left.what as Node;
        const offset = left.offset as Node | null;
        if (what.kind === 'variable' && what.name === 'GLOBALS' && offset?.kind === 'string') {
          (this.facts.globals[String(offset.value)] ??= []).push(type);
          return;
        }
        this.visit(left);
        return;
      }
      default:
        this.visit(left);
    }
  }

  private visitCall(node: Node): void {
    const what = node.what as Node;
    const args = (node.arguments as Node[]) ?? [];
    const firstClassCallable = args.length === 1 && args[0]?.kind === 'variadicplaceholder';
    switch (what.kind) {
      case 'name':
        if (!firstClassCallable) {
          addCall(this.facts.calls, this.callIndex, this.names.functionCandidates(String(what.name), what.resolution as string), this.scope.fnKey);
        }
        break;
      case 'propertylookup':
      case 'nullsafepropertylookup': {
        const m = identName(what.offset);
        if (m && !firstClassCallable) {
          this.facts.methodCalls.push({ m: m.toLowerCase(), r: this.typeOf(what.what), in: this.scope.fnKey });
        }
        this.visit(what.what);
        if (!m) this.visit(what.offset);
        break;
      }
      case 'staticlookup': {
        const m = identName(what.offset);
        const target = what.what as Node;
        const cls = this.classOfName(target);
        if (cls && target.kind === 'name') this.facts.classRefs.push({ c: cls, how: 'static' });
        if (m && !firstClassCallable) {
          this.facts.methodCalls.push({ m: m.toLowerCase(), r: this.staticReceiver(target), in: this.scope.fnKey });
        }
        if (!cls) this.visit(target);
        if (!m) this.visit(what.offset);
        break;
      }
      default:
        this.visit(what);
    }
    this.visitList(args);
  }

  private visitNew(node: Node): void {
    const what = node.what as Node;
    if (what.kind === 'class') {
      const key = this.anonymousKey(what);
      this.facts.news.push({ c: key, in: this.scope.fnKey });
      this.visitList(node.arguments);
      this.visitClass(what, key);
      return;
    }
    const cls = this.classOfName(what);
    if (cls) {
      this.facts.news.push({ c: cls, in: this.scope.fnKey });
      if (what.kind === 'name') this.facts.classRefs.push({ c: cls, how: 'new' });
    } else this.visit(what);
    this.visitList(node.arguments);
  }

  private bindParameters(params: Node[], docParams: Map<string, TypeRef>, cls: ClassCtx | null, isConstructor: boolean): void {
    for (const param of params) {
      const name = identName(param.name);
      this.visit(param.value);
      if (!name) continue;
      const declared = this.declaredType(param.type);
      const type = declared ?? docParams.get(name) ?? UNKNOWN;
      bindVariable(this.scope, name, type);
      // Constructor promotion (`public function __construct(private PDO $db)`).
      if (isConstructor && cls && typeof param.flags === 'number' && param.flags !== 0) {
        (cls.decl.props[name.toLowerCase()] ??= []).push(type);
      }
    }
  }

  private functionDocs(node: Node): { params: Map<string, TypeRef>; ret: TypeRef | null } {
    const params = new Map<string, TypeRef>();
    let ret: TypeRef | null = null;
    for (const tag of docTags(docBefore(this.text, node))) {
      const type = this.docType(tag.type);
      if (!type) continue;
      if (tag.tag === 'param' && tag.variable) params.set(tag.variable, type);
      if (tag.tag === 'return') ret ??= type;
    }
    return { params, ret };
  }

  private visitFunction(node: Node): void {
    const short = identName(node.name) ?? '';
    const key = this.names.qualify(short);
    const display = this.names.namespace ? `${this.displayNamespace(key)}\\${short}` : short;
    const decl: FunctionDecl = { key, name: display, kind: 'function', line: line(node), ret: [] };
    this.facts.functions.push(decl);
    this.runFunctionBody(node, key, null, decl, false);
  }

  private displayNamespace(key: string): string {
    return this.namespaceDisplay || key.slice(0, key.lastIndexOf('\\'));
  }

  private namespaceDisplay = '';

  private runFunctionBody(node: Node, fnKey: string, cls: ClassCtx | null, decl: FunctionDecl, isConstructor: boolean): void {
    const docs = this.functionDocs(node);
    const outer = this.scope;
    const declared = this.declaredType(node.type);
    const inferred: TypeRef[] = [];
    this.scope = this.newScope(fnKey, cls, inferred);
    this.bindParameters((node.arguments as Node[]) ?? [], docs.params, cls, isConstructor);
    this.visit(node.body);
    this.scope = outer;
    if (declared) decl.ret.push(declared);
    else if (docs.ret) decl.ret.push(docs.ret);
    else decl.ret.push(...inferred);
  }

  private visitClosure(node: Node): void {
    const outer = this.scope;
    const inner = this.newScope(outer.fnKey, outer.cls, null);
    if (node.kind === 'arrowfunc') for (const [name, type] of outer.cur) inner.cur.set(name, type);
    for (const used of (node.uses as Node[]) ?? []) {
      if (used.kind === 'variable' && typeof used.name === 'string') {
        const type = variableType(this.scope, used.name);
        inner.cur.set(used.name, type);
        (inner.all[used.name] ??= []).push(type);
      }
    }
    this.declaredType(node.type);
    this.scope = inner;
    this.bindParameters((node.arguments as Node[]) ?? [], new Map(), null, false);
    this.visit(node.body);
    this.scope = outer;
  }

  private visitClass(node: Node, anonymousKey?: string): void {
    const short = identName(node.name);
    const key = anonymousKey ?? this.names.qualify(short ?? 'class@anonymous');
    const display = anonymousKey ?? (this.names.namespace ? `${this.displayNamespace(key)}\\${short}` : (short ?? key));
    let parent: string | null = null;
    const ext = node.extends;
    const extList = Array.isArray(ext) ? (ext as Node[]) : isNode(ext) ? [ext] : [];
    for (const e of extList) {
      const cls = this.names.resolveClass(String(e.name), e.resolution as string);
      if (!cls) continue;
      this.facts.classRefs.push({ c: cls, how: 'extends' });
      if (node.kind === 'class') parent ??= cls;
    }
    for (const i of (node.implements as Node[] | null) ?? []) {
      const cls = this.names.resolveClass(String(i.name), i.resolution as string);
      if (cls) this.facts.classRefs.push({ c: cls, how: 'implements' });
    }
    const decl: ClassDecl = { key, name: display, line: line(node), parent, props: {}, typed: true };
    this.facts.classes.push(decl);
    const ctx: ClassCtx = { key, parent, decl };
    const outer = this.scope;
    // Class bodies are their own scope: constants and property defaults see no local variables.
    this.scope = { id: null, cur: new Map(), all: {}, fnKey: outer.fnKey, cls: ctx, returns: null };
    for (const member of (node.body as Node[]) ?? []) {
      if (member.kind === 'method') this.visitMethod(member, ctx);
      else this.visit(member);
    }
    this.scope = outer;
  }

  private visitProperties(node: Node): void {
    const cls = this.scope.cls;
    let docType: TypeRef | null = null;
    for (const tag of docTags(docBefore(this.text, node))) if (tag.tag === 'var') docType ??= this.docType(tag.type);
    for (const property of (node.properties as Node[]) ?? []) {
      const name = identName(property.name);
      this.visit(property.value);
      const declared = this.declaredType(property.type);
      const type = declared ?? docType;
      if (name && cls && type) (cls.decl.props[name.toLowerCase()] ??= []).push(type);
    }
  }

  private visitMethod(node: Node, cls: ClassCtx): void {
    const short = identName(node.name) ?? '';
    const key = `${cls.key}::${short.toLowerCase()}`;
    const decl: FunctionDecl = { key, name: `${cls.decl.name}::${short}`, kind: 'method', line: line(node), ret: [] };
    this.facts.functions.push(decl);
    if (!node.body) {
      this.declaredType(node.type);
      for (const param of (node.arguments as Node[]) ?? []) this.declaredType(param.type);
      const docs = this.functionDocs(node);
      if (docs.ret) decl.ret.push(docs.ret);
      return;
    }
    this.runFunctionBody(node, key, cls, decl, short.toLowerCase() === '__construct');
  }
}

export function collectAstFacts(program: unknown, text: string, path: string, bytes: number): FileFacts {
  return new AstFactCollector(path, bytes, text).collect(program as Node);
}

/**
 * Keeps only the local variables some receiver, return or property type can
 * reach, and drops unknown bindings: facts cross a thread boundary, and
 * measured here every variable of every function doubled their size.
 */
export function pruneScopes(facts: FileFacts): void {
  const kept: Record<string, Record<string, TypeRef[]>> = {};
  const pending: TypeRef[] = [];
  for (const call of facts.methodCalls) pending.push(call.r);
  for (const fn of facts.functions) pending.push(...fn.ret);
  for (const cls of facts.classes) for (const types of Object.values(cls.props)) pending.push(...types);
  for (const [name, types] of Object.entries(facts.globals)) {
    const known = types.filter((t) => t.k !== 'x');
    if (known.length > 0) facts.globals[name] = known;
    else delete facts.globals[name];
    pending.push(...known);
  }
  while (pending.length > 0) {
    const type = pending.pop()!;
    switch (type.k) {
      case 'v': {
        const scope = (kept[type.s] ??= {});
        if (scope[type.n]) break;
        const bindings = (facts.scopes[type.s]?.[type.n] ?? []).filter((t) => t.k !== 'x');
        scope[type.n] = bindings;
        pending.push(...bindings);
        break;
      }
      case 'm':
      case 'p':
        pending.push(type.r);
        break;
      case 'u':
        pending.push(...type.a);
        break;
      default:
        break;
    }
  }
  facts.scopes = kept;
}
