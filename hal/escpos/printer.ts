/**
 * The receipt printer: an ESC/POS thermal printer on the board's `printer` serial port.
 *
 * A print job is a list of lines (text, QR code, feed, cut). The driver prints it so that after an
 * interruption (paper out, cover open, overheat) it continues from the first line the printer has not
 * printed, and never prints a line twice:
 *
 * - Every line is sent followed by GS r 1. The printer executes GS r in order, after the line, and not
 *   at all while it is offline, so its one-byte answer (the "ack") proves the line was printed. The next
 *   line is sent only after the ack of the previous one: at most one line is ever unconfirmed.
 * - When a line's ack does not come within `ackTimeoutMs`, DLE EOT 1-4 (real-time: answered even while
 *   offline, ahead of buffered data) says why: cover open, paper out, head overheated. The line is
 *   then "in doubt": the printer may hold it (and print it when it recovers) or may have dropped it.
 * - On recovery (refill, cover closed, head cooled; either awaited by the driver for `recoverWaitMs` or
 *   signalled by the app calling resume()), the driver first waits up to `ackTimeoutMs` for the in-doubt
 *   line's ack. A printer that held the line prints it now and answers: the line counts as printed and
 *   is not sent again. No answer means the printer dropped it: it is sent again, once. Only then does
 *   the next line go out (after ESC @ FS &, since a printer that dropped its buffer may also have lost
 *   its modes; every line carries its own alignment, bold and size).
 * - The ack also carries the paper-end sensor: when the roll ends right after a line, the driver stops
 *   before sending the next one, so the common paper-out case leaves no line in doubt at all.
 * - Acks that arrive when none is awaited are counted in `strayAcks` and logged.
 *
 * Limit (stated, not hidden): a printer that both drops its buffer on paper end and stops before
 * answering the GS r of the last line it did print makes that line look lost; the driver reprints it
 * (a repeated line is visible on the slip, a missing amount line is not).
 */
import { HalError, errorCode } from "../errors";
import type { SerialStream } from "../serial";
import type { TimeService } from "../time";
import type { Log } from "../log";
import {
  LF,
  ackSaysNearEnd,
  ackSaysPaperEnd,
  decodeStatus,
  isAckByte,
  isStatusByte,
  putAckRequest,
  putCut,
  putFeed,
  putInit,
  putQr,
  putStatusQuery,
  putStyle,
  qrBytes,
  statusError,
  type Align,
  type PrinterStatus,
  type QrEcc,
} from "./commands";
import { encodeGb, type GbCodeTable, type UnknownChar } from "./gb18030";

export type { Align, PrinterStatus, QrEcc } from "./commands";

export interface TextLine {
  text: string;
  align?: Align;
  bold?: boolean;
  /** Double width. */
  wide?: boolean;
  /** Double height. */
  tall?: boolean;
}
export interface QrLine {
  /** Printable ASCII (a URL, a reference). */
  qr: string;
  /** Default centre. */
  align?: Align;
  /** Dots per module, 1..16 (default 6). */
  moduleSize?: number;
  /** Default M. */
  ecc?: QrEcc;
}
export interface FeedLine {
  feed: number;
}
export interface CutLine {
  cut: "full" | "partial";
}
export type PrintLine = TextLine | QrLine | FeedLine | CutLine;

export interface PrinterOptions {
  /** The board's printer port: `hal.openSerial("printer")`. */
  stream: SerialStream;
  time: TimeService;
  /** The GB code table in flash (GbCodeTable.open). */
  table: GbCodeTable;
  /** A character the table lacks: '?' (default) or E_PRINTER_ENCODING before anything is printed. */
  unknownChar?: UnknownChar;
  /** How long one line may take to print and be acknowledged (default 3000 ms). */
  ackTimeoutMs?: number;
  /** How long a real-time status answer may take (default 500 ms). */
  statusTimeoutMs?: number;
  /**
   * How long print()/resume() wait for the printer to recover (paper refilled, cover closed, head
   * cooled), polling its status every `pollMs`, before throwing the typed error (default 0: throw at
   * once and let the app prompt the clerk and call resume()).
   */
  recoverWaitMs?: number;
  pollMs?: number;
  log?: Log;
}

export class Printer {
  private readonly stream: SerialStream;
  private readonly time: TimeService;
  private readonly table: GbCodeTable;
  private readonly unknownChar: UnknownChar;
  private readonly ackTimeoutMs: number;
  private readonly statusTimeoutMs: number;
  private readonly recoverWaitMs: number;
  private readonly pollMs: number;
  private readonly log: Log | undefined;

  private buf = new Uint8Array(256);
  private job: readonly PrintLine[] | undefined;
  private next = 0;
  private inDoubt = false;
  private needInit = true;
  private busy = false;
  private closed = false;
  private nearEndWarned = false;

