import { createRequire } from 'node:module';

/**
 * Exact positions of the names a source rewrite may touch: the callee of
 * every function call, the class of every `new`, the parent of every class
 * (`extends`), each with the global name it resolves to under PHP's rules
 * (namespaces, `use` imports, the global fallback of unqualified function
 * calls) and the named function or method it sits in. Offsets index the
 * string given to findNameSites: read files as latin1 so that each byte is
 * one character and an edit can be written back byte for byte.
 */
export interface NameSite {
  kind: 'call' | 'new' | 'extends';
  /** Offsets of the name as written (`mysqli_query`, `\mysqli_query`, `Foo\bar`). */
  start: number;
  end: number;
  text: string;
  line: number;
  /** The fully qualified name it resolves to, lower case, without a leading backslash. */
  target: string;
  /**
   * For an unqualified call inside a namespace: the namespaced function PHP
   * tries first (`ns\name`, lower case). The call reaches `target` only when
   * no such function is declared.
   */
  namespaced: string | null;
  /** Reached through a `use function … as …` / `use … as …` alias (the text is not the target's own name). */
  aliased: boolean;
  /** Index into `scopes` of the innermost named function or method around it, or -1. */
  scope: number;
  /** For `extends`: the methods the class declares, lower case. */
  methods?: string[];
}

export interface FunctionScope {
  /** `name`, `ns\name` or `Class::method` (as declared). */
  name: string;
  kind: 'function' | 'method';
  /** Line of the declaration's first token and of its name. */
  line: number;
  nameLine: number;
}

export interface FileNameSites {
  sites: NameSite[];
  scopes: FunctionScope[];
  /** Functions this file declares, fully qualified, lower case. */
  declaredFunctions: string[];
}

type Node = { kind: string; loc?: { start: { line: number; offset: number }; end: { offset: number } } | null; [key: string]: unknown };

interface ParserEngine {
  parseCode(source: string, filename: string): Node;
}

const require = createRequire(import.meta.url);
const { Engine } = require('php-parser') as { Engine: new (options: object) => ParserEngine };

function engine(): ParserEngine {
  return new Engine({
    parser: { php8: true, extractDoc: false, suppressErrors: false },
    ast: { withPositions: true },
    lexer: { short_tags: false },
  });
}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && typeof (value as { kind?: unknown }).kind === 'string';
}

interface Context {
  namespace: string;
  functionImports: Map<string, string>;
  classImports: Map<string, string>;
  scope: number;
  className: string | null;
}

