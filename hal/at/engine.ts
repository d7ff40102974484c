/**
 * The AT command engine: one command in flight over a byte link (the modem's SerialStream), a queue
 * behind it, a timeout per command, final result codes, intermediate lines collected by prefix, the
 * `> ` data prompt, raw payload blocks after a header line, and unsolicited result codes (URCs)
 * dispatched to subscribers at any time, also in the middle of a command's response.
 *
 * How a received line is read while a command is in flight:
 *  1. a line starting with `AT` is the module's echo (V.250 responses never start so), as is one
 *     ending with the command in flight (garbage glued to an echo): ignored;
 *  2. `RDY`, `POWERED DOWN`, `NORMAL POWER DOWN`: the module restarted: the command fails with
 *     E_MODEM_RESET, then the line goes to URC subscribers;
 *  3. the command's own finals (`SEND OK` ...), then the standard ones: OK, CONNECT[ <text>], ERROR,
 *     +CME ERROR: n, +CMS ERROR: n, NO CARRIER, BUSY, NO DIALTONE / NO DIAL TONE, NO ANSWER;
 *  4. a line starting with the command's `expect` prefix is one of its intermediate lines;
 *  5. a line matching a URC subscription goes to the subscriber;
 *  6. with `expect: ""` any other line is an intermediate line (AT+GSN, ATI); else it is stray.
 * With no command in flight every line goes to URC subscribers or counts as stray. A URC that shares
 * the prefix a command expects (`+CREG: 1` during AT+CREG?) is taken as the command's line.
 *
 * Robustness: lines may arrive split across reads, with garbage between them (garbage lines are
 * stray), echoed or not; a command whose final result never comes (lost to noise) ends with
 * E_AT_TIMEOUT and the queue moves on. A prompt that does not come within `promptTimeoutMs` (lost to
 * noise) is answered by writing the data anyway: a module in data mode waits for exactly that many
 * bytes, and one that is not ignores bytes that do not start with `AT` (V.250), so either way it gets
 * back to command mode; the command then ends on its final result or its timeout.
 */
import { errorCode } from "../errors";
import { AtError } from "./errors";
import { LineScanner } from "./lines";

/** The byte link the engine runs over (hal/serial.ts SerialStream has this shape). */
export interface AtLink {
  read(): Promise<Uint8Array>;
  write(data: Uint8Array): void;
  close(): void;
}

/** One-shot timers (Natives.Timers has this shape). */
export interface AtTimers {
  set(callback: () => void, ms: number): number;
  clear(id: number): void;
}

export interface AtCommandOptions {
  /** Milliseconds from writing the command to its final result (default: the engine's, 5000). */
  timeoutMs?: number;
  /** Prefix of the intermediate lines to collect (`"+CSQ:"`); `""` collects every other line. */
  expect?: string;
  /** Data written after the `> ` prompt (AT+QISEND=<id>,<len>: exactly len bytes). */
  data?: Uint8Array;
  /** Milliseconds to wait for the prompt before writing the data anyway (default 2000). */
  promptTimeoutMs?: number;
  /** Extra final results of this command: text -> "" for success or the error code (`{"SEND FAIL": "E_SEND_FAIL"}`). */
  finals?: { readonly [text: string]: string };
  /** For a collected line: how many raw bytes follow it (AT+QIRD); <= 0 for none. */
  dataLength?: (line: string) => number;
  /** When the final is CONNECT, every byte after it goes to this sink until `endRaw()` (data mode). */
  rawAfterConnect?: (bytes: Uint8Array) => void;
}

export interface AtResponse {
  /** Intermediate lines, in order. */
  lines: string[];
  /** The final result text (OK, CONNECT 9600, SEND OK ...). */
  final: string;
  /** The raw block that followed a collected line, if any. */
  data?: Uint8Array;
}

/** A URC subscriber: the line, and the raw block that followed it when `dataLength` asked for one. */
export type UrcHandler = (line: string, data?: Uint8Array) => void;

export interface AtEngineOptions {
  defaultTimeoutMs?: number;
  /** Longest line kept (bytes); longer ones are dropped. */
  maxLine?: number;
  /** Sees every line sent (">") and received ("<"), for traces. */
  trace?: (direction: ">" | "<", text: string) => void;
}

