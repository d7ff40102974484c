/**
 * A virtual dial-up (PSTN) modem on the simulator's `dialup` serial port, speaking Hayes / V.250
 * (devices.md §3): command lines `AT...<CR>` with basic commands chained (ATE0V1Q0X4, AT&C1&D2, S
 * registers), echo until ATE0, verbose (V1) or numeric (V0) result codes, Q1 quiet.
 *
 * The line is scriptable: "ok", "no-dialtone" (unplugged or cut), "unpaid" (suspended for arrears:
 * no dial tone, as the brief models it), "busy", "no-answer"; per dialled number too. ATD<number> on a
 * line that is ok really connects to a TCP peer on 127.0.0.1 (numbers -> ports), then CONNECT <rate>
 * and data mode: bytes both ways between the serial port and the socket. Results as X<n> gives them:
 * X2/X4 detect the dial tone (else a dead line ends in NO CARRIER after S7), X3/X4 detect busy, NO
 * ANSWER only after `@` (quiet answer), a number nobody answers with a modem: NO CARRIER after S7.
 *
 * Data mode: the `+++` escape with guard times (S12, 1/50 s; silence before, gaps shorter than it,
 * silence after) -> OK in online command mode (ATH hangs up, ATO goes back with CONNECT). The peer
 * closing, or `dropCarrier()`, ends the call with NO CARRIER. Any byte during a dial aborts it.
 *
 * Time: dial tone, dialling, ringing and training run on the engine's clock (DeviceHost timers, so
 * virtual time skips them); real socket I/O holds virtual time like the 4G module does.
 */
import { connect, type Socket } from "node:net";
import { cappedHold, type DeviceHost, type SerialDevice } from "../engine-host.ts";

export type LineState = "ok" | "no-dialtone" | "unpaid" | "busy" | "no-answer";

export interface NumberRoute {
  /** 127.0.0.1 port of the host modem's TCP side. */
  port?: number;
  /** This number's line state (overrides the line's). */
  state?: LineState;
}

export interface DialupDeviceOptions {
  line?: LineState;
  /** Dialled digits (after T/P, without W , @ !) -> port or route. */
  numbers?: Record<string, number | NumberRoute>;
  /** CONNECT rate (default 2400, V.22bis). */
  rate?: number;
  /** From ATD to dial tone detected (default 1500 ms). */
  dialToneMs?: number;
  /** Per dialled digit (default 100 ms, DTMF). */
  digitMs?: number;
  /** Ringing until the remote answers (default 6000 ms). */
  ringMs?: number;
  /** Answer tone and training to CONNECT (default 4000 ms). */
  trainMs?: number;
  /** Dialled to busy tone detected (default 3000 ms). */
  busyMs?: number;
  /** Real milliseconds virtual time waits for a peer's reply after data went out (default 200). */
  peerGraceMs?: number;
}

const DEFAULT_S: Record<number, number> = { 0: 0, 2: 43, 3: 13, 4: 10, 5: 8, 6: 2, 7: 50, 8: 2, 10: 14, 12: 50 };
const NUMERIC: Record<string, number> = { OK: 0, CONNECT: 1, RING: 2, "NO CARRIER": 3, ERROR: 4, "NO DIALTONE": 6, BUSY: 7, "NO ANSWER": 8 };
const CONNECT_CODES: Record<number, number> = { 1200: 5, 2400: 10 };

type Mode = "command" | "dialing" | "data" | "online";

export class DialupModemDevice implements SerialDevice {
  line: LineState;
  readonly numbers: Record<string, number | NumberRoute>;
  rate: number;
  readonly options: Required<Omit<DialupDeviceOptions, "line" | "numbers" | "rate">>;
  /** Observations for tests. */
  readonly history: string[] = [];
  readonly dials: Array<{ number: string; result: string; at: number }> = [];
  readonly stats = { bytesToPeer: 0, bytesFromPeer: 0, escapes: 0, hangups: 0, carrierLost: 0, aborted: 0 };
  /** Remote addresses the peers saw are theirs to report; here: the local ports connected. */
  readonly connectedPorts: number[] = [];