  private readonly statusBytes = new Uint8Array(4);
  private statusCount = 0;
  private acks = 0;
  private lastAck = 0;
  private wake: (() => void) | undefined;

  /** Acknowledgements that arrived when none was awaited (0 in a healthy run). */
  strayAcks = 0;
  /** The last real-time status read. */
  lastStatus: PrinterStatus | undefined;

  constructor(options: PrinterOptions) {
    this.stream = options.stream;
    this.time = options.time;
    this.table = options.table;
    this.unknownChar = options.unknownChar ?? "replace";
    this.ackTimeoutMs = options.ackTimeoutMs ?? 3000;
    this.statusTimeoutMs = options.statusTimeoutMs ?? 500;
    this.recoverWaitMs = options.recoverWaitMs ?? 0;
    this.pollMs = options.pollMs ?? 500;
    this.log = options.log;
    void this.pump();
  }

  /** Lines of the current (or last) job the printer has confirmed. */
  get printedLines(): number {
    return this.next;
  }

  /** Lines of an interrupted job still to print (0 when no job is waiting). */
  get pendingLines(): number {
    return this.job ? this.job.length - this.next : 0;
  }

  /** Reads the real-time status (DLE EOT 1-4). E_PRINTER_TIMEOUT when the printer does not answer. */
  async status(): Promise<PrinterStatus> {
    this.enter();
    try {
      return await this.queryStatus();
    } finally {
      this.busy = false;
    }
  }

  /**
   * Prints a job. On E_PRINTER_PAPER_OUT / _COVER_OPEN / _OVERHEAT / _TIMEOUT the job stays: fix the
   * printer and call resume(), or cancel(). E_PRINTER_ENCODING (with unknownChar "error") comes before
   * anything is printed.
   */
  async print(lines: readonly PrintLine[]): Promise<void> {
    if (this.job) throw new HalError("E_PRINTER_BUSY", `an interrupted job (${this.pendingLines} lines left) is waiting: resume() or cancel() it`);
    this.enter();
    try {
      if (this.unknownChar === "error") for (let i = 0; i < lines.length; i++) this.encode(lines[i]!, false);
    } finally {
      this.busy = false;
    }
    this.job = lines;
    this.next = 0;
    this.inDoubt = false;
    this.needInit = true;
    return this.resume();
  }

  /** Continues an interrupted job from its first unprinted line (no-op when none is waiting). */
  async resume(): Promise<void> {
    if (!this.job) return;
    this.enter();
    try {
      await this.run(this.job);
      this.job = undefined;
    } finally {
      this.busy = false;
    }
  }

  /** Drops an interrupted job. */
  cancel(): void {
    if (this.busy) throw new HalError("E_PRINTER_BUSY", "the printer is printing");
    this.job = undefined;
    this.inDoubt = false;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stream.close();
  }

  private enter(): void {
    if (this.closed) throw new HalError("E_PRINTER_CLOSED", "printer closed");
    if (this.busy) throw new HalError("E_PRINTER_BUSY", "the printer is printing");
    this.busy = true;
  }

  private async run(job: readonly PrintLine[]): Promise<void> {
    const total = job.length;
    await this.ready(total);
    if (this.inDoubt) {
      // Left in doubt by the interruption: a printer that held the line has printed it on recovery.
      const printed = await this.waitUntil(() => this.acks > 0, this.ackTimeoutMs);
      this.inDoubt = false;
      this.needInit = true;
      if (printed) {
        this.acks--;
        this.next++;
      }
      this.log?.info(`printer: line ${this.next + (printed ? 0 : 1)} of ${total} ${printed ? "was printed on recovery" : "was lost: printing it again"}`);
    }
    while (this.next < total) {
      if (this.acks > 0) {
        this.strayAcks += this.acks;
        this.log?.warn(`printer: ${this.acks} unexpected acknowledgement(s)`);
        this.acks = 0;
      }
      const n = this.encode(job[this.next]!, this.needInit);
      this.needInit = false;
      this.inDoubt = true;
      this.stream.write(this.buf.subarray(0, n));
      let acked = await this.waitUntil(() => this.acks > 0, this.ackTimeoutMs);
      if (!acked) {
        // Why no answer? Real-time status is answered even while the printer is offline.
        const err = statusError(await this.queryStatus(), this.context(total));
        if (!err) {
          // Online and healthy: a slow line (a large QR code, a cut). One more window.
          acked = await this.waitUntil(() => this.acks > 0, this.ackTimeoutMs);
          if (!acked) throw new HalError("E_PRINTER_TIMEOUT", `line ${this.next + 1} not acknowledged${this.context(total)}`);
        } else {
          if (this.recoverWaitMs <= 0) throw err;
          this.log?.warn(`printer: ${err.message}; waiting up to ${this.recoverWaitMs} ms`);
          await this.ready(total);
          this.needInit = true;
          acked = await this.waitUntil(() => this.acks > 0, this.ackTimeoutMs);
          this.inDoubt = false;
          if (!acked) {
            this.log?.info(`printer: line ${this.next + 1} of ${total} was lost: printing it again`);
            continue;
          }
          this.log?.info(`printer: line ${this.next + 1} of ${total} was printed on recovery`);
        }
      }
      this.acks--;
      this.inDoubt = false;
      this.next++;
      const a = this.lastAck;
      if (ackSaysNearEnd(a) && !this.nearEndWarned) {
        this.nearEndWarned = true;
        this.log?.warn("printer: paper near end");
      }
      if (ackSaysPaperEnd(a) && this.next < total) {
        // The roll ended with this line: stop before the next one instead of leaving it in doubt.
        const err = new HalError("E_PRINTER_PAPER_OUT", `printer out of paper${this.context(total)}`);
        if (this.recoverWaitMs <= 0) throw err;
        this.log?.warn(`printer: ${err.message}; waiting up to ${this.recoverWaitMs} ms`);
        await this.ready(total);
      }
    }
  }

