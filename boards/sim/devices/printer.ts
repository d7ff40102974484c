/**
 * A virtual 58 mm ESC/POS thermal printer behind a serial port (SerialDevice): it parses the byte
 * stream it receives (boards/sim/devices/printer/lexer.ts), prints onto virtual paper
 * (printer/paper.ts: text and PNG), answers real-time status (DLE EOT n) and in-order status (GS r n),
 * and plays the faults a terminal meets: paper out, cover open, head overheated.
 *
 * Behaviour, as modelled:
 * - Real-time commands (DLE EOT, DLE ENQ) are executed on arrival, ahead of buffered data, and also
 *   while offline. Everything else is executed in order while the printer is online.
 * - The paper-end sensor sits at the head: a print operation (a text line, a feed line, a QR code)
 *   needs paper; with none left the printer stops before it ("printing stopped by paper end",
 *   offline). After the last line on the roll the sensor already reports paper end (DLE EOT 4 and the
 *   GS r 1 answer), but the printer stays online until it is asked to print without paper.
 * - On paper end the printer either holds what it has not printed and prints it after a refill
 *   (`onPaperOut: "hold"`, the default) or drops its buffers and everything received until the refill
 *   (`"discard"`). Cover open and overheat always hold: printing continues when the cover is closed or
 *   the head has cooled.
 * - GS r is not executed while offline (it waits in the buffer, or is dropped with it).
 * - Status bytes follow spec/devices.md §6.1: out of paper answers 1A, 32, 12, 7E to DLE EOT 1-4.
 */
import QRCode from "qrcode";
import type { SerialDevice } from "../engine-host.ts";
import { EscPosLexer, type Token } from "./printer/lexer.ts";
import { Paper, type Align, type StyledChar } from "./printer/paper.ts";

export { CUT_MARK, PAPER_DOTS, type Band, type Row } from "./printer/paper.ts";

export interface VirtualPrinterOptions {
  /** Print operations left on the roll (default: endless). "Paper out after N lines" = N. */
  paperLines?: number;
  /** The near-end sensor reports when this many print operations are left (default 0: never). */
  nearEndLines?: number;
  onPaperOut?: "hold" | "discard";
  /** The cover opens after this many print operations (counted from power-on). */
  coverOpenAfterLines?: number;
  /** The head overheats after this many print operations. */
  overheatAfterLines?: number;
  /** A clerk who refills the paper after this many DLE EOT 1 polls during a paper end. */
  refillAfterPolls?: number;
  /** A clerk who closes the cover (or a head that cools) after this many DLE EOT 1 polls. */
  recoverAfterPolls?: number;
  /** Many Chinese printers power up in Chinese mode (spec §6.1 [R5]); default true. */
  chineseAtPowerOn?: boolean;
  /** A printer that is switched off: it takes bytes and answers nothing. */
  silent?: boolean;
}

interface Qr {
  moduleSize: number;
  ecc: "L" | "M" | "Q" | "H";
  data: string;
}

export class VirtualPrinter implements SerialDevice {
  readonly paper = new Paper();
  /** Every byte received, in order (for tests: what the driver really sent). */
  readonly received: number[] = [];
  /** Print operations executed since power-on. */
  printed = 0;
  /** Commands the printer did not know (hex of their first bytes). */
  readonly unsupported: string[] = [];
  /** Bytes answered to the host. */
  readonly answered: number[] = [];

  private toFirmware: ((bytes: Uint8Array) => void) | undefined;
  private out: number[] = [];
  private flushQueued = false;
  private readonly lexer: EscPosLexer;
  private queue: Token[] = [];

  private paperLeft: number;
  private coverOpen = false;
  private hot = false;
  private broken = false;
  private stoppedByPaperEnd = false;
  private polls = 0;

  // Print modes.
  private align: Align = "left";
  private bold = false;
  private wide = false;
  private tall = false;
  private line: StyledChar[] = [];
  private lineAlign: Align = "left";
  private qrState: Qr = { moduleSize: 3, ecc: "L", data: "" };

  constructor(private readonly options: VirtualPrinterOptions = {}) {
    this.paperLeft = options.paperLines ?? Infinity;
    this.lexer = new EscPosLexer(options.chineseAtPowerOn ?? true, (t) => this.onToken(t));
  }

  // ---- SerialDevice -------------------------------------------------------------------------------
  receive(bytes: Uint8Array): void {
    for (const b of bytes) this.received.push(b);
    this.lexer.push(bytes);
    this.run();
  }
  attach(toFirmware: (bytes: Uint8Array) => void): void {
    this.toFirmware = toFirmware;
  }
  detach(): void {
    this.toFirmware = undefined;
  }

