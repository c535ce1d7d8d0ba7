import { isUtf8 } from 'node:buffer';
import protobuf from 'protobufjs';
import { ID_FIELDS, ITEM_FIELDS, REQUIRED_FIELDS } from './schema.js';
import { loadWasm, wasmConstant } from './wasm-module.js';

/** Thrown for a body that is not a well-formed OTLP message; the receiver answers 400 with its message. */
export class OtlpDecodeError extends Error {
  override readonly name = 'OtlpDecodeError';
}

/**
 * Message nesting allowed in a request. A span attribute sits 6 levels deep
 * (request, resource spans, scope spans, span, key-value, any-value); each
 * level of array or map nesting inside an AnyValue adds 2–3. 64 leaves room
 * for ~20 levels of nested attribute values and stops a hostile body from
 * driving recursion (here or in the collector) as deep as its bytes allow.
 */
export const MAX_MESSAGE_DEPTH = 64;

/** 2^(7·i): the place value of a varint's i-th group. `2 ** shift` compiled to a call to pow (~2 % of the sidecar's CPU under load, perf). */
const SEVEN_BIT_PLACES = [1, 2 ** 7, 2 ** 14, 2 ** 21, 2 ** 28, 2 ** 35];

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

interface FieldRule {
  readonly name: string;
  readonly wireType: number;
  /** Repeated scalars may also arrive packed (length-delimited). */
  readonly packable: boolean;
  readonly message: MessageRule | null;
  readonly utf8: boolean;
  /** Required byte length for trace/span ids (0 is also accepted: "unset"). */
  readonly idLength: number;
  readonly countsItems: boolean;
  /** Bit set in the parent's "seen" mask when this field is present and non-empty (required ids). */
  readonly requiredBit: number;
}

interface MessageRule {
  readonly name: string;
  /** All required bits of this message; an item missing one is invalid (rejected alone, not the request). */
  readonly requiredMask: number;
  /** Indexed by field number; OTLP field numbers are small, so an array beats a Map here (measured ~2x). */
  readonly fields: (FieldRule | undefined)[];
  /** What a one-byte tag (field numbers below 16: nearly every OTLP field) means here, by the tag: an Action. */
  readonly actions: Uint8Array;
}

/**
 * What the walk does with a field, decided per message and tag once at start-up instead of per field
 * from its number, wire type and rule: ~16 % off a 100-span body (30.0 → 25.3 µs, best of 9).
 */
const enum Action {
  // src/otlp/wasm/walk.ts reads these values from its rule table: keep the numbering in step.
  /** Field number 0, or a wire type protobuf does not use (3, 4: groups; 6, 7). */
  Malformed,
  /** A known field sent with another wire type than its schema's (and not as a packed repeated scalar). */
  WrongWire,
  Varint,
  /** A varint of a field that counts items (none in OTLP today; kept so the rules alone decide). */
  VarintItem,
  I64,
  I32,
  Message,
  /** A string: UTF-8 is checked. */
  Utf8,
  /** Bytes; ids have their fixed length checked. */
  Bytes,
  /** Repeated numbers sent packed. */
  Packed,
  /** An unknown field (skipped, forwarded untouched), length-delimited. */
  SkipLen,
}

const SCALAR_WIRE: Record<string, number> = {
  int32: WIRE_VARINT, uint32: WIRE_VARINT, sint32: WIRE_VARINT, int64: WIRE_VARINT, uint64: WIRE_VARINT, sint64: WIRE_VARINT, bool: WIRE_VARINT,
  fixed64: WIRE_I64, sfixed64: WIRE_I64, double: WIRE_I64,
  fixed32: WIRE_I32, sfixed32: WIRE_I32, float: WIRE_I32,
  string: WIRE_LEN, bytes: WIRE_LEN,
};

const compiled = new Map<protobuf.Type, MessageRule>();

