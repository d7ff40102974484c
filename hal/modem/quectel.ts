/**
 * Quectel EC2x / EG9x / EC200U driver over the AT engine: power-on check, SIM, signal, registration,
 * operator, PDP context and TCP client sockets (spec/devices.md §1).
 *
 * Receive mode: BUFFER ACCESS (QIOPEN <access_mode> 0). The module keeps received data and sends one
 * `+QIURC: "recv",<id>`; the driver reads it with `AT+QIRD=<id>,1500` until `+QIRD: 0`. This gives
 * back-pressure (the driver stops reading while the app has not consumed RX_LIMIT bytes, the data
 * waits in the module, not in the engine's small heap) and keeps raw payload out of unsolicited
 * traffic: payload only ever follows the `+QIRD:` line of a command the driver sent.
 *
 * Sends use the fixed-length form `AT+QISEND=<id>,<len>` (<= 1460 bytes each): ISO 8583 data may
 * contain 0x1A, which would end the variable-length form.
 */
import { ByteQueue, readExactly } from "../net/byte-queue";
import { AtEngine, type AtCommandOptions, type AtResponse } from "../at/engine";
import type { Hal } from "../index";
import { AtError } from "../at/errors";
import { errorCode } from "../errors";
import { ModemError, type ModemEvidence } from "./errors";

/** What the driver needs of time (hal/time.ts TimeService has it). */
export interface ModemTime {
  sleep(ms: number): Promise<void>;
  monotonic(): number;
  timers: { set(callback: () => void, ms: number): number; clear(id: number): void };
}

export type ModemEvent =
  | { kind: "reset"; line: string }
  | { kind: "pdp-lost"; contextId: number }
  | { kind: "socket-closed"; socket: number }
  | { kind: "sim"; state: string }
  | { kind: "registration"; domain: "CREG" | "CEREG"; stat: number };

export interface Signal {
  /** 0..31 (GSM/LTE), 99 unknown; 100..191 TD-SCDMA. */
  rssi: number;
  ber: number;
  /** dBm, undefined when the module reports 99 (no signal / unknown). */
  dbm: number | undefined;
}

export interface Registration {
  /** The best of the two domains: 1 home or 5 roaming means registered. */
  stat: number;
  /** +CEREG (EPS, LTE) and +CREG (CS) `<stat>`, NaN when the module did not answer it. */
  eps: number;
  cs: number;
  /** Access technology when reported (7 = E-UTRAN). */
  act: number | undefined;
  tac: string | undefined;
  ci: string | undefined;
}

export interface Operator {
  mode: number;
  format: number | undefined;
  name: string | undefined;
  act: number | undefined;
}

export interface PdpOptions {
  apn: string;
  user?: string;
  password?: string;
  /** 0 none, 1 PAP, 2 CHAP. */
  auth?: 0 | 1 | 2;
  /** 1 IPv4, 2 IPv6, 3 IPv4v6. */
  type?: 1 | 2 | 3;
  /** AT+QIACT answers within 150 s (spec). */
  timeoutMs?: number;
}

export interface BringUpOptions extends PdpOptions {
  readyTimeoutMs?: number;
  simTimeoutMs?: number;
  registrationTimeoutMs?: number;
}

export interface NetworkStatus {
  model: string;
  iccid: string;
  signal: Signal;
  registration: Registration;
  operator: Operator;
  ip: string;
}

export interface QuectelOptions {
  /** PDP context used for sockets (1..16 on EC2x, 1..7 on EC200U). */
  contextId?: number;
  /** Bytes the driver buffers per socket before it stops reading the module (back-pressure). */
  rxLimit?: number;
}

const SEND_MAX = 1460;
const READ_MAX = 1500;
const SOCKETS = 12;

/** The board's 4G module: an AT engine on the `modem` serial port and the Quectel driver over it. */
export function openQuectel(hal: Hal, options: QuectelOptions & { defaultTimeoutMs?: number } = {}): QuectelModem {
  const at = new AtEngine(hal.openSerial("modem"), hal.time.timers, { defaultTimeoutMs: options.defaultTimeoutMs });
  return new QuectelModem(at, hal.time, options);
}

