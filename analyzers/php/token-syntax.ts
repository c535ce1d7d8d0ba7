/**
 * Proves from the scanner's tokens that php-parser would accept a file, for
 * the statement and expression shapes legacy PHP is made of. A file typed
 * from its tokens (token-types.ts) is counted without a parse only when this
 * proof succeeds, so the report's parse errors stay what the parser says:
 * anything the grammar below does not know, or finds wrong, sends the file to
 * php-parser (which then reports its own message, or accepts it).
 *
 * It only has to be at least as strict as php-parser, never complete: closures,
 * attributes, `match`, `declare`, group `use`, named arguments, trailing
 * commas in calls, destructuring, nested unparenthesised ternaries and the
 * like are refused. test/analyzers/token-types.test.ts mutates valid files
 * and checks that no mutant this accepts is one php-parser rejects.
 */
import { ECHO_TAG, INTERPOLATION, type TokenStream } from './scanner.js';
import { T_STRING, T_NAME_QUALIFIED, T_NAME_FULLY_QUALIFIED, T_NAME_RELATIVE, T_VARIABLE, T_OBJECT_OPERATOR, T_NULLSAFE, T_DOUBLE_COLON, T_ELLIPSIS, T_STRING_LITERAL, T_FUNCTION, T_NEW, T_CONST, T_NAMESPACE, T_USE, T_AS, T_CLASS, T_TRAIT, T_INTERFACE, T_EXTENDS, T_IMPLEMENTS, T_CATCH, T_INSTANCEOF, T_STATIC, T_GLOBAL, T_RETURN } from './token-ids.js';

class Refused extends Error {}

/** Longer expressions, deeper nesting: refused (php-parser may run out of stack; it then decides). */
const MAX_OPERANDS = 256;
const MAX_NESTING = 64;
const BINARY = new Set(['+', '-', '*', '/', '%', '**', '.', '<<', '>>', '<', '<=', '>', '>=', '==', '!=', '===', '!==', '<>', '<=>', '&', '|', '^', '&&', '||', '??']);
const COMPARISON = new Set(['<', '<=', '>', '>=', '==', '!=', '===', '!==', '<>', '<=>']);
/** Operators below the comparisons: two comparisons need one of these between them (they do not chain). */
const BELOW_COMPARISON = new Set(['&', '|', '^', '&&', '||', '??']);
const ASSIGN = new Set(['=', '+=', '-=', '*=', '/=', '.=', '%=', '&=', '|=', '^=', '<<=', '>>=', '**=', '??=']);
const PREFIX = new Set(['!', '-', '+', '~', '@']);
const CASTS = new Set(['int', 'integer', 'bool', 'boolean', 'float', 'double', 'real', 'string', 'array', 'object', 'binary']);
const MODIFIERS = new Set(['public', 'protected', 'private', 'static', 'abstract', 'final', 'var']);
const VISIBILITY = new Set(['public', 'protected', 'private']);
/** Magic constants: constants only (never called, never a class). */
const MAGIC = new Set(['__line__', '__file__', '__dir__', '__namespace__', '__class__', '__function__', '__method__', '__trait__']);
/** Words that are never a constant, function or class name. */
const RESERVED = new Set(
  `abstract and array as break callable case catch class clone const continue declare default die do echo else elseif empty
  enddeclare endfor endforeach endif endswitch endwhile eval exit extends final finally fn for foreach function global goto if
  implements include include_once instanceof insteadof interface isset list match namespace new or print private protected
  public readonly require require_once return static switch throw trait try unset use var while xor yield __halt_compiler`.split(/\s+/),
);

function isName(k: number | string | undefined): boolean {
  return k === T_STRING || k === T_NAME_QUALIFIED || k === T_NAME_FULLY_QUALIFIED || k === T_NAME_RELATIVE;
}

