/**
 * Facts from tokens, for two kinds of file: those the parser rejects
 * (php-parser's own lexer tokens) and those the scan tier counts without an
 * AST (scanner.ts). Comments, strings and heredoc text are single tokens or
 * none, so they never look like calls. What tokens cannot give is noted in
 * docs/audit.md: receivers are typed only for `$this` and top-level globals,
 * and no assignment is tracked.
 */
import { pruneScopes } from './ast-facts.js';
import { addCall, emptyFacts, UNKNOWN, type CallRec, type ClassDecl, type FileFacts, type FunctionDecl, type TypeRef } from './facts.js';
import { NameContext } from './names.js';
import type { TokenStream } from './scanner.js';
import { T_STRING, T_NAME_QUALIFIED, T_NAME_FULLY_QUALIFIED, T_NAME_RELATIVE, T_OBJECT_OPERATOR, T_NULLSAFE, T_DOUBLE_COLON, T_FUNCTION, T_FN, T_NEW, T_CONST, T_NAMESPACE, T_USE, T_AS, T_CLASS, T_TRAIT, T_INTERFACE, T_EXTENDS, T_IMPLEMENTS, T_CATCH, T_INSTANCEOF, T_ELLIPSIS, T_VARIABLE, T_CURLY_OPEN, T_DOLLAR_OPEN_CURLY_BRACES, T_STATIC, T_GOTO, T_NS_SEPARATOR } from './token-ids.js';
import { GiveUp, TokenTyper } from './token-types.js';

/**
 * Language constructs the scanner leaves as plain words: `if (`, `array(`, `isset(` are no calls
 * (php-parser's AST has none for them), and PHP has reserved these words since PHP 5, so no function
 * can bear their name. They were a third of the call records on the benchmark trees.
 */
const CONSTRUCT_WORDS = new Set(['if', 'elseif', 'else', 'while', 'do', 'for', 'foreach', 'switch', 'case', 'array', 'list', 'isset', 'empty', 'unset', 'eval', 'exit', 'die', 'echo', 'print', 'include', 'include_once', 'require', 'require_once', 'declare', 'clone', 'throw', 'and', 'or', 'xor']);

function isConstructWord(word: string): boolean {
  return word.length <= 12 && (CONSTRUCT_WORDS.has(word) || CONSTRUCT_WORDS.has(word.toLowerCase()));
}

interface LexerLike {
  mode_eval: boolean;
  all_tokens: boolean;
  EOF: number;
  yytext: string;
  yylloc: { first_line: number };
  setInput(input: string): void;
  lex(): number | string;
}

export interface TokenEngine {
  lexer: unknown;
}

/** php-parser's own lexer, for files its parser rejected (the most faithful tokens there are). */
export function lexWithEngine(engine: TokenEngine, text: string): TokenStream {
  const lexer = engine.lexer as LexerLike;
  lexer.mode_eval = false;
  lexer.all_tokens = false;
  lexer.setInput(text);
  const kinds: Array<number | string> = [];
  const texts: string[] = [];
  const lines: number[] = [];
  for (;;) {
    let token: number | string;
    try {
      token = lexer.lex();
    } catch {
      break;
    }
    if (!token || token === lexer.EOF) break;
    kinds.push(token);
    texts.push(lexer.yytext);
    lines.push(lexer.yylloc.first_line);
  }
  return { kinds, texts, lines };
}

export function collectTokenFacts(engine: TokenEngine, text: string, path: string, bytes: number): FileFacts {
  return factsFromTokens(lexWithEngine(engine, text), path, bytes, 'tokens');
}

interface Frame {
  kind: 'class' | 'function';
  key: string;
  depth: number;
  decl?: ClassDecl;
}

const RELATIVE_CLASS_WORDS = new Set(['self', 'static', 'parent']);
/** Words before a variable that are no type (`private $db;`, `echo $x;`). */
const MEMBER_MODIFIERS = new Set([
  'public', 'protected', 'private', 'var', 'static', 'readonly', 'echo', 'print', 'include', 'include_once', 'require', 'require_once',
  'clone', 'else', 'case', 'yield', 'throw', 'and', 'or', 'xor',
]);

/**
 * The facts of a token stream. With `analysis` 'scan' the file parsed fine
 * but was not parsed: its declarations and top-level assignments carry `s`
 * types, so the merge step parses it when another file needs them.
 */
export function factsFromTokens(tokens: TokenStream, path: string, bytes: number, analysis: 'tokens' | 'scan'): FileFacts {
  return collect(tokens, path, bytes, analysis, false);
}

/**
 * The facts of a scanned file with its receivers, returns, properties and
 * globals typed from the tokens (token-types.ts), as complete as a parse
 * gives them; null where the tokens cannot type the file as the parse
 * would (it must be parsed).
 */
