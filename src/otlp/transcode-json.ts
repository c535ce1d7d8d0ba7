import { isUtf8 } from 'node:buffer';
import protobuf from 'protobufjs';
import { ID_FIELDS, ITEM_FIELDS, REQUIRED_FIELDS } from './schema.js';
import { MAX_MESSAGE_DEPTH, OtlpDecodeError, type ValidationStats } from './validate-protobuf.js';
import { loadWasm, wasmConstant } from './wasm-module.js';

/*
 * OTLP/JSON → protobuf in one pass over the parsed document, writing wire
 * bytes directly. Replaces protobufjs' normalise → fromObject → verify →
 * encode chain, which built three object trees per request (the PHP
 * bootstrap's 6-span export spent ~200 µs there). What it writes is valid by
 * construction — wire types from the schema, ids of their fixed length,
 * strings well-formed Unicode, nesting under MAX_MESSAGE_DEPTH — and it
 * counts items and invalid items as validateProtobuf would, so the receiver
 * does not walk the bytes again.
 */

const enum Kind {
  // src/otlp/wasm/scan-json.ts reads these values from its field records: keep the numbering in step.
  Message,
  String,
  Bytes,
  Id,
  Bool,
  Enum,
  Int32,
  Uint32,
  Sint32,
  Fixed32,
  Sfixed32,
  Int64,
  Uint64,
  Sint64,
  Fixed64,
  Sfixed64,
  Double,
  Float,
}

const KINDS: Record<string, Kind> = {
  string: Kind.String, bytes: Kind.Bytes, bool: Kind.Bool,
  int32: Kind.Int32, uint32: Kind.Uint32, sint32: Kind.Sint32, fixed32: Kind.Fixed32, sfixed32: Kind.Sfixed32,
  int64: Kind.Int64, uint64: Kind.Uint64, sint64: Kind.Sint64, fixed64: Kind.Fixed64, sfixed64: Kind.Sfixed64,
  double: Kind.Double, float: Kind.Float,
};

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

function wireTypeOf(kind: Kind): number {
  switch (kind) {
    case Kind.Message: case Kind.String: case Kind.Bytes: case Kind.Id:
      return WIRE_LEN;
    case Kind.Fixed64: case Kind.Sfixed64: case Kind.Double:
      return WIRE_I64;
    case Kind.Fixed32: case Kind.Sfixed32: case Kind.Float:
      return WIRE_I32;
    default:
      return WIRE_VARINT;
  }
}

/**
 * One JSON key of a message (a field's camelCase name or its snake_case
 * alias), with what the transcoders need to write it. A class: every field
 * object then has one hidden class, so the transcoders' reads of field
 * properties stay monomorphic (object spreads gave several, and perf showed
 * megamorphic loads at ~16 % of the scan).
 */
class JsonField {
  /** Schema name, e.g. Span.traceId: what error messages call the field. */
  readonly qualified: string;
  readonly camelName: string;
  /** Set for the snake_case alias: the camelCase key wins when both are present. */
  readonly isAlias: boolean;
  readonly kind: Kind;
  readonly repeated: boolean;
  /** Repeated numbers are written packed, as protobufjs and the proto3 default do. */
  readonly packed: boolean;
  /** The field's tag (number and wire type; LEN for packed), as varint bytes. */
  readonly tag: readonly number[];
  readonly message: JsonMessage | null;
  readonly enumValues: Readonly<Record<string, number>> | null;
  readonly idLength: number;
  readonly countsItems: boolean;
  readonly requiredBit: number;
  /** One bit per oneof group of the message; 0 when the field is in none. */
  readonly oneofBit: number;
  readonly oneofName: string;
  /** 1 << field number (0 past 30): the byte scanner's check that a field comes once. */
  readonly numberBit: number;
  /** The JSON key (this name or alias) as bytes, for the byte scanner. */
  readonly keyBytes: Buffer;
  /** The same bytes four at a time (little-endian words; the last 0–3 bytes are not in them). */
  readonly keyWords: Int32Array;

  constructor(rule: FieldRule, isAlias: boolean, keyBytes: Buffer) {
    this.qualified = rule.qualified;
    this.camelName = rule.camelName;
    this.isAlias = isAlias;
    this.kind = rule.kind;
    this.repeated = rule.repeated;
    this.packed = rule.packed;
    this.tag = rule.tag;
    this.message = rule.message;
    this.enumValues = rule.enumValues;
    this.idLength = rule.idLength;
    this.countsItems = rule.countsItems;
    this.requiredBit = rule.requiredBit;
    this.oneofBit = rule.oneofBit;
    this.oneofName = rule.oneofName;
    this.numberBit = rule.numberBit;
    this.keyBytes = keyBytes;
    this.keyWords = new Int32Array(keyBytes.length >>> 2);
    for (let w = 0; w < this.keyWords.length; w++) this.keyWords[w] = keyBytes.readInt32LE(w * 4);
  }
}

/** What a field's JSON keys share (all but the key itself). */
type FieldRule = Omit<JsonField, 'isAlias' | 'keyBytes' | 'keyWords'>;

interface JsonMessage {
  readonly name: string;
  readonly requiredMask: number;
  /**
   * By JSON key: lowerCamelCase names and their snake_case aliases. Prototype-less, so no key
   * (e.g. "constructor") can reach Object.prototype.
   */
  readonly fields: Record<string, JsonField | undefined>;
  /** The same fields by the first byte of their key (all ASCII), for the byte scanner. */
  readonly byFirstByte: (JsonField[] | undefined)[];
}

const compiled = new Map<protobuf.Type, JsonMessage>();

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function varintBytes(value: number): number[] {
  const out: number[] = [];
  while (value > 127) {
    out.push((value & 127) | 128);
    value >>>= 7;
  }
  out.push(value);
  return out;
}