  private toFirmware: ((bytes: Uint8Array) => void) | undefined;
  private host: DeviceHost | undefined;
  private mode: Mode = "command";
  private echo = true;
  private verbose = true;
  private quiet = false;
  private x = 4;
  private s: Record<number, number> = { ...DEFAULT_S };
  private lineBuf = "";
  private net: Socket | undefined;
  private pendingFromPeer: Buffer[] = [];
  private dialTimers: Array<() => void> = [];
  private callEpoch = 0;
  private connectedRate = 0;
  // Escape detection.
  private lastRx = -1e9;
  private plus = 0;
  private lastPlusAt = 0;
  private escTimer: (() => void) | undefined;
  // Output.
  private out: Uint8Array[] = [];
  private pumping = false;
  private outHold: (() => void) | undefined;
  private replyHold: (() => void) | undefined;

  constructor(options: DialupDeviceOptions = {}) {
    this.line = options.line ?? "ok";
    this.numbers = { ...(options.numbers ?? {}) };
    this.rate = options.rate ?? 2400;
    this.options = {
      dialToneMs: options.dialToneMs ?? 1500,
      digitMs: options.digitMs ?? 100,
      ringMs: options.ringMs ?? 6000,
      trainMs: options.trainMs ?? 4000,
      busyMs: options.busyMs ?? 3000,
      peerGraceMs: options.peerGraceMs ?? 200,
    };
  }

  /** In a call (data or online command mode). */
  get inCall(): boolean {
    return this.mode === "data" || this.mode === "online";
  }

  get currentMode(): Mode {
    return this.mode;
  }

  // ---- SerialDevice --------------------------------------------------------------------------------

  attach(toFirmware: (bytes: Uint8Array) => void, host?: DeviceHost): void {
    this.toFirmware = toFirmware;
    this.host = host;
  }

  detach(): void {
    this.toFirmware = undefined;
    this.host = undefined;
    this.out = [];
    this.outHold?.();
    this.outHold = undefined;
    this.replyHold?.();
    this.replyHold = undefined;
    this.endCall(false);
    this.mode = "command";
  }