/** Counters for diagnostics and tests. */
export interface AtStats {
  commands: number;
  lines: number;
  urcs: number;
  stray: number;
  echoes: number;
  timeouts: number;
  resets: number;
  blindWrites: number;
  readErrors: number;
  /** Bytes dropped in overlong lines. */
  dropped: number;
}

interface Pending {
  line: string;
  opts: AtCommandOptions;
  resolve: (r: AtResponse) => void;
  reject: (e: AtError) => void;
  lines: string[];
  data: Uint8Array | undefined;
  timer: number;
  promptTimer: number;
  awaitingPrompt: boolean;
}

interface Subscription {
  prefix: string;
  handler: UrcHandler;
  dataLength: ((line: string) => number) | undefined;
}

const RESET_LINES = ["RDY", "POWERED DOWN", "NORMAL POWER DOWN"];

/** Standard final results: "" = success, else the error code. */
function standardFinal(line: string): string | undefined {
  switch (line) {
    case "OK":
      return "";
    case "ERROR":
      return "E_AT_ERROR";
    case "NO CARRIER":
      return "E_NO_CARRIER";
    case "BUSY":
      return "E_BUSY";
    case "NO DIALTONE":
    case "NO DIAL TONE":
      return "E_NO_DIALTONE";
    case "NO ANSWER":
      return "E_NO_ANSWER";
    case "CONNECT":
      return "";
  }
  if (line.startsWith("+CME ERROR:")) return "E_CME_ERROR";
  if (line.startsWith("+CMS ERROR:")) return "E_CMS_ERROR";
  if (line.startsWith("CONNECT ")) return "";
  return undefined;
}

function isEcho(line: string): boolean {
  const a = line.charCodeAt(0) | 0x20;
  const t = line.charCodeAt(1) | 0x20;
  return a === 0x61 && t === 0x74;
}

export class AtEngine {
  private readonly scanner: LineScanner;
  private readonly queue: Pending[] = [];
  private current: Pending | undefined;
  private subs: Subscription[] = [];
  /** Who gets the raw block the scanner is collecting. */
  private blockFor: Pending | { sub: Subscription; line: string } | undefined;
  private raw: ((bytes: Uint8Array) => void) | undefined;
  private closed = false;
  private readonly defaultTimeoutMs: number;
  private readonly trace: AtEngineOptions["trace"];
  readonly stats: AtStats = { commands: 0, lines: 0, urcs: 0, stray: 0, echoes: 0, timeouts: 0, resets: 0, blindWrites: 0, readErrors: 0, dropped: 0 };

  constructor(
    private readonly link: AtLink,
    private readonly timers: AtTimers,
    options: AtEngineOptions = {},
  ) {
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? 5000;
    this.trace = options.trace;
    this.scanner = new LineScanner(
      {
        line: (text) => this.onLine(text),
        prompt: () => this.onPrompt(),
        data: (bytes) => this.onBlock(bytes),
      },
      options.maxLine ?? 1024,
    );
    void this.readLoop();
  }

  /** Queues a command line (without CR); resolves on a success final, rejects with an AtError. */
  command(line: string, opts: AtCommandOptions = {}): Promise<AtResponse> {
    return new Promise<AtResponse>((resolve, reject) => {
      const p: Pending = { line, opts, resolve, reject, lines: [], data: undefined, timer: -1, promptTimer: -1, awaitingPrompt: false };
      if (this.closed) {
        reject(new AtError("E_AT_CLOSED", `${line}: the AT channel is closed`, line));
        return;
      }
      this.queue.push(p);
      this.next();
    });
  }

  /**
   * Subscribes to URCs whose line starts with `prefix` (`"+QIURC:"`, `"RDY"`, `""` = every unclaimed
   * line). With `dataLength`, a raw block of that many bytes following the line is passed along
   * (direct-push receive). Returns the unsubscribe function.
   */
  on(prefix: string, handler: UrcHandler, dataLength?: (line: string) => number): () => void {
    const sub: Subscription = { prefix, handler, dataLength };
    // Longest prefix first, so a catch-all "" never shadows a specific subscriber.
    this.subs = this.subs.concat([sub]).sort((a, b) => b.prefix.length - a.prefix.length);
    return () => {
      this.subs = this.subs.filter((s) => s !== sub);
    };
  }