function compile(type: protobuf.Type): JsonMessage {
  const existing = compiled.get(type);
  if (existing) return existing;
  const required = type.fieldsArray.filter((f) => REQUIRED_FIELDS.has(`${type.name}.${f.name}`));
  const message: JsonMessage = { name: type.name, requiredMask: (1 << required.length) - 1, fields: Object.create(null) as Record<string, JsonField | undefined>, byFirstByte: new Array<JsonField[] | undefined>(128).fill(undefined) };
  compiled.set(type, message);
  const oneofs = type.oneofsArray;
  for (const field of type.fieldsArray) {
    field.resolve();
    const resolved = field.resolvedType;
    const qualified = `${type.name}.${field.name}`;
    const idLength = ID_FIELDS.get(qualified) ?? 0;
    let kind: Kind;
    if (resolved instanceof protobuf.Type) kind = Kind.Message;
    else if (resolved instanceof protobuf.Enum) kind = Kind.Enum;
    else if (idLength > 0) kind = Kind.Id;
    else {
      const scalar = KINDS[field.type];
      if (scalar === undefined) throw new Error(`no JSON mapping for ${qualified} (${field.type})`);
      kind = scalar;
    }
    const wire = wireTypeOf(kind);
    const packed = field.repeated && wire !== WIRE_LEN;
    const oneofIndex = field.partOf ? oneofs.indexOf(field.partOf) : -1;
    const rule: FieldRule = {
      qualified,
      camelName: field.name,
      kind,
      repeated: field.repeated,
      packed,
      tag: varintBytes(field.id * 8 + (packed ? WIRE_LEN : wire)),
      message: resolved instanceof protobuf.Type ? compile(resolved) : null,
      enumValues: resolved instanceof protobuf.Enum ? resolved.values : null,
      idLength,
      countsItems: ITEM_FIELDS.has(qualified),
      requiredBit: required.includes(field) ? 1 << required.indexOf(field) : 0,
      oneofBit: oneofIndex === -1 ? 0 : 1 << oneofIndex,
      oneofName: oneofIndex === -1 ? '' : oneofs[oneofIndex]!.name,
      // Below 2^30: a small integer in V8 (a larger one would change the objects' hidden class).
      numberBit: field.id < 30 ? 1 << field.id : 0,
    };
    const alias = snakeCase(field.name);
    for (const key of alias === field.name ? [field.name] : [field.name, alias]) {
      const entry = new JsonField(rule, key !== field.name, Buffer.from(key, 'latin1'));
      message.fields[key] = entry;
      (message.byFirstByte[key.charCodeAt(0)] ??= []).push(entry);
    }
  }
  return message;
}

// -- errors -------------------------------------------------------------------------

/** Describes a failure given the path to the failing value. */
class TranscodeError extends Error {
  constructor(readonly describe: (path: string) => string) {
    super('OTLP/JSON does not match the schema');
  }
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}

function fail(describe: (path: string) => string): never {
  throw new TranscodeError(describe);
}

function expected(what: string, value: unknown): never {
  throw new TranscodeError((path) => `${path} must be ${what}, found ${describeValue(value)}`);
}

// -- the writer ---------------------------------------------------------------------

/** Scratch space reused by every call (transcoding is synchronous); the result is copied out. */
const INITIAL_BYTES = 64 * 1024;
/** A scratch buffer grown past this for one large request is not kept for the next. */
const RETAINED_BYTES = 1024 * 1024;
let buf = Buffer.allocUnsafeSlow(INITIAL_BYTES);
let view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
let pos = 0;

function ensure(extra: number): void {
  if (pos + extra <= buf.length) return;
  let size = buf.length * 2;
  while (size < pos + extra) size *= 2;
  const bigger = Buffer.allocUnsafeSlow(size);
  buf.copy(bigger, 0, 0, pos);
  buf = bigger;
  view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

function writeTag(tag: readonly number[]): void {
  buf[pos++] = tag[0]!;
  for (let i = 1; i < tag.length; i++) buf[pos++] = tag[i]!;
}

function writeVarint32(value: number): void {
  while (value > 127) {
    buf[pos++] = (value & 127) | 128;
    value >>>= 7;
  }
  buf[pos++] = value;
}

/** Bytes a varint of this non-negative 32-bit value takes. */
function varintSize(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;
}

// 64-bit values travel as two unsigned 32-bit halves, set by parse64 (no BigInt, no allocation).
let lo = 0;
let hi = 0;

function writeVarint64(): void {
  while (hi !== 0) {
    buf[pos++] = (lo & 127) | 128;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  writeVarint32(lo);
}

function writeFixed64(): void {
  view.setUint32(pos, lo, true);
  view.setUint32(pos + 4, hi, true);
  pos += 8;
}

/** Starts a length-delimited value: one byte is reserved for the length, enough for most. */
function beginLength(): number {
  return pos++;
}

function endLength(at: number): void {
  const length = pos - at - 1;
  if (length < 0x80) {
    buf[at] = length;
    return;
  }
  const size = varintSize(length);
  ensure(size - 1);
  buf.copyWithin(at + size, at + 1, pos);
  pos += size - 1;
  const end = pos;
  pos = at;
  writeVarint32(length);
  pos = end;
}

// -- numbers ------------------------------------------------------------------------

const TWO_32 = 4294967296;

function negate64(): void {
  lo = ~lo >>> 0;
  hi = ~hi >>> 0;
  lo = (lo + 1) >>> 0;
  if (lo === 0) hi = (hi + 1) >>> 0;
}

/**
 * Reads a 64-bit integer given, per the proto3 JSON mapping OTLP/JSON uses, as
 * a decimal string (what exporters send: doubles lose precision past 2^53) or
 * a number, into lo/hi as two's complement.
 */
function parse64(value: unknown, signed: boolean): void {
  let negative = false;
  if (typeof value === 'string') {
    const n = value.length;
    let i = 0;
    if (n > 0 && value.charCodeAt(0) === 45 /* - */) {
      negative = true;
      i = 1;
    }
    if (i === n || n - i > 20) bad64(value, signed);
    lo = 0;
    hi = 0;
    for (; i < n; i++) {
      const d = value.charCodeAt(i) - 48;
      if (d < 0 || d > 9) bad64(value, signed);
      const low = lo * 10 + d;
      const carry = Math.floor(low / TWO_32);
      lo = low - carry * TWO_32;
      hi = hi * 10 + carry;
      if (hi > 0xffffffff) bad64(value, signed);
    }
  } else if (typeof value === 'number' && Number.isInteger(value)) {
    negative = value < 0;
    const magnitude = negative ? -value : value;
    if (magnitude >= 18446744073709551616) bad64(value, signed);
    hi = Math.floor(magnitude / TWO_32);
    lo = magnitude - hi * TWO_32;
  } else {
    bad64(value, signed);
  }
  if (negative && (lo !== 0 || hi !== 0)) {
    if (!signed || hi > 0x80000000 || (hi === 0x80000000 && lo !== 0)) bad64(value, signed);
    negate64();
  } else if (signed && hi >= 0x80000000) {
    bad64(value, signed);
  }
}

function bad64(value: unknown, signed: boolean): never {
  expected(`${signed ? 'a signed' : 'an unsigned'} 64-bit integer (a decimal string such as "1700000000000000000", or an integer number)`, value);
}

const INT_STRING = /^-?\d{1,10}$/;

function parse32(value: unknown, min: number, max: number, what: string): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && INT_STRING.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) expected(what, value);
  return n;
}