/** Fields after `prefix` (`+CSQ: 24,99` -> ["24","99"]), split on commas outside quotes, quotes removed. */
export function atFields(line: string, prefix: string): string[] {
  const out: string[] = [];
  let i = line.startsWith(prefix) ? prefix.length : 0;
  while (i < line.length && line.charCodeAt(i) === 0x20) i++;
  let cur = "";
  let quoted = false;
  for (; i < line.length; i++) {
    const c = line[i]!;
    if (c === '"') quoted = !quoted;
    else if (c === "," && !quoted) {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function int(s: string | undefined): number {
  if (s === undefined) return NaN;
  const t = s.trim();
  return /^-?\d+$/.test(t) ? parseInt(t, 10) : NaN;
}

/** CSQ rssi -> dBm (27.007 §8.5; undefined for 99/unknown). */
export function rssiToDbm(rssi: number): number | undefined {
  if (rssi >= 0 && rssi <= 31) return rssi === 31 ? -51 : -113 + 2 * rssi;
  if (rssi >= 100 && rssi <= 191) return rssi === 100 ? -116 : rssi === 191 ? -25 : -216 + rssi;
  return undefined;
}

/** Evidence of an AT failure (command, final text, CME number). */
function atEvidence(e: unknown): ModemEvidence {
  if (e instanceof AtError) return { command: e.command, final: e.final, cme: e.cme };
  return {};
}

function isRegistered(stat: number): boolean {
  return stat === 1 || stat === 5;
}

export class QuectelModem {
  readonly contextId: number;
  private readonly rxLimit: number;
  private readonly sockets: Array<TcpSocket | undefined> = [];
  private listeners: Array<(e: ModemEvent) => void> = [];
  /** The last +CSQ, kept as evidence for registration failures. */
  lastSignal: Signal | undefined;
  pdpUp = false;
  /** Counts RDY / POWERED DOWN seen: a link manager compares it to know the module restarted. */
  resets = 0;

  constructor(
    readonly at: AtEngine,
    readonly time: ModemTime,
    options: QuectelOptions = {},
  ) {
    this.contextId = options.contextId ?? 1;
    this.rxLimit = options.rxLimit ?? 4096;
    at.on("RDY", (l) => this.onReset(l));
    at.on("POWERED DOWN", (l) => this.onReset(l));
    at.on("NORMAL POWER DOWN", (l) => this.onReset(l));
    at.on("+QIURC:", (l) => this.onQiurc(l));
    at.on("+QIOPEN:", (l) => this.onQiopen(l));
    at.on("+CPIN:", (l) => this.emit({ kind: "sim", state: atFields(l, "+CPIN:")[0] ?? "" }));
    at.on("+CREG:", (l) => this.onRegUrc("CREG", l));
    at.on("+CEREG:", (l) => this.onRegUrc("CEREG", l));
  }

  /** Subscribes to modem events (reset, PDP lost, socket closed, SIM and registration URCs). */
  onEvent(fn: (e: ModemEvent) => void): () => void {
    this.listeners = this.listeners.concat([fn]);
    return () => {
      this.listeners = this.listeners.filter((f) => f !== fn);
    };
  }

  private emit(e: ModemEvent): void {
    for (const f of this.listeners) {
      try {
        f(e);
      } catch {
        // A listener's failure is its own.
      }
    }
  }

  private cmd(line: string, opts?: AtCommandOptions): Promise<AtResponse> {
    return this.at.command(line, opts);
  }

  // ---- power-on -----------------------------------------------------------------------------------

  /**
   * Waits until the module answers: RDY after power-on, or `AT` -> OK when it is already up (probes
   * every `probeMs`); then ATE0 (echo off) and AT+CMEE=1 (numeric +CME ERROR). Returns the model line
   * of ATI. E_MODEM_NOT_READY when it stays silent for `timeoutMs` (spec: power-cycle it then).
   */
  async start(options: { timeoutMs?: number; probeMs?: number } = {}): Promise<string> {
    const timeoutMs = options.timeoutMs ?? 30000;
    const probeMs = options.probeMs ?? 1000;
    const t0 = this.time.monotonic();
    let last: unknown;
    for (;;) {
      try {
        await this.cmd("AT", { timeoutMs: probeMs });
        break;
      } catch (e) {
        last = e;
        const code = errorCode(e);
        if (code === "E_AT_CLOSED") throw e;
        // A reset line during the probe means the module just came up: probe again at once.
        if (code !== "E_MODEM_RESET" && code !== "E_AT_TIMEOUT") await this.time.sleep(probeMs);
      }
      if (this.time.monotonic() - t0 >= timeoutMs)
        throw new ModemError("E_MODEM_NOT_READY", `no answer to AT within ${timeoutMs} ms`, { ...atEvidence(last), waitedMs: this.time.monotonic() - t0 });
    }
    try {
      await this.cmd("ATE0");
      await this.cmd("AT+CMEE=1");
      // ATI answers bare lines (manufacturer, model, revision); stray lines may be mixed in.
      const r = await this.cmd("ATI", { expect: "" });
      const q = r.lines.indexOf("Quectel");
      return q >= 0 && r.lines[q + 1] !== undefined ? `Quectel ${r.lines[q + 1]}` : "unknown";
    } catch (e) {
      if (errorCode(e) === "E_AT_TIMEOUT" || errorCode(e) === "E_AT_ERROR" || errorCode(e) === "E_CME_ERROR")
        throw new ModemError("E_MODEM_NOT_READY", `setup failed: ${(e as Error).message}`, atEvidence(e));
      throw e;
    }
  }

  // ---- SIM ----------------------------------------------------------------------------------------

  /**
   * AT+CPIN? until READY: E_SIM_NOT_INSERTED (+CME ERROR: 10), E_SIM_PIN_REQUIRED, E_SIM_PUK_REQUIRED,
   * E_SIM_LOCKED (other PIN states), E_SIM_FAILURE (13), E_SIM_WRONG (15); a busy SIM (14, NOT READY)
   * is polled until `timeoutMs` (spec: 20 s after boot), then E_SIM_BUSY.
   */
  async simReady(options: { timeoutMs?: number; pollMs?: number } = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 20000;
    const pollMs = options.pollMs ?? 1000;
    const t0 = this.time.monotonic();
    let evidence: ModemEvidence = {};
    for (;;) {
      try {
        const r = await this.cmd("AT+CPIN?", { expect: "+CPIN:" });
        const state = (atFields(r.lines[0] ?? "", "+CPIN:")[0] ?? "").trim();
        evidence = { cpin: state };
        if (state === "READY") return;
        if (state === "SIM PIN") throw new ModemError("E_SIM_PIN_REQUIRED", "the SIM asks for its PIN", evidence);
        if (state === "SIM PUK") throw new ModemError("E_SIM_PUK_REQUIRED", "the SIM is blocked (PUK)", evidence);
        if (state === "NOT INSERTED") throw new ModemError("E_SIM_NOT_INSERTED", "no SIM card", evidence);
        if (state !== "NOT READY" && state !== "") throw new ModemError("E_SIM_LOCKED", `the SIM asks for ${state}`, evidence);
      } catch (e) {
        if (e instanceof ModemError) throw e;
        const code = errorCode(e);
        if (code === "E_CME_ERROR") {
          const cme = (e as AtError).cme;
          evidence = atEvidence(e);
          if (cme === 10) throw new ModemError("E_SIM_NOT_INSERTED", "no SIM card (+CME ERROR: 10)", evidence);
          if (cme === 11) throw new ModemError("E_SIM_PIN_REQUIRED", "the SIM asks for its PIN (+CME ERROR: 11)", evidence);
          if (cme === 12) throw new ModemError("E_SIM_PUK_REQUIRED", "the SIM is blocked (+CME ERROR: 12)", evidence);
          if (cme === 13) throw new ModemError("E_SIM_FAILURE", "SIM failure (+CME ERROR: 13)", evidence);
          if (cme === 15) throw new ModemError("E_SIM_WRONG", "wrong SIM (+CME ERROR: 15)", evidence);
          // 14 SIM busy (still initialising) and anything else: ask again.
        } else if (code !== "E_AT_TIMEOUT" && code !== "E_AT_ERROR") throw e;
        else evidence = atEvidence(e);
      }
      const waited = this.time.monotonic() - t0;
      if (waited >= timeoutMs) throw new ModemError("E_SIM_BUSY", `SIM not ready within ${timeoutMs} ms`, { ...evidence, waitedMs: waited });
      await this.time.sleep(pollMs);
    }
  }

  /** AT+CPIN="<pin>": E_SIM_PIN_WRONG (+CME ERROR: 16) when refused. */
  async enterPin(pin: string): Promise<void> {
    try {
      await this.cmd(`AT+CPIN="${pin}"`);
    } catch (e) {
      if (errorCode(e) === "E_CME_ERROR" || errorCode(e) === "E_AT_ERROR") throw new ModemError("E_SIM_PIN_WRONG", "the SIM refused the PIN", atEvidence(e));
      throw e;
    }
  }

  /** The SIM's ICCID (AT+QCCID; digits, a trailing F pad removed). */
  async iccid(): Promise<string> {
    let r: AtResponse;
    try {
      r = await this.cmd("AT+QCCID", { expect: "+QCCID:" });
    } catch (e) {
      if (errorCode(e) === "E_CME_ERROR" && (e as AtError).cme === 10) throw new ModemError("E_SIM_NOT_INSERTED", "no SIM card", atEvidence(e));
      throw e;
    }
    const id = (atFields(r.lines[0] ?? "", "+QCCID:")[0] ?? "").trim().replace(/F+$/i, "");
    if (!/^\d{18,20}$/.test(id)) throw new ModemError("E_MODEM_PARSE", `ICCID "${id}" does not parse`, { command: "AT+QCCID" });
    return id;
  }

  // ---- radio --------------------------------------------------------------------------------------

  /** AT+CSQ: rssi/ber and dBm (undefined for 99, "no signal"). */
  async signal(): Promise<Signal> {
    const r = await this.cmd("AT+CSQ", { expect: "+CSQ:" });
    const f = atFields(r.lines[0] ?? "", "+CSQ:");
    const rssi = int(f[0]);
    const ber = int(f[1]);
    if (Number.isNaN(rssi)) throw new ModemError("E_MODEM_PARSE", `"${r.lines[0] ?? ""}" does not parse`, { command: "AT+CSQ" });
    const s: Signal = { rssi, ber, dbm: rssiToDbm(rssi) };
    this.lastSignal = s;
    return s;
  }

  /** AT+CEREG? and AT+CREG?: the `<stat>` of each domain and the best of both. */
  async registration(): Promise<Registration> {
    const reg: Registration = { stat: 0, eps: NaN, cs: NaN, act: undefined, tac: undefined, ci: undefined };
    for (const dom of ["CEREG", "CREG"] as const) {
      let r: AtResponse;
      try {
        r = await this.cmd(`AT+${dom}?`, { expect: `+${dom}:` });
      } catch (e) {
        // A module without EPS (or CS) support answers ERROR: the other domain decides.
        if (errorCode(e) === "E_AT_ERROR" || errorCode(e) === "E_CME_ERROR") continue;
        throw e;
      }
      const f = atFields(r.lines[0] ?? "", `+${dom}:`);
      // Read form: <n>,<stat>[,<tac>,<ci>[,<AcT>]].
      const stat = int(f[1]);
      if (dom === "CEREG") reg.eps = stat;
      else reg.cs = stat;
      if (f.length >= 4 && reg.tac === undefined) {
        reg.tac = f[2];
        reg.ci = f[3];
        reg.act = int(f[4]);
        if (Number.isNaN(reg.act)) reg.act = undefined;
      }
    }
    const { eps, cs } = reg;
    if (isRegistered(eps)) reg.stat = eps;
    else if (isRegistered(cs)) reg.stat = cs;
    else if (eps === 3 || cs === 3) reg.stat = 3;
    else if (!Number.isNaN(eps)) reg.stat = eps;
    else if (!Number.isNaN(cs)) reg.stat = cs;
    return reg;
  }

  /**
   * Polls registration (and signal) until home/roaming. E_REG_DENIED at once on stat 3 (barred,
   * arrears); after `timeoutMs` (spec watchdog: 90 s) E_NO_SIGNAL when CSQ stayed 99, else
   * E_REG_TIMEOUT; the evidence has the last stat, CSQ and access technology.
   */
  async waitRegistered(options: { timeoutMs?: number; pollMs?: number } = {}): Promise<Registration> {
    const timeoutMs = options.timeoutMs ?? 90000;
    const pollMs = options.pollMs ?? 2000;
    const t0 = this.time.monotonic();
    let reg: Registration | undefined;
    for (;;) {
      try {
        await this.signal();
        reg = await this.registration();
      } catch (e) {
        if (errorCode(e) !== "E_AT_TIMEOUT" && errorCode(e) !== "E_MODEM_PARSE") throw e;
      }
      const sig = this.lastSignal;
      const evidence = (): ModemEvidence => ({ stat: reg?.stat, eps: reg?.eps, cs: reg?.cs, act: reg?.act, csq: sig?.rssi, ber: sig?.ber, dbm: sig?.dbm, waitedMs: this.time.monotonic() - t0 });
      if (reg && isRegistered(reg.stat)) return reg;
      if (reg && reg.stat === 3) throw new ModemError("E_REG_DENIED", "the network denied registration (stat 3)", evidence());
      if (this.time.monotonic() - t0 >= timeoutMs) {
        if (!sig || sig.rssi === 99) throw new ModemError("E_NO_SIGNAL", `no signal (CSQ 99) for ${timeoutMs} ms`, evidence());
        throw new ModemError("E_REG_TIMEOUT", `not registered within ${timeoutMs} ms (stat ${reg?.stat})`, evidence());
      }
      await this.time.sleep(pollMs);
    }
  }

  /** AT+COPS?: mode, and when registered the operator name in the current format, and AcT. */
  async operator(): Promise<Operator> {
    const r = await this.cmd("AT+COPS?", { expect: "+COPS:" });
    const f = atFields(r.lines[0] ?? "", "+COPS:");
    const format = int(f[1]);
    const act = int(f[3]);
    return { mode: int(f[0]), format: Number.isNaN(format) ? undefined : format, name: f[2], act: Number.isNaN(act) ? undefined : act };
  }

  // ---- PDP context --------------------------------------------------------------------------------

  /** The context's IP address from AT+QIACT?, or undefined when it is not active. */
  async pdpAddress(): Promise<string | undefined> {
    const r = await this.cmd("AT+QIACT?", { expect: "+QIACT:" });
    for (const l of r.lines) {
      const f = atFields(l, "+QIACT:");
      if (int(f[0]) === this.contextId && int(f[1]) === 1) return f[3];
    }
    return undefined;
  }

  /**
   * AT+QICSGP (APN, auth) then AT+QIACT (up to 150 s); returns the IP. E_PDP_FAILED with the CME
   * code / final text and the APN (wrong APN, arrears that still register, network refusal).
   */
  async activatePdp(options: PdpOptions): Promise<string> {
    const ctx = this.contextId;
    const ev: ModemEvidence = { contextId: ctx, apn: options.apn };
    const q = (s: string | undefined) => `"${(s ?? "").replace(/"/g, "")}"`;
    try {
      await this.cmd(`AT+QICSGP=${ctx},${options.type ?? 1},${q(options.apn)},${q(options.user)},${q(options.password)},${options.auth ?? 0}`);
      const ip = await this.pdpAddress();
      if (ip) {
        this.pdpUp = true;
        return ip;
      }
      await this.cmd(`AT+QIACT=${ctx}`, { timeoutMs: options.timeoutMs ?? 150000 });
      const got = await this.pdpAddress();
      if (!got) throw new ModemError("E_PDP_FAILED", "AT+QIACT answered OK but the context has no address", ev);
      this.pdpUp = true;
      return got;
    } catch (e) {
      if (e instanceof ModemError) throw e;
      const code = errorCode(e);
      if (code === "E_AT_ERROR" || code === "E_CME_ERROR") throw new ModemError("E_PDP_FAILED", `PDP activation failed: ${(e as Error).message}`, { ...ev, ...atEvidence(e) });
      if (code === "E_AT_TIMEOUT") throw new ModemError("E_PDP_FAILED", `PDP activation timed out`, { ...ev, ...atEvidence(e), reason: "timeout" });
      throw e;
    }
  }

  /** AT+QIDEACT (40 s); sockets on the context are gone after it. */
  async deactivatePdp(): Promise<void> {
    await this.cmd(`AT+QIDEACT=${this.contextId}`, { timeoutMs: 40000 });
    this.pdpUp = false;
    for (const s of this.sockets) s?.fail("E_SOCKET_CLOSED", "the PDP context was deactivated", "pdpdeact");
  }

  /** start -> SIM -> ICCID -> registration -> operator -> PDP: everything a socket needs. */
  async bringUp(options: BringUpOptions): Promise<NetworkStatus> {
    const model = await this.start({ timeoutMs: options.readyTimeoutMs });
    await this.simReady({ timeoutMs: options.simTimeoutMs });
    const iccid = await this.iccid();
    const registration = await this.waitRegistered({ timeoutMs: options.registrationTimeoutMs });
    const signal = this.lastSignal ?? (await this.signal());
    const operator = await this.operator();
    const ip = await this.activatePdp(options);
    return { model, iccid, signal, registration, operator, ip };
  }

  // ---- sockets ------------------------------------------------------------------------------------

  /** Opens a TCP client socket (AT+QIOPEN ... +QIOPEN: <id>,0), as an async byte stream. */
  async openTcp(host: string, port: number, options: { timeoutMs?: number } = {}): Promise<TcpSocket> {
    let id = -1;
    for (let i = 0; i < SOCKETS; i++)
      if (!this.sockets[i]) {
        id = i;
        break;
      }
    if (id < 0) throw new ModemError("E_SOCKET_BUSY", "all 12 connect IDs are in use", { host, port });
    const s = new TcpSocket(this, id, this.rxLimit);
    this.sockets[id] = s;
    try {
      await s.open(host, port, options.timeoutMs ?? 150000);
    } catch (e) {
      this.release(s);
      throw e;
    }
    return s;
  }

  /** @internal a socket gave its connect ID back. */
  release(s: TcpSocket): void {
    if (this.sockets[s.id] === s) this.sockets[s.id] = undefined;
  }

  /** @internal whether `s` still holds its connect ID. */
  owns(s: TcpSocket): boolean {
    return this.sockets[s.id] === s;
  }

  private onReset(line: string): void {
    this.resets++;
    this.pdpUp = false;
    for (const s of this.sockets) s?.fail("E_MODEM_RESET", `the module restarted (${line})`, "reset");
    this.emit({ kind: "reset", line });
  }

  private onQiurc(line: string): void {
    const f = atFields(line, "+QIURC:");
    const kind = f[0];
    const id = int(f[1]);
    if (kind === "recv") this.sockets[id]?.onRecv();
    else if (kind === "closed") {
      this.sockets[id]?.onPeerClosed();
      this.emit({ kind: "socket-closed", socket: id });
    } else if (kind === "pdpdeact") {
      this.pdpUp = false;
      for (const s of this.sockets) s?.fail("E_SOCKET_CLOSED", "the network dropped the PDP context", "pdpdeact");
      this.emit({ kind: "pdp-lost", contextId: id });
    }
  }

  private onQiopen(line: string): void {
    const f = atFields(line, "+QIOPEN:");
    this.sockets[int(f[0])]?.onOpenResult(int(f[1]));
  }

  private onRegUrc(domain: "CREG" | "CEREG", line: string): void {
    const f = atFields(line, `+${domain}:`);
    // URC form: <stat>[,<tac>,<ci>[,<AcT>]] (the read answer, which has <n> first, goes to the command).
    this.emit({ kind: "registration", domain, stat: int(f[0]) });
  }
}

type SocketState = "opening" | "open" | "closing" | "closed";

/**
 * One TCP connection through the module, as an async byte stream: `write` (all or throw), `read`
 * (the next bytes, waiting up to a timeout), `readExactly`, `close` (idempotent). Data the peer sent
 * before it closed is still delivered; then reads fail with E_SOCKET_CLOSED.
 */
export class TcpSocket {
  state: SocketState = "opening";
  private readonly rx = new ByteQueue();
  /** The module may hold unread data (a "recv" URC came and no AT+QIRD has answered 0 since). */
  private moreInModule = false;
  private draining = false;
  private peerClosed = false;
  private failure: Error | undefined;
  private waiter: (() => void) | undefined;
  private openWaiter: ((err: number) => void) | undefined;
  private writeChain: Promise<void> = Promise.resolve();
  /** Bytes sent / received through this socket. */
  sent = 0;
  received = 0;

  constructor(
    private readonly modem: QuectelModem,
    readonly id: number,
    private readonly rxLimit: number,
  ) {}

  /** @internal AT+QIOPEN and its +QIOPEN URC. */
  async open(host: string, port: number, timeoutMs: number): Promise<void> {
    const m = this.modem;
    const ev: ModemEvidence = { socket: this.id, host, port, contextId: m.contextId };
    let err = -1;
    for (let attempt = 0; attempt < 2; attempt++) {
      const result = new Promise<number>((resolve) => (this.openWaiter = resolve));
      try {
        await m.at.command(`AT+QIOPEN=${m.contextId},${this.id},"TCP","${host}",${port},0,0`, { timeoutMs: 5000 });
      } catch (e) {
        this.openWaiter = undefined;
        const code = errorCode(e);
        if (code === "E_CME_ERROR" && (e as AtError).cme === 563 && attempt === 0) {
          // The ID is still claimed by an earlier socket: close it and try once more.
          await m.at.command(`AT+QICLOSE=${this.id}`, { timeoutMs: 10000 }).catch(() => undefined);
          continue;
        }
        if (code === "E_AT_ERROR" || code === "E_CME_ERROR")
          throw new ModemError("E_SOCKET_CONNECT", `AT+QIOPEN refused: ${(e as Error).message}`, { ...ev, ...atEvidence(e), socketError: (e as AtError).cme });
        throw e;
      }
      err = await this.waitOpen(result, timeoutMs);
      if (err === 563 && attempt === 0) {
        await m.at.command(`AT+QICLOSE=${this.id}`, { timeoutMs: 10000 }).catch(() => undefined);
        continue;
      }
      break;
    }
    if (this.failure) throw this.failure;
    if (err === 0) {
      this.state = "open";
      return;
    }
    // A failed open can leave the ID claimed (563 later): close it before giving it back.
    this.state = "closed";
    await m.at.command(`AT+QICLOSE=${this.id}`, { timeoutMs: 10000 }).catch(() => undefined);
    if (err === -1) throw new ModemError("E_SOCKET_CONNECT", `no +QIOPEN within ${timeoutMs} ms`, { ...ev, reason: "timeout", waitedMs: timeoutMs });
    throw new ModemError("E_SOCKET_CONNECT", `connect failed (+QIOPEN: ${this.id},${err})`, { ...ev, socketError: err });
  }

  private waitOpen(result: Promise<number>, timeoutMs: number): Promise<number> {
    return new Promise<number>((resolve) => {
      const timers = this.modem.time.timers;
      const t = timers.set(() => {
        this.openWaiter = undefined;
        resolve(-1);
      }, timeoutMs);
      void result.then((err) => {
        timers.clear(t);
        resolve(err);
      });
    });
  }

  /** @internal +QIOPEN: <id>,<err>. */
  onOpenResult(err: number): void {
    const w = this.openWaiter;
    this.openWaiter = undefined;
    w?.(err);
  }

  /** @internal +QIURC: "recv",<id>. */
  onRecv(): void {
    this.moreInModule = true;
    void this.drain();
  }

  /** @internal +QIURC: "closed",<id>: read what is left, then report the end. */
  onPeerClosed(): void {
    this.peerClosed = true;
    if (this.state === "open") this.state = "closing";
    this.moreInModule = true;
    void this.drain();
  }

  /** @internal the socket is gone (module reset, PDP lost, closed locally). */
  fail(code: string, message: string, reason: string): void {
    if (!this.failure) this.failure = new ModemError(code, message, { socket: this.id, reason });
    this.moreInModule = false;
    const ow = this.openWaiter;
    this.openWaiter = undefined;
    ow?.(-2);
    if (this.state !== "closed") this.state = "closed";
    // After a reset the module has no sockets; otherwise the ID stays claimed until close() sends
    // AT+QICLOSE (a socket the peer or the network closed stays "closing" in the module until then).
    if (code === "E_MODEM_RESET") this.modem.release(this);
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** Reads the module's buffer with AT+QIRD until it is empty or RX_LIMIT bytes wait here. */
  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    const at = this.modem.at;
    try {
      while (this.moreInModule && !this.failure && this.rx.length < this.rxLimit) {
        let r: AtResponse;
        try {
          r = await at.command(`AT+QIRD=${this.id},${READ_MAX}`, { expect: "+QIRD:", dataLength: qirdLength, timeoutMs: 5000 });
        } catch (e) {
          const code = errorCode(e);
          if (code === "E_AT_ERROR" || code === "E_CME_ERROR") {
            this.fail("E_SOCKET_CLOSED", "the module no longer has this socket", "gone");
            return;
          }
          // A timeout (noise) or reset: a later read retries, a reset failed the socket already.
          return;
        }
        const n = qirdLength(r.lines[0] ?? "");
        if (n < 0 || (n > 0 && (!r.data || r.data.length !== n))) {
          // The answer was garbled: the data it carried is lost, so the stream is broken.
          this.fail("E_SOCKET_READ", `AT+QIRD answer does not parse (${r.lines[0] ?? "no line"})`, "garbled");
          return;
        }
        if (n === 0) {
          this.moreInModule = false;
          break;
        }
        this.rx.push(r.data!);
        this.received += n;
        this.wake();
      }
    } finally {
      this.draining = false;
      this.wake();
    }
  }

  /** Bytes received and not yet read. */
  get available(): number {
    return this.rx.length;
  }

  /**
   * The next received bytes (at most `max`), waiting up to `timeoutMs`: E_SOCKET_TIMEOUT when none
   * come, E_SOCKET_CLOSED after the peer closed and everything was read, the socket's failure
   * (E_MODEM_RESET, E_SOCKET_CLOSED pdpdeact ...) otherwise.
   */
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
        if (this.moreInModule && !this.draining) void this.drain();
        else if (this.peerClosed && !this.moreInModule && !this.draining)
          throw new ModemError("E_SOCKET_CLOSED", "the peer closed the connection", { socket: this.id, reason: "peer" });
        else if (this.state === "closed") throw new ModemError("E_SOCKET_CLOSED", "the socket is closed", { socket: this.id, reason: "local" });
        if (timedOut) throw new ModemError("E_SOCKET_TIMEOUT", `no data within ${timeoutMs} ms`, { socket: this.id, waitedMs: timeoutMs });
        await new Promise<void>((resolve) => (this.waiter = resolve));
      }
    } finally {
      timers.clear(t);
    }
  }

  /** Exactly `n` bytes (a length-prefixed message), within `timeoutMs` overall. */
  readExactly(n: number, timeoutMs: number): Promise<Uint8Array> {
    return readExactly((t, max) => this.read(t, max), () => this.modem.time.monotonic(), n, timeoutMs, (fill) =>
      new ModemError("E_SOCKET_TIMEOUT", `${fill} of ${n} bytes within ${timeoutMs} ms`, { socket: this.id, waitedMs: timeoutMs }));
  }

  private take(max: number): Uint8Array {
    const out = this.rx.take(max);
    // Back-pressure released: fetch what the module kept meanwhile.
    if (this.moreInModule && !this.draining && this.rx.length < this.rxLimit) void this.drain();
    return out;
  }

  /**
   * Sends all of `data` (AT+QISEND in <= 1460-byte pieces; SEND FAIL = the module's buffer is full:
   * retried with back-off, then E_SOCKET_SEND). ERROR = no connection: E_SOCKET_CLOSED.
   */
  write(data: Uint8Array, options: { timeoutMs?: number } = {}): Promise<void> {
    const run = this.writeChain.then(() => this.writeNow(data, options.timeoutMs ?? 10000));
    this.writeChain = run.catch(() => undefined);
    return run;
  }

  private async writeNow(data: Uint8Array, timeoutMs: number): Promise<void> {
    const at = this.modem.at;
    for (let off = 0; off < data.length; ) {
      if (this.failure) throw this.failure;
      if (this.state !== "open") throw new ModemError("E_SOCKET_CLOSED", "write on a socket that is not open", { socket: this.id, reason: this.peerClosed ? "peer" : "local" });
      const n = Math.min(SEND_MAX, data.length - off);
      const piece = data.subarray(off, off + n);
      for (let attempt = 1; ; attempt++) {
        try {
          await at.command(`AT+QISEND=${this.id},${n}`, { data: piece, finals: { "SEND OK": "", "SEND FAIL": "E_SEND_FAIL" }, timeoutMs });
          break;
        } catch (e) {
          // The socket died meanwhile (a reset while this piece waited in the queue): that is the cause.
          if (this.failure) throw this.failure;
          const code = errorCode(e);
          if (code === "E_SEND_FAIL" && attempt < 5) {
            await this.modem.time.sleep(200 * attempt);
            continue;
          }
          if (code === "E_SEND_FAIL") throw new ModemError("E_SOCKET_SEND", "the module's send buffer stays full (SEND FAIL)", { socket: this.id, ...atEvidence(e) });
          if (code === "E_AT_ERROR" || code === "E_CME_ERROR") {
            this.fail("E_SOCKET_CLOSED", "the module has no connection for this socket", this.peerClosed ? "peer" : "gone");
            throw new ModemError("E_SOCKET_CLOSED", `send refused: ${(e as Error).message}`, { socket: this.id, ...atEvidence(e), reason: this.peerClosed ? "peer" : "gone" });
          }
          throw e;
        }
      }
      off += n;
      this.sent += n;
    }
  }

  private closing: Promise<void> | undefined;

  /** AT+QICLOSE (10 s) and gives the connect ID back; idempotent. After a module reset there is nothing to close. */
  close(): Promise<void> {
    if (!this.closing) this.closing = this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    if (!this.modem.owns(this)) {
      this.state = "closed";
      return;
    }
    this.fail("E_SOCKET_CLOSED", "the socket was closed", "local");
    try {
      await this.modem.at.command(`AT+QICLOSE=${this.id}`, { timeoutMs: 10000 });
    } catch (e) {
      if (errorCode(e) !== "E_MODEM_RESET") throw e;
    } finally {
      this.modem.release(this);
    }
  }
}

/** `+QIRD: <n>` -> n; the query form `+QIRD: <total>,<read>,<unread>` and garbage -> -1. */
/**
 * The block length of a `+QIRD: <n>` answer, or -1 when the line is not one. A garbled length above what was asked
 * (AT+QIRD=<id>,READ_MAX) is -1 too: the line scanner would otherwise allocate and wait for that many bytes.
 */
export function qirdLength(line: string): number {
  if (!line.startsWith("+QIRD:")) return -1;
  const f = atFields(line, "+QIRD:");
  const n = f.length === 1 ? int(f[0]) : -1;
  return n >= 0 && n <= READ_MAX ? n : -1;
}
