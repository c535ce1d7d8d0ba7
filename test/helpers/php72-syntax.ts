import { Engine } from 'php-parser';

/**
 * Finds syntax that PHP 7.2 does not accept (or, for `#[`, reads as a
 * comment) in PHP source, so tests can hold shipped and generated PHP to
 * "runs on PHP 7.2 through 8.x". The source is parsed with php-parser in PHP 8
 * mode and the AST is walked; what the AST forgets (trailing commas,
 * attributes) is checked on the same parser's tokens. A source that does not
 * parse is reported as one violation, so an assertion on an empty list fails.
 */
export interface Php72Violation {
  line: number;
  construct: string;
}

type AstNode = { kind: string; loc?: { start: { line: number } } | null; [key: string]: unknown };
type Token = string | [string, string, number];

const engine = new Engine({
  parser: { php8: true, extractDoc: false, suppressErrors: false },
  ast: { withPositions: true },
  lexer: { all_tokens: true, short_tags: false },
});

// Parents under which a `throw` is a statement; anywhere else it is PHP 8's
// throw expression.
const STATEMENT_PARENTS = new Set(['program', 'namespace', 'block', 'if', 'while', 'do', 'for', 'foreach', 'case', 'declare', 'switch', 'try']);
const CLASS_NAME_KINDS = new Set(['name', 'selfreference', 'parentreference', 'staticreference']);
const FUNCTION_KINDS = new Set(['function', 'method', 'closure', 'arrowfunc']);
const SKIPPED_TOKENS = new Set(['T_WHITESPACE', 'T_COMMENT', 'T_DOC_COMMENT']);

function isNode(value: unknown): value is AstNode {
  return typeof value === 'object' && value !== null && typeof (value as { kind?: unknown }).kind === 'string';
}

function lineOf(node: AstNode, fallback: number): number {
  return node.loc?.start.line ?? fallback;
}

function typeNames(type: AstNode): string[] {
  if (type.kind === 'typereference' || type.kind === 'name') return [String(type.name).toLowerCase()];
  return [];
}

export function findPhp72Violations(source: string, file = 'input.php'): Php72Violation[] {
  const found = new Map<string, Php72Violation>();
  const report = (line: number, construct: string): void => {
    found.set(`${line}\u0000${construct}`, { line, construct });
  };

  let program: AstNode;
  try {
    program = engine.parseCode(source, file) as unknown as AstNode;
  } catch (error) {
    const e = error as { lineNumber?: number; message?: string };
    return [{ line: e.lineNumber ?? 0, construct: `syntax error: ${e.message ?? String(error)}` }];
  }

  const checkType = (type: unknown, line: number, isReturn: boolean): void => {
    if (!isNode(type)) return;
    if (type.kind === 'uniontype') report(lineOf(type, line), 'union type (PHP 8.0)');
    if (type.kind === 'intersectiontype') report(lineOf(type, line), 'intersection type (PHP 8.1)');
    for (const name of typeNames(type)) {
      if (name === 'mixed') report(lineOf(type, line), 'mixed type (PHP 8.0)');
      if (name === 'never') report(lineOf(type, line), 'never type (PHP 8.1)');
      if (name === 'static' && isReturn) report(lineOf(type, line), 'static return type (PHP 8.0)');
      if ((name === 'null' || name === 'false' || name === 'true') && type.kind === 'typereference') report(lineOf(type, line), `standalone ${name} type (PHP 8.2)`);
    }
  };

  const walk = (node: AstNode, parent: AstNode | null, inInitializer: boolean, parentLine: number): void => {
    const line = lineOf(node, parentLine);
    switch (node.kind) {
      case 'arrowfunc':
        report(line, 'arrow function fn() (PHP 7.4)');
        break;
      case 'match':
        report(line, 'match expression (PHP 8.0)');
        break;
      case 'nullsafepropertylookup':
        report(line, 'nullsafe operator ?-> (PHP 8.0)');
        break;
      case 'namedargument':
        report(line, 'named argument (PHP 8.0)');
        break;
      case 'enum':
        report(line, 'enum (PHP 8.1)');
        break;
      case 'variadicplaceholder':
        report(line, 'first-class callable syntax f(...) (PHP 8.1)');
        break;
      case 'uniontype':
      case 'intersectiontype':
        checkType(node, line, false);
        break;
      case 'assign':
        if (node.operator === '??=') report(line, 'null coalescing assignment ??= (PHP 7.4)');
        break;
      case 'number': {
        const raw = String(node.value);
        if (raw.includes('_')) report(line, 'numeric literal separator (PHP 7.4)');
        if (/^0o/i.test(raw)) report(line, 'explicit octal 0o prefix (PHP 8.1)');
        break;
      }
      case 'class':
        if (node.isReadonly === true) report(line, 'readonly class (PHP 8.2)');
        break;
      case 'property':
        if (isNode(node.type)) report(line, 'typed property (PHP 7.4)');
        if (node.readonly === true) report(line, 'readonly property (PHP 8.1)');
        break;
      case 'classconstant':
        if (isNode(node.type)) report(line, 'typed class constant (PHP 8.3)');
        break;
      case 'parameter':
        if (typeof node.flags === 'number' && node.flags !== 0) report(line, 'constructor property promotion (PHP 8.0)');
        if (node.readonly === true) report(line, 'readonly property (PHP 8.1)');
        checkType(node.type, line, false);
        break;
      case 'catch':
        if (node.variable === null) report(line, 'catch without a variable (PHP 8.0)');
        break;
      case 'staticlookup':
        if (isNode(node.offset) && node.offset.kind === 'identifier' && String(node.offset.name).toLowerCase() === 'class' && isNode(node.what) && !CLASS_NAME_KINDS.has(node.what.kind)) {
          report(line, '::class on an object (PHP 8.0)');
        }
        break;
      case 'throw':
        if (parent !== null && !STATEMENT_PARENTS.has(parent.kind)) report(line, 'throw expression (PHP 8.0)');
        break;
      case 'entry':
        if (node.unpack === true && isNode(node.key)) report(line, 'array unpacking with string keys (PHP 8.1)');
        else if (node.unpack === true) report(line, 'array unpacking [...$a] (PHP 7.4)');
        break;
      case 'new':
        if (inInitializer) report(line, 'new in an initializer (PHP 8.1)');
        break;
      default:
        break;
    }
    if (FUNCTION_KINDS.has(node.kind)) checkType(node.type, line, true);
    if (node.kind === 'property') checkType(node.type, line, false);

    for (const [key, value] of Object.entries(node)) {
      if (key === 'loc' || key === 'leadingComments' || key === 'trailingComments') continue;
      // Constant expressions: parameter, property and constant defaults and
      // static variable initialisers.
      const initializer =
        inInitializer ||
        (key === 'value' && (node.kind === 'parameter' || node.kind === 'property' || node.kind === 'constant')) ||
        (key === 'defaultValue' && node.kind === 'staticvariable');
      if (Array.isArray(value)) {
        for (const item of value) if (isNode(item)) walk(item, node, initializer, line);
      } else if (isNode(value)) {
        walk(value, node, initializer, line);
      }
    }
  };
  walk(program, null, false, 1);

  checkTokens(engine.tokenGetAll(source) as Token[], report);

  return [...found.values()].sort((a, b) => a.line - b.line || a.construct.localeCompare(b.construct));
}

