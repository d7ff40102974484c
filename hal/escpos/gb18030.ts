/**
 * Unicode -> GB18030 two-byte codes from a table kept in flash (the board's `resources` partition,
 * written at the factory by build/resources.ts). The table (7,500 entries, 30 KB) never enters RAM.
 *
 * Lookup: RAM holds only a sparse index, the first code point of every block of 32 entries (235 keys,
 * 470 bytes), and one reused 128-byte block buffer. A lookup binary-searches the index, reads that one
 * block from flash into the buffer and binary-searches it: one flash read per character instead of the
 * 13 four-byte reads of a search over flash alone (in the simulator each native call costs ~25 us).
 *
 * Table layout (big-endian): "U2GB", u16 version 1, u16 entry size 4, u32 count, u16 CRC-16 of the
 * entries, u16 CRC-16 of header bytes 0..13, then count x [u16 code point][u16 GB code] sorted by code
 * point. CRC-16/CCITT-FALSE keeps every intermediate within 17 bits (no heap doubles on JerryScript).
 * open() checks both CRCs while it builds the index, so a damaged table is refused before printing.
 */
import { HalError } from "../errors";
import type { Device } from "../device";

export const GB_TABLE_VERSION = 1;
const HEADER = 16;
const ENTRY = 4;
/** Entries per block: one flash read per lookup. */
const BLOCK = 32;

/** CRC-16/CCITT-FALSE over `data[from..to)`, continuing from `crc`. */
export function crc16(data: Uint8Array, from: number, to: number, crc: number): number {
  for (let i = from; i < to; i++) {
    crc ^= data[i]! << 8;
    for (let b = 0; b < 8; b++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** Flash offset of the code table: the start of the board's resources partition. */
export function codeTableOffset(device: Device): number {
  const part = device.flash.partitions.resources;
  if (!part) throw new HalError("E_RESOURCE_MISSING", `board ${device.name} has no resources partition`);
  return part.first * device.flash.sectorSize;
}

export class GbCodeTable {
  /** The block last read (consecutive lookups in one block read flash once). */
  private cached = -1;

  private constructor(
    private readonly flash: Natives.Flash,
    private readonly entries: number,
    readonly count: number,
    /** First code point of each block. */
    private readonly index: Uint16Array,
    /** One block of entries, reused by every lookup. */
    private readonly block: Uint8Array,
  ) {}

  /**
   * Checks the header and the CRC of the entries (reading the table once, block by block, which also
   * builds the index) and returns the table. E_RESOURCE_MISSING when no table was provisioned,
   * E_RESOURCE_CORRUPT when it is damaged or out of order.
   */
  static open(flash: Natives.Flash, offset: number): GbCodeTable {
    const h = flash.read(offset, HEADER, new Uint8Array(HEADER));
    if (h[0] !== 0x55 || h[1] !== 0x32 || h[2] !== 0x47 || h[3] !== 0x42)
      throw new HalError("E_RESOURCE_MISSING", `no GB code table at flash offset ${offset}`);
    if (crc16(h, 0, 14, 0xffff) !== ((h[14]! << 8) | h[15]!)) throw new HalError("E_RESOURCE_CORRUPT", "GB code table header CRC mismatch");
    const version = (h[4]! << 8) | h[5]!;
    const size = (h[6]! << 8) | h[7]!;
    if (version !== GB_TABLE_VERSION || size !== ENTRY)
      throw new HalError("E_RESOURCE_CORRUPT", `GB code table version ${version} entry size ${size} not supported`);
    if (h[8] !== 0 || h[9] !== 0) throw new HalError("E_RESOURCE_CORRUPT", "GB code table too large");
    const count = (h[10]! << 8) | h[11]!;
    const blocks = (count + BLOCK - 1) >> 5;
    const index = new Uint16Array(blocks);
    const block = new Uint8Array(BLOCK * ENTRY);
    let crc = 0xffff;
    let prev = -1;
    for (let b = 0; b < blocks; b++) {
      const n = b === blocks - 1 ? count - b * BLOCK : BLOCK;
      flash.read(offset + HEADER + b * BLOCK * ENTRY, n * ENTRY, block);
      crc = crc16(block, 0, n * ENTRY, crc);
      for (let i = 0; i < n; i++) {
        const key = (block[i * ENTRY]! << 8) | block[i * ENTRY + 1]!;
        if (key <= prev) throw new HalError("E_RESOURCE_CORRUPT", "GB code table out of order");
        prev = key;
      }
      index[b] = (block[0]! << 8) | block[1]!;
    }
    if (crc !== ((h[12]! << 8) | h[13]!)) throw new HalError("E_RESOURCE_CORRUPT", "GB code table CRC mismatch");
    return new GbCodeTable(flash, offset + HEADER, count, index, block);
  }

  /** The GB code (lead << 8 | trail) of a BMP code point, or -1 when the table does not have it. */
  lookup(codePoint: number): number {
    const index = this.index;
    if (index.length === 0 || codePoint < index[0]!) return -1;
    // The last block whose first key is <= codePoint.
    let lo = 0;
    let hi = index.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (index[mid]! <= codePoint) lo = mid;
      else hi = mid - 1;
    }
    const n = lo === index.length - 1 ? this.count - lo * BLOCK : BLOCK;
    const s = this.block;
    if (this.cached !== lo) {
      this.flash.read(this.entries + lo * BLOCK * ENTRY, n * ENTRY, s);
      this.cached = lo;
    }
    let a = 0;
    let z = n - 1;
    while (a <= z) {
      const mid = (a + z) >> 1;
      const key = (s[mid * ENTRY]! << 8) | s[mid * ENTRY + 1]!;
      if (key === codePoint) return (s[mid * ENTRY + 2]! << 8) | s[mid * ENTRY + 3]!;
      if (key < codePoint) a = mid + 1;
      else z = mid - 1;
    }
    return -1;
  }
}

/** What to do with a character the printer cannot print. */
export type UnknownChar = "replace" | "error";

/**
 * Encodes `text` into `out` from `pos`: printable ASCII as is, other characters as two GB bytes from
 * the table. Control characters, surrogates and characters missing from the table become '?' or, with
 * `unknown: "error"`, E_PRINTER_ENCODING. `out` must hold 2 bytes per UTF-16 unit. Returns the end.
 */
export function encodeGb(table: GbCodeTable, text: string, out: Uint8Array, pos: number, unknown: UnknownChar): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f) {
      out[pos++] = c;
      continue;
    }
    const gb = c >= 0x80 && (c < 0xd800 || c > 0xdfff) ? table.lookup(c) : -1;
    if (gb >= 0) {
      out[pos++] = gb >> 8;
      out[pos++] = gb & 0xff;
      continue;
    }
    if (unknown === "error") {
      const cp = text.codePointAt(i)!;
      throw new HalError("E_PRINTER_ENCODING", `U+${cp.toString(16).toUpperCase()} at index ${i} has no GB2312/GBK code in the table`);
    }
    // A surrogate pair is one character: one '?'.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    out[pos++] = 0x3f;
  }
  return pos;
}

/**
 * Print columns (12-dot cells) of a text: 1 for ASCII, 2 for a full-width GB two-byte character, 1 for
 * a character outside the BMP (printed as '?'). Assumes the BMP characters are in the table.
 */
export function textColumns(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff) continue;
    n += c < 0x80 || (c >= 0xd800 && c <= 0xdbff) ? 1 : 2;
  }
  return n;
}