  /** Writes raw bytes to the module (data mode after CONNECT, or an escape sequence). */
  writeRaw(bytes: Uint8Array): void {
    if (this.closed) throw new AtError("E_AT_CLOSED", "raw write on a closed AT channel", "");
    this.link.write(bytes);
  }

  /** Leaves data mode: received bytes are scanned as lines again. */
  endRaw(): void {
    this.raw = undefined;
  }

  /** True while a command is in flight or queued. */
  get busy(): boolean {
    return this.current !== undefined || this.queue.length > 0;
  }

  /** Closes the port; the command in flight and every queued one fail with E_AT_CLOSED. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.failAll("E_AT_CLOSED", "the AT channel was closed");
    try {
      this.link.close();
    } catch {
      // Closing is idempotent; a port that is already gone is closed.
    }
  }

  // ---- sending ------------------------------------------------------------------------------------

  private next(): void {
    if (this.current || this.closed) return;
    const p = this.queue.shift();
    if (!p) return;
    this.current = p;
    this.stats.commands++;
    const timeout = p.opts.timeoutMs ?? this.defaultTimeoutMs;
    p.timer = this.timers.set(() => {
      p.timer = -1;
      this.stats.timeouts++;
      this.finish(p, new AtError("E_AT_TIMEOUT", `${p.line}: no final result within ${timeout} ms`, p.line));
    }, timeout);
    if (p.opts.data) {
      p.awaitingPrompt = true;
      this.scanner.armPrompt(true);
      p.promptTimer = this.timers.set(() => {
        p.promptTimer = -1;
        if (!p.awaitingPrompt || this.current !== p) return;
        this.stats.blindWrites++;
        this.onPrompt();
      }, Math.min(p.opts.promptTimeoutMs ?? 2000, timeout));
    }
    this.trace?.(">", p.line);
    try {
      this.link.write(ascii(p.line + "\r"));
    } catch (e) {
      this.finish(p, new AtError(errorCode(e) === "E_SERIAL_CLOSED" ? "E_AT_CLOSED" : errorCode(e), `${p.line}: write failed: ${String((e as Error).message ?? e)}`, p.line));
    }
  }

  private onPrompt(): void {
    const p = this.current;
    this.scanner.armPrompt(false);
    if (!p || !p.awaitingPrompt || !p.opts.data) return;
    p.awaitingPrompt = false;
    if (p.promptTimer >= 0) this.timers.clear(p.promptTimer);
    p.promptTimer = -1;
    try {
      this.link.write(p.opts.data);
    } catch (e) {
      this.finish(p, new AtError(errorCode(e) === "E_SERIAL_CLOSED" ? "E_AT_CLOSED" : errorCode(e), `${p.line}: data write failed`, p.line));
    }
  }

  /** Ends `p` (resolve with `result` or reject with an error) and starts the next command. */
  private finish(p: Pending, error: AtError | undefined, final = ""): void {
    if (p.timer >= 0) this.timers.clear(p.timer);
    if (p.promptTimer >= 0) this.timers.clear(p.promptTimer);
    p.timer = -1;
    p.promptTimer = -1;
    if (p.awaitingPrompt) this.scanner.armPrompt(false);
    p.awaitingPrompt = false;
    if (this.blockFor === p) this.blockFor = undefined;
    if (this.current === p) this.current = undefined;
    if (error) p.reject(error);
    else p.resolve({ lines: p.lines, final, data: p.data });
    // Never start the next command from inside a scan: the rest of the chunk still belongs to
    // what came before it. The read loop calls next() after each chunk; timers and writes here.
    if (!this.scanning) this.next();
  }

  private failAll(code: string, message: string): void {
    const cur = this.current;
    if (cur) this.finish(cur, new AtError(code, `${cur.line}: ${message}`, cur.line));
    for (const p of this.queue.splice(0)) p.reject(new AtError(code, `${p.line}: ${message}`, p.line));
  }