const FLOAT_STRING = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

function parseDouble(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    if (value === 'NaN') return NaN;
    if (value === 'Infinity') return Infinity;
    if (value === '-Infinity') return -Infinity;
    if (FLOAT_STRING.test(value)) return Number(value);
  }
  expected('a number (or "NaN", "Infinity", "-Infinity")', value);
}

// -- strings and bytes --------------------------------------------------------------

function writeString(field: JsonField, value: string): void {
  const n = value.length;
  ensure(15 + n * 3);
  writeTag(field.tag);
  // Short ASCII strings (most OTLP keys and values) are copied by hand: cheaper than a call into C++.
  if (n < 0x80) {
    const start = pos;
    buf[pos++] = n;
    let i = 0;
    for (; i < n; i++) {
      const c = value.charCodeAt(i);
      if (c >= 0x80) break;
      buf[pos++] = c;
    }
    if (i === n) return;
    pos = start;
  }
  const length = Buffer.byteLength(value, 'utf8');
  if (length !== n && !(value as WellFormedCheck).isWellFormed()) notUtf8(field, value);
  writeVarint32(length);
  pos += buf.write(value, pos, length, 'utf8');
}

function notUtf8(field: JsonField, value: string): never {
  const lone = loneSurrogate(value).toString(16).toUpperCase();
  fail((path) => `${field.qualified} is not valid UTF-8 at ${path}: expected well-formed Unicode, found a lone surrogate U+${lone}`);
}

/** String.prototype.isWellFormed (Node 20+; not yet in this TypeScript lib). */
type WellFormedCheck = string & { isWellFormed(): boolean };

/** The first UTF-16 code unit of `value` that is half of a surrogate pair without its other half. */
function loneSurrogate(value: string): number {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    const next = value.charCodeAt(i + 1);
    if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      i++;
      continue;
    }
    return c;
  }
  return 0;
}

/** Hex digit values by char code; -1 for anything else. */
const HEX_VALUES = new Int8Array(128).fill(-1);
for (let c = 0; c < 10; c++) HEX_VALUES[48 + c] = c;
for (let c = 0; c < 6; c++) {
  HEX_VALUES[65 + c] = 10 + c;
  HEX_VALUES[97 + c] = 10 + c;
}

/** Writes a hex trace or span id; returns its byte length (0: unset). */
function writeId(field: JsonField, value: unknown): number {
  if (typeof value !== 'string' || (value.length !== 0 && value.length !== field.idLength * 2)) badId(field, value);
  const length = value.length >>> 1;
  ensure(8 + length);
  writeTag(field.tag);
  buf[pos++] = length;
  for (let i = 0; i < value.length; i += 2) {
    const a = value.charCodeAt(i);
    const b = value.charCodeAt(i + 1);
    const high = a < 128 ? HEX_VALUES[a]! : -1;
    const low = b < 128 ? HEX_VALUES[b]! : -1;
    if (high < 0 || low < 0) badId(field, value);
    buf[pos++] = (high << 4) | low;
  }
  return length;
}

