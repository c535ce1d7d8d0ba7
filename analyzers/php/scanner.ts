/**
 * A fast PHP token scanner for the counting rules: it keeps code tokens
 * (names, variables, the punctuation the rules read) and drops comments,
 * strings, heredoc/nowdoc text and inline HTML, but scans the code inside
 * `{$…}` and `${…}` interpolations. Token kinds are php-parser's lexer ids, so
 * token-facts.ts reads both streams alike.
 *
 * Why it exists: php-parser parses ~18 MB/s per core and its lexer ~25 MB/s;
 * PHP's C tokenizer runs at > 100 MB/s. Files whose counts need no receiver
 * type (no `->query(`-like call) are scanned here at several times the
 * lexer's speed (bench/audit-engine.mjs), and parsed only when another file
 * needs their types.
 */
import { tokenId, T_STRING, T_NAME_QUALIFIED, T_NAME_FULLY_QUALIFIED, T_NAME_RELATIVE, T_VARIABLE, T_OBJECT_OPERATOR, T_NULLSAFE, T_DOUBLE_COLON, T_ELLIPSIS, T_STRING_LITERAL } from './token-ids.js';

export interface TokenStream {
  kinds: Array<number | string>;
  texts: string[];
  lines: number[];
  /**
   * The scan saw something no valid file has: unbalanced brackets, or a
   * string, comment or heredoc that never ends. Such a file is parsed, so
   * a syntax error is reported with the parser's own message.
   */
  suspect?: boolean;
  /**
   * Docblocks holding a type tag (`@var`, `@param`, `@return`), by the index
   * of the token right after them when only whitespace lies between (where
   * the parser's tier reads a node's docblock). Only scanPhp fills this.
   */
  docs?: Map<number, string>;
}

/** A docblock tag the typing rules read (the same tags ast-facts.ts reads). */
const TYPE_TAG = /@(?:var|param|return|phpstan-var|psalm-var)\s+\S/;

const KEYWORDS = new Map<string, number>(
  (
    [
      ['function', 'T_FUNCTION'],
      ['fn', 'T_FN'],
      ['new', 'T_NEW'],
      ['const', 'T_CONST'],
      ['namespace', 'T_NAMESPACE'],
      ['use', 'T_USE'],
      ['as', 'T_AS'],
      ['class', 'T_CLASS'],
      ['trait', 'T_TRAIT'],
      ['interface', 'T_INTERFACE'],
      ['enum', 'T_ENUM'],
      ['extends', 'T_EXTENDS'],
      ['implements', 'T_IMPLEMENTS'],
      ['catch', 'T_CATCH'],
      ['instanceof', 'T_INSTANCEOF'],
      ['static', 'T_STATIC'],
      ['goto', 'T_GOTO'],
      ['global', 'T_GLOBAL'],
      ['return', 'T_RETURN'],
    ] as const
  ).map(([word, name]) => [word, tokenId(name)]),
);

/** V8 makes a slice of this many characters or more a view into the string it was cut from. */
const MIN_VIEW_LENGTH = 13;

/**
 * `text.slice(start, end)` that does not keep `text` alive. Names end up in the facts kept for the
 * whole run, and a view would keep every file's whole text in memory with them, to be copied by each
 * young-generation GC (measured: ~33 MB of file text kept on the generated tree).
 */
function own(text: string, start: number, end: number): string {
  const part = text.slice(start, end);
  // Slicing a concatenation copies it out first, so the result is a view into that small copy.
  return end - start < MIN_VIEW_LENGTH ? part : (' ' + part).slice(1);
}

/**
 * The operator at `i` (first character `c`), longest first as PHP's lexer reads it (`.=`, `===`,
 * `??=`, `<=>`…). Returns string literals: no allocation per token (measured: slicing and set
 * lookups here made the scan ~2× slower).
 */