  // ---- receiving ----------------------------------------------------------------------------------

  private scanning = false;

  private async readLoop(): Promise<void> {
    while (!this.closed) {
      let chunk: Uint8Array;
      try {
        chunk = await this.link.read();
      } catch (e) {
        if (this.closed) return;
        if (errorCode(e) === "E_SERIAL_CLOSED") {
          this.closed = true;
          this.failAll("E_AT_CLOSED", "the port closed");
          return;
        }
        // An overrun or line error: bytes were lost; the lines around them are stray or time out.
        this.stats.readErrors++;
        continue;
      }
      this.feed(chunk);
    }
  }

  /** Scans one chunk from the module (the read loop calls it; tests may too). */
  feed(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      const raw = this.raw;
      if (raw) {
        raw(i === 0 ? chunk : chunk.subarray(i));
        break;
      }
      this.scanning = true;
      try {
        i = this.scanner.push(chunk, i);
      } finally {
        this.scanning = false;
      }
    }
    this.stats.dropped = this.scanner.dropped;
    this.next();
  }

  private onLine(line: string): void {
    this.stats.lines++;
    this.trace?.("<", line);
    const p = this.current;
    // Echo, also with garbage glued in front of it.
    if (isEcho(line) || (p !== undefined && line.endsWith(p.line))) {
      this.stats.echoes++;
      return;
    }
    if (RESET_LINES.indexOf(line) >= 0) {
      this.stats.resets++;
      this.scanner.armPrompt(false);
      if (p) this.finish(p, new AtError("E_MODEM_RESET", `${p.line}: the module restarted (${line})`, p.line, line));
      this.dispatch(line);
      return;
    }
    if (p) {
      const own = p.opts.finals?.[line];
      const code = own !== undefined ? own : standardFinal(line);
      if (code !== undefined) {
        if (code === "") {
          if (p.opts.rawAfterConnect && line.startsWith("CONNECT")) {
            this.raw = p.opts.rawAfterConnect;
            this.scanner.halt();
          }
          this.finish(p, undefined, line);
        } else {
          const cme = code === "E_CME_ERROR" || code === "E_CMS_ERROR" ? parseInt(line.slice(11), 10) : undefined;
          this.finish(p, new AtError(code, `${p.line}: ${line}`, p.line, line, cme));
        }
        return;
      }
      const expect = p.opts.expect;
      if (expect !== undefined && expect !== "" && line.startsWith(expect)) {
        this.collect(p, line);
        return;
      }
      if (this.dispatch(line)) return;
      if (expect === "") {
        this.collect(p, line);
        return;
      }
      this.stats.stray++;
      return;
    }
    if (!this.dispatch(line)) this.stats.stray++;
  }

  private collect(p: Pending, line: string): void {
    p.lines.push(line);
    const n = p.opts.dataLength ? p.opts.dataLength(line) : 0;
    if (n > 0) {
      this.blockFor = p;
      this.scanner.expectData(n);
    }
  }

  /** Gives a line to the first matching subscriber; false when none wants it. */
  private dispatch(line: string): boolean {
    for (const s of this.subs) {
      if (!line.startsWith(s.prefix)) continue;
      this.stats.urcs++;
      const n = s.dataLength ? s.dataLength(line) : 0;
      if (n > 0) {
        this.blockFor = { sub: s, line };
        this.scanner.expectData(n);
        return true;
      }
      this.callSub(s, line, undefined);
      return true;
    }
    return false;
  }

  private callSub(s: Subscription, line: string, data: Uint8Array | undefined): void {
    try {
      s.handler(line, data);
    } catch {
      // A subscriber's bug must not stop the modem's line discipline.
    }
  }

  private onBlock(bytes: Uint8Array): void {
    const owner = this.blockFor;
    this.blockFor = undefined;
    if (!owner) return;
    if ("sub" in owner) this.callSub(owner.sub, owner.line, bytes);
    else if (owner === this.current) owner.data = bytes;
  }
}

/** ASCII bytes of a command line (command text is ASCII; other characters are cut to 8 bits). */
export function ascii(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}
