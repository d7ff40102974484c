/**
 * Dial-up (PSTN) modem driver over the AT engine: Hayes / V.250 commands on the board's `dialup`
 * serial port (devices.md §3).
 *
 * - init: `AT` probe (a modem left in a call by a reboot is brought back with the `+++` escape and
 *   ATH), then ATZ, AT&F, ATE0V1Q0X4 (no echo, verbose results, X4: detect dial tone and busy),
 *   AT&C1&D2 (DCD follows the carrier, DTR drop hangs up).
 * - dial: `ATDT<number>` (or ATDP); CONNECT[ <rate>] opens the call; NO DIALTONE / NO DIAL TONE, BUSY,
 *   NO ANSWER, NO CARRIER, ERROR are typed errors (see errors.ts). The verbose text is parsed, not the
 *   numeric codes (CONNECT 2400 is 10 on Hayes, 9 on MultiTech).
 * - data mode: after CONNECT every byte both ways is payload (the AT engine's raw mode); the call is a
 *   NetSocket. Carrier loss: the modem returns to command mode with `<CR><LF>NO CARRIER<CR><LF>`; the
 *   driver recognises that text in the stream only when it is followed by silence (carrierGuardMs):
 *   the same bytes inside payload that more data follows stay payload. A tail that could be the start
 *   of the text waits at most carrierGuardMs before it is delivered.
 * - hang-up: guard time of silence (S12, default 1 s), `+++`, the modem answers OK after another guard
 *   time, then ATH; or, where the board wires DTR, a DTR drop (AT&D2).
 */
import { ByteQueue, readExactly } from "../net/byte-queue";
import { AtEngine } from "../at/engine";
import type { Hal } from "../index";
import { AtError } from "../at/errors";
import { errorCode } from "../errors";
import type { NetSocket } from "../net/socket";
import { DialupError, type DialEvidence } from "./errors";

export interface DialupTime {
  sleep(ms: number): Promise<void>;
  monotonic(): number;
  timers: { set(callback: () => void, ms: number): number; clear(id: number): void };
}

export interface DialupOptions {
  /** Init commands after the probe (default ATZ, AT&F, ATE0V1Q0X4, AT&C1&D2). */
  init?: string[];
  /** ATD to its result (default 90000 ms: ring, answer and training take 10-20 s on POS lines). */
  dialTimeoutMs?: number;
  /** Tone (default) or pulse dialling. */
  pulse?: boolean;
  /** Escape guard time, S12 (default 1000 ms). */
  guardMs?: number;
  /** Silence after `NO CARRIER` before it counts as carrier loss (default 200 ms). */
  carrierGuardMs?: number;
  /** Drives DTR where the board wires it (hang-up by DTR drop with AT&D2). */
  dtr?: (on: boolean) => void;
}