  // ---- what a person does -------------------------------------------------------------------------
  /** Loads a new roll (`lines` print operations, default endless) and continues. */
  refill(lines = Infinity): void {
    this.paperLeft = lines;
    this.stoppedByPaperEnd = false;
    this.polls = 0;
    this.run();
  }
  openCover(): void {
    this.coverOpen = true;
  }
  closeCover(): void {
    this.coverOpen = false;
    this.polls = 0;
    this.run();
  }
  overheat(): void {
    this.hot = true;
  }
  /** Fault injection: a head or motor failure (unrecoverable: DLE EOT 3 bit 5, DLE EOT 2 bit 6, offline) until repair(). */
  fault(): void {
    this.broken = true;
  }
  repair(): void {
    this.broken = false;
    this.run();
  }
  cool(): void {
    this.hot = false;
    this.polls = 0;
    this.run();
  }

  get online(): boolean {
    return !this.coverOpen && !this.hot && !this.stoppedByPaperEnd && !this.broken;
  }

  /** The slip as text, one string per printed row. */
  text(): string[] {
    return this.paper.text();
  }
  png(): Buffer {
    return this.paper.png();
  }

  // ---- the engine ---------------------------------------------------------------------------------
  private onToken(t: Token): void {
    if (t.t === "rt") return this.realTime(t.bytes);
    // While stopped by paper end, a printer that discards drops what it receives.
    if (this.stoppedByPaperEnd && this.options.onPaperOut === "discard") return;
    this.queue.push(t);
  }

  private run(): void {
    while (this.queue.length && this.online) {
      if (!this.execute(this.queue[0]!)) {
        // The operation ran the roll's tail out: the sensor now sees no paper and printing stops.
        this.paperLeft = 0;
        this.stoppedByPaperEnd = true;
        if (this.options.onPaperOut === "discard") {
          this.queue = [];
          this.line = [];
        }
        return;
      }
      this.queue.shift();
    }
  }

  /** Executes one token; false when it needs paper there is not. */
  private execute(t: Token): boolean {
    switch (t.t) {
      case "char":
        if (this.line.length === 0) this.lineAlign = this.align;
        this.line.push({ ch: t.ch, cells: t.cells, bold: this.bold, wide: this.wide, tall: this.tall });
        return true;
      case "lf":
        return this.printOperation(() => {
          this.paper.printLine(this.line, this.line.length ? this.lineAlign : this.align);
          this.line = [];
        });
      case "ctl":
        return true;
      case "rt":
        return true;
      case "cmd":
        return this.command(t.bytes);
    }
  }

  private printOperation(print: () => void, count = 1): boolean {
    if (this.paperLeft < count) return false;
    this.paperLeft -= count;
    print();
    this.printed += count;
    const o = this.options;
    if (o.coverOpenAfterLines !== undefined && this.printed >= o.coverOpenAfterLines && this.printed - count < o.coverOpenAfterLines) this.coverOpen = true;
    if (o.overheatAfterLines !== undefined && this.printed >= o.overheatAfterLines && this.printed - count < o.overheatAfterLines) this.hot = true;
    return true;
  }

