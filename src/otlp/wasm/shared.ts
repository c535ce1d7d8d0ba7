// AssemblyScript: what the WebAssembly walker and JSON scanner share.

let itemCount: u32 = 0;
let invalidItemCount: u32 = 0;

/** Items (spans, data points, log records) in the last input taken; each module re-exports it. */
export function items(): u32 {
  return itemCount;
}

/** Items among them that lack a required field. */
export function invalidItems(): u32 {
  return invalidItemCount;
}

/** Records the counts of an input taken, for items() and invalidItems(). */
export function setCounts(found: u32, invalid: u32): void {
  itemCount = found;
  invalidItemCount = invalid;
}

/**
 * UTF-8 as RFC 3629 defines it (no overlong forms, no surrogates, nothing above
 * U+10FFFF). Most strings are short ASCII: 8 bytes at a time, the last 1–7 read
 * as one 8-byte word with the bytes past the end masked off (memory has 8 bytes
 * to spare after the largest input).
 */
export function isUtf8(start: u32, end: u32): bool {
  let i = start;
  let acc: u64 = 0;
  for (; i + 8 <= end; i += 8) acc |= load<u64>(i);
  if (i < end) acc |= load<u64>(i) & ((<u64>1 << (<u64>(end - i) << 3)) - 1);
  if ((acc & 0x8080808080808080) == 0) return true;
  i = start;
  while (i < end) {
    const b: u32 = load<u8>(i);
    if (b < 0x80) {
      i++;
      continue;
    }
    if (b < 0xc2 || b > 0xf4) return false;
    if (b < 0xe0) {
      if (i + 2 > end || !continuation(load<u8>(i + 1))) return false;
      i += 2;
      continue;
    }
    if (b < 0xf0) {
      if (i + 3 > end) return false;
      const b1: u32 = load<u8>(i + 1);
      const low: u32 = b == 0xe0 ? 0xa0 : 0x80;
      const high: u32 = b == 0xed ? 0x9f : 0xbf;
      if (b1 < low || b1 > high || !continuation(load<u8>(i + 2))) return false;
      i += 3;
      continue;
    }
    if (i + 4 > end) return false;
    const b1: u32 = load<u8>(i + 1);
    const low: u32 = b == 0xf0 ? 0x90 : 0x80;
    const high: u32 = b == 0xf4 ? 0x8f : 0xbf;
    if (b1 < low || b1 > high || !continuation(load<u8>(i + 2)) || !continuation(load<u8>(i + 3))) return false;
    i += 4;
  }
  return true;
}

// @ts-ignore: decorator
@inline
function continuation(b: u32): bool {
  return (b & 0xc0) == 0x80;
}
