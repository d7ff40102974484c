/**
 * The virtual printer's receiver: splits the ESC/POS byte stream into complete tokens as bytes arrive,
 * in any pieces (a command split across writes waits for its remaining bytes). Every command's length
 * follows from its first bytes, as in a printer's firmware. Characters are decoded here: printable
 * ASCII as is and, in Chinese mode (FS &), GB18030 two- and four-byte sequences (iconv-lite).
 */
import iconv from "iconv-lite";

export type Token =
  | { t: "char"; ch: string; cells: 1 | 2 }
  | { t: "lf" }
  /** An ESC, FS or GS command, complete with its parameters and data. */
  | { t: "cmd"; bytes: Uint8Array }
  /** A real-time command (DLE EOT n, DLE ENQ n, DLE DC4 ...): the printer executes it on arrival. */
  | { t: "rt"; bytes: Uint8Array }
  /** Any other control byte (CR, HT, ...). */
  | { t: "ctl"; byte: number };

const ESC = 0x1b;
const FS = 0x1c;
const GS = 0x1d;
const DLE = 0x10;

/** Parameter bytes after `ESC c` for the fixed-length ESC commands. */
const ESC_PARAMS: Record<number, number> = {
  0x20: 1, 0x21: 1, 0x24: 2, 0x25: 1, 0x2d: 1, 0x32: 0, 0x33: 1, 0x3d: 1, 0x3f: 1, 0x40: 0, 0x42: 2, 0x45: 1,
  0x47: 1, 0x4a: 1, 0x4c: 0, 0x4d: 1, 0x52: 1, 0x53: 0, 0x54: 1, 0x56: 1, 0x57: 8, 0x5c: 2, 0x61: 1, 0x64: 1,
  0x65: 1, 0x69: 0, 0x6d: 0, 0x70: 3, 0x72: 1, 0x74: 1, 0x75: 1, 0x76: 0, 0x7b: 1,
};
const FS_PARAMS: Record<number, number> = { 0x21: 1, 0x26: 0, 0x2d: 1, 0x2e: 0, 0x43: 1, 0x53: 2, 0x57: 1 };
const GS_PARAMS: Record<number, number> = {
  0x21: 1, 0x24: 2, 0x42: 1, 0x45: 1, 0x48: 1, 0x49: 1, 0x4c: 2, 0x50: 2, 0x54: 1, 0x57: 2, 0x5c: 2, 0x61: 1,
  0x62: 1, 0x66: 1, 0x68: 1, 0x72: 1, 0x77: 1,
};

/**
 * The total length of the token that starts `p`, once its first bytes tell it; 0 while more bytes are
 * needed to know; -1 for a NUL-terminated command (complete at its first 0x00 after the header).
 */
function tokenLength(p: number[], chinese: boolean): number {
  const b = p[0]!;
  const n = p.length;
  if (b >= 0x20 && b < 0x7f) return 1;
  if (b >= 0x80) {
    if (!chinese || b === 0x80 || b === 0xff) return 1;
    if (n < 2) return 0;
    return p[1]! >= 0x30 && p[1]! <= 0x39 ? 4 : 2;
  }
  if (b === DLE) {
    if (n < 2) return 0;
    if (p[1] === 0x04 || p[1] === 0x05) return 3;
    if (p[1] === 0x14) return 5;
    return 2;
  }
  if (b !== ESC && b !== FS && b !== GS) return 1;
  if (n < 2) return 0;
  const c = p[1]!;
  if (b === ESC) {
    if (c === 0x2a) {
      // ESC * m nL nH d1...dk: k = (nL + nH*256) columns of 1 (8-dot) or 3 (24-dot) bytes.
      if (n < 5) return 0;
      return 5 + (p[3]! + p[4]! * 256) * (p[2]! >= 32 ? 3 : 1);
    }
    if (c === 0x44) return -1; // ESC D n1 ... NUL: tab positions
    if (c === 0x63) return 4; // ESC c 3/4/5 n
    const k = ESC_PARAMS[c];
    return k === undefined ? 2 : 2 + k;
  }
  if (b === FS) {
    const k = FS_PARAMS[c];
    return k === undefined ? 2 : 2 + k;
  }
  // GS
  if (c === 0x28) {
    // GS ( fn pL pH data: k, L, E, H ... all carry a 16-bit length.
    if (n < 5) return 0;
    return 5 + p[3]! + p[4]! * 256;
  }
  if (c === 0x76) {
    // GS v 0 m xL xH yL yH data: x bytes per row, y rows.
    if (n < 8) return 0;
    return 8 + (p[4]! + p[5]! * 256) * (p[6]! + p[7]! * 256);
  }
  if (c === 0x56) {
    // GS V m [n]: function B (m = 65, 66, 97, 98, 103, 104) has a feed amount.
    if (n < 3) return 0;
    return [65, 66, 97, 98, 103, 104].includes(p[2]!) ? 4 : 3;
  }
  if (c === 0x6b) {
    // GS k m: m 0..6 NUL-terminated data, m 65..73 a length byte.
    if (n < 3) return 0;
    if (p[2]! <= 6) return -1;
    if (n < 4) return 0;
    return 4 + p[3]!;
  }
  const k = GS_PARAMS[c];
  return k === undefined ? 2 : 2 + k;
}

export class EscPosLexer {
  private pending: number[] = [];
  /** Chinese character mode (FS & on, FS . off): bytes >= 0x81 start GB18030 sequences. */
  chinese: boolean;

  constructor(
    private readonly chineseAtPowerOn: boolean,
    private readonly emit: (token: Token) => void,
  ) {
    this.chinese = chineseAtPowerOn;
  }

  /** True while a token is incomplete (bytes are waiting for the rest of their command). */
  get partial(): boolean {
    return this.pending.length > 0;
  }

  push(bytes: Uint8Array): void {
    for (const b of bytes) {
      const p = this.pending;
      p.push(b);
      const len = tokenLength(p, this.chinese);
      if (len === 0) continue;
      if (len === -1) {
        if (p.length < 3 || b !== 0) continue;
      } else if (p.length < len) continue;
      this.pending = [];
      this.token(p);
    }
  }

  private token(p: number[]): void {
    const b = p[0]!;
    if (b === 0x0a) return this.emit({ t: "lf" });
    if (b >= 0x20 && b < 0x7f) return this.emit({ t: "char", ch: String.fromCharCode(b), cells: 1 });
    if (b >= 0x80) {
      if (p.length === 1) return this.emit({ t: "char", ch: "?", cells: 1 });
      const ch = iconv.decode(Buffer.from(p), "gb18030");
      return this.emit({ t: "char", ch: [...ch].length === 1 ? ch : "\ufffd", cells: 2 });
    }
    if (b === DLE) return this.emit(p.length === 1 ? { t: "ctl", byte: b } : { t: "rt", bytes: Uint8Array.from(p) });
    if (b === ESC || b === FS || b === GS) {
      // Modes that change how the following bytes are split are tracked here, in stream order.
      if (b === FS && p[1] === 0x26) this.chinese = true;
      if (b === FS && p[1] === 0x2e) this.chinese = false;
      if (b === ESC && p[1] === 0x40) this.chinese = this.chineseAtPowerOn;
      return this.emit({ t: "cmd", bytes: Uint8Array.from(p) });
    }
    this.emit({ t: "ctl", byte: b });
  }

  /** Power cycle: forget a partial command and the modes. */
  reset(): void {
    this.pending = [];
    this.chinese = this.chineseAtPowerOn;
  }
}