/** True when the tokens form a file php-parser accepts (as far as this grammar can tell); false means "parse it". */
export function provesSyntax(tokens: TokenStream): boolean {
  if (tokens.suspect) return false;
  try {
    new Recognizer(tokens).file();
    return true;
  } catch (error) {
    // A stack overflow on absurd nesting is a refusal too: php-parser then decides, as it did before.
    if (error instanceof Refused || error instanceof RangeError) return false;
    throw error;
  }
}

interface Operand {
  /** A variable, property, static property or offset reached from a variable: it can be assigned. */
  writable: boolean;
}

class Recognizer {
  private p = 0;
  /** Block nesting: `use`, `namespace` and `const` statements belong at the top. */
  private depth = 0;
  /** Expression nesting (parentheses, calls, arrays): deep nesting too is left to php-parser. */
  private nesting = 0;
  private readonly kinds: Array<number | string>;
  private readonly texts: string[];
  private readonly n: number;

  constructor(tokens: TokenStream) {
    this.kinds = tokens.kinds;
    this.texts = tokens.texts;
    this.n = tokens.kinds.length;
  }

  file(): void {
    while (this.p < this.n) this.statement();
  }

  // -- helpers ----------------------------------------------------------------

  private refuse(): never {
    throw new Refused();
  }

  private k(offset = 0): number | string | undefined {
    return this.kinds[this.p + offset];
  }

  /** The lower-case word at p+offset when it is a plain name token, else ''. */
  private word(offset = 0): string {
    return this.kinds[this.p + offset] === T_STRING ? this.texts[this.p + offset]!.toLowerCase() : '';
  }

  private expect(kind: number | string): void {
    if (this.kinds[this.p] !== kind) this.refuse();
    this.p++;
  }

  private expectWord(word: string): void {
    if (this.word() !== word) this.refuse();
    this.p++;
  }

  private end(): void {
    this.expect(';');
  }

  // -- statements ---------------------------------------------------------------

  private statement(): void {
    const k = this.k();
    const w = this.word();
    if (k === ';') {
      this.p++;
      return;
    }
    if (k === ECHO_TAG) {
      this.p++;
      this.expressionList();
      this.end();
      return;
    }
    if (k === '{') {
      if (this.texts[this.p] !== '{') this.refuse();
      this.block();
      return;
    }
    if (k === T_FUNCTION) {
      this.functionDeclaration();
      return;
    }
    if (k === T_CLASS || k === T_INTERFACE || k === T_TRAIT || ((w === 'abstract' || w === 'final') && this.k(1) === T_CLASS)) {
      this.classDeclaration();
      return;
    }
    if ((k === T_NAMESPACE || k === T_USE || k === T_CONST) && this.depth > 0) this.refuse();
    if (k === T_NAMESPACE) {
      this.p++;
      if (isName(this.k()) && this.kinds[this.p] !== T_NAME_FULLY_QUALIFIED && this.kinds[this.p] !== T_NAME_RELATIVE) {
        this.p++;
        if (this.k() === ';') {
          this.p++;
          return;
        }
      }
      this.block();
      return;
    }
    if (k === T_USE) {
      this.p++;
      if (this.k() === T_FUNCTION || this.k() === T_CONST) this.p++;
      for (;;) {
        if (!isName(this.k()) || RESERVED.has(this.word())) this.refuse();
        this.p++;
        if (this.k() === T_AS) {
          this.p++;
          if (this.k() !== T_STRING || RESERVED.has(this.word())) this.refuse();
          this.p++;
        }
        if (this.k() !== ',') break;
        this.p++;
      }
      this.end();
      return;
    }
    if (k === T_CONST) {
      this.p++;
      this.constants();
      return;
    }
    if (k === T_RETURN) {
      this.p++;
      if (this.k() !== ';') this.expression();
      this.end();
      return;
    }
    if (k === T_GLOBAL) {
      this.p++;
      this.variableList();
      this.end();
      return;
    }
    if (k === T_STATIC && this.k(1) === T_VARIABLE) {
      this.p++;
      this.initialisedVariables();
      return;
    }
    switch (w) {
      case 'if':
        this.ifStatement();
        return;
      case 'while':
        this.p++;
        this.condition();
        this.body('endwhile');
        return;
      case 'do':
        this.p++;
        this.statement();
        this.expectWord('while');
        this.condition();
        this.end();
        return;
      case 'for':
        this.p++;
        this.expect('(');
        for (const stop of [';', ';', ')']) {
          if (this.k() !== stop) this.expressionList();
          this.expect(stop);
        }
        this.body('endfor');
        return;
      case 'foreach':
        this.p++;
        this.expect('(');
        this.expression();
        this.expect(T_AS);
        this.foreachTarget();
        if (this.k() === '=>') {
          this.p++;
          this.foreachTarget();
        }
        this.expect(')');
        this.body('endforeach');
        return;
      case 'switch':
        this.switchStatement();
        return;
      case 'break':
      case 'continue':
        this.p++;
        if (this.k() === T_STRING_LITERAL && this.texts[this.p] === '0') this.p++;
        this.end();
        return;
      case 'echo':
        this.p++;
        this.expressionList();
        this.end();
        return;
      case 'unset':
        this.p++;
        this.expect('(');
        for (;;) {
          if (!this.unary().writable) this.refuse();
          if (this.k() !== ',') break;
          this.p++;
        }
        this.expect(')');
        this.end();
        return;
      case 'throw':
        this.p++;
        this.expression();
        this.end();
        return;
      case 'try':
        this.tryStatement();
        return;
      default:
    }
    if (w && RESERVED.has(w) && !['array', 'isset', 'empty', 'exit', 'die', 'eval', 'print', 'include', 'include_once', 'require', 'require_once', 'clone'].includes(w)) this.refuse();
    if (isName(k) && this.k(1) === ':') this.refuse(); // a label
    this.expression();
    this.end();
  }

