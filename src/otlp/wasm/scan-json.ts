// AssemblyScript, compiled to WebAssembly by `npm run build` (asc): the fast
// path of the OTLP/JSON byte scanner (scanBytes in src/otlp/transcode-json.ts).
// It transcodes a body copied into this module's memory to protobuf, with the
// keys and fields the TypeScript side compiled from the schema and wrote into
// the tables below, and writes the same bytes the TypeScript scanner writes.
//
// Like that scanner it takes only the common shape (known keys given once,
// strings without \u escapes, hex ids, 64-bit integers as decimal strings,
// small non-negative integers, booleans) and declines anything else, which
// the TypeScript scanner, then JSON.parse and the transcoder, take in turn.
// So this module never has to word an error.

import { isUtf8, setCounts } from './shared';

export { items, invalidItems } from './shared';

export const MAX_MESSAGES: u32 = 64;
export const MAX_FIELDS: u32 = 1024;
export const MAX_KEY_BYTES: u32 = 16384;
/** Per message, per first byte of a key (ASCII): (first key entry << 8) | how many keys start with it. */
export const FIRST: u32 = 0;
/** Key entries (8 bytes each, one per field's JSON key): the key's address, and (its length | field index << 16). */
export const KEYS: u32 = FIRST + MAX_MESSAGES * 128 * 4;
/** The keys' bytes, each padded with zeros to a multiple of 8. */
export const KEY_BYTES: u32 = KEYS + MAX_FIELDS * 8;
/** Field records (16 bytes each; layout below). */
export const FIELDS: u32 = KEY_BYTES + MAX_KEY_BYTES;
/** Per message: the mask of required bits its items must show. */
export const MASKS: u32 = FIELDS + MAX_FIELDS * 16;
export const MAX_DEPTH: u32 = 64;
/** The open messages of a scan, by depth: 8 × u32 each (see the pushes below). */
const STACK: u32 = MASKS + MAX_MESSAGES * 4;
/** Where the TypeScript side copies the body, and how large it may be. */
export const IN: u32 = STACK + (MAX_DEPTH + 2) * 32;
export const MAX_IN: u32 = 512 * 1024;
/** Where the protobuf is written: never longer than its JSON text plus 64 bytes (see transcode-json.ts). */
export const OUT: u32 = IN + MAX_IN + 8;

// Field record layout, written by transcode-json.ts:
//   0 kind (its Kind enum), 1 tag length (1 or 2), 2–3 the tag's bytes,
//   4 number bit (u32), 8 oneof bit (u32), 12 required bit, 13 id length,
//   14 flags (1 repeated, 2 counts items, 4 packed), 15 child message index.
const MESSAGE: u32 = 0;
const STRING: u32 = 1;
const ID: u32 = 3;
const BOOL: u32 = 4;
const ENUM: u32 = 5;
const INT32: u32 = 6;
const UINT32: u32 = 7;
const SINT32: u32 = 8;
const FIXED32: u32 = 9;
const SFIXED32: u32 = 10;
const INT64: u32 = 11;
const UINT64: u32 = 12;
const SINT64: u32 = 13;
const FIXED64: u32 = 14;
const SFIXED64: u32 = 15;

const REPEATED: u32 = 1;
const COUNTS_ITEMS: u32 = 2;
const PACKED: u32 = 4;

export const DECLINED: i32 = -1;

// @ts-ignore: decorator
@inline
function isSpace(c: u32): bool {
  return c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09;
}

// @ts-ignore: decorator
@inline
function hexValue(c: u32): i32 {
  if (c - 0x30 < 10) return <i32>(c - 0x30);
  const lower = c | 0x20;
  if (lower - 0x61 < 6) return <i32>(lower - 0x61 + 10);
  return -1;
}

/** What a one-character escape (the byte after the backslash) stands for; 0 for \u (declined) and what is not JSON. */
function unescaped(c: u32): u32 {
  switch (c) {
    case 0x22: return 0x22;
    case 0x5c: return 0x5c;
    case 0x2f: return 0x2f;
    case 0x6e: return 0x0a;
    case 0x74: return 0x09;
    case 0x72: return 0x0d;
    case 0x62: return 0x08;
    case 0x66: return 0x0c;
    default: return 0;
  }
}

/** Writes a varint of up to 32 bits at o; returns the new end. */
function writeVarint32(o: u32, value: u32): u32 {
  while (value > 127) {
    store<u8>(o++, (value & 127) | 128);
    value >>>= 7;
  }
  store<u8>(o++, value);
  return o;
}

