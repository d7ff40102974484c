/**
 * What came out of the virtual printer: rows of printed paper, rendered to text (UTF-8, one string per
 * printed row) and to a PNG image 384 dots wide (58 mm paper at 203 dpi).
 *
 * Geometry: characters are 12x24 dots (ASCII) or 24x24 (GB two-byte characters), doubled by GS ! in
 * width and/or height; a text row is the tallest character plus 6 dots of line spacing (30 dots for a
 * normal row); a feed line is 30 dots. A row longer than 384 dots wraps, as printers do. QR codes are
 * drawn module by module with a 2-module margin above and below.
 */
import { PNG } from "pngjs";
import { printerGlyph } from "./font.ts";

export const PAPER_DOTS = 384;
export const LINE_SPACING = 6;
export const FEED_DOTS = 30;
/** The text rendering of a cut. */
export const CUT_MARK = "~~~~~~~~~~~~~~ cut ~~~~~~~~~~~~~";

export interface StyledChar {
  ch: string;
  cells: 1 | 2;
  bold: boolean;
  wide: boolean;
  tall: boolean;
}

export type Align = "left" | "center" | "right";

export type Row =
  | { kind: "text"; text: string; x: number; chars: StyledChar[]; height: number }
  | { kind: "feed"; height: number }
  | { kind: "qr"; data: string; x: number; moduleSize: number; modules: Uint8Array; size: number; height: number }
  | { kind: "cut"; partial: boolean; height: number };

/** A printed row's place on the image (for tests and people). */
export interface Band {
  row: Row;
  y0: number;
  y1: number;
}

export function charDots(c: StyledChar): number {
  return c.cells * 12 * (c.wide ? 2 : 1);
}

export class Paper {
  readonly rows: Row[] = [];

  /** Prints a line of characters (wrapping at the paper width); returns the rows it took. */
  printLine(chars: StyledChar[], align: Align): number {
    if (chars.length === 0) {
      this.rows.push({ kind: "feed", height: FEED_DOTS });
      return 1;
    }
    let rows = 0;
    let start = 0;
    while (start < chars.length) {
      let w = 0;
      let end = start;
      while (end < chars.length && w + charDots(chars[end]!) <= PAPER_DOTS) w += charDots(chars[end++]!);
      if (end === start) end++; // a character wider than the paper still prints
      const part = chars.slice(start, end);
      const x = align === "center" ? Math.floor((PAPER_DOTS - w) / 2) : align === "right" ? PAPER_DOTS - w : 0;
      const glyphH = Math.max(...part.map((c) => (c.tall ? 48 : 24)));
      this.rows.push({ kind: "text", text: part.map((c) => c.ch).join(""), x: Math.max(0, x), chars: part, height: glyphH + LINE_SPACING });
      rows++;
      start = end;
    }
    return rows;
  }

  feed(lines: number): void {
    for (let i = 0; i < lines; i++) this.rows.push({ kind: "feed", height: FEED_DOTS });
  }

  qr(data: string, modules: Uint8Array, size: number, moduleSize: number, align: Align): void {
    const w = size * moduleSize;
    const x = align === "center" ? Math.floor((PAPER_DOTS - w) / 2) : align === "right" ? PAPER_DOTS - w : 0;
    this.rows.push({ kind: "qr", data, x: Math.max(0, x), moduleSize, modules, size, height: (size + 4) * moduleSize });
  }

  cut(partial: boolean): void {
    this.rows.push({ kind: "cut", partial, height: 24 });
  }

  /** One string per printed row: alignment as leading spaces (12-dot columns), a QR as "[QR] data". */
  text(): string[] {
    return this.rows.map((r) => {
      if (r.kind === "text") return " ".repeat(Math.round(r.x / 12)) + r.text;
      if (r.kind === "qr") return `[QR] ${r.data}`;
      if (r.kind === "cut") return CUT_MARK;
      return "";
    });
  }

  bands(): Band[] {
    let y = 0;
    return this.rows.map((row) => {
      const b = { row, y0: y, y1: y + row.height };
      y += row.height;
      return b;
    });
  }

  /** The dots of the printed paper: 1 = burnt, row-major, PAPER_DOTS wide. */
  dots(): { width: number; height: number; dots: Uint8Array } {
    const bands = this.bands();
    const height = Math.max(1, bands.length ? bands[bands.length - 1]!.y1 : 0);
    const dots = new Uint8Array(PAPER_DOTS * height);
    const set = (x: number, y: number) => {
      if (x >= 0 && x < PAPER_DOTS && y >= 0 && y < height) dots[y * PAPER_DOTS + x] = 1;
    };
    for (const { row, y0 } of bands) {
      if (row.kind === "text") {
        const base = y0 + row.height - LINE_SPACING; // characters stand on the row's baseline
        let x = row.x;
        for (const c of row.chars) {
          const g = printerGlyph(c.ch, c.cells);
          const sx = c.wide ? 2 : 1;
          const sy = c.tall ? 2 : 1;
          const top = base - g.height * sy;
          for (let gy = 0; gy < g.height; gy++)
            for (let gx = 0; gx < g.width; gx++) {
              if (!g.dots[gy * g.width + gx]) continue;
              for (let dy = 0; dy < sy; dy++)
                for (let dx = 0; dx < sx; dx++) {
                  set(x + gx * sx + dx, top + gy * sy + dy);
                  if (c.bold) set(x + gx * sx + dx + 1, top + gy * sy + dy); // emphasised: double strike, one dot right
                }
            }
          x += charDots(c);
        }
      } else if (row.kind === "qr") {
        const top = y0 + 2 * row.moduleSize;
        for (let r = 0; r < row.size; r++)
          for (let c = 0; c < row.size; c++) {
            if (!row.modules[r * row.size + c]) continue;
            for (let dy = 0; dy < row.moduleSize; dy++) for (let dx = 0; dx < row.moduleSize; dx++) set(row.x + c * row.moduleSize + dx, top + r * row.moduleSize + dy);
          }
      } else if (row.kind === "cut") {
        const y = y0 + 12;
        for (let x = 0; x < PAPER_DOTS; x++) if (x % 12 < (row.partial ? 4 : 8)) set(x, y);
      }
    }
    return { width: PAPER_DOTS, height, dots };
  }

  /** The printed paper as a PNG image (black dots on white). */
  png(): Buffer {
    const { width, height, dots } = this.dots();
    const png = new PNG({ width, height, colorType: 0, inputColorType: 0, bitDepth: 8, inputHasAlpha: false });
    const data = Buffer.alloc(width * height);
    for (let i = 0; i < dots.length; i++) data[i] = dots[i] ? 0 : 255;
    png.data = data;
    return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false, bitDepth: 8 });
  }
}