  private block(): void {
    this.expect('{');
    if (++this.depth > MAX_NESTING) this.refuse();
    while (this.k() !== '}') {
      if (this.p >= this.n) this.refuse();
      this.statement();
    }
    this.depth--;
    this.p++;
  }

  private condition(): void {
    this.expect('(');
    this.expression();
    this.expect(')');
  }

  /** A loop body: one statement, or `:` statements `endX;`. */
  private body(endWord: string): void {
    if (this.k() === ':') {
      this.p++;
      while (this.word() !== endWord) {
        if (this.p >= this.n) this.refuse();
        this.statement();
      }
      this.p++;
      this.end();
      return;
    }
    this.statement();
  }

  private ifStatement(): void {
    this.p++;
    this.condition();
    if (this.k() === ':') {
      this.p++;
      let sawElse = false;
      for (;;) {
        const w = this.word();
        if (w === 'endif') {
          this.p++;
          this.end();
          return;
        }
        if (w === 'elseif' || w === 'else') {
          if (sawElse) this.refuse();
          this.p++;
          if (w === 'elseif') this.condition();
          else sawElse = true;
          this.expect(':');
          continue;
        }
        if (this.p >= this.n) this.refuse();
        this.statement();
      }
    }
    this.statement();
    for (;;) {
      const w = this.word();
      if (w === 'elseif') {
        this.p++;
        this.condition();
        if (this.k() === ':') this.refuse();
        this.statement();
        continue;
      }
      if (w === 'else') {
        this.p++;
        if (this.k() === ':') this.refuse();
        this.statement();
      }
      return;
    }
  }

  private switchStatement(): void {
    this.p++;
    this.condition();
    const alternative = this.k() === ':';
    if (!alternative) this.expect('{');
    else this.p++;
    for (;;) {
      const w = this.word();
      if (!alternative && this.k() === '}') {
        this.p++;
        return;
      }
      if (alternative && w === 'endswitch') {
        this.p++;
        this.end();
        return;
      }
      if (w === 'case' || w === 'default') {
        this.p++;
        if (w === 'case') this.expression();
        if (this.k() !== ':' && this.k() !== ';') this.refuse();
        this.p++;
        continue;
      }
      if (this.p >= this.n) this.refuse();
      this.statement();
    }
  }