/** Turns protobufjs reflection into flat per-field rules once, so validation is a tight loop. */
function compile(type: protobuf.Type): MessageRule {
  const existing = compiled.get(type);
  if (existing) return existing;
  const requiredNames = type.fieldsArray.filter((f) => REQUIRED_FIELDS.has(`${type.name}.${f.name}`));
  const rule: MessageRule = { name: type.name, fields: [], requiredMask: (1 << requiredNames.length) - 1, actions: new Uint8Array(0x80) };
  compiled.set(type, rule);
  for (const field of type.fieldsArray) {
    field.resolve();
    const resolved = field.resolvedType;
    const isMessage = resolved instanceof protobuf.Type;
    const isEnum = resolved instanceof protobuf.Enum;
    const key = `${type.name}.${field.name}`;
    const wireType = isMessage ? WIRE_LEN : isEnum ? WIRE_VARINT : SCALAR_WIRE[field.type];
    if (wireType === undefined) throw new Error(`no wire type for ${key} (${field.type})`);
    rule.fields[field.id] = {
      name: key,
      wireType,
      packable: field.repeated && wireType !== WIRE_LEN,
      message: isMessage ? compile(resolved) : null,
      utf8: field.type === 'string',
      idLength: ID_FIELDS.get(key) ?? 0,
      countsItems: ITEM_FIELDS.has(key),
      requiredBit: requiredNames.includes(field) ? 1 << requiredNames.indexOf(field) : 0,
    };
  }
  for (let tag = 0; tag < 0x80; tag++) rule.actions[tag] = actionOf(rule.fields[tag >>> 3], tag >>> 3, tag & 7);
  return rule;
}

function actionOf(field: FieldRule | undefined, fieldNumber: number, wireType: number): Action {
  if (fieldNumber === 0) return Action.Malformed;
  switch (wireType) {
    case WIRE_VARINT:
      if (field && field.wireType !== WIRE_VARINT) return Action.WrongWire;
      return field?.countsItems ? Action.VarintItem : Action.Varint;
    case WIRE_I64:
      if (field && field.wireType !== WIRE_I64) return Action.WrongWire;
      return Action.I64;
    case WIRE_I32:
      if (field && field.wireType !== WIRE_I32) return Action.WrongWire;
      return Action.I32;
    case WIRE_LEN:
      if (!field) return Action.SkipLen;
      if (field.message) return Action.Message;
      // Plain strings (no id length, not required) skip the field's other checks.
      if (field.wireType === WIRE_LEN) return field.utf8 && field.idLength === 0 && field.requiredBit === 0 ? Action.Utf8 : Action.Bytes;
      return field.packable ? Action.Packed : Action.WrongWire;
    default:
      return Action.Malformed;
  }
}

export interface ValidationStats {
  /** Spans, metric data points or log records in the request. */
  items: number;
  /** Items among them that lack a required field (a span without trace or span id). */
  invalidItems: number;
}


/**
 * Checks that `bytes` is a well-formed encoding of `type` without building
 * any objects: wire types match the schema, lengths stay inside their
 * parents, strings are UTF-8, ids have their fixed length, nesting stays
 * under MAX_MESSAGE_DEPTH. Cost is linear in the body size. Unknown fields
 * are skipped (and forwarded untouched), as protobuf requires.
 */
export function validateProtobuf(type: protobuf.Type, bytes: Uint8Array): ValidationStats {
  // The WebAssembly walker (wasmWalker, below) takes the common case at about twice the speed; what it
  // declines, the TypeScript walk judges and words.
  return wasmWalker()?.check(type, bytes) ?? validateProtobufInTypeScript(type, bytes);
}

/**
 * validateProtobuf without the WebAssembly fast path: the reference walk, and
 * what words every error. Exported for the tests and benchmarks that compare the two.
 */
export function validateProtobufInTypeScript(type: protobuf.Type, bytes: Uint8Array): ValidationStats {
  // Protobuf messages are below 2 GiB by the format's own rule; so positions fit in 31 bits (see below).
  if (bytes.length > 0x7fffffff) throw new OtlpDecodeError(`message of ${bytes.length} bytes is over protobuf's limit of 2 GiB`);
  return walk(compile(type), bytes);
}