const DEFAULT_INIT = ["ATZ", "AT&F", "ATE0V1Q0X4", "AT&C1&D2"];
const NUMBER = /^[0-9*#,WwPpTt!@]{1,40}$/;

/** The board's dial-up modem: an AT engine on the `dialup` serial port and the driver over it. */
export function openDialup(hal: Hal, options: DialupOptions = {}): DialupModem {
  const at = new AtEngine(hal.openSerial("dialup"), hal.time.timers, { defaultTimeoutMs: 3000 });
  return new DialupModem(at, hal.time, options);
}

const HINTS: { [code: string]: string } = {
  E_DIAL_NO_DIALTONE: "no dial tone: the line is unplugged, cut, or suspended for arrears",
  E_DIAL_BUSY: "the number is busy: the acquirer's modem pool is full, try the backup number",
  E_DIAL_NO_ANSWER: "no answer after ringing",
  E_DIAL_NO_CARRIER: "nobody answered with a modem, or the handshake failed",
  E_DIAL_ERROR: "the modem refused the dial command",
};

function dialError(code: string, message: string, ev: DialEvidence): DialupError {
  return new DialupError(code, message, { ...ev, hint: HINTS[code] });
}

export class DialupModem {
  private readonly guardMs: number;
  private readonly carrierGuardMs: number;
  private inCall: DialupCall | undefined;
  /** Calls made and how they ended, for diagnostics. */
  readonly stats = { dials: 0, connects: 0, carrierLost: 0, hangups: 0, escapesFailed: 0 };

  constructor(
    readonly at: AtEngine,
    readonly time: DialupTime,
    private readonly options: DialupOptions = {},
  ) {
    this.guardMs = options.guardMs ?? 1000;
    this.carrierGuardMs = options.carrierGuardMs ?? 200;
  }

  /** The call in progress, if any. */
  get call(): DialupCall | undefined {
    return this.inCall && this.inCall.state !== "closed" ? this.inCall : undefined;
  }

  /** Probe and init commands; E_DIAL_NOT_READY when the modem does not answer or refuses one. */
  async init(): Promise<void> {
    if (this.call) throw new DialupError("E_DIAL_IN_CALL", "a call is up", {});
    let ok = await this.probe();
    if (!ok) {
      // A modem still in data mode (a call left up across a reboot) takes AT as payload: escape it.
      await this.time.sleep(this.guardMs);
      this.at.writeRaw(asciiBytes("+++"));
      await this.time.sleep(this.guardMs + 500);
      await this.at.command("ATH", { timeoutMs: 3000 }).catch(() => undefined);
      ok = await this.probe();
    }
    if (!ok) throw new DialupError("E_DIAL_NOT_READY", "the dial-up modem does not answer AT", { command: "AT" });
    for (const c of this.options.init ?? DEFAULT_INIT) {
      try {
        await this.at.command(c, { timeoutMs: c === "ATZ" ? 5000 : 3000 });
      } catch (e) {
        const ev: DialEvidence = { command: c, final: e instanceof AtError ? e.final : undefined };
        throw new DialupError("E_DIAL_NOT_READY", `${c} failed: ${(e as Error).message}`, ev);
      }
    }
  }

  private async probe(): Promise<boolean> {
    for (let i = 0; i < 3; i++) {
      try {
        await this.at.command("AT", { timeoutMs: 1000 });
        return true;
      } catch (e) {
        if (errorCode(e) === "E_AT_CLOSED") throw e;
      }
    }
    return false;
  }

  /** Dials `number`; resolves with the call (a NetSocket) on CONNECT, or a typed E_DIAL_* error. */
  async dial(number: string, options: { timeoutMs?: number } = {}): Promise<DialupCall> {
    if (!NUMBER.test(number)) throw new DialupError("E_DIAL_BAD_NUMBER", `"${number}" is not a dial string`, { number });
    if (this.call) throw new DialupError("E_DIAL_IN_CALL", "a call is up", { number });
    const timeoutMs = options.timeoutMs ?? this.options.dialTimeoutMs ?? 90000;
    const command = `ATD${this.options.pulse ? "P" : "T"}${number}`;
    const call = new DialupCall(this, number, this.carrierGuardMs);
    const t0 = this.time.monotonic();
    this.stats.dials++;
    try {
      const r = await this.at.command(command, { timeoutMs, rawAfterConnect: (b) => call.onData(b) });
      const rate = parseInt(r.final.slice(7), 10);
      call.opened(Number.isNaN(rate) ? 0 : rate);
      this.inCall = call;
      this.stats.connects++;
      return call;
    } catch (e) {
      const ev: DialEvidence = { number, command, final: e instanceof AtError ? e.final : undefined, waitedMs: this.time.monotonic() - t0 };
      switch (errorCode(e)) {
        case "E_NO_DIALTONE":
          throw dialError("E_DIAL_NO_DIALTONE", `no dial tone (${ev.final})`, ev);
        case "E_BUSY":
          throw dialError("E_DIAL_BUSY", "the line is busy", ev);
        case "E_NO_ANSWER":
          throw dialError("E_DIAL_NO_ANSWER", "no answer", ev);
        case "E_NO_CARRIER":
          throw dialError("E_DIAL_NO_CARRIER", "no carrier", ev);
        case "E_AT_ERROR":
          throw dialError("E_DIAL_ERROR", "the modem refused the dial", ev);
        case "E_AT_TIMEOUT":
          // Any character aborts a dial in progress; then make sure the line is on hook.
          try {
            this.at.writeRaw(asciiBytes("\r"));
          } catch {
            // the port is gone: the timeout is the news
          }
          await this.time.sleep(500);
          await this.at.command("ATH", { timeoutMs: 3000 }).catch(() => undefined);
          throw dialError("E_DIAL_TIMEOUT", `no result within ${timeoutMs} ms`, ev);
      }
      throw e;
    }
  }

  /** @internal the call ended (carrier lost or hung up). */
  ended(call: DialupCall, carrier: boolean): void {
    if (carrier) this.stats.carrierLost++;
    if (this.inCall === call) this.inCall = undefined;
  }

  /** @internal escape guard time. */
  get guard(): number {
    return this.guardMs;
  }

  /** @internal */
  get dtr(): ((on: boolean) => void) | undefined {
    return this.options.dtr;
  }
}

const NO_CARRIER = asciiBytes("\r\nNO CARRIER\r\n");
/** KMP borders of NO_CARRIER's prefixes: after a mismatch with k bytes held, FAIL[k] of them can still start a match. */
const FAIL = borders(NO_CARRIER);

function borders(p: Uint8Array): Int32Array {
  const f = new Int32Array(p.length + 1);
  let k = 0;
  for (let i = 1; i < p.length; i++) {
    while (k > 0 && p[i] !== p[k]) k = f[k]!;
    if (p[i] === p[k]) k++;
    f[i + 1] = k;
  }
  return f;
}

function asciiBytes(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

type CallState = "dialing" | "open" | "closing" | "closed";

/**
 * One dial-up connection as a byte stream (NetSocket): `write` (all or throw), `read`, `readExactly`,
 * `close` (hang up; idempotent). Data received before the carrier dropped is still delivered, then
 * reads fail with E_SOCKET_CLOSED (reason "carrier").
 */
export class DialupCall implements NetSocket {
  state: CallState = "dialing";
  rate = 0;
  sent = 0;
  received = 0;
  /** How the hang-up went: "escape" (+++ then OK), "dtr", "carrier" (already dropped), "no-escape". */
  hangup = "";
  private readonly rx = new ByteQueue();
  private failure: DialupError | undefined;
  private waiter: (() => void) | undefined;
  /** NO CARRIER bytes matched so far (held back from the stream). */
  private held = 0;
  private holdTimer = -1;
  private firstByte = true;
  private lastWriteAt = 0;
  private escapeText = "";
  private escapeDone: ((how: string) => void) | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly modem: DialupModem,
    readonly number: string,
    private readonly carrierGuardMs: number,
  ) {}

  /** @internal CONNECT came. */
  opened(rate: number): void {
    this.rate = rate;
    if (this.state === "dialing") this.state = "open";
    this.lastWriteAt = this.modem.time.monotonic();
  }

  /** @internal bytes from the modem in data mode. */
  onData(chunk: Uint8Array): void {
    let from = 0;
    if (this.firstByte && chunk.length > 0) {
      this.firstByte = false;
      // The AT engine hands over the LF that ends the `CONNECT ...<CR><LF>` line.
      if (chunk[0] === 0x0a) from = 1;
    }
    if (this.state === "closing") {
      this.watchEscape(chunk, from);
      return;
    }
    if (this.state === "closed") return;
    const timers = this.modem.time.timers;
    if (this.holdTimer >= 0) {
      timers.clear(this.holdTimer);
      this.holdTimer = -1;
    }
    const out = new Uint8Array(chunk.length - from + NO_CARRIER.length);
    let n = 0;
    let held = this.held;
    for (let i = from; i < chunk.length; i++) {
      const b = chunk[i]!;
      while (held > 0 && (held === NO_CARRIER.length || b !== NO_CARRIER[held])) {
        const keep = FAIL[held]!;
        for (let k = 0; k < held - keep; k++) out[n++] = NO_CARRIER[k]!;
        held = keep;
      }
      if (b === NO_CARRIER[held]) held++;
      else out[n++] = b;
    }
    this.held = held;
    if (n > 0) this.push(out.subarray(0, n));
    if (held > 0) this.holdTimer = timers.set(() => this.onHoldTimeout(), this.carrierGuardMs);
  }

  private onHoldTimeout(): void {
    this.holdTimer = -1;
    const held = this.held;
    this.held = 0;
    if (held === NO_CARRIER.length) {
      this.carrierLost();
      return;
    }
    if (held > 0 && this.state !== "closed") this.push(NO_CARRIER.slice(0, held));
  }

  private push(bytes: Uint8Array): void {
    this.rx.push(bytes);
    this.received += bytes.length;
    this.wake();
  }

  private carrierLost(): void {
    this.modem.at.endRaw();
    this.state = "closed";
    this.hangup = "carrier";
    if (!this.failure) this.failure = new DialupError("E_SOCKET_CLOSED", "the carrier was lost (NO CARRIER)", { number: this.number, reason: "carrier", final: "NO CARRIER", rate: this.rate });
    this.modem.ended(this, true);
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** Bytes received and not yet read. */
  get available(): number {
    return this.rx.length;
  }

  async write(data: Uint8Array): Promise<void> {
    if (this.state !== "open" && this.state !== "dialing")
      throw this.failure ?? new DialupError("E_SOCKET_CLOSED", "write on a call that is not up", { number: this.number, reason: "local" });
    for (let off = 0; off < data.length; off += 256) this.modem.at.writeRaw(data.subarray(off, Math.min(data.length, off + 256)));
    this.sent += data.length;
    this.lastWriteAt = this.modem.time.monotonic();
  }

  async read(timeoutMs: number, max = 0x7fffffff): Promise<Uint8Array> {
    const timers = this.modem.time.timers;
    let timedOut = false;
    const t = timers.set(() => {
      timedOut = true;
      this.wake();
    }, timeoutMs);
    try {
      for (;;) {
        if (this.rx.length > 0) return this.take(max);
        if (this.failure) throw this.failure;
        if (this.state === "closed" || this.state === "closing")
          throw new DialupError("E_SOCKET_CLOSED", "the call is closed", { number: this.number, reason: "local" });
        if (timedOut) throw new DialupError("E_SOCKET_TIMEOUT", `no data within ${timeoutMs} ms`, { number: this.number, waitedMs: timeoutMs });
        await new Promise<void>((resolve) => (this.waiter = resolve));
      }
    } finally {
      timers.clear(t);
    }
  }

  /** Exactly `n` bytes (a length-prefixed message), within `timeoutMs` overall. */
  readExactly(n: number, timeoutMs: number): Promise<Uint8Array> {
    return readExactly((t, max) => this.read(t, max), () => this.modem.time.monotonic(), n, timeoutMs, (fill) =>
      new DialupError("E_SOCKET_TIMEOUT", `${fill} of ${n} bytes within ${timeoutMs} ms`, { number: this.number, waitedMs: timeoutMs }));
  }

  private take(max: number): Uint8Array {
    return this.rx.take(max);
  }

  /** Hangs up (escape + ATH, or DTR drop); idempotent, never throws: `hangup` says how it went. */
  close(): Promise<void> {
    if (!this.closing) this.closing = this.hangUp();
    return this.closing;
  }

  private watchEscape(chunk: Uint8Array, from: number): void {
    let s = this.escapeText;
    for (let i = from; i < chunk.length; i++) s += String.fromCharCode(chunk[i]!);
    this.escapeText = s.length > 40 ? s.slice(s.length - 40) : s;
    const done = this.escapeDone;
    if (!done) return;
    if (s.indexOf("\r\nOK\r\n") >= 0) done("escape");
    else if (s.indexOf("NO CARRIER") >= 0) done("carrier");
  }

  private async hangUp(): Promise<void> {
    const modem = this.modem;
    const at = modem.at;
    const time = modem.time;
    if (this.holdTimer >= 0) {
      time.timers.clear(this.holdTimer);
      this.holdTimer = -1;
    }
    if (this.state === "closed") {
      // The carrier dropped: the modem is on hook and in command mode already; make sure of it.
      await at.command("ATH", { timeoutMs: 3000 }).catch(() => undefined);
      return;
    }
    this.state = "closing";
    this.held = 0;
    this.wake();
    let how = "no-escape";
    const dtr = modem.dtr;
    if (dtr) {
      dtr(false);
      await time.sleep(500);
      dtr(true);
      how = "dtr";
    } else {
      const quiet = modem.guard - (time.monotonic() - this.lastWriteAt);
      if (quiet > 0) await time.sleep(quiet);
      this.escapeText = "";
      const answered = new Promise<string>((resolve) => (this.escapeDone = resolve));
      let timer = -1;
      const late = new Promise<string>((resolve) => (timer = time.timers.set(() => resolve("no-escape"), 2 * modem.guard + 1500)));
      try {
        at.writeRaw(asciiBytes("+++"));
        how = await Promise.race([answered, late]);
      } catch {
        how = "no-escape";
      }
      time.timers.clear(timer);
      this.escapeDone = undefined;
    }
    at.endRaw();
    if (how === "no-escape") modem.stats.escapesFailed++;
    if (how !== "carrier") await at.command("ATH", { timeoutMs: 5000 }).catch(() => undefined);
    modem.stats.hangups++;
    this.hangup = how;
    this.state = "closed";
    if (!this.failure) this.failure = new DialupError("E_SOCKET_CLOSED", "the call was hung up", { number: this.number, reason: "local" });
    modem.ended(this, false);
    this.wake();
  }
}