  private tryStatement(): void {
    this.p++;
    this.block();
    let handlers = 0;
    while (this.k() === T_CATCH) {
      this.p++;
      this.expect('(');
      for (;;) {
        if (!isName(this.k())) this.refuse();
        this.p++;
        if (this.k() !== '|') break;
        this.p++;
      }
      this.expect(T_VARIABLE);
      this.expect(')');
      this.block();
      handlers++;
    }
    if (this.word() === 'finally') {
      this.p++;
      this.block();
      handlers++;
    }
    if (handlers === 0) this.refuse();
  }

  private foreachTarget(): void {
    if (this.k() === '&') this.p++;
    if (!this.unary().writable) this.refuse();
  }

  /** `$a [= expr], $b [= expr] …;`: the variables of a `static` or a property declaration. */
  private initialisedVariables(): void {
    for (;;) {
      this.expect(T_VARIABLE);
      if (this.k() === '=') {
        this.p++;
        this.expression();
      }
      if (this.k() !== ',') break;
      this.p++;
    }
    this.end();
  }

  private variableList(): void {
    for (;;) {
      this.expect(T_VARIABLE);
      if (this.k() !== ',') return;
      this.p++;
    }
  }

  private constants(): void {
    for (;;) {
      if (this.k() !== T_STRING || RESERVED.has(this.word())) this.refuse();
      this.p++;
      this.expect('=');
      this.expression();
      if (this.k() !== ',') break;
      this.p++;
    }
    this.end();
  }

  // -- declarations -------------------------------------------------------------

  private functionDeclaration(): void {
    this.p++;
    if (this.k() === '&') this.p++;
    if (this.k() !== T_STRING || RESERVED.has(this.word())) this.refuse();
    this.p++;
    this.signature(false);
    this.block();
  }

  /** `(params) [: type]` of a function or method. */
  private signature(promotable: boolean): void {
    this.expect('(');
    if (this.k() !== ')') {
      for (;;) {
        let modifiers = 0;
        while (promotable && VISIBILITY.has(this.word())) {
          this.p++;
          modifiers++;
        }
        if (modifiers > 1) this.refuse();
        if (this.k() !== T_VARIABLE && this.k() !== '&' && this.k() !== T_ELLIPSIS) this.type(false);
        if (this.k() === '&') this.p++;
        if (this.k() === T_ELLIPSIS) this.p++;
        this.expect(T_VARIABLE);
        if (this.k() === '=') {
          this.p++;
          this.expression();
        }
        if (this.k() !== ',') break;
        this.p++;
      }
    }
    this.expect(')');
    if (this.k() === ':') {
      this.p++;
      this.type(true);
    }
  }

  private type(isReturn: boolean): void {
    if (this.k() === '?') {
      this.p++;
      this.typeName(isReturn);
      return;
    }
    for (;;) {
      this.typeName(isReturn);
      if (this.k() !== '|') return;
      this.p++;
    }
  }

  private typeName(isReturn: boolean): void {
    const k = this.k();
    if (k === T_STATIC && isReturn) {
      this.p++;
      return;
    }
    if (!isName(k)) this.refuse();
    const w = this.word();
    if (w && RESERVED.has(w) && w !== 'array' && w !== 'callable') this.refuse();
    this.p++;
  }