function walk(root: MessageRule, bytes: Uint8Array): ValidationStats {
  const stats: ValidationStats = { items: 0, invalidItems: 0 };
  const buf = bytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The walk is a loop with an explicit stack of enclosing messages rather than a recursive call per
  // message (a span holds ~9: attributes and their values): measured ~12 % faster on 10- and 100-span
  // bodies (best of 15, interleaved A/B).
  // Module-level tables read through locals: each access to a module's const declared below otherwise
  // carries a check that it is initialised (~5 % of the walk, measured).
  const rules = ruleStack;
  const itemMasks = itemMaskStack;
  const ends = endStack;
  const seens = seenStack;
  let rule = root;
  let end = bytes.length;
  let depth = 1;
  let seen = 0;
  let pos = 0;
  for (;;) {
    if (pos >= end) {
      if (depth === 1) break;
      // The end of a nested message: back to its parent.
      const childSeen = seen;
      depth--;
      const itemMask = itemMasks[depth]!;
      rule = rules[depth]!;
      end = ends[depth]!;
      seen = seens[depth]!;
      if (itemMask >= 0) {
        stats.items++;
        if (childSeen !== itemMask) stats.invalidItems++;
      }
      continue;
    }
    // Tags fit in 5 bytes; read as a varint and split. One byte (field numbers below 16) is the common case.
    const first = buf[pos++]!;
    let fieldNumber: number;
    let wireType: number;
    let action: number;
    if (first < 0x80) {
      fieldNumber = first >>> 3;
      wireType = first & 7;
      action = rule.actions[first]!;
    } else {
      let tag = first & 0x7f;
      let group = 1;
      for (;;) {
        if (pos >= end) throw new OtlpDecodeError(`truncated field tag in ${rule.name}`);
        const b = buf[pos++]!;
        tag += (b & 0x7f) * SEVEN_BIT_PLACES[group]!;
        if (b < 0x80) break;
        if (++group > 4) throw new OtlpDecodeError(`malformed field tag in ${rule.name}`);
      }
      fieldNumber = Math.floor(tag / 8);
      wireType = tag & 7;
      action = actionOf(fieldAt(rule, fieldNumber), fieldNumber, wireType);
    }
    if (action < Action.Message && !(action === Action.WrongWire && wireType === WIRE_LEN)) {
      switch (action) {
        case Action.Varint:
        case Action.VarintItem: {
          let n = 0;
          for (;;) {
            if (pos >= end) throw new OtlpDecodeError(`truncated varint in ${nameAt(rule, fieldNumber)}`);
            if (++n > 10) throw new OtlpDecodeError(`varint longer than 10 bytes in ${nameAt(rule, fieldNumber)}`);
            if (buf[pos++]! < 0x80) break;
          }
          if (action === Action.VarintItem) stats.items++;
          break;
        }
        case Action.I64:
          pos += 8;
          if (pos > end) throw new OtlpDecodeError(`truncated 64-bit value in ${nameAt(rule, fieldNumber)}`);
          break;
        case Action.I32:
          pos += 4;
          if (pos > end) throw new OtlpDecodeError(`truncated 32-bit value in ${nameAt(rule, fieldNumber)}`);
          break;
        case Action.WrongWire:
          throw wrongWire(rule.fields[fieldNumber]!, wireType);
        default:
          if (fieldNumber === 0) throw new OtlpDecodeError(`field number 0 in ${rule.name}`);
          throw new OtlpDecodeError(`unsupported wire type ${wireType} (field ${fieldNumber} of ${rule.name})`);
      }
      continue;
    }
    // Length-delimited. Lengths and positions stay small integers (int32 in V8: bodies are below 2 GiB),
    // so the walk's index arithmetic never turns into floating point (~5 % of the walk, measured).
    let length: number;
    if (pos < end && buf[pos]! < 0x80) {
      length = buf[pos++]!;
    } else {
      let low = 0;
      let high = 0;
      let group = 0;
      for (;;) {
        if (pos >= end) throw new OtlpDecodeError(`truncated length in ${nameAt(rule, fieldNumber)}`);
        const b = buf[pos++]!;
        if (group < 4) low |= (b & 0x7f) << (7 * group);
        else high += (b & 0x7f) * SEVEN_BIT_PLACES[group]!;
        if (b < 0x80) break;
        if (++group > 5) throw new OtlpDecodeError(`malformed length in ${nameAt(rule, fieldNumber)}`);
      }
      if (high > end - pos) throw pastTheEnd(rule, fieldNumber, low + high);
      length = (low + high) | 0;
    }
    if (length > end - pos) throw pastTheEnd(rule, fieldNumber, length);
    const fieldEnd = pos + length;
    switch (action) {
      case Action.Message: {
        const field = rule.fields[fieldNumber]!;
        if (depth >= MAX_MESSAGE_DEPTH) throw new OtlpDecodeError(`message nesting deeper than ${MAX_MESSAGE_DEPTH} levels (at ${field.message!.name})`);
        // Into the nested message: its bytes are walked next, up to fieldEnd.
        rules[depth] = rule;
        ends[depth] = end;
        seens[depth] = seen;
        itemMasks[depth] = field.countsItems ? field.message!.requiredMask : -1;
        depth++;
        rule = field.message!;
        end = fieldEnd;
        seen = 0;
        continue;
      }
      case Action.Utf8:
        if (length > 0 && !isAscii(buf, view, pos, fieldEnd) && !isUtf8(buf.subarray(pos, fieldEnd))) throw new OtlpDecodeError(`${rule.fields[fieldNumber]!.name} is not valid UTF-8`);
        break;
      case Action.Bytes: {
        const field = rule.fields[fieldNumber]!;
        if (field.utf8 && length > 0 && !isAscii(buf, view, pos, fieldEnd) && !isUtf8(buf.subarray(pos, fieldEnd))) throw new OtlpDecodeError(`${field.name} is not valid UTF-8`);
        if (field.idLength > 0 && length !== 0 && length !== field.idLength) {
          throw new OtlpDecodeError(`${field.name} must be ${field.idLength} bytes, found ${length}`);
        }
        if (length > 0) seen |= field.requiredBit;
        break;
      }
      case Action.Packed: {
        const field = rule.fields[fieldNumber]!;
        if (field.wireType === WIRE_I64 ? length % 8 !== 0 : field.wireType === WIRE_I32 ? length % 4 !== 0 : length > 0 && buf[fieldEnd - 1]! >= 0x80) {
          throw new OtlpDecodeError(`malformed packed ${field.name}`);
        }
        break;
      }
      case Action.WrongWire:
        throw wrongWire(rule.fields[fieldNumber]!, WIRE_LEN);
      default:
        // An unknown field: skipped.
        break;
    }
    pos = fieldEnd;
  }
  return stats;
}