function operatorAt(text: string, i: number, c: number): string {
  const d = text.charCodeAt(i + 1);
  const e = text.charCodeAt(i + 2);
  switch (c) {
    case 61 /* = */:
      if (d === 61) return e === 61 ? '===' : '==';
      return d === 62 ? '=>' : '=';
    case 33 /* ! */:
      if (d === 61) return e === 61 ? '!==' : '!=';
      return '!';
    case 60 /* < */:
      if (d === 61) return e === 62 ? '<=>' : '<=';
      if (d === 60) return e === 61 ? '<<=' : '<<';
      return d === 62 ? '<>' : '<';
    case 62 /* > */:
      if (d === 62) return e === 61 ? '>>=' : '>>';
      return d === 61 ? '>=' : '>';
    case 42 /* * */:
      if (d === 42) return e === 61 ? '**=' : '**';
      return d === 61 ? '*=' : '*';
    case 63 /* ? */:
      if (d === 63) return e === 61 ? '??=' : '??';
      return '?';
    case 38 /* & */:
      return d === 38 ? '&&' : d === 61 ? '&=' : '&';
    case 124 /* | */:
      return d === 124 ? '||' : d === 61 ? '|=' : '|';
    case 94 /* ^ */:
      return d === 61 ? '^=' : '^';
    case 37 /* % */:
      return d === 61 ? '%=' : '%';
    case 46 /* . */:
      return d === 61 ? '.=' : '.';
    case 43 /* + */:
      return d === 43 ? '++' : d === 61 ? '+=' : '+';
    case 45 /* - */:
      return d === 45 ? '--' : d === 61 ? '-=' : '-';
    default:
      return text[i]!;
  }
}

/** The text of a `{` token that opens `{$…}` (or `${…}`) code inside a string: kind `{`, told apart by its text. */
export const INTERPOLATION = '{interpolation';
export const INTERPOLATION_DOLLAR = '{dollar-interpolation';
/** The token `<?=` leaves (an echo statement starts there). */
export const ECHO_TAG = '<?=';

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c >= 128;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}