  private classDeclaration(): void {
    const w = this.word();
    if (w === 'abstract' || w === 'final') this.p++;
    const kind = this.k();
    this.p++;
    if (this.k() !== T_STRING || RESERVED.has(this.word())) this.refuse();
    this.p++;
    if (this.k() === T_EXTENDS) {
      this.p++;
      this.nameList(kind === T_INTERFACE);
    }
    if (this.k() === T_IMPLEMENTS) {
      if (kind !== T_CLASS) this.refuse();
      this.p++;
      this.nameList(true);
    }
    this.expect('{');
    while (this.k() !== '}') {
      if (this.p >= this.n) this.refuse();
      this.member(kind === T_INTERFACE);
    }
    this.p++;
  }

  private nameList(many: boolean): void {
    for (;;) {
      if (!isName(this.k()) || RESERVED.has(this.word())) this.refuse();
      this.p++;
      if (!many || this.k() !== ',') return;
      this.p++;
    }
  }

  private member(inInterface: boolean): void {
    if (this.k() === T_USE) {
      this.p++;
      this.nameList(true);
      this.end();
      return;
    }
    const seen = new Set<string>();
    for (;;) {
      const w = this.k() === T_STATIC ? 'static' : this.word();
      if (!MODIFIERS.has(w)) break;
      if (seen.has(w) || (VISIBILITY.has(w) && [...seen].some((s) => VISIBILITY.has(s)))) this.refuse();
      seen.add(w);
      this.p++;
    }
    if (this.k() === T_FUNCTION) {
      if (seen.has('var')) this.refuse();
      this.p++;
      if (this.k() === '&') this.p++;
      if (this.k() !== T_STRING) this.refuse();
      const name = this.word();
      this.p++;
      this.signature(name === '__construct');
      if (this.k() === ';') {
        if (!inInterface && !seen.has('abstract')) this.refuse();
        this.p++;
        return;
      }
      if (inInterface || seen.has('abstract')) this.refuse();
      this.block();
      return;
    }
    if (this.k() === T_CONST) {
      if (seen.has('static') || seen.has('var') || seen.has('abstract') || seen.has('final')) this.refuse();
      this.p++;
      this.constants();
      return;
    }
    // A property: at least one modifier, an optional type, then variables.
    if (seen.size === 0 || inInterface || seen.has('abstract') || seen.has('final')) this.refuse();
    if (this.k() !== T_VARIABLE) this.type(false);
    this.initialisedVariables();
  }

  // -- expressions --------------------------------------------------------------

  private expressionList(): void {
    for (;;) {
      this.expression();
      if (this.k() !== ',') return;
      this.p++;
    }
  }

  /** A full expression, including the low-precedence `and`, `or`, `xor`. */
  private expression(): void {
    this.assignment();
    while (['and', 'or', 'xor'].includes(this.word())) {
      this.p++;
      this.assignment();
    }
  }

  /** An expression at assignment level: operands and binary operators, an assignment, a ternary. */
  private assignment(): void {
    if (this.binarySequence()) return;
    if (this.k() === '?') {
      this.p++;
      if (this.k() === ':') this.p++;
      else {
        this.assignment();
        this.expect(':');
      }
      // The false branch: no assignment and no second unparenthesised ternary.
      this.binarySequence(true);
      if (this.k() === '?' || ASSIGN.has(String(this.k()))) this.refuse();
    }
  }

  /**
   * Operands joined by binary operators. Returns true when it ended in an
   * assignment (whose right-hand side took the rest of the expression).
   */
  private binarySequence(noAssignment = false): boolean {
    let comparisonOpen = false;
    let operand = this.unary();
    let operands = 1;
    for (;;) {
      // php-parser recurses per operator and overflows its stack on very long expressions (a parse
      // error for the report): those are left to it.
      if (operands > MAX_OPERANDS) this.refuse();
      const k = this.k();
      if (typeof k === 'string' && ASSIGN.has(k)) {
        if (noAssignment || !operand.writable) this.refuse();
        this.p++;
        if (k === '=' && this.k() === '&') {
          this.p++;
          if (!this.unary().writable) this.refuse();
          return true;
        }
        this.assignment();
        return true;
      }
      if (typeof k === 'string' && BINARY.has(k)) {
        if (COMPARISON.has(k)) {
          if (comparisonOpen) this.refuse();
          comparisonOpen = true;
        } else if (BELOW_COMPARISON.has(k)) comparisonOpen = false;
        this.p++;
        operand = this.unary();
        operands++;
        continue;
      }
      if (k === T_INSTANCEOF) {
        this.p++;
        const target = this.k();
        if (!(isName(target) || target === T_VARIABLE || target === T_STATIC) || RESERVED.has(this.word())) this.refuse();
        this.p++;
        operand = { writable: false };
        continue;
      }
      return false;
    }
  }