/** Attributes and trailing commas, which the AST does not keep. */
function checkTokens(all: Token[], report: (line: number, construct: string) => void): void {
  const tokens: Array<{ name: string; text: string; line: number }> = [];
  let line = 1;
  for (const t of all) {
    if (typeof t === 'string') {
      tokens.push({ name: t, text: t, line });
    } else {
      line = t[2];
      if (!SKIPPED_TOKENS.has(t[0])) tokens.push({ name: t[0], text: t[1], line });
      line += (t[1].match(/\n/g) ?? []).length;
    }
  }

  // For each open '(' remember what it opens.
  type Opener = 'array' | 'params' | 'use' | 'call';
  const stack: Opener[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    if (tok.name === 'T_ATTRIBUTE') report(tok.line, 'attribute #[...] (PHP 8.0)');
    if (tok.name === '(') {
      const prev = tokens[i - 1];
      const prev2 = tokens[i - 2];
      const prev3 = tokens[i - 3];
      let opener: Opener = 'call';
      if (prev === undefined) opener = 'call';
      else if (prev.name === 'T_ARRAY' || prev.name === 'T_LIST') opener = 'array';
      else if (prev.name === 'T_USE') opener = 'use';
      else if (prev.name === 'T_FUNCTION' || prev.name === 'T_FN') opener = 'params';
      else if (prev.name === '&' && (prev2?.name === 'T_FUNCTION' || prev2?.name === 'T_FN')) opener = 'params';
      else if (prev2?.name === 'T_FUNCTION' || (prev2?.name === '&' && prev3?.name === 'T_FUNCTION')) opener = 'params';
      stack.push(opener);
    } else if (tok.name === ')') {
      stack.pop();
    } else if (tok.name === ',' && tokens[i + 1]?.name === ')') {
      const opener = stack[stack.length - 1];
      if (opener === 'params') report(tok.line, 'trailing comma in a parameter list (PHP 8.0)');
      else if (opener === 'use') report(tok.line, 'trailing comma in a closure use list (PHP 8.0)');
      else if (opener === 'call') report(tok.line, 'trailing comma in an argument list (PHP 7.3)');
    }
  }
}