function badId(field: JsonField, value: unknown): never {
  expected(`a ${field.idLength * 2}-digit hex string (or "" for unset)`, value);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$|^[A-Za-z0-9_-]*$/;

function writeBytes(field: JsonField, value: unknown): void {
  if (typeof value !== 'string' || !BASE64.test(value)) expected('a base64 string', value);
  const bytes = Buffer.from(value, 'base64');
  ensure(15 + bytes.length);
  writeTag(field.tag);
  writeVarint32(bytes.length);
  bytes.copy(buf, pos);
  pos += bytes.length;
}

// -- scalars ------------------------------------------------------------------------

function enumNumber(field: JsonField, value: unknown): number {
  if (typeof value === 'string') {
    // typeof: a name such as "toString" finds the prototype's function, not a value.
    const n = field.enumValues![value];
    if (typeof n === 'number') return n;
  }
  return parse32(value, -0x80000000, 0x7fffffff, `an integer (or a value name) of ${field.qualified}`);
}

/** Writes one scalar value (without the tag when packed). */
function writeScalar(field: JsonField, value: unknown): void {
  switch (field.kind) {
    case Kind.Bool:
      if (typeof value !== 'boolean') expected('true or false', value);
      buf[pos++] = value ? 1 : 0;
      return;
    case Kind.Enum:
    case Kind.Int32: {
      const n = field.kind === Kind.Enum ? enumNumber(field, value) : parse32(value, -0x80000000, 0x7fffffff, 'a signed 32-bit integer');
      if (n >= 0) writeVarint32(n);
      else {
        // Negative int32 values are sign-extended to ten bytes on the wire.
        lo = n >>> 0;
        hi = 0xffffffff;
        writeVarint64();
      }
      return;
    }
    case Kind.Uint32:
      writeVarint32(parse32(value, 0, 0xffffffff, 'an unsigned 32-bit integer'));
      return;
    case Kind.Sint32: {
      const n = parse32(value, -0x80000000, 0x7fffffff, 'a signed 32-bit integer');
      writeVarint32(((n << 1) ^ (n >> 31)) >>> 0);
      return;
    }
    case Kind.Fixed32:
      view.setUint32(pos, parse32(value, 0, 0xffffffff, 'an unsigned 32-bit integer'), true);
      pos += 4;
      return;
    case Kind.Sfixed32:
      view.setInt32(pos, parse32(value, -0x80000000, 0x7fffffff, 'a signed 32-bit integer'), true);
      pos += 4;
      return;
    case Kind.Int64:
    case Kind.Sint64:
    case Kind.Sfixed64:
      parse64(value, true);
      writeParsed64(field);
      return;
    case Kind.Uint64:
    case Kind.Fixed64:
      parse64(value, false);
      writeParsed64(field);
      return;
    case Kind.Double:
      view.setFloat64(pos, parseDouble(value), true);
      pos += 8;
      return;
    case Kind.Float:
      view.setFloat32(pos, parseDouble(value), true);
      pos += 4;
      return;
    default:
      throw new Error(`not a scalar: ${field.qualified}`);
  }
}

/** Writes the 64-bit value in lo/hi as the field's kind encodes it. */
function writeParsed64(field: JsonField): void {
  if (field.kind === Kind.Fixed64 || field.kind === Kind.Sfixed64) return writeFixed64();
  if (field.kind === Kind.Sint64) {
    const sign = hi >> 31;
    hi = (((hi << 1) | (lo >>> 31)) ^ sign) >>> 0;
    lo = ((lo << 1) ^ sign) >>> 0;
  }
  writeVarint64();
}

// -- messages -----------------------------------------------------------------------

/** Writes one non-repeated value or one element of a repeated field; returns the required bit it sets. */
function writeValue(field: JsonField, value: unknown, depth: number, stats: ValidationStats): number {
  switch (field.kind) {
    case Kind.Message: {
      const child = field.message!;
      ensure(10);
      writeTag(field.tag);
      const at = beginLength();
      const seen = writeMessage(child, value, depth + 1, stats);
      endLength(at);
      if (field.countsItems) {
        stats.items++;
        if (seen !== child.requiredMask) stats.invalidItems++;
      }
      return 0;
    }
    case Kind.String:
      if (typeof value !== 'string') expected('a string', value);
      writeString(field, value);
      return 0;
    case Kind.Id:
      return writeId(field, value) > 0 ? field.requiredBit : 0;
    case Kind.Bytes:
      writeBytes(field, value);
      return 0;
    default:
      ensure(20);
      writeTag(field.tag);
      writeScalar(field, value);
      return 0;
  }
}

// Failure messages are built in functions of their own, so the hot functions create no closures.
function tooDeep(message: JsonMessage): never {
  fail(() => `message nesting deeper than ${MAX_MESSAGE_DEPTH} levels (at ${message.name})`);
}

function secondOneofValue(message: JsonMessage, field: JsonField): never {
  fail((path) => `${path} sets a second value of the oneof ${message.name}.${field.oneofName}; expected at most one`);
}

function writeMessage(message: JsonMessage, value: unknown, depth: number, stats: ValidationStats): number {
  if (depth > MAX_MESSAGE_DEPTH) tooDeep(message);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) expected(`an object (${message.name})`, value);
  const object = value as Record<string, unknown>;
  let seen = 0;
  let oneofsSeen = 0;
  for (const key in object) {
    const field = message.fields[key];
    if (field === undefined) continue;
    const v = object[key];
    if (v === null || v === undefined) continue;
    if (field.isAlias && object[field.camelName] !== undefined && object[field.camelName] !== null) continue;
    pathDepth = depth;
    pathKeys[depth] = key;
    pathIndexes[depth] = -1;
    if (field.oneofBit !== 0) {
      if ((oneofsSeen & field.oneofBit) !== 0) secondOneofValue(message, field);
      oneofsSeen |= field.oneofBit;
    }
    if (!field.repeated) {
      seen |= writeValue(field, v, depth, stats);
      continue;
    }
    if (!Array.isArray(v)) expected('an array', v);
    if (field.packed) {
      if (v.length === 0) continue;
      ensure(10);
      writeTag(field.tag);
      const at = beginLength();
      for (let i = 0; i < v.length; i++) {
        pathIndexes[depth] = i;
        ensure(10);
        writeScalar(field, v[i]);
      }
      endLength(at);
      continue;
    }
    for (let i = 0; i < v.length; i++) {
      pathDepth = depth;
      pathIndexes[depth] = i;
      writeValue(field, v[i], depth, stats);
    }
  }
  return seen;
}

/**
 * Where the writer is, for error messages: the key (and array index, or -1) at
 * each message level down to pathDepth. Recorded as it goes, so a failure
 * deep down needs no try/catch at every level to say where it happened.
 */
let pathDepth = 0;
const pathKeys: string[] = [];
const pathIndexes = new Int32Array(MAX_MESSAGE_DEPTH + 2);

function currentPath(root: string): string {
  let path = root;
  for (let d = 1; d <= pathDepth; d++) path += pathIndexes[d]! >= 0 ? `.${pathKeys[d]}[${pathIndexes[d]}]` : `.${pathKeys[d]}`;
  return path;
}

// -- the byte scanner ---------------------------------------------------------------

/*
 * The common case without JSON.parse: OTLP/JSON bytes scanned once, protobuf
 * written as the scan goes, no object tree built. It takes only what it can
 * write exactly as transcodeJson would (known keys, each once; strings without
 * \u escapes; ids in hex; 64-bit integers as decimal strings; small
 * non-negative integers; booleans) and gives up on anything else — unknown
 * keys, nulls, doubles, bytes, a field given twice, bad input of any kind — in
 * which case the caller runs JSON.parse and transcodeJson, which then decides,
 * with its error message. So it never accepts what that path would refuse, and
 * writes the same bytes (tested).
 *
 * It is one loop over the bytes with an explicit stack of open messages, its
 * positions in locals, and the output space reserved once (see scanJson): the
 * earlier design — a function per value, expectByte/skipSpace/peek calls, the
 * positions in module variables and a bounds check per write — spent ~2.3x the
 * CPU on the same bodies (bench/sidecar/validate.mjs).
 */

/** Whitespace JSON allows between tokens (space, tab, line feed, carriage return), by byte. */
const JSON_SPACE = new Uint8Array(256);
JSON_SPACE[0x20] = 1;
JSON_SPACE[0x09] = 1;
JSON_SPACE[0x0a] = 1;
JSON_SPACE[0x0d] = 1;