  private unary(): Operand {
    if (++this.nesting > MAX_NESTING) this.refuse();
    try {
      return this.unaryAt();
    } finally {
      this.nesting--;
    }
  }

  private unaryAt(): Operand {
    const k = this.k();
    const w = this.word();
    if (typeof k === 'string' && PREFIX.has(k)) {
      this.p++;
      this.prefixOperand();
      return { writable: false };
    }
    if (k === '++' || k === '--') {
      this.p++;
      if (!this.unary().writable) this.refuse();
      return { writable: false };
    }
    if (k === '(' && this.kinds[this.p + 1] === T_STRING && CASTS.has(this.word(1)) && this.kinds[this.p + 2] === ')') {
      this.p += 3;
      this.prefixOperand();
      return { writable: false };
    }
    if (k === T_NEW) {
      this.p++;
      const what = this.k();
      if (what === T_STATIC || (isName(what) && !RESERVED.has(this.word()))) this.p++;
      else if (what === T_VARIABLE && this.kinds[this.p + 1] !== T_OBJECT_OPERATOR && this.kinds[this.p + 1] !== T_DOUBLE_COLON && this.kinds[this.p + 1] !== '[') this.p++;
      else this.refuse();
      if (this.k() === '(') this.arguments();
      const next = this.k();
      if (next === T_OBJECT_OPERATOR || next === T_NULLSAFE || next === T_DOUBLE_COLON || next === '[' || next === '(' || next === '++' || next === '--') this.refuse();
      return { writable: false };
    }
    if (w === 'clone') {
      this.p++;
      this.unary();
      return { writable: false };
    }
    if (w === 'print' || w === 'include' || w === 'include_once' || w === 'require' || w === 'require_once') {
      this.p++;
      this.assignment();
      return { writable: false };
    }
    const operand = this.chain();
    if ((this.k() === '++' || this.k() === '--') && operand.writable) {
      this.p++;
      return { writable: false };
    }
    return operand;
  }

  /** The operand of a prefix operator or cast; `!$x = f()` assigns first (PHP reads `!($x = f())`). */
  private prefixOperand(): void {
    const operand = this.unary();
    const k = this.k();
    if (operand.writable && typeof k === 'string' && ASSIGN.has(k)) {
      this.p++;
      if (k === '=' && this.k() === '&') {
        this.p++;
        if (!this.unary().writable) this.refuse();
        return;
      }
      this.assignment();
    }
  }