export function typedFactsFromTokens(tokens: TokenStream, path: string, bytes: number): FileFacts | null {
  try {
    const facts = collect(tokens, path, bytes, 'typed', true);
    pruneScopes(facts);
    return facts;
  } catch (error) {
    if (error instanceof GiveUp) {
      if (process.env.TRACEKIT_DEBUG_GIVEUP) process.stderr.write(`give up ${path}: ${error.message} ${error.stack?.split('\n')[1]?.trim()}\n`);
      return null;
    }
    throw error;
  }
}

function collect(tokens: TokenStream, path: string, bytes: number, analysis: 'tokens' | 'scan' | 'typed', typing: boolean): FileFacts {
  const { kinds, texts, lines } = tokens;
  const facts = emptyFacts(path, analysis, bytes);
  const callIndex = new Map<string, CallRec>();
  const later: TypeRef[] = analysis === 'scan' ? [{ k: 's', f: path }] : [];
  const names = new NameContext();
  const typer = typing ? new TokenTyper(tokens, facts, names) : null;
  const isName = (k: number | string | undefined): boolean =>
    k === T_STRING || k === T_NAME_QUALIFIED || k === T_NAME_FULLY_QUALIFIED || k === T_NAME_RELATIVE;
  const resolution = (k: number | string | undefined): string =>
    k === T_NAME_FULLY_QUALIFIED ? 'fqn' : k === T_NAME_RELATIVE ? 'rn' : k === T_NAME_QUALIFIED ? 'qn' : 'uqn';

  let nsDisplay = '';
  const stack: Frame[] = [];
  let depth = 0;
  let pending: Frame | null = null;
  const currentClass = (): Frame | undefined => {
    for (let i = stack.length - 1; i >= 0; i--) if (stack[i]!.kind === 'class') return stack[i];
    return undefined;
  };
  const currentFunction = (): string | null => {
    for (let i = stack.length - 1; i >= 0; i--) if (stack[i]!.kind === 'function') return stack[i]!.key;
    return null;
  };
  /** A class reference by name; self, static and parent refer to a class without naming it (the AST records none for them). */
  const namedClass = (i: number): string | null => (RELATIVE_CLASS_WORDS.has(texts[i]!.toLowerCase()) ? null : classOf(i));
  const classOf = (i: number): string | null => {
    const lower = texts[i]!.toLowerCase();
    if (lower === 'self' || lower === 'static') return currentClass()?.key ?? null;
    if (lower === 'parent') return currentClass()?.decl?.parent ?? null;
    return names.resolveClass(texts[i]!, resolution(kinds[i]));
  };

  const inClassBody = (): boolean => {
    const top = stack[stack.length - 1];
    return top !== undefined && top.kind === 'class' && top.depth === depth;
  };

  const n = kinds.length;
  for (let i = 0; i < n; i++) {
    const k = kinds[i];
    const prev = i > 0 ? kinds[i - 1] : undefined;
    if (typer) typer.at(i, inClassBody());
    if (k === '{' || k === T_CURLY_OPEN || k === T_DOLLAR_OPEN_CURLY_BRACES) {
      depth += 1;
      if (pending) {
        pending.depth = depth;
        stack.push(pending);
        if (typer) {
          if (pending.kind === 'function') typer.enterFunction();
          else typer.enterClass(pending.decl!);
        }
        pending = null;
      }
      continue;
    }
    if (k === '}') {
      if (stack.length > 0 && stack[stack.length - 1]!.depth === depth) {
        const frame = stack.pop()!;
        if (typer) {
          if (frame.kind === 'function') typer.exitFunction();
          else typer.exitClass();
        }
      }
      depth -= 1;
      continue;
    }
    if (k === ';') {
      if (pending?.kind === 'function') {
        pending = null;
        typer?.bodiless();
      }
      continue;
    }
    // Every other punctuation or operator token (kinds that are strings) is read by no rule below.
    if (typeof k === 'string') continue;
    if (k === T_VARIABLE && stack.length === 0 && later.length > 0 && kinds[i + 1] === '=' && prev !== T_OBJECT_OPERATOR && prev !== T_DOUBLE_COLON) {
      // A top-level assignment: a global whose type is known once the file is parsed.
      const name = texts[i]!.slice(1);
      if (!facts.globals[name]) facts.globals[name] = later;
      continue;
    }
    if (k === T_NAMESPACE && isName(kinds[i + 1]) && (kinds[i + 2] === ';' || kinds[i + 2] === '{')) {
      names.enterNamespace(texts[i + 1]!);
      nsDisplay = texts[i + 1]!.replace(/^\\/, '');
      i += 1;
      continue;
    }
    if (k === T_NAMESPACE && kinds[i + 1] === '{') {
      names.enterNamespace('');
      nsDisplay = '';
      continue;
    }
    if (k === T_USE && stack.length === 0 && prev !== ')') {
      let j = i + 1;
      let type: 'class' | 'function' | 'const' = 'class';
      if (kinds[j] === T_FUNCTION) { type = 'function'; j++; }
      else if (kinds[j] === T_CONST) { type = 'const'; j++; }
      const addImport = (itemType: 'class' | 'function' | 'const', full: string, alias: string | null): void => {
        if (itemType === 'function') names.addFunctionImport(full, alias);
        else if (itemType === 'class') {
          names.addClassImport(full, alias);
          facts.classRefs.push({ c: full.replace(/^\\/, '').toLowerCase(), how: 'import' });
        }
      };
      while (j < n && isName(kinds[j])) {
        const full = texts[j]!;
        j++;
        // Group use: `use A\{B, C as D}`, `use function A\{b, c as d}`, `use A\{function b}`.
        if ((kinds[j] === '\\' || kinds[j] === T_NS_SEPARATOR) && kinds[j + 1] === '{') {
          const prefix = full.replace(/\\$/, '');
          j += 2;
          while (j < n && kinds[j] !== '}') {
            let itemType = type;
            if (kinds[j] === T_FUNCTION) { itemType = 'function'; j++; }
            else if (kinds[j] === T_CONST) { itemType = 'const'; j++; }
            if (!isName(kinds[j])) { j++; continue; }
            const item = `${prefix}\\${texts[j]!}`;
            let alias: string | null = null;
            j++;
            if (kinds[j] === T_AS && isName(kinds[j + 1])) { alias = texts[j + 1]!; j += 2; }
            addImport(itemType, item, alias);
            if (kinds[j] === ',') j++;
          }
          j++;
          break;
        }
        let alias: string | null = null;
        if (kinds[j] === T_AS && isName(kinds[j + 1])) { alias = texts[j + 1]!; j += 2; }
        addImport(type, full, alias);
        if (kinds[j] !== ',') break;
        j++;
      }
      i = j - 1;
      continue;
    }
    if ((k === T_CLASS || k === T_TRAIT || k === T_INTERFACE) && prev !== T_DOUBLE_COLON && prev !== T_NEW && kinds[i + 1] === T_STRING) {
      const key = names.qualify(texts[i + 1]!);
      let parent: string | null = null;
      let j = i + 2;
      if (kinds[j] === T_EXTENDS && isName(kinds[j + 1])) {
        parent = names.resolveClass(texts[j + 1]!, resolution(kinds[j + 1]));
        if (parent) facts.classRefs.push({ c: parent, how: 'extends' });
        if (k !== T_CLASS) parent = null;
        j += 2;
        // An interface extends a list.
        while (kinds[j] === ',' && isName(kinds[j + 1])) {
          const other = names.resolveClass(texts[j + 1]!, resolution(kinds[j + 1]));
          if (other) facts.classRefs.push({ c: other, how: 'extends' });
          j += 2;
        }
      }
      if (kinds[j] === T_IMPLEMENTS) {
        j++;
        while (isName(kinds[j])) {
          const iface = names.resolveClass(texts[j]!, resolution(kinds[j]));
          if (iface) facts.classRefs.push({ c: iface, how: 'implements' });
          j++;
          if (kinds[j] !== ',') break;
          j++;
        }
      }
      const decl: ClassDecl = { key, name: nsDisplay ? `${nsDisplay}\\${texts[i + 1]}` : texts[i + 1]!, line: lines[i]!, parent, props: {}, typed: analysis !== 'scan' };
      if (pending?.kind === 'class') throw new GiveUp();
      facts.classes.push(decl);
      pending = { kind: 'class', key, depth: 0, decl };
      i = j - 1;
      continue;
    }
    if (k === T_FUNCTION || k === T_FN) {
      let j = i + 1;
      if (kinds[j] === '&') j++;
      if (k === T_FUNCTION && kinds[j] === T_STRING && kinds[j + 1] === '(') {
        const short = texts[j]!;
        const cls = currentClass();
        const inClassBody = cls !== undefined && stack[stack.length - 1] === cls;
        const key = inClassBody ? `${cls.key}::${short.toLowerCase()}` : names.qualify(short);
        const display = inClassBody ? `${cls.decl?.name ?? cls.key}::${short}` : nsDisplay ? `${nsDisplay}\\${short}` : short;
        const decl: FunctionDecl = { key, name: display, kind: inClassBody ? 'method' : 'function', line: lines[i]!, ret: [...later] };
        facts.functions.push(decl);
        typer?.declareFunction(i, j, decl, inClassBody);
        pending = { kind: 'function', key, depth: 0 };
        i = j;
      }
      continue;
    }
    if (k === T_NEW) {
      const next = kinds[i + 1];
      if (isName(next) || next === T_STATIC) {
        const cls = next === T_STATIC ? currentClass()?.key ?? null : classOf(i + 1);
        if (cls) {
          facts.news.push({ c: cls, in: currentFunction() });
          if (next !== T_STATIC && namedClass(i + 1)) facts.classRefs.push({ c: cls, how: 'new' });
        }
        i += 1;
      }
      continue;
    }
    if (k === T_INSTANCEOF && isName(kinds[i + 1])) {
      const cls = namedClass(i + 1);
      if (cls) facts.classRefs.push({ c: cls, how: 'instanceof' });
      i += 1;
      continue;
    }
    if (k === T_CATCH && kinds[i + 1] === '(') {
      let j = i + 2;
      while (j < n && isName(kinds[j])) {
        const cls = namedClass(j);
        if (cls) facts.classRefs.push({ c: cls, how: 'catch' });
        j++;
        if (kinds[j] !== '|') break;
        j++;
      }
      if (typer && kinds[j] === T_VARIABLE) typer.catchAt(i + 2, j);
      i = j - 1;
      continue;
    }
    if (typer && k === T_STATIC && kinds[i + 1] === T_DOUBLE_COLON) {
      // `static::m()`: the token tier's count needs it typed (the scan tier leaves such files to the parser).
      if (isName(kinds[i + 2]) && kinds[i + 3] === '(') facts.methodCalls.push({ m: texts[i + 2]!.toLowerCase(), r: typer.staticReceiver(i), in: currentFunction() });
      i += 2;
      continue;
    }
    if (!isName(k)) continue;
    if (prev === T_OBJECT_OPERATOR || prev === T_NULLSAFE) {
      if (kinds[i + 1] === '(' && !(kinds[i + 2] === T_ELLIPSIS && kinds[i + 3] === ')')) {
        if (typer) {
          facts.methodCalls.push({ m: texts[i]!.toLowerCase(), r: typer.receiver(i - 1), in: currentFunction() });
          continue;
        }
        let receiver: TypeRef = UNKNOWN;
        const before = i >= 2 ? kinds[i - 2] : undefined;
        const beforeBefore = i >= 3 ? kinds[i - 3] : undefined;
        if (before === T_VARIABLE && beforeBefore !== T_OBJECT_OPERATOR && beforeBefore !== T_NULLSAFE && beforeBefore !== T_DOUBLE_COLON) {
          const variable = texts[i - 2]!.slice(1);
          if (variable === 'this') {
            const cls = currentClass();
            if (cls) receiver = { k: 'c', n: cls.key };
          } else if (stack.length === 0) receiver = { k: 'g', n: variable };
        }
        facts.methodCalls.push({ m: texts[i]!.toLowerCase(), r: receiver, in: currentFunction() });
      }
      continue;
    }
    if (prev === T_DOUBLE_COLON || prev === T_FUNCTION || prev === T_CONST || prev === T_GOTO || prev === T_AS || prev === T_IMPLEMENTS || prev === T_EXTENDS || prev === T_NAMESPACE) continue;
    const next = kinds[i + 1];
    if (next === '(') {
      if (kinds[i + 2] === T_ELLIPSIS && kinds[i + 3] === ')') continue;
      if (k === T_STRING && isConstructWord(texts[i]!)) continue;
      addCall(facts.calls, callIndex, names.functionCandidates(texts[i]!, resolution(k)), currentFunction());
      continue;
    }
    if (next === T_DOUBLE_COLON) {
      const cls = classOf(i);
      if (cls) {
        if (namedClass(i)) facts.classRefs.push({ c: cls, how: 'static' });
        if (isName(kinds[i + 2]) && kinds[i + 3] === '(') {
          facts.methodCalls.push({ m: texts[i + 2]!.toLowerCase(), r: { k: 'c', n: cls }, in: currentFunction() });
        }
      } else if (typer && isName(kinds[i + 2]) && kinds[i + 3] === '(') throw new GiveUp();
      i += 2;
      continue;
    }
    if (next === T_VARIABLE || (next === '&' && kinds[i + 2] === T_VARIABLE)) {
      // The typer records declared types itself (return types and every member of a union too).
      if (typer) continue;
      if (MEMBER_MODIFIERS.has(texts[i]!.toLowerCase())) continue;
      const cls = namedClass(i);
      if (cls) facts.classRefs.push({ c: cls, how: 'type' });
      continue;
    }
    const short = texts[i]!.slice(texts[i]!.lastIndexOf('\\') + 1);
    if (short.startsWith('MYSQLI_')) facts.mysqliConstants += 1;
  }
  typer?.finish(inClassBody());
  return facts;
}