  private context(total: number): string {
    return ` (${this.next} of ${total} lines printed)`;
  }

  /** Resolves when the status shows no error, polling for up to recoverWaitMs; else the typed error. */
  private async ready(total: number): Promise<void> {
    let err = statusError(await this.queryStatus(), this.context(total));
    if (!err) return;
    const until = this.time.monotonic() + this.recoverWaitMs;
    while (this.time.monotonic() < until) {
      await this.time.sleep(this.pollMs);
      err = statusError(await this.queryStatus(), this.context(total));
      if (!err) {
        this.nearEndWarned = false;
        return;
      }
    }
    throw err;
  }

  private async queryStatus(): Promise<PrinterStatus> {
    this.statusCount = 0;
    const n = putStatusQuery(this.buf, 0);
    this.stream.write(this.buf.subarray(0, n));
    if (!(await this.waitUntil(() => this.statusCount >= 4, this.statusTimeoutMs)))
      throw new HalError("E_PRINTER_TIMEOUT", `no status answer within ${this.statusTimeoutMs} ms (${this.statusCount} of 4 bytes): printer off or not connected`);
    const b = this.statusBytes;
    const s = decodeStatus(b[0]!, b[1]!, b[2]!, b[3]!);
    this.lastStatus = s;
    return s;
  }

  /** The bytes of one line and its ack request, in the reused buffer; returns their length. */
  private encode(line: PrintLine, init: boolean): number {
    let p = 0;
    if ("text" in line) {
      this.ensure(24 + line.text.length * 2);
      if (init) p = putInit(this.buf, p);
      p = putStyle(this.buf, p, line.align, line.bold === true, line.wide === true, line.tall === true);
      p = encodeGb(this.table, line.text, this.buf, p, this.unknownChar);
      this.buf[p++] = LF;
    } else if ("qr" in line) {
      this.ensure(24 + qrBytes(line.qr));
      if (init) p = putInit(this.buf, p);
      p = putStyle(this.buf, p, line.align ?? "center", false, false, false);
      p = putQr(this.buf, p, line.qr, line.moduleSize ?? 6, line.ecc ?? "M");
    } else {
      if (init) p = putInit(this.buf, p);
      p = "feed" in line ? putFeed(this.buf, p, line.feed) : putCut(this.buf, p, line.cut === "partial");
    }
    return putAckRequest(this.buf, p);
  }

  private ensure(bytes: number): void {
    if (this.buf.length < bytes) this.buf = new Uint8Array(bytes + 64);
  }

  /** The one reader of the port: sorts answers into status bytes (DLE EOT) and acks (GS r). */
  private async pump(): Promise<void> {
    for (;;) {
      let chunk: Uint8Array;
      try {
        chunk = await this.stream.read();
      } catch (e) {
        if (this.closed || errorCode(e) === "E_SERIAL_CLOSED") return;
        this.log?.warn(`printer port: ${(e as Error).message}`);
        continue;
      }
      for (let i = 0; i < chunk.length; i++) {
        const b = chunk[i]!;
        if (isStatusByte(b)) {
          if (this.statusCount < 4) this.statusBytes[this.statusCount++] = b;
        } else if (isAckByte(b)) {
          this.acks++;
          this.lastAck = b;
        }
      }
      const w = this.wake;
      if (w) w();
    }
  }

  /** Resolves true as soon as `cond` holds, false after `ms`. */
  private waitUntil(cond: () => boolean, ms: number): Promise<boolean> {
    if (cond()) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timers = this.time.timers;
      const id = timers.set(() => {
        this.wake = undefined;
        resolve(cond());
      }, ms);
      this.wake = () => {
        if (!cond()) return;
        timers.clear(id);
        this.wake = undefined;
        resolve(true);
      };
    });
  }
}
