/**
 * A character-cell canvas for the interactive simulator: rows x columns of cells, where an East Asian Wide or
 * Fullwidth character (Unicode data of `get-east-asian-width`, the same the simulated panel uses) takes two cells.
 * Panes draw into it; `diff` turns a frame into the ANSI writes that change the real terminal from the previous
 * frame (only changed rows are rewritten, so redrawing ten times a second does not flicker).
 */
import { eastAsianWidth } from "get-east-asian-width";

/** Cells a character takes in a terminal (W/F = 2, zero-width marks and controls = 0, else 1). */
export function charWidth(ch: string): 0 | 1 | 2 {
  const cp = ch.codePointAt(0)!;
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || (cp >= 0x300 && cp < 0x370) || cp === 0x200b || (cp >= 0xfe00 && cp <= 0xfe0f)) return 0;
  return eastAsianWidth(cp) === 2 ? 2 : 1;
}

/** Cells a string takes. */
export function textWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += charWidth(ch);
  return w;
}

/** Cuts `s` to at most `width` cells (a wide character that would straddle the edge is left out). */
export function clip(s: string, width: number): string {
  let w = 0;
  let out = "";
  for (const ch of s) {
    const cw = charWidth(ch);
    if (w + cw > width) break;
    out += ch;
    w += cw;
  }
  return out;
}

/** `s` clipped and padded with spaces to exactly `width` cells. */
export function fit(s: string, width: number): string {
  const c = clip(s, width);
  return c + " ".repeat(Math.max(0, width - textWidth(c)));
}

/** SGR attributes of a run of cells. */
export interface Style {
  bold?: boolean;
  dim?: boolean;
  inverse?: boolean;
  /** 30..37 / 90..97 foreground colour code. */
  fg?: number;
}

interface Cell {
  /** The character; "" for the right half of a wide one. */
  ch: string;
  sgr: string;
}

function sgrOf(s: Style | undefined): string {
  if (!s) return "";
  const p: number[] = [];
  if (s.bold) p.push(1);
  if (s.dim) p.push(2);
  if (s.inverse) p.push(7);
  if (s.fg) p.push(s.fg);
  return p.length ? `\x1b[${p.join(";")}m` : "";
}

export class Canvas {
  private cells: Cell[][];

  constructor(
    readonly rows: number,
    readonly columns: number,
  ) {
    this.cells = Array.from({ length: rows }, () => Array.from({ length: columns }, () => ({ ch: " ", sgr: "" })));
  }

  /** Writes `text` at (row, col), clipped to `width` cells (default: to the right edge). Returns the cells used. */
  put(row: number, col: number, text: string, style?: Style, width = this.columns - col): number {
    if (row < 0 || row >= this.rows || col >= this.columns) return 0;
    const r = this.cells[row]!;
    const sgr = sgrOf(style);
    const limit = Math.min(this.columns, col + Math.max(0, width));
    let c = col;
    for (const ch of text) {
      const w = charWidth(ch);
      if (w === 0) continue;
      if (c + w > limit) break;
      // Overwriting half of a wide character blanks its other half.
      if (r[c]!.ch === "" && c > 0) r[c - 1] = { ch: " ", sgr: r[c - 1]!.sgr };
      r[c] = { ch, sgr };
      if (w === 2) r[c + 1] = { ch: "", sgr };
      else if (c + 1 < this.columns && r[c + 1]!.ch === "") r[c + 1] = { ch: " ", sgr: r[c + 1]!.sgr };
      c += w;
    }
    return c - col;
  }

  /** A box with a title on its top edge; the inside is (row+1, col+1) .. (row+height-2, col+width-2). */
  box(row: number, col: number, height: number, width: number, title: string, style?: Style): void {
    if (height < 2 || width < 2) return;
    this.put(row, col, "┌" + "─".repeat(width - 2) + "┐", style);
    for (let i = 1; i < height - 1; i++) {
      this.put(row + i, col, "│", style);
      this.put(row + i, col + width - 1, "│", style);
    }
    this.put(row + height - 1, col, "└" + "─".repeat(width - 2) + "┘", style);
    if (title) this.put(row, col + 2, ` ${title} `, { ...style, bold: true }, width - 4);
  }

  /** One string per row with its SGR codes (a frame to diff). */
  lines(): string[] {
    return this.cells.map((r) => {
      let out = "";
      let cur = "";
      for (const cell of r) {
        if (cell.ch === "") continue;
        if (cell.sgr !== cur) {
          out += "\x1b[0m" + cell.sgr;
          cur = cell.sgr;
        }
        out += cell.ch;
      }
      return out + (cur ? "\x1b[0m" : "");
    });
  }

  /** Plain text of the rows (tests, the exit summary). */
  text(): string[] {
    return this.cells.map((r) => r.map((c) => c.ch).join(""));
  }
}

/** The ANSI writes that turn `prev` (undefined: unknown, redraw all) into `next`. */
export function diff(prev: string[] | undefined, next: string[]): string {
  let out = prev ? "" : "\x1b[2J";
  for (let i = 0; i < next.length; i++) {
    if (prev && prev[i] === next[i]) continue;
    out += `\x1b[${i + 1};1H\x1b[0m${next[i]}\x1b[0m\x1b[K`;
  }
  return out;
}