/** Hex digit values by byte; -1 for anything else (so an OR of two is negative when either is not a digit). */
const HEX_BYTES = new Int8Array(256).fill(-1);
for (let c = 0; c < 128; c++) HEX_BYTES[c] = HEX_VALUES[c]!;

/** What a one-character escape (the byte after the backslash) stands for; 0 for escapes the scanner leaves to JSON.parse (\u) or that are not JSON. */
const UNESCAPED = new Uint8Array(256);
UNESCAPED[0x22] = 0x22;
UNESCAPED[0x5c] = 0x5c;
UNESCAPED[0x2f] = 0x2f;
UNESCAPED[0x6e] = 0x0a;
UNESCAPED[0x74] = 0x09;
UNESCAPED[0x72] = 0x0d;
UNESCAPED[0x62] = 0x08;
UNESCAPED[0x66] = 0x0c;

/** 10^k for the digits of a 64-bit decimal past its first 15 (at most 5 more). */
const POWERS_OF_TEN = [1, 10, 100, 1000, 10000, 100000];

/** The open messages of a scan, by depth (scanning is synchronous: one at a time). */
const scanMessages: JsonMessage[] = [];
/** Per open message (index 1 up): the required mask its items must show when it counts items (else -1), and the repeated field whose array its parent was in. */
const scanItemMasks = new Int32Array(MAX_MESSAGE_DEPTH + 2);
const scanArrays: (JsonField | null)[] = [];
const scanLengthAts = new Int32Array(MAX_MESSAGE_DEPTH + 2);
const scanSeen = new Int32Array(MAX_MESSAGE_DEPTH + 2);
const scanFieldsSeen = new Int32Array(MAX_MESSAGE_DEPTH + 2);
const scanOneofsSeen = new Int32Array(MAX_MESSAGE_DEPTH + 2);

/**
 * The byte scanner's transcoding of `body`, or null when the body needs
 * JSON.parse (see above); it throws nothing of its own.
 */
function scanJson(root: JsonMessage, body: Buffer): TranscodedRequest | null {
  return wasmScanner()?.scan(root, body) ?? scanJsonInTypeScript(root, body);
}

function scanJsonInTypeScript(root: JsonMessage, body: Buffer): TranscodedRequest | null {
  try {
    return scanBytes(root, body);
  } catch (error) {
    // A value the shared writers refuse (an integer out of its range) is also left to transcodeJson, for its
    // message; so is a write past the reserved space (a RangeError from a DataView), which cannot happen.
    if (!(error instanceof TranscodeError) && !(error instanceof RangeError)) throw error;
    return null;
  }
}