function writeVarint64(o: u32, value: u64): u32 {
  while (value > 127) {
    store<u8>(o++, <u8>((value & 127) | 128));
    value >>>= 7;
  }
  store<u8>(o++, <u8>value);
  return o;
}

/** A length of 128 or more for the bytes written after one reserved byte at `at`: moves them up to make room; returns the new end. */
function placeLength(at: u32, end: u32): u32 {
  const length = end - at - 1;
  if (length < 0x80) {
    store<u8>(at, length);
    return end;
  }
  const size: u32 = length < 0x4000 ? 2 : length < 0x200000 ? 3 : length < 0x10000000 ? 4 : 5;
  memory.copy(at + size, at + 1, length);
  writeVarint32(at, length);
  return end + size - 1;
}

// @ts-ignore: decorator
@inline
function writeTag(o: u32, field: u32): u32 {
  store<u8>(o, load<u8>(field, 2));
  if (load<u8>(field, 1) == 2) {
    store<u8>(o + 1, load<u8>(field, 3));
    return o + 2;
  }
  return o + 1;
}

/** Transcodes the `n` bytes at IN as message `root`: the protobuf's length (at OUT), or DECLINED. */
export function scan(root: u32, n: u32): i32 {
  const end = IN + n;
  let i = IN;
  let o = OUT;
  let found: u32 = 0;
  let invalid: u32 = 0;
  while (i < end && isSpace(load<u8>(i))) i++;
  if (i >= end || load<u8>(i) != 0x7b) return DECLINED;
  i++;
  let depth: u32 = 1;
  let message = root;
  let seen: u32 = 0;
  let fieldsSeen: u32 = 0;
  let oneofsSeen: u32 = 0;
  /** The field record whose array's elements are being read, or 0. */
  let array: u32 = 0;
  /** What comes next: 1 after `{` (a key or `}`), 2 after `,` in an object (a key), -1 a value, 0 what follows a value. */
  let next: i32 = 1;
  let field: u32 = 0;

  while (true) {
    if (next > 0) {
      while (i < end && isSpace(load<u8>(i))) i++;
      if (i >= end) return DECLINED;
      const c: u32 = load<u8>(i);
      if (c != 0x22) {
        if (c != 0x7d || next != 1) return DECLINED;
        next = 0; // an empty object: its `}` is read below
      } else {
        i++;
        if (i >= end) return DECLINED;
        const first: u32 = load<u8>(i);
        if (first >= 0x80) return DECLINED;
        const candidates = load<u32>(FIRST + ((message << 7) | first) * 4);
        let k = candidates >>> 8;
        const last = k + (candidates & 0xff);
        field = 0;
        for (; k < last; k++) {
          const entry = KEYS + k * 8;
          const key = load<u32>(entry);
          const lengthAndField = load<u32>(entry, 4);
          const length = lengthAndField & 0xffff;
          if (i + length >= end || load<u8>(i + length) != 0x22) continue;
          // Eight bytes at a time against the key, which is stored padded with zeros to a multiple of 8;
          // the input's bytes past the key are masked off (they are in memory: the body has 8 to spare).
          let j: u32 = 0;
          while (j + 8 <= length && load<u64>(i + j) == load<u64>(key + j)) j += 8;
          if (j < length && (load<u64>(i + j) & ((<u64>1 << (<u64>(length - j) << 3)) - 1)) != load<u64>(key + j)) continue;
          {
            field = FIELDS + (lengthAndField >>> 16) * 16;
            i += length + 1;
            break;
          }
        }
        // Unknown keys, fields numbered past 29, a field given twice (by either name) and packed numbers are declined.
        if (field == 0) return DECLINED;
        const numberBit = load<u32>(field, 4);
        const flags: u32 = load<u8>(field, 14);
        if (numberBit == 0 || (fieldsSeen & numberBit) != 0 || (flags & PACKED) != 0) return DECLINED;
        fieldsSeen |= numberBit;
        while (i < end && isSpace(load<u8>(i))) i++;
        if (i >= end || load<u8>(i) != 0x3a) return DECLINED;
        i++;
        while (i < end && isSpace(load<u8>(i))) i++;
        if (i >= end || load<u8>(i) == 0x6e) return DECLINED;
        const oneofBit = load<u32>(field, 8);
        if (oneofBit != 0) {
          if ((oneofsSeen & oneofBit) != 0) return DECLINED;
          oneofsSeen |= oneofBit;
        }
        if (flags & REPEATED) {
          if (load<u8>(i) != 0x5b) return DECLINED;
          i++;
          while (i < end && isSpace(load<u8>(i))) i++;
          if (i < end && load<u8>(i) == 0x5d) {
            i++;
            next = 0;
          } else {
            array = field;
          }
        }
        if (next != 0) next = -1;
      }
    }

    if (next == -1) {
      // The value of `field` (an element when `array` is set), at i, whitespace skipped.
      next = 0;
      if (i >= end) return DECLINED;
      const c: u32 = load<u8>(i);
      const kind: u32 = load<u8>(field);
      if (kind == MESSAGE) {
        if (c != 0x7b || depth + 1 > MAX_DEPTH) return DECLINED;
        i++;
        o = writeTag(o, field);
        const child: u32 = load<u8>(field, 15);
        const frame = STACK + depth * 32;
        store<u32>(frame, message);
        store<i32>(frame, load<u8>(field, 14) & COUNTS_ITEMS ? load<i32>(MASKS + child * 4) : -1, 4);
        store<u32>(frame, array, 8);
        store<u32>(frame, o, 12);
        store<u32>(frame, seen, 16);
        store<u32>(frame, fieldsSeen, 20);
        store<u32>(frame, oneofsSeen, 24);
        o++; // one byte reserved for the length, enough for most
        depth++;
        message = child;
        seen = 0;
        fieldsSeen = 0;
        oneofsSeen = 0;
        array = 0;
        next = 1;
        continue;
      } else if (kind == STRING) {
        if (c != 0x22) return DECLINED;
        i++;
        o = writeTag(o, field);
        const lengthAt = o++;
        const start = i;
        let high: u32 = 0;
        while (true) {
          // Eight bytes at a time: the plain ones (not `"`, `\`, a control character or above 0x7f) before
          // the first that needs a look are copied as one word. The flag of the lowest such byte is exact
          // (a borrow only ever sets flags above a byte that is flagged itself), so its index is too.
          if (i + 8 <= end) {
            const w = load<u64>(i);
            const quote = w ^ 0x2222222222222222;
            const backslash = w ^ 0x5c5c5c5c5c5c5c5c;
            const flags = (((quote - 0x0101010101010101) & ~quote) | ((backslash - 0x0101010101010101) & ~backslash) | ((w - 0x2020202020202020) & ~w) | w) & 0x8080808080808080;
            store<u64>(o, w);
            if (flags == 0) {
              i += 8;
              o += 8;
              continue;
            }
            const plain = <u32>(ctz(flags) >>> 3);
            i += plain;
            o += plain;
          }
          if (i >= end) return DECLINED;
          const b: u32 = load<u8>(i);
          if (b == 0x22) break;
          if (b < 0x20) return DECLINED;
          if (b == 0x5c) {
            const plain = i + 1 < end ? unescaped(load<u8>(i + 1)) : 0;
            if (plain == 0) return DECLINED;
            store<u8>(o++, plain);
            i += 2;
            continue;
          }
          high |= b;
          store<u8>(o++, b);
          i++;
        }
        if (high >= 0x80 && !isUtf8(start, i)) return DECLINED;
        i++;
        o = placeLength(lengthAt, o);
      } else if (kind == ID) {
        if (c != 0x22) return DECLINED;
        i++;
        const start = i;
        while (i < end && load<u8>(i) != 0x22) i++;
        if (i >= end) return DECLINED;
        const digits = i - start;
        i++;
        const idLength: u32 = load<u8>(field, 13);
        if (digits != 0 && digits != idLength * 2) return DECLINED;
        o = writeTag(o, field);
        store<u8>(o++, digits >>> 1);
        for (let k = start; k < start + digits; k += 2) {
          const h = hexValue(load<u8>(k));
          const l = hexValue(load<u8>(k + 1));
          if ((h | l) < 0) return DECLINED;
          store<u8>(o++, (h << 4) | l);
        }
        if (digits > 0) seen |= load<u8>(field, 12);
      } else if (kind >= INT64 && kind <= SFIXED64) {
        if (c != 0x22) return DECLINED;
        i++;
        const signed = kind == INT64 || kind == SFIXED64 || kind == SINT64;
        let negative = false;
        if (i < end && load<u8>(i) == 0x2d) {
          if (!signed) return DECLINED;
          negative = true;
          i++;
        }
        const start = i;
        let value: u64 = 0;
        while (i < end) {
          const d: u32 = <u32>load<u8>(i) - 0x30;
          if (d > 9) break;
          // Past 2^64 - 1: declined (the TypeScript scanner's check, made exact).
          if (value > 1844674407370955161 || (value == 1844674407370955161 && d > 5)) return DECLINED;
          value = value * 10 + d;
          i++;
        }
        const digits = i - start;
        if (digits == 0 || digits > 20 || i >= end || load<u8>(i) != 0x22) return DECLINED;
        i++;
        if (negative && value != 0) {
          if (value > 0x8000000000000000) return DECLINED;
          value = 0 - value;
        } else if (signed && value >= 0x8000000000000000) {
          return DECLINED;
        }
        o = writeTag(o, field);
        if (kind == FIXED64 || kind == SFIXED64) {
          store<u64>(o, value);
          o += 8;
        } else if (kind == SINT64) {
          o = writeVarint64(o, (value << 1) ^ <u64>(<i64>value >> 63));
        } else {
          o = writeVarint64(o, value);
        }
      } else if (kind == BOOL) {
        let value: u32;
        if (c == 0x74 && i + 4 <= end && load<u8>(i + 1) == 0x72 && load<u8>(i + 2) == 0x75 && load<u8>(i + 3) == 0x65) {
          i += 4;
          value = 1;
        } else if (c == 0x66 && i + 5 <= end && load<u8>(i + 1) == 0x61 && load<u8>(i + 2) == 0x6c && load<u8>(i + 3) == 0x73 && load<u8>(i + 4) == 0x65) {
          i += 5;
          value = 0;
        } else {
          return DECLINED;
        }
        o = writeTag(o, field);
        store<u8>(o++, value);
      } else if (kind >= ENUM && kind <= SFIXED32) {
        // A plain non-negative integer below 2^32: no sign, fraction, exponent or leading zero.
        const start = i;
        let value: u64 = 0;
        while (i < end && i - start <= 10) {
          const d: u32 = <u32>load<u8>(i) - 0x30;
          if (d > 9) break;
          value = value * 10 + d;
          i++;
        }
        const digits = i - start;
        if (digits == 0 || digits > 10 || value > 0xffffffff || i >= end || (load<u8>(start) == 0x30 && digits > 1)) return DECLINED;
        const after: u32 = load<u8>(i);
        if (after == 0x2e || after == 0x65 || after == 0x45) return DECLINED;
        const small = <u32>value;
        if (kind == FIXED32) {
          o = writeTag(o, field);
          store<u32>(o, small);
          o += 4;
        } else if (kind == SFIXED32) {
          if (small > 0x7fffffff) return DECLINED;
          o = writeTag(o, field);
          store<u32>(o, small);
          o += 4;
        } else if (kind == UINT32 || (kind == INT32 && small <= 0x7fffffff) || (kind == ENUM && small < 0x80)) {
          o = writeTag(o, field);
          o = writeVarint32(o, small);
        } else if (kind == SINT32 && small <= 0x7fffffff) {
          o = writeTag(o, field);
          o = writeVarint32(o, small << 1);
        } else {
          return DECLINED; // an enum number past 127 (the TypeScript side checks its range), an int32 past 2^31 - 1
        }
      } else {
        return DECLINED; // bytes, doubles and floats
      }
    }

    // After a value (or an empty object or array): separators and the ends of arrays and objects.
    while (true) {
      while (i < end && isSpace(load<u8>(i))) i++;
      if (i >= end) return DECLINED;
      const c: u32 = load<u8>(i++);
      if (array != 0) {
        if (c == 0x2c) {
          while (i < end && isSpace(load<u8>(i))) i++;
          field = array;
          next = -1;
          break;
        }
        if (c != 0x5d) return DECLINED;
        array = 0;
        continue;
      }
      if (c == 0x2c) {
        next = 2;
        break;
      }
      if (c != 0x7d) return DECLINED;
      if (depth == 1) {
        while (i < end && isSpace(load<u8>(i))) i++;
        if (i != end || o - OUT > n + 64) return DECLINED;
        setCounts(found, invalid);
        return <i32>(o - OUT);
      }
      depth--;
      const frame = STACK + depth * 32;
      o = placeLength(load<u32>(frame, 12), o);
      const itemMask = load<i32>(frame, 4);
      if (itemMask >= 0) {
        found++;
        if (seen != <u32>itemMask) invalid++;
      }
      message = load<u32>(frame);
      array = load<u32>(frame, 8);
      seen = load<u32>(frame, 16);
      fieldsSeen = load<u32>(frame, 20);
      oneofsSeen = load<u32>(frame, 24);
    }
  }
  return DECLINED;
}
