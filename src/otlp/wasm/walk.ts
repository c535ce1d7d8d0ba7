// AssemblyScript, compiled to WebAssembly by `npm run build` (asc): the fast
// path of validateProtobuf (src/otlp/validate-protobuf.ts). It walks a body
// copied into this module's memory with the rules the TypeScript side
// compiled from the OTLP schema and wrote into the rule table below.
//
// It answers only "certainly valid" (with the item counts) or "ask the
// TypeScript walker". Anything unusual (a wrong wire type, a truncated field,
// a field number of 32 or more, too deep a nesting, bad UTF-8) is left to that
// walker, which either accepts it or names what is wrong. So this module never
// has to word an error, and a body it declines costs one more walk, nothing else.

import { isUtf8, setCounts } from './shared';

export { items, invalidItems } from './shared';

/** Rule table: per message (up to MAX_MESSAGES), one u32 entry per one- or two-byte tag below 256 (field numbers 0–31). */
const TABLE: u32 = 0;
export const MAX_MESSAGES: u32 = 64;
/** Per message: the mask of required bits its items must show. */
const MASKS: u32 = TABLE + MAX_MESSAGES * 256 * 4;
/** The enclosing messages of the one being walked: rule, end, seen, item mask (4 × i32 per level). */
const STACK: u32 = MASKS + MAX_MESSAGES * 4;
export const MAX_DEPTH: u32 = 64;
/** Where the TypeScript side copies the body. */
export const BODY: u32 = STACK + (MAX_DEPTH + 1) * 16;

// Entry layout (written by validate-protobuf.ts, which owns the meaning of the actions):
//   bits 0–3   action (the Action enum's values)
//   bit 4      the field counts items (Message)
//   bit 5      the bytes must be UTF-8 (Bytes)
//   bits 8–15  child message index (Message), id length (Bytes) or the packed wire type (Packed)
//   bits 16–23 the required bit the field sets in its message when non-empty (Bytes)
const VARINT: u32 = 2;
const VARINT_ITEM: u32 = 3;
const I64: u32 = 4;
const I32: u32 = 5;
const MESSAGE: u32 = 6;
const UTF8: u32 = 7;
const BYTES: u32 = 8;
const PACKED: u32 = 9;
const SKIP_LEN: u32 = 10;

export const VALID: i32 = 0;
export const DECLINED: i32 = 1;

/** Walks `length` bytes at BODY as message `root`; VALID (counts in items() / invalidItems()) or DECLINED. */
export function walk(root: u32, length: u32): i32 {
  let rule = root;
  let pos: u32 = BODY;
  let end: u32 = BODY + length;
  let depth: u32 = 1;
  let seen: u32 = 0;
  let found: u32 = 0;
  let invalid: u32 = 0;
  while (true) {
    if (pos >= end) {
      if (depth == 1) break;
      // The end of a nested message: back to its parent.
      const childSeen = seen;
      depth--;
      const frame = STACK + depth * 16;
      rule = load<u32>(frame);
      end = load<u32>(frame, 4);
      seen = load<u32>(frame, 8);
      const itemMask = load<i32>(frame, 12);
      if (itemMask >= 0) {
        found++;
        if (childSeen != <u32>itemMask) invalid++;
      }
      continue;
    }
    let tag: u32 = load<u8>(pos++);
    if (tag >= 0x80) {
      // Two-byte tags cover field numbers 16–31; longer ones are declined.
      if (pos >= end) return DECLINED;
      const next: u32 = load<u8>(pos++);
      if (next >= 2) return DECLINED;
      tag = (tag & 0x7f) | (next << 7);
    }
    const entry = load<u32>(TABLE + ((rule << 8) | tag) * 4);
    const action = entry & 15;
    // Ifs in the order of how common each action is; a switch (a br_table) measured ~7 % slower.
    if (action < MESSAGE) {
      if (action == VARINT || action == VARINT_ITEM) {
        let n: u32 = 0;
        while (true) {
          if (pos >= end || ++n > 10) return DECLINED;
          if (load<u8>(pos++) < 0x80) break;
        }
        if (action == VARINT_ITEM) found++;
      } else if (action == I64) {
        pos += 8;
        if (pos > end) return DECLINED;
      } else if (action == I32) {
        pos += 4;
        if (pos > end) return DECLINED;
      } else {
        return DECLINED; // malformed or a wrong wire type
      }
      continue;
    }
    // Length-delimited: a length of up to 4 bytes (bodies here are far below 2^28 bytes).
    if (pos >= end) return DECLINED;
    let length: u32 = load<u8>(pos++);
    if (length >= 0x80) {
      length &= 0x7f;
      let shift: u32 = 7;
      while (true) {
        if (pos >= end || shift > 21) return DECLINED;
        const b: u32 = load<u8>(pos++);
        length |= (b & 0x7f) << shift;
        if (b < 0x80) break;
        shift += 7;
      }
    }
    if (length > end - pos) return DECLINED;
    const fieldEnd = pos + length;
    if (action == MESSAGE) {
      if (depth >= MAX_DEPTH) return DECLINED;
      const child = (entry >>> 8) & 0xff;
      const frame = STACK + depth * 16;
      store<u32>(frame, rule);
      store<u32>(frame, end, 4);
      store<u32>(frame, seen, 8);
      store<i32>(frame, entry & 16 ? load<i32>(MASKS + child * 4) : -1, 12);
      depth++;
      rule = child;
      end = fieldEnd;
      seen = 0;
      continue;
    }
    if (action == UTF8) {
      if (!isUtf8(pos, fieldEnd)) return DECLINED;
    } else if (action == BYTES) {
      if (entry & 32 && !isUtf8(pos, fieldEnd)) return DECLINED;
      const idLength = (entry >>> 8) & 0xff;
      if (idLength != 0 && length != 0 && length != idLength) return DECLINED;
      if (length != 0) seen |= (entry >>> 16) & 0xff;
    } else if (action == PACKED) {
      const wire = (entry >>> 8) & 0xff;
      if (wire == 1 ? length & 7 : wire == 5 ? length & 3 : length != 0 && load<u8>(fieldEnd - 1) >= 0x80) return DECLINED;
    } else if (action != SKIP_LEN) {
      return DECLINED;
    }
    pos = fieldEnd;
  }
  setCounts(found, invalid);
  return VALID;
}