  /** A primary expression and its `->`, `::`, `[…]` and call chain. */
  private chain(): Operand {
    const k = this.k();
    const w = this.word();
    let writable = false;
    let fromVariable = false;
    if (k === T_VARIABLE) {
      this.p++;
      writable = true;
      fromVariable = true;
    } else if (k === '{' || k === T_STRING_LITERAL) {
      // A string: `{$…}` interpolations come right before its token.
      while (this.k() === '{') {
        if (this.texts[this.p] !== INTERPOLATION) this.refuse();
        this.p++;
        if (this.k() !== T_VARIABLE) this.refuse();
        this.chain();
        this.expect('}');
      }
      const text = this.texts[this.p];
      this.expect(T_STRING_LITERAL);
      if (this.k() === '[' && (text === "''" || text === '""')) {
        // 'abc'[0]
      } else return { writable: false };
    } else if (k === '[') {
      this.arrayItems(']');
      if (this.k() === '=' ) this.refuse(); // destructuring
      return { writable: false };
    } else if (w === 'array' && this.k(1) === '(') {
      this.p++;
      this.arrayItems(')');
      return { writable: false };
    } else if (w === 'isset') {
      this.p++;
      this.expect('(');
      for (;;) {
        if (!this.unary().writable) this.refuse();
        if (this.k() !== ',') break;
        this.p++;
      }
      this.expect(')');
      return { writable: false };
    } else if (w === 'empty' || w === 'eval') {
      this.p++;
      this.expect('(');
      this.expression();
      this.expect(')');
      return { writable: false };
    } else if (w === 'exit' || w === 'die') {
      this.p++;
      if (this.k() === '(') {
        this.p++;
        if (this.k() !== ')') this.expression();
        this.expect(')');
      }
      return { writable: false };
    } else if (isName(k) || k === T_STATIC) {
      if (w && RESERVED.has(w) && k !== T_STATIC) this.refuse();
      this.p++;
      const next = this.k();
      if (MAGIC.has(w) && (next === '(' || next === T_DOUBLE_COLON)) this.refuse();
      if (next === '(') {
        if (k === T_STATIC) this.refuse();
        this.arguments();
      } else if (next === T_DOUBLE_COLON) {
        // handled by the postfix loop
      } else if (k === T_STATIC) this.refuse();
    } else if (k === '(') {
      this.p++;
      this.expression();
      this.expect(')');
    } else this.refuse();
    // Postfix.
    for (;;) {
      const op = this.k();
      if (op === T_OBJECT_OPERATOR || op === T_NULLSAFE) {
        this.p++;
        if (this.k() !== T_STRING) this.refuse();
        this.p++;
        if (this.k() === '(') {
          this.arguments();
          writable = false;
        } else writable = fromVariable || writable || op === T_OBJECT_OPERATOR;
        if (op === T_NULLSAFE && this.k() !== '(') writable = false;
        continue;
      }
      if (op === T_DOUBLE_COLON) {
        this.p++;
        const member = this.k();
        if (member === T_VARIABLE) {
          this.p++;
          writable = true;
          fromVariable = true;
        } else if (member === T_STRING) {
          this.p++;
          if (this.k() === '(') this.arguments();
          writable = false;
        } else if (member === T_CLASS) {
          this.p++;
          writable = false;
        } else this.refuse();
        continue;
      }
      if (op === '[') {
        this.p++;
        if (this.k() === ']') {
          // `$a[] = …` only.
          this.p++;
          if (!fromVariable || this.k() !== '=') this.refuse();
          writable = true;
          continue;
        }
        this.expression();
        this.expect(']');
        writable = fromVariable;
        continue;
      }
      if (op === '(') {
        this.arguments();
        writable = false;
        continue;
      }
      if (op === '{') this.refuse();
      return { writable: writable && fromVariable };
    }
  }

  private arguments(): void {
    this.expect('(');
    if (this.k() === ')') {
      this.p++;
      return;
    }
    for (;;) {
      if (this.k() === T_ELLIPSIS) this.p++;
      this.expression();
      if (this.k() !== ',') break;
      this.p++;
    }
    this.expect(')');
  }

  private arrayItems(close: string): void {
    this.p++;
    while (this.k() !== close) {
      if (this.k() === T_ELLIPSIS) {
        this.p++;
        this.expression();
      } else {
        if (this.k() === '&') {
          this.p++;
          if (!this.unary().writable) this.refuse();
        } else this.expression();
        if (this.k() === '=>') {
          this.p++;
          if (this.k() === '&') {
            this.p++;
            if (!this.unary().writable) this.refuse();
          } else this.expression();
        }
      }
      if (this.k() === ',') this.p++;
      else if (this.k() !== close) this.refuse();
    }
    this.p++;
  }
}