/** Newlines in text[from, to). */
function countLines(text: string, from: number, to: number): number {
  let count = 0;
  let j = text.indexOf('\n', from);
  while (j >= 0 && j < to) {
    count++;
    j = text.indexOf('\n', j + 1);
  }
  return count;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Where the number literal starting at `i` ends. */
function numberEnd(text: string, i: number): number {
  const n = text.length;
  const prefix = text.charCodeAt(i + 1) | 32;
  if (text.charCodeAt(i) === 48 && (prefix === 120 /* x */ || prefix === 98 /* b */ || prefix === 111 /* o */)) {
    i += 2;
    const isHex = (c: number): boolean => isDigit(c) || (prefix === 120 && (c | 32) >= 97 && (c | 32) <= 102);
    while (i < n && (isHex(text.charCodeAt(i)) || (text.charCodeAt(i) === 95 && isHex(text.charCodeAt(i + 1))))) i++;
    return i;
  }
  // `_` only between digits (1_000), as PHP reads it.
  const digits = (): void => {
    while (i < n && (isDigit(text.charCodeAt(i)) || (text.charCodeAt(i) === 95 && isDigit(text.charCodeAt(i + 1))))) i++;
  };
  if (text.charCodeAt(i) !== 46) digits();
  // `1.` is a whole number to PHP's lexer even before another `.` (`1..2` is two numbers).
  if (text.charCodeAt(i) === 46 /* . */) {
    i++;
    digits();
  }
  if ((text.charCodeAt(i) | 32) === 101 /* e */) {
    let j = i + 1;
    if (text.charCodeAt(j) === 43 || text.charCodeAt(j) === 45) j++;
    if (isDigit(text.charCodeAt(j))) {
      i = j;
      digits();
    }
  }
  return i;
}

export function scanPhp(text: string): TokenStream {
  const kinds: Array<number | string> = [];
  const texts: string[] = [];
  const lines: number[] = [];
  const n = text.length;
  let i = 0;
  let line = 1;
  let suspect = false;
  const brackets: number[] = [];
  const docs = new Map<number, string>();
  /** A typed docblock waiting for the next token (cleared by any other comment or `?>`). */
  let pendingDoc: string | null = null;
  const open = (c: number): void => {
    brackets.push(c);
  };
  const close = (c: number): void => {
    const expected = c === 41 ? 40 : c === 93 ? 91 : 123;
    if (brackets.pop() !== expected) suspect = true;
  };

  const emit = (kind: number | string, value: string): void => {
    if (pendingDoc !== null) {
      docs.set(kinds.length, pendingDoc);
      pendingDoc = null;
    }
    kinds.push(kind);
    texts.push(value);
    lines.push(line);
  };

  /** Skips inline HTML to just past the next open tag (`<?php`, `<?=`, `<?` + space), or to the end. */
  const skipHtml = (): void => {
    for (;;) {
      const open = text.indexOf('<?', i);
      const stop = open < 0 ? n : open;
      line += countLines(text, i, stop);
      if (open < 0) {
        i = n;
        return;
      }
      i = open + 2;
      if (text.slice(i, i + 3).toLowerCase() === 'php') {
        i += 3;
        // `<?php` is an open tag only before whitespace or the end; `<?phpx` is read differently by
        // different lexers: the file goes to the parser.
        const after = text.charCodeAt(i);
        if (i < n && after !== 32 && after !== 9 && after !== 10 && after !== 13) suspect = true;
        return;
      }
      if (text.charCodeAt(i) === 61 /* = */) {
        i += 1;
        emit(ECHO_TAG, ECHO_TAG);
        return;
      }
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) return;
    }
  };

  /** Skips a quoted string body after its opening quote; scans `{$…}` code when interpolating. */
  const skipQuoted = (quote: number, interpolate: boolean): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 92 /* \ */) {
        if (text.charCodeAt(i + 1) === 10) line++;
        i += 2;
        continue;
      }
      if (c === quote) {
        i++;
        return;
      }
      if (c === 10) line++;
      if (interpolate && ((c === 123 /* { */ && text.charCodeAt(i + 1) === 36) || (c === 36 && text.charCodeAt(i + 1) === 123))) {
        emit('{', c === 36 ? INTERPOLATION_DOLLAR : INTERPOLATION);
        i += c === 36 ? 2 : 1;
        open(123);
        scanCode(1);
        continue;
      }
      if (interpolate && c === 36) {
        checkSimpleInterpolation();
        continue;
      }
      i++;
    }
    suspect = true;
  };

  /**
   * `$name[key]` inside a string must close its bracket over a name, a number or a variable, or PHP
   * rejects the file; such a file is left to the parser (the scan does not read the string).
   */
  const checkSimpleInterpolation = (): void => {
    i++;
    if (!isIdentStart(text.charCodeAt(i))) return;
    while (i < n && isIdentPart(text.charCodeAt(i))) i++;
    if (text.charCodeAt(i) !== 91 /* [ */) return;
    let j = i + 1;
    if (text.charCodeAt(j) === 45 /* - */) j++;
    if (text.charCodeAt(j) === 36) j++;
    const start = j;
    if (isIdentStart(text.charCodeAt(j)) || isDigit(text.charCodeAt(j))) while (j < n && isIdentPart(text.charCodeAt(j))) j++;
    if (j === start || text.charCodeAt(j) !== 93 /* ] */) suspect = true;
    i = j;
  };

  /** Heredoc/nowdoc body up to its closing identifier (PHP 7.3 flexible closing allowed). */
  const skipHeredoc = (label: string, interpolate: boolean): void => {
    let atLineStart = true;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (atLineStart) {
        let j = i;
        while (j < n && (text.charCodeAt(j) === 32 || text.charCodeAt(j) === 9)) j++;
        if (text.startsWith(label, j) && !isIdentPart(text.charCodeAt(j + label.length))) {
          i = j + label.length;
          return;
        }
        atLineStart = false;
      }
      if (c === 10) {
        line++;
        atLineStart = true;
        i++;
        continue;
      }
      if (interpolate && c === 92) {
        i += 2;
        continue;
      }
      if (interpolate && ((c === 123 && text.charCodeAt(i + 1) === 36) || (c === 36 && text.charCodeAt(i + 1) === 123))) {
        emit('{', c === 36 ? INTERPOLATION_DOLLAR : INTERPOLATION);
        i += c === 36 ? 2 : 1;
        open(123);
        scanCode(1);
        continue;
      }
      if (interpolate && c === 36) {
        checkSimpleInterpolation();
        continue;
      }
      i++;
    }
    suspect = true;
  };

  /**
   * Scans code. With `depth` > 0 (inside an interpolation) it returns after
   * the `}` that closes it; at 0 it returns at `?>` or the end.
   */
  const scanCode = (depth: number): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 10) {
        line++;
        i++;
        continue;
      }
      if (c === 32 || c === 9 || c === 13) {
        i++;
        continue;
      }
      if (isIdentStart(c) || (c === 92 && isIdentStart(text.charCodeAt(i + 1)))) {
        const start = i;
        let qualified = c === 92;
        let upper = c >= 65 && c <= 90;
        i++;
        while (i < n) {
          const d = text.charCodeAt(i);
          if (isIdentPart(d)) {
            if (d >= 65 && d <= 90) upper = true;
            i++;
          } else if (d === 92 && isIdentStart(text.charCodeAt(i + 1))) {
            qualified = true;
            i++;
          } else break;
        }
        const word = own(text, start, i);
        const prev = kinds.length > 0 ? kinds[kinds.length - 1] : undefined;
        const afterMember = prev === T_OBJECT_OPERATOR || prev === T_NULLSAFE || prev === T_DOUBLE_COLON;
        if (c === 92) emit(T_NAME_FULLY_QUALIFIED, word);
        else if (qualified) {
          emit(word.slice(0, 10).toLowerCase() === 'namespace\\' ? T_NAME_RELATIVE : T_NAME_QUALIFIED, word);
        } else {
          // Keywords are at most 10 letters; lower-casing only words with capitals saves an allocation per name.
          const keyword = afterMember || i - start > 10 ? undefined : KEYWORDS.get(upper ? word.toLowerCase() : word);
          emit(keyword ?? T_STRING, word);
        }
        continue;
      }
      switch (c) {
        case 36 /* $ */: {
          const start = i;
          i++;
          // A variable name starts like an identifier (`$2x` is no variable: `$` then a number).
          if (i < n && isIdentStart(text.charCodeAt(i))) while (i < n && isIdentPart(text.charCodeAt(i))) i++;
          emit(i - start > 1 ? T_VARIABLE : '$', own(text, start, i));
          continue;
        }
        case 39 /* ' */:
        case 34 /* " */: {
          const start = i;
          i++;
          skipQuoted(c, c === 34);
          // The key of `$GLOBALS['x']` is kept (token-types.ts reads it); other strings are dropped.
          const afterGlobals = texts.length >= 2 && texts[texts.length - 1] === '[' && texts[texts.length - 2] === '$GLOBALS';
          emit(T_STRING_LITERAL, afterGlobals ? text.slice(start, i) : c === 39 ? "''" : '""');
          continue;
        }
        case 96 /* ` */:
          i++;
          skipQuoted(96, true);
          emit(T_STRING_LITERAL, '``');
          continue;
        case 35 /* # */:
          if (text.charCodeAt(i + 1) === 91 /* [ */) {
            // PHP 8 attribute: its content is code.
            i += 2;
            emit('#[', '#[');
            open(91);
            continue;
          }
          skipLineComment();
          continue;
        case 47 /* / */: {
          const d = text.charCodeAt(i + 1);
          if (d === 47) {
            skipLineComment();
            continue;
          }
          if (d === 42) {
            const end = text.indexOf('*/', i + 2);
            if (end < 0) suspect = true;
            const stop = end < 0 ? n : end + 2;
            pendingDoc = null;
            // A `/**` comment without an `@` holds no tag (a plain `/*` one may end a docblock that began before it).
            const at = end >= 0 && text.charCodeAt(i + 2) === 42 ? text.indexOf('@', i) : i;
            if (end >= 0 && at >= 0 && at < end) {
              // The docblock as ast-facts.ts docBefore reads it: from the last `/**` to this `*/`.
              const start = text.lastIndexOf('/**', end - 1);
              if (start >= 0 && text.indexOf('*/', start + 2) === end) {
                const doc = text.slice(start, end + 2);
                if (TYPE_TAG.test(doc)) pendingDoc = doc;
              }
            }
            line += countLines(text, i, stop);
            i = stop;
            continue;
          }
          if (d === 61 /* = */) {
            emit('/=', '/=');
            i += 2;
            continue;
          }
          emit('/', '/');
          i++;
          continue;
        }
        case 63 /* ? */:
          if (text.charCodeAt(i + 1) === 62 /* > */ && depth === 0) {
            i += 2;
            pendingDoc = null;
            emit(';', '?>');
            return;
          }
          if (text.charCodeAt(i + 1) === 45 && text.charCodeAt(i + 2) === 62) {
            i += 3;
            emit(T_NULLSAFE, '?->');
            continue;
          }
          break;
        case 45 /* - */:
          if (text.charCodeAt(i + 1) === 62) {
            i += 2;
            emit(T_OBJECT_OPERATOR, '->');
            continue;
          }
          break;
        case 58 /* : */:
          if (text.charCodeAt(i + 1) === 58) {
            i += 2;
            emit(T_DOUBLE_COLON, '::');
            continue;
          }
          break;
        case 46 /* . */:
          if (text.charCodeAt(i + 1) === 46 && text.charCodeAt(i + 2) === 46) {
            i += 3;
            emit(T_ELLIPSIS, '...');
            continue;
          }
          if (isDigit(text.charCodeAt(i + 1))) {
            // `.5` is a number to PHP's lexer (so `1.2.5` is two numbers in a row, not a concatenation).
            i = numberEnd(text, i);
            if (i < n && isIdentPart(text.charCodeAt(i))) suspect = true;
            emit(T_STRING_LITERAL, '0');
            continue;
          }
          break;
        case 60 /* < */:
          if (text.charCodeAt(i + 1) === 60 && text.charCodeAt(i + 2) === 60) {
            let j = i + 3;
            while (text.charCodeAt(j) === 32 || text.charCodeAt(j) === 9) j++;
            const q = text.charCodeAt(j);
            const quoted = q === 39 || q === 34;
            if (quoted) j++;
            const start = j;
            while (j < n && isIdentPart(text.charCodeAt(j))) j++;
            const label = text.slice(start, j);
            if (label && isIdentStart(label.charCodeAt(0))) {
              if (quoted) {
                // The label's closing quote must match, and a newline must follow the opener.
                if (text.charCodeAt(j) !== q) suspect = true;
                j++;
              }
              if (text.charCodeAt(j) !== 10 && text.charCodeAt(j) !== 13) suspect = true;
              i = j;
              skipHeredoc(label, q !== 39);
              emit(T_STRING_LITERAL, '<<<');
              continue;
            }
          }
          break;
        case 123 /* { */:
          i++;
          emit('{', '{');
          open(123);
          if (depth > 0) depth++;
          continue;
        case 125 /* } */:
          i++;
          emit('}', '}');
          close(125);
          if (depth > 0) {
            depth--;
            if (depth === 0) return;
          }
          continue;
        default:
          if (c >= 48 && c <= 57) {
            // Numbers as PHP's lexer reads them (0x1F, 0b101, 1_000, 1.5, 1e5, 1.): one token. A name
            // glued to a number (`400as`) is no valid PHP: the file is parsed for the message.
            i = numberEnd(text, i);
            if (i < n && isIdentPart(text.charCodeAt(i))) suspect = true;
            emit(T_STRING_LITERAL, '0');
            continue;
          }
      }
      if (c === 40 || c === 91) open(c);
      else if (c === 41 || c === 93) close(c);
      // Operators are whole tokens, longest first as PHP's lexer reads them (`.=`, `===`, `??=`, `<=>`…),
      // so `=` is only ever an assignment and `?` a ternary.
      const op = operatorAt(text, i, c);
      i += op.length;
      emit(op, op);
    }
  };

  /** `//` and `#` comments end at a newline or at `?>` (which leaves PHP mode). */
  const skipLineComment = (): void => {
    pendingDoc = null;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 10) return;
      if (c === 63 && text.charCodeAt(i + 1) === 62) return;
      i++;
    }
  };

  while (i < n) {
    skipHtml();
    if (i >= n) break;
    scanCode(0);
  }
  if (brackets.length > 0) suspect = true;
  return { kinds, texts, lines, suspect, docs };
}
