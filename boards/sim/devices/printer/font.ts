/**
 * The virtual printer's character generator: glyphs of UnifontEX (a GNU Unifont derivative covering
 * the BMP, from the npm package @fontsource/unifontex) read with fontkit and sampled on Unifont's own
 * pixel grid (16 dots high; 8 wide for half-width, 16 for full-width glyphs), then scaled by 1.5 to the
 * 12x24 / 24x24 cells of a 58 mm printer's built-in fonts.
 *
 * The font's outlines are unions of 64-unit squares (1024 units per em = 16 pixels), so sampling the
 * centre of each pixel with the non-zero winding rule gives Unifont's bitmap exactly.
 */
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { inflateSync } from "node:zlib";
import * as fontkit from "fontkit";

const require = createRequire(import.meta.url);
const FONT_FILE = require.resolve("@fontsource/unifontex/files/unifontex-latin-400-normal.woff");

/** Source grid: 16 rows; the cell top is the font's ascent. */
const GRID = 16;

export interface Bitmap {
  width: number;
  height: number;
  /** 1 = ink, row-major. */
  dots: Uint8Array;
}

/**
 * WOFF 1.0 to a plain SFNT (OpenType) file: fontkit reads WOFF tables by inflating them again on every
 * access (about 100 ms per glyph for this 3 MB font), so inflate each table once.
 */
export function woffToSfnt(woff: Buffer): Buffer {
  if (woff.readUInt32BE(0) !== 0x774f4646) throw new Error("printer font: not a WOFF file");
  const flavor = woff.readUInt32BE(4);
  const numTables = woff.readUInt16BE(12);
  const tables: Array<{ tag: number; checksum: number; data: Buffer }> = [];
  for (let i = 0; i < numTables; i++) {
    const e = 44 + i * 20;
    const offset = woff.readUInt32BE(e + 4);
    const compLength = woff.readUInt32BE(e + 8);
    const origLength = woff.readUInt32BE(e + 12);
    const raw = woff.subarray(offset, offset + compLength);
    const data = compLength < origLength ? inflateSync(raw) : Buffer.from(raw);
    if (data.length !== origLength) throw new Error("printer font: bad WOFF table length");
    tables.push({ tag: woff.readUInt32BE(e), checksum: woff.readUInt32BE(e + 16), data });
  }
  let size = 12 + 16 * numTables;
  for (const t of tables) size += (t.data.length + 3) & ~3;
  const out = Buffer.alloc(size);
  let pow = 1;
  while (pow * 2 <= numTables) pow *= 2;
  out.writeUInt32BE(flavor, 0);
  out.writeUInt16BE(numTables, 4);
  out.writeUInt16BE(pow * 16, 6);
  out.writeUInt16BE(Math.log2(pow), 8);
  out.writeUInt16BE(numTables * 16 - pow * 16, 10);
  let at = 12 + 16 * numTables;
  tables.forEach((t, i) => {
    const r = 12 + i * 16;
    out.writeUInt32BE(t.tag, r);
    out.writeUInt32BE(t.checksum, r + 4);
    out.writeUInt32BE(at, r + 8);
    out.writeUInt32BE(t.data.length, r + 12);
    t.data.copy(out, at);
    at += (t.data.length + 3) & ~3;
  });
  return out;
}

let font: fontkit.Font | undefined;
function loadFont(): fontkit.Font {
  if (!font) {
    const f = fontkit.create(woffToSfnt(readFileSync(FONT_FILE)));
    if (!("glyphForCodePoint" in f)) throw new Error("printer font: a font collection, expected one font");
    font = f;
  }
  return font;
}

const sourceCache = new Map<number, Bitmap | null>();

/** The glyph as Unifont draws it (8x16 or 16x16), or null when the font has no glyph. */
export function unifontGlyph(codePoint: number): Bitmap | null {
  const hit = sourceCache.get(codePoint);
  if (hit !== undefined) return hit;
  const f = loadFont();
  let bmp: Bitmap | null = null;
  if (f.hasGlyphForCodePoint(codePoint)) {
    const g = f.glyphForCodePoint(codePoint);
    const unit = f.unitsPerEm / GRID;
    const width = Math.max(1, Math.round(g.advanceWidth / unit));
    const edges = flatten(g.path.commands);
    const dots = new Uint8Array(width * GRID);
    for (let row = 0; row < GRID; row++) {
      const y = f.ascent - (row + 0.5) * unit;
      for (let col = 0; col < width; col++) if (winding(edges, (col + 0.5) * unit, y) !== 0) dots[row * width + col] = 1;
    }
    bmp = { width, height: GRID, dots };
  }
  sourceCache.set(codePoint, bmp);
  return bmp;
}

