/**
 * The board's `resources` flash partition, built on the Node side and written at "factory" time.
 *
 * Today it holds one resource at offset 0 of the partition: the Unicode -> GB18030 code table the
 * printer driver (hal/escpos/gb18030.ts) binary-searches in flash, so no table sits in the 128 KB heap.
 *
 * Code table layout (all integers big-endian):
 *   0  4  magic "U2GB"
 *   4  2  version (1)
 *   6  2  entry size in bytes (4)
 *   8  4  entry count
 *  12  2  CRC-16/CCITT-FALSE of the entries
 *  14  2  CRC-16/CCITT-FALSE of header bytes 0..13
 *  16  count x [u16 Unicode code point][u16 GB code (lead << 8 | trail)], sorted by code point, unique
 *
 * The entries come from iconv-lite's GB18030 decoder, never typed by hand: every two-byte code of the
 * GB2312 area (rows A1-A9 symbols, B0-F7 hanzi: all 6763 GB2312 hanzi) that decodes to one BMP
 * character outside the private-use area and encodes back to the same two bytes, plus a chosen list of
 * GBK-only hanzi that Chinese merchant and personal names use. The whole GBK set (about 21,900 code
 * points, 87 KB) would not fit the sim board's 64 KB partition; GB2312 fits in 30 KB.
 *
 *   npx tsx build/resources.ts [--board sim]    writes dist/<board>/resources.bin (the partition image)
 */
import iconv from "iconv-lite";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, loadBoard, type BoardJson } from "./board.ts";

export const CODE_TABLE_MAGIC = "U2GB";
export const CODE_TABLE_VERSION = 1;
export const CODE_TABLE_HEADER_BYTES = 16;
export const CODE_TABLE_ENTRY_BYTES = 4;

/**
 * GBK-only hanzi (outside GB2312) chosen because shop and personal names use them; each is checked
 * against iconv-lite at build time to be a two-byte GBK code outside the GB2312 rows.
 */
export const GBK_NAME_HANZI = "喆堃犇昇珺玥燊赟琤瑄璟祎淏镕旻垚玙禛翀髙琇璠瑀玧珝浛頔";

/** CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection): "123456789" -> 0x29B1. */
export function crc16(data: Uint8Array, crc = 0xffff): number {
  for (let i = 0; i < data.length; i++) {
    crc ^= data[i]! << 8;
    for (let b = 0; b < 8; b++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

function twoByteGb(ch: string): number | undefined {
  const b = iconv.encode(ch, "gb18030");
  return b.length === 2 ? (b[0]! << 8) | b[1]! : undefined;
}

/** Sorted [code point, GB code] pairs of the table. */
export function codeTableEntries(): Array<[number, number]> {
  const map = new Map<number, number>();
  for (let lead = 0xa1; lead <= 0xf7; lead++) {
    if (lead >= 0xaa && lead <= 0xaf) continue; // user-defined rows in GB2312
    for (let trail = 0xa1; trail <= 0xfe; trail++) {
      const s = iconv.decode(Buffer.from([lead, trail]), "gb18030");
      if (s.length !== 1) continue;
      const cp = s.charCodeAt(0);
      if (cp === 0xfffd || (cp >= 0xe000 && cp <= 0xf8ff)) continue;
      if (twoByteGb(s) !== ((lead << 8) | trail)) continue;
      map.set(cp, (lead << 8) | trail);
    }
  }
  for (const ch of GBK_NAME_HANZI) {
    const gb = twoByteGb(ch);
    if (gb === undefined) throw new Error(`resources: ${ch} has no two-byte GB18030 code`);
    if (map.has(ch.charCodeAt(0))) throw new Error(`resources: ${ch} is already in GB2312, drop it from GBK_NAME_HANZI`);
    map.set(ch.charCodeAt(0), gb);
  }
  return [...map.entries()].sort((a, b) => a[0] - b[0]);
}

/** The code table resource (header + entries). */
export function buildCodeTable(entries = codeTableEntries()): Uint8Array {
  const out = new Uint8Array(CODE_TABLE_HEADER_BYTES + entries.length * CODE_TABLE_ENTRY_BYTES);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = CODE_TABLE_MAGIC.charCodeAt(i);
  dv.setUint16(4, CODE_TABLE_VERSION);
  dv.setUint16(6, CODE_TABLE_ENTRY_BYTES);
  dv.setUint32(8, entries.length);
  let o = CODE_TABLE_HEADER_BYTES;
  let prev = -1;
  for (const [cp, gb] of entries) {
    if (cp <= prev || cp > 0xffff || gb > 0xffff) throw new Error(`resources: bad entry U+${cp.toString(16)}`);
    prev = cp;
    dv.setUint16(o, cp);
    dv.setUint16(o + 2, gb);
    o += CODE_TABLE_ENTRY_BYTES;
  }
  dv.setUint16(12, crc16(out.subarray(CODE_TABLE_HEADER_BYTES)));
  dv.setUint16(14, crc16(out.subarray(0, 14)));
  return out;
}

export interface ResourceLayout {
  /** Byte offset of the resources partition in flash. */
  partitionOffset: number;
  partitionBytes: number;
  /** Offsets are relative to the partition. */
  codeTable: { offset: number; bytes: number; entries: number };
}

/** The partition image for a board (0xFF beyond the resources, as erased flash). */
export function buildResourcesImage(board: BoardJson): { image: Uint8Array; layout: ResourceLayout } {
  const part = board.flash.partitions.resources;
  if (!part) throw new Error(`resources: board ${board.name} has no resources partition`);
  const partitionBytes = part.count * board.flash.sectorSize;
  const table = buildCodeTable();
  if (table.length > partitionBytes) throw new Error(`resources: code table ${table.length} B does not fit ${partitionBytes} B`);
  const image = new Uint8Array(partitionBytes).fill(0xff);
  image.set(table, 0);
  const entries = (table.length - CODE_TABLE_HEADER_BYTES) / CODE_TABLE_ENTRY_BYTES;
  return {
    image,
    layout: { partitionOffset: part.first * board.flash.sectorSize, partitionBytes, codeTable: { offset: 0, bytes: table.length, entries } },
  };
}

/** What provisioning needs of a flash: the sim's SimFlash or a programmer's driver. */
export interface ProgrammableFlash {
  readonly sectorSize: number;
  erase(sector: number): void;
  program(offset: number, data: Uint8Array): void;
}

let cachedImage: { board: string; image: Uint8Array; layout: ResourceLayout } | undefined;

/** Factory step: erases the board's resources partition and programs the resources image. */
export function provisionResources(flash: ProgrammableFlash, board: BoardJson): ResourceLayout {
  if (cachedImage?.board !== board.name) cachedImage = { board: board.name, ...buildResourcesImage(board) };
  const { image, layout } = cachedImage;
  const part = board.flash.partitions.resources!;
  for (let s = part.first; s < part.first + part.count; s++) flash.erase(s);
  // Program only the used bytes (the rest stays erased), in sector-sized pieces as a programmer would.
  const used = layout.codeTable.offset + layout.codeTable.bytes;
  for (let o = 0; o < used; o += flash.sectorSize) flash.program(layout.partitionOffset + o, image.subarray(o, Math.min(used, o + flash.sectorSize)));
  return layout;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const i = process.argv.indexOf("--board");
  const board = loadBoard(i > 0 ? process.argv[i + 1]! : "sim");
  const { image, layout } = buildResourcesImage(board);
  const out = join(ROOT, "dist", board.name, "resources.bin");
  mkdirSync(join(ROOT, "dist", board.name), { recursive: true });
  writeFileSync(out, image);
  console.log(`${out}: ${image.length} B partition at flash offset ${layout.partitionOffset}, code table ${layout.codeTable.bytes} B, ${layout.codeTable.entries} entries`);
}