/** The enclosing messages of the one being walked, by depth (validation is synchronous: one walk at a time). */
const ruleStack: MessageRule[] = [];
/** Per enclosing message: the required mask its items must show when it counts items, else -1. */
const itemMaskStack = new Int32Array(MAX_MESSAGE_DEPTH + 1);
const endStack = new Int32Array(MAX_MESSAGE_DEPTH + 1);
const seenStack = new Int32Array(MAX_MESSAGE_DEPTH + 1);

/**
 * Most OTLP strings are ASCII; checking that in place avoids a subarray per
 * string (a third of validation time, profiled). Four bytes per DataView read
 * and one branch at the end measured ~3.7x faster than a byte loop; two reads
 * per iteration another ~6 % off the whole walk (best of 15, interleaved A/B).
 */
function isAscii(buf: Uint8Array, view: DataView, start: number, end: number): boolean {
  let acc = 0;
  let i = start;
  for (; i + 8 <= end; i += 8) acc |= view.getUint32(i, true) | view.getUint32(i + 4, true);
  if (i + 4 <= end) {
    acc |= view.getUint32(i, true);
    i += 4;
  }
  for (; i < end; i++) acc |= buf[i]!;
  return (acc & 0x80808080) === 0;
}

function pastTheEnd(rule: MessageRule, fieldNumber: number, length: number): OtlpDecodeError {
  return new OtlpDecodeError(`length ${length} of ${fieldAt(rule, fieldNumber)?.name ?? `field ${fieldNumber}`} runs past the end of ${rule.name}`);
}

function fieldAt(rule: MessageRule, fieldNumber: number): FieldRule | undefined {
  return fieldNumber < rule.fields.length ? rule.fields[fieldNumber] : undefined;
}

/** What error messages call the field: its schema name, or the message's for an unknown field. */
function nameAt(rule: MessageRule, fieldNumber: number): string {
  return fieldAt(rule, fieldNumber)?.name ?? rule.name;
}