type Edge = [number, number, number, number];

/** Outline commands to straight edges (the font's curves are degenerate; flattened anyway). */
function flatten(commands: Array<{ command: string; args: number[] }>): Edge[] {
  const edges: Edge[] = [];
  let sx = 0, sy = 0, x = 0, y = 0;
  const line = (nx: number, ny: number) => {
    if (nx !== x || ny !== y) edges.push([x, y, nx, ny]);
    x = nx;
    y = ny;
  };
  for (const c of commands) {
    const a = c.args;
    if (c.command === "moveTo") {
      if (x !== sx || y !== sy) line(sx, sy);
      sx = x = a[0]!;
      sy = y = a[1]!;
    } else if (c.command === "lineTo") line(a[0]!, a[1]!);
    else if (c.command === "quadraticCurveTo") {
      const x0 = x, y0 = y;
      for (let t = 1; t <= 8; t++) {
        const u = t / 8;
        line((1 - u) * (1 - u) * x0 + 2 * (1 - u) * u * a[0]! + u * u * a[2]!, (1 - u) * (1 - u) * y0 + 2 * (1 - u) * u * a[1]! + u * u * a[3]!);
      }
    } else if (c.command === "bezierCurveTo") {
      const x0 = x, y0 = y;
      for (let t = 1; t <= 8; t++) {
        const u = t / 8, v = 1 - u;
        line(v * v * v * x0 + 3 * v * v * u * a[0]! + 3 * v * u * u * a[2]! + u * u * u * a[4]!, v * v * v * y0 + 3 * v * v * u * a[1]! + 3 * v * u * u * a[3]! + u * u * u * a[5]!);
      }
    } else if (c.command === "closePath") line(sx, sy);
  }
  if (x !== sx || y !== sy) line(sx, sy);
  return edges;
}

function winding(edges: Edge[], px: number, py: number): number {
  let w = 0;
  for (const [x0, y0, x1, y1] of edges) {
    if (y0 <= py) {
      if (y1 > py && (x1 - x0) * (py - y0) - (px - x0) * (y1 - y0) > 0) w++;
    } else if (y1 <= py && (x1 - x0) * (py - y0) - (px - x0) * (y1 - y0) < 0) w--;
  }
  return w;
}

const cellCache = new Map<string, Bitmap>();

/**
 * The printer's glyph for a character in a cell of `cells` x 12 dots by 24 dots (1 = ASCII / half
 * width, 2 = a GB two-byte character). A glyph narrower than its cell is centred; a missing glyph
 * prints as a hollow box, as printers do.
 */
export function printerGlyph(ch: string, cells: 1 | 2): Bitmap {
  const key = `${cells}:${ch}`;
  const hit = cellCache.get(key);
  if (hit) return hit;
  const width = cells * 12;
  const height = 24;
  const dots = new Uint8Array(width * height);
  const src = unifontGlyph(ch.codePointAt(0)!);
  if (src) {
    // Scale 1.5 (nearest), but never wider than the cell.
    const w = Math.min(width, Math.round(src.width * 1.5));
    const x0 = (width - w) >> 1;
    for (let y = 0; y < height; y++) {
      const sy = Math.floor((y * src.height) / height);
      for (let x = 0; x < w; x++) {
        const sx = Math.floor((x * src.width) / w);
        if (src.dots[sy * src.width + sx]) dots[y * width + x0 + x] = 1;
      }
    }
  } else {
    for (let y = 3; y < 21; y++) for (let x = 2; x < width - 2; x++) if (y === 3 || y === 20 || x === 2 || x === width - 3) dots[y * width + x] = 1;
  }
  const bmp = { width, height, dots };
  cellCache.set(key, bmp);
  return bmp;
}
