/**
 * Byte-level framing of what an AT module sends: lines ended by CR and/or LF (empty lines skipped),
 * the `> ` data prompt (no line end follows it), and raw payload blocks of a known length that follow
 * a header line (`+QIRD: 5<CR><LF><5 bytes>`, `+QIURC: "recv",0,5<CR><LF><5 bytes>`).
 *
 * The scanner works over one fixed line buffer with index-only loops: no allocation per byte, one
 * string per complete line, one Uint8Array per payload block. A line longer than the buffer is
 * dropped whole (counted in `dropped`), which also swallows long runs of garbage without a line end.
 * Bytes are read as Latin-1: garbage with the high bit set stays one character per byte.
 */

export interface LineSink {
  /** One complete, non-empty line without its CR/LF. A call may arm `expectData` for what follows. */
  line(text: string): void;
  /** `> ` at the start of a line while the prompt is armed. */
  prompt(): void;
  /** A raw block requested by `expectData`, complete. */
  data(bytes: Uint8Array): void;
}

const CR = 0x0d;
const LF = 0x0a;
const GT = 0x3e;
const SP = 0x20;

export class LineScanner {
  private readonly buf: Uint8Array;
  private len = 0;
  /** The line being collected overflowed: skip to its end. */
  private skipping = false;
  /** The previous line ended with CR: an LF right after it belongs to the same line end. */
  private afterCR = false;
  private promptArmed = false;
  private block: Uint8Array | undefined;
  private blockFill = 0;
  private halted = false;
  /** Bytes discarded in overlong lines (garbage without line ends). */
  dropped = 0;

  constructor(
    private readonly sink: LineSink,
    maxLine = 1024,
  ) {
    this.buf = new Uint8Array(maxLine);
  }

  /** Recognise `> ` at a line start (only while a command waits for its data prompt). */
  armPrompt(on: boolean): void {
    this.promptArmed = on;
  }

  /**
   * The next `n` bytes after the current line's end are a raw block, delivered whole through
   * `sink.data`. Call it from inside `sink.line`; `n` <= 0 does nothing.
   */
  expectData(n: number): void {
    if (n > 0) {
      this.block = new Uint8Array(n);
      this.blockFill = 0;
    }
  }

  /**
   * Stops the scan in progress after the current line (call it from a sink callback): `push` returns
   * where it stopped, so the caller can hand the rest of the chunk elsewhere (data mode after CONNECT).
   */
  halt(): void {
    this.halted = true;
  }

  /** True while a raw block is being collected. */
  get inData(): boolean {
    return this.block !== undefined;
  }

  /** Forgets any partial line or block (a module reset, a port reopened). */
  reset(): void {
    this.len = 0;
    this.skipping = false;
    this.afterCR = false;
    this.block = undefined;
    this.blockFill = 0;
  }

  /** Scans one received chunk (`from`/`to` select part of it); returns the index where it stopped. */
  push(chunk: Uint8Array, from = 0, to = chunk.length): number {
    const buf = this.buf;
    const max = buf.length;
    let i = from;
    this.halted = false;
    while (i < to && !this.halted) {
      const block = this.block;
      if (block !== undefined) {
        // Raw block: copy as much as this chunk holds, then hand it over.
        if (this.afterCR) {
          this.afterCR = false;
          if (chunk[i] === LF) {
            i++;
            continue;
          }
        }
        let fill = this.blockFill;
        const need = block.length - fill;
        const take = to - i < need ? to - i : need;
        for (let k = 0; k < take; k++) block[fill++] = chunk[i + k]!;
        i += take;
        this.blockFill = fill;
        if (fill === block.length) {
          this.block = undefined;
          this.blockFill = 0;
          this.sink.data(block);
        }
        continue;
      }
      const b = chunk[i++]!;
      if (b === CR || b === LF) {
        const lfOfCRLF = b === LF && this.afterCR;
        this.afterCR = b === CR;
        if (lfOfCRLF) continue;
        if (this.skipping) {
          this.skipping = false;
          this.len = 0;
          continue;
        }
        const n = this.len;
        this.len = 0;
        if (n > 0) this.sink.line(latin1(buf, n));
        continue;
      }
      this.afterCR = false;
      if (this.skipping) {
        this.dropped++;
        continue;
      }
      if (this.promptArmed && b === SP && this.len === 1 && buf[0] === GT) {
        this.len = 0;
        this.promptArmed = false;
        this.sink.prompt();
        continue;
      }
      if (this.len === max) {
        this.dropped += max + 1;
        this.skipping = true;
        this.len = 0;
        continue;
      }
      buf[this.len++] = b;
    }
    return i;
  }
}

/** Latin-1 text of buf[0..n): one string per line, built in slices the engine's apply() accepts. */
function latin1(buf: Uint8Array, n: number): string {
  if (n <= 256) return String.fromCharCode.apply(null, buf.subarray(0, n) as unknown as number[]);
  let s = "";
  for (let o = 0; o < n; o += 256) s += String.fromCharCode.apply(null, buf.subarray(o, Math.min(n, o + 256)) as unknown as number[]);
  return s;
}