  receive(bytes: Uint8Array): void {
    if (this.mode === "data") {
      this.dataFromFirmware(bytes);
      return;
    }
    if (this.mode === "dialing") {
      // Any character aborts a dial in progress.
      this.stats.aborted++;
      this.finishDial("NO CARRIER");
      return;
    }
    let echoFrom = 0;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (b === this.s[3]) {
        if (this.echo) this.raw(bytes.subarray(echoFrom, i + 1));
        echoFrom = i + 1;
        const line = this.lineBuf;
        this.lineBuf = "";
        const at = line.search(/at/i);
        if (at >= 0) this.command(line.slice(at));
        if (this.mode !== "command" && this.mode !== "online") return; // the rest is for the call
      } else if (b === this.s[5]) this.lineBuf = this.lineBuf.slice(0, -1);
      else if (b !== 0x0a && this.lineBuf.length < 256) this.lineBuf += String.fromCharCode(b);
    }
    if (this.echo && echoFrom < bytes.length) this.raw(bytes.subarray(echoFrom));
  }

  // ---- scripted faults ------------------------------------------------------------------------------

  /** The carrier drops (the remote hung up, the line broke): NO CARRIER, back to command mode. */
  dropCarrier(): void {
    if (!this.inCall) return;
    this.stats.carrierLost++;
    this.endCall(true);
  }

  // ---- time and output -------------------------------------------------------------------------------

  private now(): number {
    return this.host ? this.host.clock.monotonic() : 0;
  }

  private after(ms: number, fn: () => void): void {
    if (!this.host) return;
    this.dialTimers.push(this.host.setTimer(fn, ms));
  }

  private hold(capMs = 2000): () => void {
    return cappedHold(this.host, capMs);
  }

  private raw(bytes: Uint8Array | string): void {
    if (!this.toFirmware) return;
    this.out.push(typeof bytes === "string" ? Buffer.from(bytes, "latin1") : Uint8Array.from(bytes));
    if (this.pumping) return;
    this.pumping = true;
    this.outHold = this.hold();
    setImmediate(() => this.pump());
  }

  private pump(): void {
    const chunk = this.out.shift();
    if (chunk && this.toFirmware) this.toFirmware(chunk);
    if (this.out.length) {
      setImmediate(() => this.pump());
      return;
    }
    this.pumping = false;
    const h = this.outHold;
    this.outHold = undefined;
    h?.();
  }

  private result(text: string): void {
    if (this.quiet) return;
    if (this.verbose) {
      this.raw(`\r\n${text}\r\n`);
      return;
    }
    const rate = text.startsWith("CONNECT ") ? Number(text.slice(8)) : NaN;
    const code = Number.isNaN(rate) ? NUMERIC[text] ?? 4 : CONNECT_CODES[rate] ?? 1;
    this.raw(`${code}\r`);
  }

  // ---- commands --------------------------------------------------------------------------------------

  private command(line: string): void {
    this.history.push(line);
    if (this.history.length > 200) this.history.shift();
    const body = line.slice(2);
    let i = 0;
    const num = (): number => {
      let s = "";
      while (i < body.length && body[i]! >= "0" && body[i]! <= "9") s += body[i++];
      return s === "" ? 0 : Number(s);
    };
    let final = "OK";
    while (i < body.length) {
      const c = body[i++]!.toUpperCase();
      if (c === " ") continue;
      if (c === "D") {
        this.dial(body.slice(i));
        return;
      }
      if (c === "&") {
        const k = (body[i++] ?? "").toUpperCase();
        const v = num();
        if (k === "F") this.factory(false);
        else if (!"CDKWVSQ".includes(k) || k === "") final = "ERROR";
        void v;
        continue;
      }
      if (c === "S") {
        const reg = num();
        if (body[i] === "=") {
          i++;
          const v = num();
          if (v > 255) final = "ERROR";
          else this.s[reg] = v;
        } else if (body[i] === "?") {
          i++;
          this.raw(`\r\n${String(this.s[reg] ?? 0).padStart(3, "0")}\r\n`);
        } else final = "ERROR";
        continue;
      }
      if (c === "+" || c === "%" || c === "\\") {
        // Extended / vendor commands (AT+MS=..., AT\N0): accepted, not modelled.
        i = body.length;
        continue;
      }
      const v = num();
      switch (c) {
        case "Z":
          this.factory(true);
          break;
        case "E":
          this.echo = v === 1;
          break;
        case "V":
          this.verbose = v === 1;
          break;
        case "Q":
          this.quiet = v === 1;
          break;
        case "X":
          if (v > 4) final = "ERROR";
          else this.x = v;
          break;
        case "H":
          if (this.inCall) {
            this.stats.hangups++;
            this.endCall(false);
          }
          break;
        case "O":
          if (this.mode !== "online") final = "NO CARRIER";
          else {
            this.mode = "data";
            this.lastRx = this.now();
            this.result(`CONNECT ${this.connectedRate}`);
            this.flushPeer();
            return;
          }
          break;
        case "I":
          this.raw("\r\nVIRTUAL V.22bis POS MODEM\r\n");
          break;
        case "L":
        case "M":
          break;
        default:
          final = "ERROR";
      }
    }
    this.result(final);
  }

  private factory(all: boolean): void {
    this.echo = true;
    this.verbose = true;
    this.quiet = false;
    this.x = 4;
    this.s = { ...DEFAULT_S };
    if (all && this.inCall) this.endCall(false);
  }

  // ---- dialling ------------------------------------------------------------------------------------

  private dial(dialString: string): void {
    if (this.inCall) {
      this.result("ERROR");
      return;
    }
    let rest = dialString.trim();
    if (/^[TtPp]/.test(rest)) rest = rest.slice(1);
    const digits = rest.replace(/[^0-9*#]/g, "");
    const commas = (rest.match(/,/g) ?? []).length;
    const quietAnswer = rest.includes("@");
    if (!digits) {
      this.result("ERROR");
      return;
    }
    this.mode = "dialing";
    const epoch = ++this.callEpoch;
    const route = this.numbers[digits];
    const r: NumberRoute | undefined = typeof route === "number" ? { port: route } : route;
    const state = r?.state ?? this.line;
    const detectTone = this.x === 2 || this.x === 4;
    const detectBusy = this.x === 3 || this.x === 4;
    const o = this.options;
    const toneAt = o.dialToneMs;
    const dialledAt = toneAt + digits.length * o.digitMs + commas * (this.s[8] ?? 2) * 1000;
    const s7 = (this.s[7] ?? 50) * 1000;
    const record = (res: string) => this.dials.push({ number: digits, result: res, at: this.now() });
    const end = (ms: number, res: string) =>
      this.after(ms, () => {
        if (this.callEpoch !== epoch || this.mode !== "dialing") return;
        record(res);
        this.finishDial(res);
      });
    if (state === "no-dialtone" || state === "unpaid") {
      end(detectTone ? toneAt + (this.s[6] ?? 2) * 1000 : dialledAt + s7, detectTone ? "NO DIALTONE" : "NO CARRIER");
      return;
    }
    if (state === "busy") {
      end(detectBusy ? dialledAt + o.busyMs : dialledAt + s7, detectBusy ? "BUSY" : "NO CARRIER");
      return;
    }
    if (state === "no-answer" || r?.port === undefined) {
      end(dialledAt + s7, quietAnswer ? "NO ANSWER" : "NO CARRIER");
      return;
    }
    // A host modem answers: the TCP side connects now (real I/O), CONNECT after ringing and training.
    const release = this.hold();
    const net = connect({ host: "127.0.0.1", port: r.port });
    net.setNoDelay(true);
    this.net = net;
    this.pendingFromPeer = [];
    let connected = false;
    net.once("connect", () => {
      release();
      if (this.net !== net) return;
      connected = true;
      this.connectedPorts.push(r.port!);
      this.after(dialledAt + o.ringMs + o.trainMs, () => {
        if (this.callEpoch !== epoch || this.net !== net || this.mode !== "dialing") return;
        record(`CONNECT ${this.rate}`);
        this.connectedRate = this.rate;
        this.mode = "data";
        this.lastRx = this.now();
        this.result(`CONNECT ${this.rate}`);
        this.flushPeer();
      });
    });
    net.on("data", (d: Buffer) => {
      if (this.net !== net) return;
      this.stats.bytesFromPeer += d.length;
      this.pendingFromPeer.push(d);
      if (this.mode === "data") this.flushPeer();
      // More of the reply may be on its way (a peer answering piece by piece): keep time still a little longer.
      this.replyHold?.();
      this.replyHold = this.hold(50);
    });
    net.on("error", () => undefined);
    net.once("close", () => {
      release();
      if (this.net !== net) return;
      if (!connected) {
        // Nobody there: the phone rings out with no modem answering.
        this.net = undefined;
        end(dialledAt + s7, "NO CARRIER");
        return;
      }
      if (this.inCall) {
        // The remote hung up once its data is out.
        this.flushPeer();
        this.stats.carrierLost++;
        this.endCall(true);
      } else if (this.mode === "dialing") {
        this.net = undefined;
        end(0, "NO CARRIER");
      }
    });
  }

  private finishDial(res: string): void {
    for (const c of this.dialTimers.splice(0)) c();
    if (this.net) {
      this.net.destroy();
      this.net = undefined;
    }
    this.mode = "command";
    this.result(res);
  }

  private flushPeer(): void {
    if (this.mode !== "data") return;
    for (const d of this.pendingFromPeer.splice(0)) this.raw(d);
  }

  /** Ends the call: the socket goes, NO CARRIER when the carrier dropped, OK after ATH (sent by the caller). */
  private endCall(carrier: boolean): void {
    const wasCall = this.inCall || this.mode === "dialing";
    for (const c of this.dialTimers.splice(0)) c();
    this.escTimer?.();
    this.escTimer = undefined;
    this.plus = 0;
    this.replyHold?.();
    this.replyHold = undefined;
    const net = this.net;
    this.net = undefined;
    this.pendingFromPeer = [];
    net?.destroy();
    this.mode = "command";
    this.callEpoch++;
    if (carrier && wasCall) this.result("NO CARRIER");
  }

  // ---- data mode -------------------------------------------------------------------------------------

  private dataFromFirmware(bytes: Uint8Array): void {
    const now = this.now();
    const guard = (this.s[12] ?? 50) * 20;
    const esc = this.s[2] ?? 43;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (b === esc && this.plus < 3 && (this.plus === 0 ? now - this.lastRx >= guard : now - this.lastPlusAt < guard)) {
        this.plus++;
        this.lastPlusAt = now;
      } else this.plus = 0;
      this.lastRx = now;
    }
    this.escTimer?.();
    this.escTimer = undefined;
    if (this.plus === 3 && this.host) {
      this.escTimer = this.host.setTimer(() => {
        this.escTimer = undefined;
        if (this.mode !== "data" || this.plus !== 3) return;
        this.plus = 0;
        this.stats.escapes++;
        this.mode = "online";
        this.result("OK");
      }, guard);
    }
    const net = this.net;
    if (!net) return;
    const data = Buffer.from(bytes);
    this.stats.bytesToPeer += data.length;
    const release = this.hold();
    net.write(data, () => {
      release();
      // Give a 127.0.0.1 peer time to answer before virtual time may jump.
      this.replyHold?.();
      this.replyHold = this.hold(this.options.peerGraceMs);
    });
  }
}