/** Parses one file (throws php-parser's SyntaxError when it does not parse) and lists its name sites. */
export function findNameSites(source: string, filename: string): FileNameSites {
  const ast = engine().parseCode(source, filename);
  const sites: NameSite[] = [];
  const scopes: FunctionScope[] = [];
  const declaredFunctions: string[] = [];

  const qualify = (ns: string, name: string): string => (ns === '' ? name : `${ns}\\${name}`).toLowerCase();

  const resolve = (nameNode: Node, ctx: Context, isFunction: boolean): { target: string; namespaced: string | null; aliased: boolean } => {
    const raw = String(nameNode.name);
    const resolution = String(nameNode.resolution);
    if (resolution === 'fqn') return { target: raw.replace(/^\\/, '').toLowerCase(), namespaced: null, aliased: false };
    if (resolution === 'rn') return { target: qualify(ctx.namespace, raw.replace(/^namespace\\/i, '')), namespaced: null, aliased: false };
    const first = raw.split('\\')[0]!.toLowerCase();
    if (resolution === 'qn') {
      const imported = ctx.classImports.get(first);
      if (imported !== undefined) return { target: `${imported}\\${raw.split('\\').slice(1).join('\\')}`.toLowerCase(), namespaced: null, aliased: false };
      return { target: qualify(ctx.namespace, raw), namespaced: null, aliased: false };
    }
    const imports = isFunction ? ctx.functionImports : ctx.classImports;
    const imported = imports.get(raw.toLowerCase());
    if (imported !== undefined) {
      const own = imported.split('\\').pop()!.toLowerCase();
      return { target: imported.toLowerCase(), namespaced: null, aliased: own !== raw.toLowerCase() };
    }
    if (ctx.namespace === '') return { target: raw.toLowerCase(), namespaced: null, aliased: false };
    if (isFunction) return { target: raw.toLowerCase(), namespaced: qualify(ctx.namespace, raw), aliased: false };
    return { target: qualify(ctx.namespace, raw), namespaced: null, aliased: false };
  };

  const addSite = (kind: NameSite['kind'], nameNode: Node, ctx: Context): void => {
    if (!nameNode.loc) return;
    const { target, namespaced, aliased } = resolve(nameNode, ctx, kind === 'call');
    const start = nameNode.loc.start.offset;
    const end = nameNode.loc.end.offset;
    sites.push({ kind, start, end, text: source.slice(start, end), line: nameNode.loc.start.line, target, namespaced, aliased, scope: ctx.scope });
  };

  const identifierName = (value: unknown): string => (isNode(value) ? String(value.name) : typeof value === 'string' ? value : '');

  const walk = (node: unknown, ctx: Context): void => {
    if (Array.isArray(node)) {
      for (const child of node) walk(child, ctx);
      return;
    }
    if (!isNode(node)) return;
    switch (node.kind) {
      case 'namespace': {
        const inner: Context = { namespace: String(node.name ?? ''), functionImports: new Map(), classImports: new Map(), scope: ctx.scope, className: null };
        walk(node.children, inner);
        return;
      }
      case 'usegroup': {
        const prefix = typeof node.name === 'string' && node.name !== '' ? `${node.name}\\` : '';
        for (const item of (node.items as Node[]) ?? []) {
          const type = (item.type ?? node.type) as string | null;
          const full = `${prefix}${String(item.name)}`.replace(/^\\/, '');
          const alias = isNode(item.alias) ? String(item.alias.name) : full.split('\\').pop()!;
          if (type === 'function') ctx.functionImports.set(alias.toLowerCase(), full);
          else if (type !== 'const') ctx.classImports.set(alias.toLowerCase(), full);
        }
        return;
      }
      case 'function': {
        const name = identifierName(node.name);
        const declared = ctx.namespace === '' ? name : `${ctx.namespace}\\${name}`;
        declaredFunctions.push(declared.toLowerCase());
        const nameLine = isNode(node.name) && node.name.loc ? node.name.loc.start.line : node.loc?.start.line ?? 0;
        scopes.push({ name: declared, kind: 'function', line: node.loc?.start.line ?? 0, nameLine });
        walk(node.arguments, ctx);
        walk(node.body, { ...ctx, scope: scopes.length - 1 });
        return;
      }
      case 'class':
      case 'trait':
      case 'interface':
      case 'enum': {
        const name = identifierName(node.name);
        if (node.kind === 'class' && isNode(node.extends) && node.extends.kind === 'name') {
          addSite('extends', node.extends, ctx);
          const body = Array.isArray(node.body) ? (node.body as unknown[]) : [];
          sites[sites.length - 1]!.methods = body.filter((m): m is Node => isNode(m) && m.kind === 'method').map((m) => identifierName(m.name).toLowerCase());
        }
        const qualified = name === '' ? null : ctx.namespace === '' ? name : `${ctx.namespace}\\${name}`;
        walk(node.body, { ...ctx, className: qualified });
        return;
      }
      case 'method': {
        const name = identifierName(node.name);
        const nameLine = isNode(node.name) && node.name.loc ? node.name.loc.start.line : node.loc?.start.line ?? 0;
        scopes.push({ name: `${ctx.className ?? 'class@anonymous'}::${name}`, kind: 'method', line: node.loc?.start.line ?? 0, nameLine });
        walk(node.arguments, ctx);
        walk(node.body, { ...ctx, scope: scopes.length - 1 });
        return;
      }
      case 'call':
        if (isNode(node.what) && node.what.kind === 'name') addSite('call', node.what, ctx);
        else walk(node.what, ctx);
        walk(node.arguments, ctx);
        return;
      case 'new':
        if (isNode(node.what) && node.what.kind === 'name') addSite('new', node.what, ctx);
        else walk(node.what, ctx);
        walk(node.arguments, ctx);
        return;
      default:
        for (const [key, value] of Object.entries(node)) {
          if (key === 'loc' || key === 'kind' || value === null || typeof value !== 'object') continue;
          walk(value, ctx);
        }
    }
  };

  walk(ast, { namespace: '', functionImports: new Map(), classImports: new Map(), scope: -1, className: null });
  sites.sort((a, b) => a.start - b.start);
  return { sites, scopes, declaredFunctions };
}
