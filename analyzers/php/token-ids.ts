/**
 * php-parser's lexer token ids, by name: the token kinds of both token
 * streams (php-parser's lexer and scanner.ts), named once for the scanner and
 * the token tiers (token-facts.ts, token-syntax.ts, token-types.ts).
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const TOKEN_IDS = (require('php-parser/src/tokens.js') as { names: Record<string, number> }).names;

/** The id of a token name, or -1 when php-parser has no such token. */
export function tokenId(name: string): number {
  return TOKEN_IDS[name] ?? -1;
}

export const T_STRING = tokenId('T_STRING');
export const T_NAME_QUALIFIED = tokenId('T_NAME_QUALIFIED');
export const T_NAME_FULLY_QUALIFIED = tokenId('T_NAME_FULLY_QUALIFIED');
export const T_NAME_RELATIVE = tokenId('T_NAME_RELATIVE');
export const T_VARIABLE = tokenId('T_VARIABLE');
export const T_OBJECT_OPERATOR = tokenId('T_OBJECT_OPERATOR');
export const T_NULLSAFE = tokenId('T_NULLSAFE_OBJECT_OPERATOR');
export const T_DOUBLE_COLON = tokenId('T_DOUBLE_COLON');
export const T_ELLIPSIS = tokenId('T_ELLIPSIS');
export const T_STRING_LITERAL = tokenId('T_CONSTANT_ENCAPSED_STRING');
export const T_FUNCTION = tokenId('T_FUNCTION');
export const T_NEW = tokenId('T_NEW');
export const T_CONST = tokenId('T_CONST');
export const T_NAMESPACE = tokenId('T_NAMESPACE');
export const T_USE = tokenId('T_USE');
export const T_AS = tokenId('T_AS');
export const T_CLASS = tokenId('T_CLASS');
export const T_TRAIT = tokenId('T_TRAIT');
export const T_INTERFACE = tokenId('T_INTERFACE');
export const T_EXTENDS = tokenId('T_EXTENDS');
export const T_IMPLEMENTS = tokenId('T_IMPLEMENTS');
export const T_CATCH = tokenId('T_CATCH');
export const T_INSTANCEOF = tokenId('T_INSTANCEOF');
export const T_STATIC = tokenId('T_STATIC');
export const T_GLOBAL = tokenId('T_GLOBAL');
export const T_RETURN = tokenId('T_RETURN');
export const T_FN = tokenId('T_FN');
export const T_ENUM = tokenId('T_ENUM');
export const T_CURLY_OPEN = tokenId('T_CURLY_OPEN');
export const T_DOLLAR_OPEN_CURLY_BRACES = tokenId('T_DOLLAR_OPEN_CURLY_BRACES');
export const T_GOTO = tokenId('T_GOTO');
export const T_NS_SEPARATOR = tokenId('T_NS_SEPARATOR');