function scanBytes(root: JsonMessage, body: Buffer): TranscodedRequest | null {
  const s = body;
  const n = s.length;
  // What the scanner takes never encodes to more than its JSON text: every value comes with a quoted
  // key (4+ bytes) that its tag (1–2) replaces, a message's braces pay for its length's extra bytes,
  // a string's quotes for its length. So the output space is reserved once here and the writes below
  // check nothing; the check at the end (o within the buffer) makes that argument fail-safe.
  pos = 0;
  ensure(n + 64);
  const out = buf;
  const outView = view;
  const sourceView = new DataView(s.buffer, s.byteOffset, s.byteLength);
  let o = 0;
  const space = JSON_SPACE;
  const hex = HEX_BYTES;
  const messages = scanMessages;
  const itemMasks = scanItemMasks;
  const arrays = scanArrays;
  const lengthAts = scanLengthAts;
  const seens = scanSeen;
  const fieldsSeens = scanFieldsSeen;
  const oneofsSeens = scanOneofsSeen;
  let items = 0;
  let invalidItems = 0;

  let i = 0;
  while (i < n && space[s[i]!] === 1) i++;
  if (i >= n || s[i] !== 0x7b /* { */) return null;
  i++;
  let depth = 1;
  let message = root;
  let seen = 0;
  let fieldsSeen = 0;
  let oneofsSeen = 0;
  /** Set while the elements of this repeated field's array are read. */
  let array: JsonField | null = null;
  /** What comes next: 1 after `{` (a key or `}`), 2 after `,` in an object (a key), -1 a value, 0 what follows a value. */
  let next = 1;
  let field!: JsonField;

  for (;;) {
    if (next > 0) {
      // A key (or, right after `{`, the end of an empty object).
      while (i < n && space[s[i]!] === 1) i++;
      if (i >= n) return null;
      let c = s[i]!;
      if (c !== 0x22 /* " */) {
        if (c !== 0x7d || next !== 1) return null;
        // An empty object: its `}` is read below, where every message is closed.
        next = 0;
      } else {
        i++;
        // The key is matched in place against the message's keys that start with its first byte: one
        // pass over its bytes. Anything else (an unknown key, escapes, other bytes) is JSON.parse's.
        const candidates = i < n && s[i]! < 0x80 ? message.byFirstByte[s[i]!] : undefined;
        if (candidates === undefined) return null;
        let found: JsonField | null = null;
        for (let k = 0; k < candidates.length; k++) {
          const candidate = candidates[k]!;
          const key = candidate.keyBytes;
          const length = key.length;
          if (i + length >= n || s[i + length] !== 0x22) continue;
          // Four bytes at a time, then the last few.
          const words = candidate.keyWords;
          let w = 0;
          while (w < words.length && sourceView.getInt32(i + 4 * w, true) === words[w]) w++;
          if (w < words.length) continue;
          let j = 4 * w;
          while (j < length && key[j] === s[i + j]) j++;
          if (j === length) {
            found = candidates[k]!;
            i += length + 1;
            break;
          }
        }
        // Unknown keys, and fields numbered past 29, are JSON.parse's; so is a field given twice (by either name).
        if (found === null || found.numberBit === 0 || (fieldsSeen & found.numberBit) !== 0 || found.packed) return null;
        field = found;
        fieldsSeen |= field.numberBit;
        while (i < n && space[s[i]!] === 1) i++;
        if (i >= n || s[i] !== 0x3a /* : */) return null;
        i++;
        while (i < n && space[s[i]!] === 1) i++;
        if (i >= n || s[i] === 0x6e /* null */) return null;
        if (field.oneofBit !== 0) {
          if ((oneofsSeen & field.oneofBit) !== 0) return null;
          oneofsSeen |= field.oneofBit;
        }
        if (field.repeated) {
          if (s[i] !== 0x5b /* [ */) return null;
          i++;
          while (i < n && space[s[i]!] === 1) i++;
          if (i < n && s[i] === 0x5d /* ] */) {
            i++;
            next = 0;
          } else {
            array = field;
          }
        }
        // Then the value (next === 0 here only for an empty array, which has none).
        if (next !== 0) next = -1;
      }
    }

    if (next === -1) {
      // The value of `field` (an element when `array` is set), at i, whitespace skipped.
      next = 0;
      if (i >= n) return null;
      const c = s[i]!;
      switch (field.kind) {
        case Kind.Message: {
          if (c !== 0x7b) return null;
          if (depth + 1 > MAX_MESSAGE_DEPTH) return null;
          i++;
          const tag = field.tag;
          out[o++] = tag[0]!;
          for (let t = 1; t < tag.length; t++) out[o++] = tag[t]!;
          // Into the nested message; one byte is reserved for its length, enough for most.
          messages[depth] = message;
          itemMasks[depth] = field.countsItems ? field.message!.requiredMask : -1;
          arrays[depth] = array;
          lengthAts[depth] = o;
          seens[depth] = seen;
          fieldsSeens[depth] = fieldsSeen;
          oneofsSeens[depth] = oneofsSeen;
          o++;
          depth++;
          message = field.message!;
          seen = 0;
          fieldsSeen = 0;
          oneofsSeen = 0;
          array = null;
          next = 1;
          continue;
        }
        case Kind.String: {
          if (c !== 0x22) return null;
          i++;
          const tag = field.tag;
          out[o++] = tag[0]!;
          for (let t = 1; t < tag.length; t++) out[o++] = tag[t]!;
          // The bytes are copied as they are scanned, after one byte reserved for the length.
          const lengthAt = o++;
          const start = i;
          // Four plain bytes at a time while no byte of the word is `"`, `\`, a control character or
          // not ASCII (the classic "has a zero byte" bit trick on the word XOR each stop byte).
          while (i + 4 <= n) {
            const w = sourceView.getInt32(i, true);
            const quote = w ^ 0x22222222;
            const backslash = w ^ 0x5c5c5c5c;
            if ((((quote - 0x01010101) & ~quote) | ((backslash - 0x01010101) & ~backslash) | ((w - 0x20202020) & ~w) | w) & 0x80808080) break;
            outView.setInt32(o, w, true);
            i += 4;
            o += 4;
          }
          let high = 0;
          for (;;) {
            if (i >= n) return null;
            const b = s[i]!;
            if (b === 0x22) break;
            if (b < 0x20) return null;
            if (b === 0x5c) {
              // \uXXXX is JSON.parse's (surrogates, and a code point to encode); the one-character escapes are ours.
              const unescaped = i + 1 < n ? UNESCAPED[s[i + 1]!]! : 0;
              if (unescaped === 0) return null;
              out[o++] = unescaped;
              i += 2;
              continue;
            }
            high |= b;
            out[o++] = b;
            i++;
          }
          if (high >= 0x80 && !isUtf8(s.subarray(start, i))) return null;
          i++;
          const length = o - lengthAt - 1;
          if (length < 0x80) out[lengthAt] = length;
          else o = moveForLength(out, lengthAt, o, length);
          break;
        }
        case Kind.Id: {
          if (c !== 0x22) return null;
          i++;
          const start = i;
          while (i < n && s[i] !== 0x22) i++;
          if (i >= n) return null;
          const digits = i - start;
          i++;
          if (digits !== 0 && digits !== field.idLength * 2) return null;
          const tag = field.tag;
          out[o++] = tag[0]!;
          for (let t = 1; t < tag.length; t++) out[o++] = tag[t]!;
          out[o++] = digits >>> 1;
          for (let k = start; k < start + digits; k += 2) {
            const h = hex[s[k]!]!;
            const l = hex[s[k + 1]!]!;
            if ((h | l) < 0) return null;
            out[o++] = (h << 4) | l;
          }
          if (digits > 0) seen |= field.requiredBit;
          break;
        }
        case Kind.Int64:
        case Kind.Uint64:
        case Kind.Fixed64:
        case Kind.Sfixed64:
        case Kind.Sint64: {
          if (c !== 0x22) return null;
          i++;
          const signed = field.kind === Kind.Int64 || field.kind === Kind.Sfixed64 || field.kind === Kind.Sint64;
          let negative = false;
          if (i < n && s[i] === 0x2d /* - */) {
            if (!signed) return null;
            negative = true;
            i++;
          }
          // Up to 15 digits are exact in a double; the (at most 5) others scale it, in 32-bit halves.
          const start = i;
          let head = 0;
          while (i < n && i - start < 15) {
            const d = s[i]! - 48;
            if (d < 0 || d > 9) break;
            head = head * 10 + d;
            i++;
          }
          const headEnd = i;
          let tail = 0;
          while (i < n) {
            const d = s[i]! - 48;
            if (d < 0 || d > 9) break;
            tail = tail * 10 + d;
            i++;
          }
          const digits = i - start;
          if (digits === 0 || digits > 20 || i >= n || s[i] !== 0x22) return null;
          i++;
          const headHigh = Math.floor(head / TWO_32);
          const scale = POWERS_OF_TEN[i - 1 - headEnd]!;
          const low = (head - headHigh * TWO_32) * scale + tail;
          const carry = Math.floor(low / TWO_32);
          const h = headHigh * scale + carry;
          if (h > 0xffffffff) return null;
          lo = low - carry * TWO_32;
          hi = h;
          if (negative && (lo !== 0 || hi !== 0)) {
            if (hi > 0x80000000 || (hi === 0x80000000 && lo !== 0)) return null;
            negate64();
          } else if (signed && hi >= 0x80000000) {
            return null;
          }
          const tag = field.tag;
          out[o++] = tag[0]!;
          for (let t = 1; t < tag.length; t++) out[o++] = tag[t]!;
          if (field.kind === Kind.Int64 || field.kind === Kind.Uint64) {
            // The common kinds (timestamps are fixed64, attribute integers int64) are written here;
            // sint64 goes through the shared writer.
            let l = lo;
            let h2 = hi;
            while (h2 !== 0) {
              out[o++] = (l & 127) | 128;
              l = ((l >>> 7) | (h2 << 25)) >>> 0;
              h2 >>>= 7;
            }
            while (l > 127) {
              out[o++] = (l & 127) | 128;
              l >>>= 7;
            }
            out[o++] = l;
          } else if (field.kind === Kind.Fixed64 || field.kind === Kind.Sfixed64) {
            outView.setUint32(o, lo, true);
            outView.setUint32(o + 4, hi, true);
            o += 8;
          } else {
            // The shared writer encodes lo/hi by kind, as it does a parsed value.
            pos = o;
            writeParsed64(field);
            o = pos;
          }
          break;
        }
        case Kind.Bool: {
          let value: number;
          if (c === 0x74 && i + 4 <= n && s[i + 1] === 0x72 && s[i + 2] === 0x75 && s[i + 3] === 0x65) {
            i += 4;
            value = 1;
          } else if (c === 0x66 && i + 5 <= n && s[i + 1] === 0x61 && s[i + 2] === 0x6c && s[i + 3] === 0x73 && s[i + 4] === 0x65) {
            i += 5;
            value = 0;
          } else {
            return null;
          }
          const tag = field.tag;
          out[o++] = tag[0]!;
          for (let t = 1; t < tag.length; t++) out[o++] = tag[t]!;
          out[o++] = value;
          break;
        }
        case Kind.Enum:
        case Kind.Int32:
        case Kind.Uint32:
        case Kind.Sint32:
        case Kind.Fixed32:
        case Kind.Sfixed32: {
          // A plain non-negative integer below 2^32: no sign, fraction, exponent or leading zero (those are JSON.parse's).
          const start = i;
          let value = 0;
          while (i < n) {
            const d = s[i]! - 48;
            if (d < 0 || d > 9) break;
            value = value * 10 + d;
            i++;
          }
          const digits = i - start;
          if (digits === 0 || digits > 10 || value > 0xffffffff || i >= n || (s[start] === 0x30 && digits > 1)) return null;
          const after = s[i]!;
          if (after === 0x2e || after === 0x65 || after === 0x45) return null;
          const tag = field.tag;
          out[o++] = tag[0]!;
          for (let t = 1; t < tag.length; t++) out[o++] = tag[t]!;
          if ((field.kind === Kind.Enum || field.kind === Kind.Int32 || field.kind === Kind.Uint32) && value < 0x80) {
            out[o++] = value;
          } else {
            // The shared writer checks the range and encodes by kind.
            pos = o;
            writeScalar(field, value);
            o = pos;
          }
          break;
        }
        default:
          // Doubles, floats and bytes: rare in OTLP/JSON; JSON.parse reads them.
          return null;
      }
    }

    // After a value (or an empty object or array): separators and the ends of arrays and objects.
    for (;;) {
      while (i < n && space[s[i]!] === 1) i++;
      if (i >= n) return null;
      const c = s[i++]!;
      if (array !== null) {
        if (c === 0x2c /* , */) {
          while (i < n && space[s[i]!] === 1) i++;
          field = array;
          next = -1;
          break;
        }
        if (c !== 0x5d /* ] */) return null;
        array = null;
        continue;
      }
      if (c === 0x2c) {
        next = 2;
        break;
      }
      if (c !== 0x7d /* } */) return null;
      // The end of a message.
      if (depth === 1) {
        while (i < n && space[s[i]!] === 1) i++;
        if (i !== n || o > out.length) return null;
        pos = o;
        return { bytes: takeOutput(), items, invalidItems };
      }
      depth--;
      const lengthAt = lengthAts[depth]!;
      const length = o - lengthAt - 1;
      if (length < 0x80) out[lengthAt] = length;
      else o = moveForLength(out, lengthAt, o, length);
      const itemMask = itemMasks[depth]!;
      if (itemMask >= 0) {
        items++;
        if (seen !== itemMask) invalidItems++;
      }
      message = messages[depth]!;
      array = arrays[depth]!;
      seen = seens[depth]!;
      fieldsSeen = fieldsSeens[depth]!;
      oneofsSeen = oneofsSeens[depth]!;
    }
  }
}