  private command(b: Uint8Array): boolean {
    const [c0, c1] = [b[0]!, b[1]!];
    if (c0 === 0x1b) {
      switch (c1) {
        case 0x40: // ESC @
          this.align = "left";
          this.bold = this.wide = this.tall = false;
          this.line = [];
          return true;
        case 0x61: // ESC a n
          this.align = b[2]! % 48 === 1 ? "center" : b[2]! % 48 === 2 ? "right" : "left";
          return true;
        case 0x45: // ESC E n
          this.bold = (b[2]! & 1) === 1;
          return true;
        case 0x21: // ESC ! n: bit 3 emphasised, bit 4 double height, bit 5 double width
          this.bold = (b[2]! & 0x08) !== 0;
          this.tall = (b[2]! & 0x10) !== 0;
          this.wide = (b[2]! & 0x20) !== 0;
          return true;
        case 0x64: {
          // ESC d n: print the buffer, feed n lines
          const n = b[2]!;
          const hasLine = this.line.length > 0;
          return this.printOperation(() => {
            if (hasLine) this.paper.printLine(this.line, this.lineAlign);
            this.line = [];
            this.paper.feed(n);
          }, n + (hasLine ? 1 : 0));
        }
        case 0x32: case 0x33: case 0x4d: case 0x74: case 0x2d: case 0x20: case 0x52: case 0x47: case 0x7b: case 0x56:
          return true; // spacing, font, code table, underline, ...: accepted, not rendered
      }
    } else if (c0 === 0x1c) {
      if (c1 === 0x26 || c1 === 0x2e || c1 === 0x21 || c1 === 0x43 || c1 === 0x57 || c1 === 0x2d) return true; // handled by the lexer / not rendered
    } else if (c0 === 0x1d) {
      switch (c1) {
        case 0x21: // GS ! n
          this.wide = (b[2]! & 0x70) !== 0;
          this.tall = (b[2]! & 0x07) !== 0;
          return true;
        case 0x56: // GS V m
          this.paper.cut(b[2] === 1 || b[2] === 49 || b[2] === 66 || b[2] === 98);
          return true;
        case 0x72: // GS r n: in-order status
          if (b[2] === 1 || b[2] === 49) this.answer((this.nearEnd() ? 0x03 : 0) | (this.paperLeft <= 0 ? 0x0c : 0));
          else if (b[2] === 2 || b[2] === 50) this.answer(0x00);
          return true;
        case 0x28:
          if (b[2] === 0x6b) return this.qr(b);
          break;
        case 0x42: case 0x48: case 0x4c: case 0x57: case 0x61: case 0x66: case 0x68: case 0x77:
          return true;
      }
    }
    this.unsupported.push(Buffer.from(b.subarray(0, 3)).toString("hex"));
    return true;
  }

  /** GS ( k cn fn ...: QR code (cn 49). */
  private qr(b: Uint8Array): boolean {
    if (b[5] !== 0x31) return true;
    const fn = b[6]!;
    const q = this.qrState;
    if (fn === 0x43) q.moduleSize = Math.min(16, Math.max(1, b[7]!));
    else if (fn === 0x45) q.ecc = (["L", "M", "Q", "H"] as const)[Math.min(3, Math.max(0, b[7]! - 48))]!;
    else if (fn === 0x50) q.data = Buffer.from(b.subarray(8)).toString("latin1");
    else if (fn === 0x51) {
      if (!q.data) return true;
      return this.printOperation(() => {
        const code = QRCode.create(q.data, { errorCorrectionLevel: q.ecc });
        const size = code.modules.size;
        this.paper.qr(q.data, Uint8Array.from(code.modules.data), size, q.moduleSize, this.align);
      });
    }
    return true;
  }

  private nearEnd(): boolean {
    return this.paperLeft <= (this.options.nearEndLines ?? 0);
  }

  /** DLE EOT n (status) and DLE ENQ n (accepted, no effect here). */
  private realTime(b: Uint8Array): void {
    if (b[1] !== 0x04) return;
    const n = b[2];
    if (n === 1) {
      this.clerk();
      this.answer(0x12 | (!this.online ? 0x08 : 0));
    } else if (n === 2) this.answer(0x12 | (this.coverOpen ? 0x04 : 0) | (this.stoppedByPaperEnd ? 0x20 : 0) | (this.hot ? 0x40 : 0) | (this.broken ? 0x40 : 0));
    else if (n === 3) this.answer(0x12 | (this.hot ? 0x40 : 0) | (this.broken ? 0x20 : 0));
    else if (n === 4) this.answer(0x12 | (this.nearEnd() ? 0x0c : 0) | (this.paperLeft <= 0 ? 0x60 : 0));
  }

  /** The scripted clerk: refills / closes the cover after some status polls. */
  private clerk(): void {
    const o = this.options;
    const paperEnd = this.paperLeft <= 0 || this.stoppedByPaperEnd;
    if (!paperEnd && !this.coverOpen && !this.hot) return;
    this.polls++;
    if (paperEnd && o.refillAfterPolls !== undefined && this.polls > o.refillAfterPolls) this.refill();
    if ((this.coverOpen || this.hot) && o.recoverAfterPolls !== undefined && this.polls > o.recoverAfterPolls) {
      this.coverOpen = false;
      this.hot = false;
      this.polls = 0;
      this.run();
    }
  }

  private answer(byte: number): void {
    if (this.options.silent) return;
    this.answered.push(byte);
    this.out.push(byte);
    if (this.flushQueued) return;
    this.flushQueued = true;
    // Answers travel on the next turn of the host loop, never inside the firmware's write call.
    queueMicrotask(() => {
      this.flushQueued = false;
      const bytes = Uint8Array.from(this.out);
      this.out = [];
      this.toFirmware?.(bytes);
    });
  }
}