function wrongWire(field: FieldRule, found: number): OtlpDecodeError {
  return new OtlpDecodeError(`${field.name} expected wire type ${field.wireType}, found ${found}`);
}

/** What the WebAssembly walker answers for a body it has checked in full and found well-formed. */
const WASM_VALID = 0;

interface WasmWalker {
  /**
   * Walks `bytes` as a `type` message in WebAssembly: its counts when it is
   * plainly well-formed, null when the walker declines it (anything unusual,
   * or a body larger than maxBody).
   */
  check(type: protobuf.Type, bytes: Uint8Array): ValidationStats | null;
  /** The largest body that fits its memory; larger ones (rare: OTLP exporters send batches of ~512 spans) take the TypeScript walk. */
  readonly maxBody: number;
}

let walker: WasmWalker | null | undefined;

/**
 * The WebAssembly fast path of validateProtobuf (src/otlp/wasm/walk.ts), or
 * null where it was not built or cannot be loaded. It walks a body about
 * twice as fast as the TypeScript walk and declines whatever is not plainly
 * valid, which that walk then judges and words (bench/sidecar/validate.mjs
 * measures both).
 */
export function wasmWalker(): WasmWalker | null {
  if (walker === undefined) walker = loadWasm('otlp-walk', 'OTLP/protobuf bodies are checked in TypeScript only', walkerOf);
  return walker;
}

function walkerOf(exports: WebAssembly.Exports): WasmWalker {
  const constant = (name: string) => wasmConstant(exports, name);
  if (constant('MAX_DEPTH') !== MAX_MESSAGE_DEPTH) throw new Error(`it nests to ${constant('MAX_DEPTH')} levels, the TypeScript walk to ${MAX_MESSAGE_DEPTH}: rebuild it`);
  // Its memory never grows, so these views stay valid.
  const memory = new Uint8Array((exports.memory as WebAssembly.Memory).buffer);
  const table = new Uint32Array(memory.buffer, 0, constant('MAX_MESSAGES') * 256);
  const masks = new Int32Array(memory.buffer, table.byteLength, constant('MAX_MESSAGES'));
  const body = constant('BODY');
  const maxBody = memory.length - body - 8; // walk.ts reads up to 8 bytes past a string's end
  const walkBody = exports.walk as (root: number, length: number) => number;
  const items = exports.items as () => number;
  const invalidItems = exports.invalidItems as () => number;
  // Rule table indexes, by message; a message's entries are written the first time it is reached.
  const indexes = new Map<MessageRule, number>();
  const indexOf = (rule: MessageRule): number => {
    const known = indexes.get(rule);
    if (known !== undefined) return known;
    if (indexes.size === masks.length) return -1;
    const index = indexes.size;
    indexes.set(rule, index);
    masks[index] = rule.requiredMask;
    for (let tag = 0; tag < 256; tag++) table[index * 256 + tag] = entryOf(rule, tag, indexOf);
    return index;
  };
  return {
    maxBody,
    check(type, bytes) {
      const root = indexOf(compile(type));
      if (root < 0 || bytes.length > maxBody) return null;
      memory.set(bytes, body);
      return walkBody(root, bytes.length) === WASM_VALID ? { items: items(), invalidItems: invalidItems() } : null;
    },
  };
}

/** A tag's entry in the WebAssembly rule table (its layout is described in walk.ts). */
function entryOf(rule: MessageRule, tag: number, indexOf: (rule: MessageRule) => number): number {
  const fieldNumber = tag >>> 3;
  const field = fieldAt(rule, fieldNumber);
  const action = actionOf(field, fieldNumber, tag & 7);
  if (field === undefined) return action;
  switch (action) {
    case Action.Message: {
      const child = indexOf(field.message!);
      // A schema of more messages than the table holds: the walker declines this field.
      if (child < 0) return Action.Malformed;
      return action | (field.countsItems ? 16 : 0) | (child << 8);
    }
    case Action.Bytes:
      // A field whose rule does not fit the entry is declined where it appears (none in OTLP).
      if (field.idLength > 0xff || field.requiredBit > 0xff) return Action.Malformed;
      return action | (field.utf8 ? 32 : 0) | (field.idLength << 8) | (field.requiredBit << 16);
    case Action.Packed:
      return action | (field.wireType << 8);
    default:
      return action;
  }
}