/** A length of 128 or more, for bytes written after one reserved byte at `at`: moves them up to make room; returns the new end. */
function moveForLength(out: Buffer, at: number, end: number, length: number): number {
  const size = varintSize(length);
  out.copyWithin(at + size, at + 1, end);
  let value = length;
  let k = at;
  while (value > 127) {
    out[k++] = (value & 127) | 128;
    value >>>= 7;
  }
  out[k] = value;
  return end + size - 1;
}


export interface TranscodedRequest extends ValidationStats {
  /** The protobuf request, in its own allocation (not a slice of a shared pool). */
  readonly bytes: Buffer;
}

/**
 * Transcodes a parsed OTLP/JSON export request of `type` to protobuf.
 * lowerCamelCase and snake_case keys are accepted (the camelCase one wins
 * when both are given), unknown keys and nulls are skipped, ids are hex,
 * other bytes base64, 64-bit integers decimal strings or numbers, enums
 * integers or value names. Anything else is an OtlpDecodeError naming the
 * path, what was expected and what was found.
 */
export function transcodeJson(type: protobuf.Type, document: unknown): TranscodedRequest {
  const message = compile(type);
  const stats = { items: 0, invalidItems: 0 };
  pos = 0;
  pathDepth = 0;
  try {
    writeMessage(message, document, 1, stats);
  } catch (error) {
    pos = 0;
    if (!(error instanceof TranscodeError)) throw error;
    throw new OtlpDecodeError(error.describe(currentPath(message.name)));
  }
  return { bytes: takeOutput(), items: stats.items, invalidItems: stats.invalidItems };
}

/**
 * The byte scanner's transcoding of an OTLP/JSON body, or null when it needs
 * JSON.parse and transcodeJson (unusual input, or input to refuse: they say why).
 */
export function scanJsonBody(type: protobuf.Type, body: Buffer): TranscodedRequest | null {
  return scanJson(compile(type), body);
}

/** scanJsonBody without the WebAssembly scanner: the reference it is tested against. */
export function scanJsonBodyInTypeScript(type: protobuf.Type, body: Buffer): TranscodedRequest | null {
  return scanJsonInTypeScript(compile(type), body);
}

// -- the WebAssembly scanner ----------------------------------------------------------

interface WasmScanner {
  /** scanBytes in WebAssembly (src/otlp/wasm/scan-json.ts): the same bytes and counts, or null where it declines. */
  scan(root: JsonMessage, body: Buffer): TranscodedRequest | null;
  /** The largest body it takes; larger ones go to the TypeScript scanner. */
  readonly maxBody: number;
}

let scanner: WasmScanner | null | undefined;

/**
 * The WebAssembly fast path of the byte scanner, or null where it was not
 * built or cannot be loaded. It takes the scanner's shape of input in about
 * half its time and declines anything else (bench/sidecar/validate.mjs).
 */
export function wasmScanner(): WasmScanner | null {
  if (scanner === undefined) scanner = loadWasm('otlp-scan-json', 'OTLP/JSON bodies are transcoded in TypeScript only', scannerOf);
  return scanner;
}

/** For the tests: the WebAssembly scanner on a body of `type`, alone. */
export function scanJsonBodyInWasm(type: protobuf.Type, body: Buffer): TranscodedRequest | null {
  const fast = wasmScanner();
  if (fast === null) throw new Error('the WebAssembly scanner is not built');
  return fast.scan(compile(type), body);
}

function scannerOf(exports: WebAssembly.Exports): WasmScanner {
  const constant = (name: string) => wasmConstant(exports, name);
  if (constant('MAX_DEPTH') !== MAX_MESSAGE_DEPTH) throw new Error(`it nests to ${constant('MAX_DEPTH')} levels, the TypeScript scanner to ${MAX_MESSAGE_DEPTH}: rebuild it`);
  const memory = new Uint8Array((exports.memory as WebAssembly.Memory).buffer);
  const view = new DataView(memory.buffer);
  const [first, keys, keyBytes, fields, masks, input, maxBody, output] = ['FIRST', 'KEYS', 'KEY_BYTES', 'FIELDS', 'MASKS', 'IN', 'MAX_IN', 'OUT'].map(constant) as [number, number, number, number, number, number, number, number];
  const [maxMessages, maxFields, maxKeyBytes] = ['MAX_MESSAGES', 'MAX_FIELDS', 'MAX_KEY_BYTES'].map(constant) as [number, number, number];
  // Its output is never longer than its input plus 64 bytes (scanBytes says why); a trap past it is caught below.
  if (output + maxBody + 64 + 8 > memory.length) throw new Error('its memory is smaller than its layout');
  const scanBody = exports.scan as (root: number, length: number) => number;
  const items = exports.items as () => number;
  const invalidItems = exports.invalidItems as () => number;

  // Message indexes; a message's keys and field records are written the first time it is reached, one
  // record per JSON key (a field's name and its snake_case alias), grouped by the key's first byte.
  const indexes = new Map<JsonMessage, number>();
  let records = 0;
  let keyBytesUsed = 0;
  const indexOf = (message: JsonMessage): number => {
    const known = indexes.get(message);
    if (known !== undefined) return known;
    // A message past the tables' room is never taken: the scanner declines where it appears.
    const fieldsOf = message.byFirstByte.flatMap((candidates) => candidates ?? []);
    const keyRoom = fieldsOf.reduce((n, field) => n + ((field.keyBytes.length + 7) & ~7), 0);
    if (indexes.size === maxMessages || records + fieldsOf.length > maxFields || keyBytesUsed + keyRoom > maxKeyBytes) return -1;
    const index = indexes.size;
    indexes.set(message, index);
    view.setInt32(masks + index * 4, message.requiredMask, true);
    // This message's records and key bytes are one block each (children reached below are placed after).
    let record = records;
    records += fieldsOf.length;
    let keyAt = keyBytes + keyBytesUsed;
    keyBytesUsed += keyRoom;
    for (let byte = 0; byte < 128; byte++) {
      const candidates = message.byFirstByte[byte] ?? [];
      view.setUint32(first + (index * 128 + byte) * 4, (record << 8) | candidates.length, true);
      for (const field of candidates) {
        const child = field.message === null ? 0 : indexOf(field.message);
        const at = fields + record * 16;
        memory[at] = field.kind;
        memory[at + 1] = field.tag.length;
        memory[at + 2] = field.tag[0]!;
        memory[at + 3] = field.tag[1] ?? 0;
        // A key the scanner must decline: a tag longer than 2 bytes (numbers past 2047), or a message past the table.
        view.setUint32(at + 4, field.tag.length > 2 || child < 0 ? 0 : field.numberBit, true);
        view.setUint32(at + 8, field.oneofBit, true);
        memory[at + 12] = field.requiredBit;
        memory[at + 13] = field.idLength;
        memory[at + 14] = (field.repeated ? 1 : 0) | (field.countsItems ? 2 : 0) | (field.packed ? 4 : 0);
        memory[at + 15] = Math.max(child, 0);
        // Zero-padded to a multiple of 8: the scanner compares keys a word at a time.
        const padded = (field.keyBytes.length + 7) & ~7;
        memory.fill(0, keyAt, keyAt + padded);
        memory.set(field.keyBytes, keyAt);
        view.setUint32(keys + record * 8, keyAt, true);
        view.setUint32(keys + record * 8 + 4, field.keyBytes.length | (record << 16), true);
        keyAt += padded;
        record++;
      }
    }
    return index;
  };

  return {
    maxBody,
    scan(root, body) {
      const index = indexOf(root);
      if (index < 0 || body.length > maxBody) return null;
      memory.set(body, input);
      let length: number;
      try {
        length = scanBody(index, body.length);
      } catch {
        return null; // a trap (which the layout rules out): the TypeScript scanner decides
      }
      if (length < 0) return null;
      const bytes = Buffer.allocUnsafeSlow(length);
      bytes.set(memory.subarray(output, output + length));
      return { bytes, items: items(), invalidItems: invalidItems() };
    },
  };
}

/** What the writer holds, in an allocation of its own. */
function takeOutput(): Buffer {
  const bytes = Buffer.allocUnsafeSlow(pos);
  buf.copy(bytes, 0, 0, pos);
  if (buf.length > RETAINED_BYTES) {
    buf = Buffer.allocUnsafeSlow(INITIAL_BYTES);
    view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  return bytes;
}
