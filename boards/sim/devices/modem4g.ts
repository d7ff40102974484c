/**
 * A virtual Quectel EC200U 4G module on the simulator's modem port (spec/devices.md §1).
 *
 * It answers the AT set the driver uses the way the module does: echo on until ATE0 (every byte of a
 * command line is echoed), `<CR><LF>text<CR><LF>` framing, V.250 input (bytes before `AT` ignored,
 * nothing answered before `RDY`), OK / ERROR / `+CME ERROR: n` (AT+CMEE), RDY after power-on and
 * after each reset. Its state is scriptable: the SIM slot (a plain SIM or, later, an eUICC: see
 * modem/uicc.ts), signal (CSQ), registration delay and outcome (home, roaming, denied = arrears),
 * PDP activation failure, and TCP client sockets that really connect with node:net (routes map the
 * addresses the firmware dials to 127.0.0.1 peers). Received data is offered in buffer access mode
 * (`+QIURC: "recv",<id>` then AT+QIRD) or direct push mode (QIOPEN access mode 1).
 *
 * Time: the module's delays (boot, SIM init, registration, AT+QIACT) run on the engine's clock
 * through DeviceHost timers, so in virtual time they cost nothing. Its output and real socket I/O
 * hold virtual time still until they have reached the firmware (DeviceHost.hold), and after each send
 * it holds for up to `peerGraceMs` of real time so a 127.0.0.1 peer's reply arrives before time jumps.
 *
 * Fault injection: `noise` (garbage bytes between frames or anywhere, random splits), `resetWhen`
 * (restart at a chosen command or in the middle of a QISEND's data), `reset()`, `sendFail`,
 * `dropPdp()`, and plain state changes (rssi, sim) at any time.
 */
import { connect, isIPv4, type Socket } from "node:net";
import { VirtualClock } from "../clock.ts";
import { cappedHold, type DeviceHost, type SerialDevice } from "../engine-host.ts";
import { seededRandom, shape, type NoiseOptions } from "./modem/noise.ts";
import { CmeError, PlainSim, chinaMobileProfile, type Uicc } from "./modem/uicc.ts";

export { CmeError, PlainSim, NO_SIM, chinaMobileProfile, type SimProfile, type Uicc } from "./modem/uicc.ts";
export type { NoiseOptions } from "./modem/noise.ts";

export interface Modem4GOptions {
  /** The SIM slot (default: a ready China Mobile SIM). */
  sim?: Uicc;
  /** AT+CSQ rssi: 0..31, 99 = no signal (default 24, -65 dBm). */
  rssi?: number;
  ber?: number;
  /** Power-on / reset to RDY (default 3000 ms; a real EC200U takes about 12 s). */
  bootMs?: number;
  /** After RDY the SIM answers +CME ERROR: 14 (busy) this long (default 500 ms). */
  simInitMs?: number;
  /** From SIM ready to registered (default 2000 ms); stat 2 (searching) meanwhile. */
  registrationMs?: number;
  /** AT+QIACT takes this long (default 300 ms). */
  pdpActivateMs?: number;
  /** Forces AT+QIACT to fail: a +CME ERROR number, or "error" for plain ERROR. */
  pdpFailure?: number | "error";
  /** "host:port" the firmware dials -> the 127.0.0.1 port (or host and port) it really reaches. */
  routes?: Record<string, number | { host: string; port: number }>;
  /** Seed of the noise generator (and of the addresses handed out). */
  seed?: number;
  noise?: NoiseOptions;
  /** Real milliseconds virtual time waits for a peer's reply after a send (default 200). */
  peerGraceMs?: number;
  /** The module powers on when the port is first attached (default true). */
  powerOnAtAttach?: boolean;
  model?: string;
  revision?: string;
  imei?: string;
}

/** What the module is doing, for `resetWhen` triggers. */
export type ModemActivity =
  | { kind: "command"; line: string }
  | { kind: "data"; socket: number; received: number; length: number };

/** A command handler added by an extension (eSIM, vendor commands): return false to pass. */
export type CommandHandler = (req: AtRequest, out: ModemOutput) => boolean;

export interface AtRequest {
  /** The whole line from AT on. */
  line: string;
  /** Upper-case name: "+CPIN", "+QIOPEN", "E0", "I" ... */
  name: string;
  kind: "exec" | "read" | "test" | "set";
  /** Set arguments, quotes removed. */
  args: string[];
}

export interface ModemOutput {
  /** One framed response line (`<CR><LF>text<CR><LF>`). */
  line(text: string): void;
  ok(): void;
  error(): void;
  /** `+CME ERROR: n` (or ERROR / text, per AT+CMEE). */
  cme(n: number): void;
  /** Raw bytes (no framing). */
  raw(bytes: Uint8Array | string): void;
}

interface SimSocket {
  id: number;
  ctx: number;
  mode: 0 | 1;
  net: Socket;
  state: "connecting" | "connected" | "closing";
  rx: Buffer[];
  rxLen: number;
  /** The next received data raises `+QIURC: "recv"` (buffer mode). */
  urcArmed: boolean;
  sentTotal: number;
  readTotal: number;
  recvTotal: number;
  replyHold: (() => void) | undefined;
}

const CME_TEXT: Record<number, string> = {
  3: "operation not allowed",
  4: "operation not supported",
  10: "SIM not inserted",
  11: "SIM PIN required",
  12: "SIM PUK required",
  13: "SIM failure",
  14: "SIM busy",
  16: "incorrect password",
};

const enc = (s: string) => Buffer.from(s, "latin1");

/** A DeviceHost on real time, for using the module outside an engine (Node unit tests). */
export function realTimeHost(): DeviceHost & { dispose(): void } {
  const clock = new VirtualClock("real", Date.now());
  clock.boot();
  const pending = new Set<NodeJS.Timeout>();
  return {
    clock,
    setTimer(fn, ms) {
      const t = setTimeout(() => {
        pending.delete(t);
        fn();
      }, ms);
      pending.add(t);
      return () => {
        clearTimeout(t);
        pending.delete(t);
      };
    },
    hold: () => () => undefined,
    dispose() {
      for (const t of pending) clearTimeout(t);
      pending.clear();
    },
  };
}

export class Modem4G implements SerialDevice {
  sim: Uicc;
  rssi: number;
  ber: number;
  noise: NoiseOptions | undefined;
  pdpFailure: number | "error" | undefined;
  /** The next N QISEND answer SEND FAIL (the module's send buffer is full). */
  sendFail = 0;
  /** One-shot: reset when it returns true. */
  resetWhen: ((a: ModemActivity) => boolean) | undefined;
  readonly routes: Record<string, number | { host: string; port: number }>;
  readonly options: Required<Pick<Modem4GOptions, "bootMs" | "simInitMs" | "registrationMs" | "pdpActivateMs" | "peerGraceMs">>;

  /** Observations for tests. */
  readonly stats = { commands: 0, resets: 0, boots: 0, bytesToPeers: 0, bytesFromPeers: 0, socketsOpened: 0, garbageFrames: 0 };
  /** The last command lines received (at most 200). */
  readonly history: string[] = [];

  private toFirmware: ((bytes: Uint8Array) => void) | undefined;
  private host: DeviceHost | undefined;
  private power: "off" | "booting" | "on" = "off";
  private epoch = 0;
  private rnd: () => number;
  private extensions: CommandHandler[] = [];

  // Module state (reset by a restart).
  private echo = true;
  private cmee = 1;
  private cfun = 1;
  private cregN = 0;
  private ceregN = 0;
  private copsFormat = 0;
  private rdyAt = 0;
  private simUsableAt = 0;
  private lastRegStat = -1;
  private readonly contexts = new Map<number, { apn: string; user: string; password: string; auth: number; active: boolean; ip: string }>();
  private readonly sockets = new Map<number, SimSocket>();
  private lineBuf = "";
  private dataMode: { id: number; length: number; chunks: Buffer[]; received: number } | undefined;

  // Output.
  private outFrames: Uint8Array[] = [];
  private pieces: Uint8Array[] = [];
  private pumping = false;
  private outHold: (() => void) | undefined;

  // Engine-time tasks, kept across detach/attach (the module runs on while the terminal reboots).
  private tasks: Array<{ due: number; fn: () => void; epoch: number; cancel?: () => void }> = [];

  constructor(options: Modem4GOptions = {}) {
    this.sim = options.sim ?? new PlainSim(chinaMobileProfile());
    this.rssi = options.rssi ?? 24;
    this.ber = options.ber ?? 99;
    this.noise = options.noise;
    this.pdpFailure = options.pdpFailure;
    this.routes = { ...(options.routes ?? {}) };
    this.rnd = seededRandom(options.seed ?? 1);
    this.options = {
      bootMs: options.bootMs ?? 3000,
      simInitMs: options.simInitMs ?? 500,
      registrationMs: options.registrationMs ?? 2000,
      pdpActivateMs: options.pdpActivateMs ?? 300,
      peerGraceMs: options.peerGraceMs ?? 200,
    };
    this.powerOnAtAttach = options.powerOnAtAttach ?? true;
    this.model = options.model ?? "EC200U";
    this.revision = options.revision ?? "EC200UCNAAR03A03M08";
    this.imei = options.imei ?? "861234050123456";
  }
  private readonly powerOnAtAttach: boolean;
  readonly model: string;
  readonly revision: string;
  readonly imei: string;

  /** Re-seeds the noise generator (a test round replays from its seed). */
  reseed(seed: number): void {
    this.rnd = seededRandom(seed);
  }

  /** Adds command handlers (eSIM, vendor commands), tried before the built-in set. */
  extend(handler: CommandHandler): void {
    this.extensions.push(handler);
  }

  // ---- SerialDevice --------------------------------------------------------------------------------

  attach(toFirmware: (bytes: Uint8Array) => void, host?: DeviceHost): void {
    this.toFirmware = toFirmware;
    this.host = host;
    for (const t of this.tasks) this.arm(t);
    if (this.power === "off" && this.powerOnAtAttach) this.powerOn();
  }

  detach(): void {
    this.toFirmware = undefined;
    for (const t of this.tasks) {
      t.cancel?.();
      t.cancel = undefined;
    }
    this.outFrames = [];
    this.pieces = [];
    this.outHold?.();
    this.outHold = undefined;
    this.host = undefined;
  }

  receive(bytes: Uint8Array): void {
    if (this.power !== "on") return; // before RDY (and when off) the UART takes nothing
    let echoFrom = -1;
    const flushEcho = (to: number) => {
      if (echoFrom >= 0 && this.echo && to > echoFrom) this.raw(bytes.subarray(echoFrom, to));
      echoFrom = -1;
    };
    for (let i = 0; i < bytes.length; i++) {
      const dm = this.dataMode;
      if (dm) {
        flushEcho(i);
        // Exactly <length> bytes belong to the send; a reset trigger looks at them one by one.
        const n = this.resetWhen ? 1 : Math.min(dm.length - dm.received, bytes.length - i);
        dm.chunks.push(Buffer.from(bytes.subarray(i, i + n)));
        dm.received += n;
        i += n - 1;
        if (this.trigger({ kind: "data", socket: dm.id, received: dm.received, length: dm.length })) return;
        if (dm.received === dm.length) this.endSend(dm);
        continue;
      }
      if (echoFrom < 0) echoFrom = i;
      const b = bytes[i]!;
      if (b === 0x0d) {
        flushEcho(i + 1);
        const line = this.lineBuf;
        this.lineBuf = "";
        const at = line.search(/at/i);
        if (at >= 0) {
          this.command(line.slice(at));
          if (this.power !== "on") return;
        }
      } else if (b === 0x0a) {
        // ignored between command lines
      } else if (b === 0x08) this.lineBuf = this.lineBuf.slice(0, -1);
      else if (this.lineBuf.length < 2048) this.lineBuf += String.fromCharCode(b);
    }
    flushEcho(bytes.length);
  }

  // ---- power and faults ----------------------------------------------------------------------------

  powerOn(): void {
    if (this.power !== "off") return;
    this.boot();
  }

  /** Restarts the module now: sockets and PDP contexts drop, echo comes back on, RDY after bootMs. */
  reset(): void {
    this.stats.resets++;
    this.power = "off";
    this.boot();
  }

  /** The network drops the PDP context: `+QIURC: "pdpdeact",<ctx>`; its sockets are gone. */
  dropPdp(ctx = 1): void {
    const c = this.contexts.get(ctx);
    if (!c?.active) return;
    c.active = false;
    for (const s of [...this.sockets.values()]) if (s.ctx === ctx) this.destroySocket(s);
    this.urc(`+QIURC: "pdpdeact",${ctx}`);
  }

  /** Re-reads the SIM (what AT+CFUN=0 then 1 does): a new profile registers from scratch. */
  refreshSim(): void {
    for (const s of [...this.sockets.values()]) this.destroySocket(s);
    for (const c of this.contexts.values()) c.active = false;
    this.simUsableAt = this.now() + this.options.simInitMs;
    this.after(this.options.simInitMs, () => this.simUrc());
    this.scheduleRegUrc();
  }

  private boot(): void {
    this.epoch++;
    this.stats.boots++;
    for (const s of [...this.sockets.values()]) this.destroySocket(s);
    this.contexts.clear();
    this.dataMode = undefined;
    this.lineBuf = "";
    this.echo = true;
    this.cmee = 1;
    this.cfun = 1;
    this.cregN = 0;
    this.ceregN = 0;
    this.copsFormat = 0;
    this.lastRegStat = -1;
    this.outFrames = [];
    this.pieces = [];
    this.power = "booting";
    this.tasks = this.tasks.filter((t) => {
      if (t.epoch === this.epoch) return true;
      t.cancel?.();
      return false;
    });
    this.after(this.options.bootMs, () => {
      this.power = "on";
      this.rdyAt = this.now();
      this.simUsableAt = this.rdyAt + this.options.simInitMs;
      this.urc("RDY");
      this.after(this.options.simInitMs, () => this.simUrc());
      this.scheduleRegUrc();
    });
  }

  private simUrc(): void {
    if (!this.sim.present || this.cfun !== 1) return;
    this.urc(this.sim.lock === "none" ? "+CPIN: READY" : this.sim.lock === "pin" ? "+CPIN: SIM PIN" : "+CPIN: SIM PUK");
  }

  private trigger(a: ModemActivity): boolean {
    const w = this.resetWhen;
    if (!w || !w(a)) return false;
    this.resetWhen = undefined;
    this.reset();
    return true;
  }

  // ---- time ----------------------------------------------------------------------------------------

  private now(): number {
    return this.host ? this.host.clock.sinceFirstBoot() : 0;
  }

  private after(ms: number, fn: () => void): void {
    const t = { due: this.now() + ms, fn, epoch: this.epoch, cancel: undefined as (() => void) | undefined };
    this.tasks.push(t);
    this.arm(t);
  }

  private arm(t: { due: number; fn: () => void; epoch: number; cancel?: () => void }): void {
    if (!this.host) return;
    t.cancel?.();
    t.cancel = this.host.setTimer(() => {
      t.cancel = undefined;
      this.tasks = this.tasks.filter((x) => x !== t);
      if (t.epoch === this.epoch) t.fn();
    }, Math.max(0, t.due - this.now()));
  }

  private hold(capMs = 2000): () => void {
    return cappedHold(this.host, capMs);
  }

  // ---- output --------------------------------------------------------------------------------------

  private raw(bytes: Uint8Array | string): void {
    if (!this.toFirmware || this.power === "off") return;
    this.outFrames.push(typeof bytes === "string" ? enc(bytes) : Uint8Array.from(bytes));
    if (this.pumping) return;
    this.pumping = true;
    this.outHold = this.hold();
    setImmediate(() => this.pump());
  }

  private pump(): void {
    if (this.outFrames.length) {
      const frames = this.outFrames.splice(0);
      if (this.noise?.garbage) this.stats.garbageFrames += frames.length;
      for (const p of shape(frames, this.noise, this.rnd)) this.pieces.push(p);
    }
    const p = this.pieces.shift();
    if (p && this.toFirmware) this.toFirmware(p);
    if (this.pieces.length || this.outFrames.length) {
      setImmediate(() => this.pump());
      return;
    }
    this.pumping = false;
    const h = this.outHold;
    this.outHold = undefined;
    h?.();
  }

  private frame(text: string): void {
    this.raw(`\r\n${text}\r\n`);
  }

  private urc(text: string): void {
    this.frame(text);
  }

  private readonly out: ModemOutput = {
    line: (t) => this.frame(t),
    ok: () => this.frame("OK"),
    error: () => this.frame("ERROR"),
    cme: (n) => {
      if (this.cmee === 0) this.frame("ERROR");
      else if (this.cmee === 2) this.frame(`+CME ERROR: ${CME_TEXT[n] ?? String(n)}`);
      else this.frame(`+CME ERROR: ${n}`);
    },
    raw: (b) => this.raw(b),
  };

  // ---- network model -------------------------------------------------------------------------------

  private simState(): "absent" | "busy" | "pin" | "puk" | "ready" {
    if (!this.sim.present) return "absent";
    if (this.cfun === 0 || this.now() < this.simUsableAt) return "busy";
    if (this.sim.lock === "pin") return "pin";
    if (this.sim.lock === "puk") return "puk";
    return "ready";
  }

  /** 27.007 <stat>: 0 not searching, 1 home, 2 searching, 3 denied, 5 roaming. */
  regStat(): number {
    if (this.power !== "on" || this.cfun !== 1 || this.simState() !== "ready") return 0;
    const profile = this.sim.activeProfile();
    if (!profile) return 0;
    if (this.rssi === 99) return 2;
    if (this.now() < this.simUsableAt + this.options.registrationMs) return 2;
    if (profile.network === "denied") return 3;
    if (profile.network === "no-service") return 2;
    return profile.roaming ? 5 : 1;
  }

  private scheduleRegUrc(): void {
    this.after(0, () => this.regUrc());
    this.after(this.options.simInitMs + this.options.registrationMs, () => this.regUrc());
  }

  private regUrc(): void {
    const stat = this.regStat();
    if (stat === this.lastRegStat) return;
    this.lastRegStat = stat;
    if (this.cregN > 0) this.urc(`+CREG: ${stat}`);
    if (this.ceregN > 0) this.urc(`+CEREG: ${stat}`);
  }

  private registered(): boolean {
    const s = this.regStat();
    return s === 1 || s === 5;
  }

  // ---- commands ------------------------------------------------------------------------------------

  private command(line: string): void {
    this.stats.commands++;
    this.history.push(line);
    if (this.history.length > 200) this.history.shift();
    if (this.trigger({ kind: "command", line })) return;
    const req = parseRequest(line);
    for (const h of this.extensions) if (h(req, this.out)) return;
    if (!this.builtin(req)) this.out.error();
  }

  private builtin(req: AtRequest): boolean {
    const o = this.out;
    const a = req.args;
    switch (req.name) {
      case "":
      case "Z":
      case "&F":
        o.ok();
        return true;
      case "E0":
      case "E1":
      case "E":
        this.echo = req.name === "E1";
        o.ok();
        return true;
      case "I":
        o.raw(`\r\nQuectel\r\n${this.model}\r\nRevision: ${this.revision}\r\n`);
        o.ok();
        return true;
      case "+GSN":
      case "+CGSN":
        o.line(this.imei);
        o.ok();
        return true;
      case "+GMR":
      case "+CGMR":
        o.line(this.revision);
        o.ok();
        return true;
      case "+CMEE":
        if (req.kind === "read") o.line(`+CMEE: ${this.cmee}`);
        else if (req.kind === "set" && /^[012]$/.test(a[0] ?? "")) this.cmee = Number(a[0]);
        else if (req.kind !== "test") return o.error(), true;
        o.ok();
        return true;
      case "+CFUN":
        return this.cfunCommand(req);
      case "+CPIN":
        return this.cpin(req);
      case "+QCCID":
      case "+CCID":
      case "+CIMI": {
        const st = this.simState();
        if (st === "absent") return o.cme(10), true;
        if (st === "busy") return o.cme(14), true;
        const p = this.sim.activeProfile();
        if (req.name === "+CIMI") {
          if (st !== "ready" || !p) return o.cme(st === "puk" ? 12 : 11), true;
          o.line(p.imsi);
        } else if (!p) return o.cme(13), true;
        else o.line(`${req.name === "+QCCID" ? "+QCCID" : "+CCID"}: ${p.iccid}`);
        o.ok();
        return true;
      }
      case "+CSQ":
        o.line(`+CSQ: ${this.rssi},${this.ber}`);
        o.ok();
        return true;
      case "+CREG":
      case "+CEREG":
        return this.regCommand(req);
      case "+COPS":
        return this.cops(req);
      case "+QICSGP":
        return this.qicsgp(req);
      case "+QIACT":
        return this.qiact(req);
      case "+QIDEACT": {
        const ctx = Number(a[0]);
        const c = this.contexts.get(ctx);
        for (const s of [...this.sockets.values()]) if (s.ctx === ctx) this.destroySocket(s);
        if (c) c.active = false;
        o.ok();
        return true;
      }
      case "+QIOPEN":
        return this.qiopen(req);
      case "+QISEND":
        return this.qisend(req);
      case "+QIRD":
        return this.qird(req);
      case "+QICLOSE": {
        const s = this.sockets.get(Number(a[0]));
        if (s) this.destroySocket(s);
        o.ok();
        return true;
      }
      case "+QPOWD":
        o.ok();
        this.urc("POWERED DOWN");
        this.epoch++;
        for (const s of [...this.sockets.values()]) this.destroySocket(s);
        // The last frames go out, then the module is off.
        setImmediate(() => (this.power = "off"));
        this.power = "booting";
        return true;
      case "+CCHO":
      case "+CGLA":
      case "+CCHC":
        return this.logicalChannel(req);
    }
    return false;
  }

  private cfunCommand(req: AtRequest): boolean {
    const o = this.out;
    if (req.kind === "read") {
      o.line(`+CFUN: ${this.cfun}`);
      o.ok();
      return true;
    }
    if (req.kind === "test") {
      o.line("+CFUN: (0,1,4),(0,1)");
      o.ok();
      return true;
    }
    const fun = Number(req.args[0]);
    if (req.kind !== "set" || ![0, 1, 4].includes(fun)) return o.error(), true;
    if (fun === 1 && req.args[1] === "1") {
      o.ok();
      this.after(0, () => this.reset());
      return true;
    }
    const was = this.cfun;
    this.cfun = fun;
    if (fun !== 1) {
      for (const s of [...this.sockets.values()]) this.destroySocket(s);
      for (const c of this.contexts.values()) c.active = false;
    } else if (was !== 1) this.refreshSim();
    o.ok();
    return true;
  }

  private cpin(req: AtRequest): boolean {
    const o = this.out;
    const st = this.simState();
    if (req.kind === "test") return o.ok(), true;
    if (st === "absent") return o.cme(10), true;
    if (st === "busy") return o.cme(14), true;
    if (req.kind === "read") {
      o.line(`+CPIN: ${st === "ready" ? "READY" : st === "pin" ? "SIM PIN" : "SIM PUK"}`);
      o.ok();
      return true;
    }
    if (req.kind !== "set") return o.error(), true;
    if (st !== "pin" || !this.sim.verifyPin) return o.cme(3), true;
    if (!this.sim.verifyPin(a0(req))) return o.cme(16), true;
    this.simUsableAt = this.now();
    o.ok();
    this.urc("+CPIN: READY");
    this.scheduleRegUrc();
    return true;
  }

  private regCommand(req: AtRequest): boolean {
    const o = this.out;
    const cereg = req.name === "+CEREG";
    if (req.kind === "set") {
      const n = Number(req.args[0]);
      if (!(n >= 0 && n <= 3)) return o.error(), true;
      if (cereg) this.ceregN = n;
      else this.cregN = n;
      o.ok();
      return true;
    }
    if (req.kind === "test") {
      o.line(`${req.name}: (0-3)`);
      o.ok();
      return true;
    }
    const n = cereg ? this.ceregN : this.cregN;
    const stat = this.regStat();
    const loc = n >= 2 && (stat === 1 || stat === 5) ? `,"1A2B","0C3D4E5",7` : "";
    o.line(`${req.name}: ${n},${stat}${loc}`);
    o.ok();
    return true;
  }

  private cops(req: AtRequest): boolean {
    const o = this.out;
    if (req.kind === "set") {
      const mode = Number(req.args[0]);
      if (mode === 3 && /^[012]$/.test(req.args[1] ?? "")) this.copsFormat = Number(req.args[1]);
      else if (mode !== 0) return o.cme(3), true;
      o.ok();
      return true;
    }
    if (req.kind === "test") {
      o.line(`+COPS: (2,"CHINA MOBILE","CMCC","46000",7),,(0-4),(0-2)`);
      o.ok();
      return true;
    }
    const p = this.sim.activeProfile();
    if (this.registered() && p) {
      const name = this.copsFormat === 0 ? p.operator.long : this.copsFormat === 1 ? p.operator.short : p.operator.numeric;
      o.line(`+COPS: 0,${this.copsFormat},"${name}",7`);
    } else o.line("+COPS: 0");
    o.ok();
    return true;
  }

  private qicsgp(req: AtRequest): boolean {
    const o = this.out;
    const a = req.args;
    const ctx = Number(a[0]);
    if (!(ctx >= 1 && ctx <= 7)) return o.error(), true;
    if (a.length === 1) {
      const c = this.contexts.get(ctx);
      o.line(`+QICSGP: 1,"${c?.apn ?? ""}","${c?.user ?? ""}","${c?.password ?? ""}",${c?.auth ?? 0}`);
      o.ok();
      return true;
    }
    const prev = this.contexts.get(ctx);
    this.contexts.set(ctx, { apn: a[2] ?? "", user: a[3] ?? "", password: a[4] ?? "", auth: Number(a[5] ?? 0), active: prev?.active ?? false, ip: prev?.ip ?? "" });
    o.ok();
    return true;
  }

  private qiact(req: AtRequest): boolean {
    const o = this.out;
    if (req.kind === "read") {
      for (const [id, c] of this.contexts) if (c.active) o.line(`+QIACT: ${id},1,1,"${c.ip}"`);
      o.ok();
      return true;
    }
    const ctx = Number(req.args[0]);
    if (req.kind !== "set" || !(ctx >= 1 && ctx <= 7)) return o.error(), true;
    let c = this.contexts.get(ctx);
    if (!c) {
      c = { apn: "", user: "", password: "", auth: 0, active: false, ip: "" };
      this.contexts.set(ctx, c);
    }
    const ctxRef = c;
    this.after(this.options.pdpActivateMs, () => {
      const p = this.sim.activeProfile();
      const refused = this.pdpFailure !== undefined || p?.network === "pdp-reject" || (p?.apns !== undefined && !p.apns.includes(ctxRef.apn));
      if (!this.registered() || refused) {
        if (typeof this.pdpFailure === "number") o.cme(this.pdpFailure);
        else o.error();
        return;
      }
      if (!ctxRef.active) {
        ctxRef.active = true;
        ctxRef.ip = `10.${1 + Math.floor(this.rnd() * 250)}.${Math.floor(this.rnd() * 250)}.${2 + Math.floor(this.rnd() * 250)}`;
      }
      o.ok();
    });
    return true;
  }

  private qiopen(req: AtRequest): boolean {
    const o = this.out;
    const a = req.args;
    const ctx = Number(a[0]);
    const id = Number(a[1]);
    const type = a[2];
    const host = a[3] ?? "";
    const port = Number(a[4]);
    const mode = Number(a[6] ?? 0);
    if (req.kind !== "set" || !(id >= 0 && id <= 11) || !(port > 0 && port < 65536) || !(ctx >= 1 && ctx <= 7)) return o.cme(552), true;
    if (type !== "TCP" || (mode !== 0 && mode !== 1)) return o.cme(555), true;
    if (this.sockets.has(id)) return o.cme(563), true;
    o.ok();
    if (!this.contexts.get(ctx)?.active) {
      this.urc(`+QIOPEN: ${id},561`);
      return true;
    }
    const route = this.routes[`${host}:${port}`];
    const target = typeof route === "number" ? { host: "127.0.0.1", port: route } : route ?? (isIPv4(host) ? { host, port } : undefined);
    if (!target) {
      this.urc(`+QIOPEN: ${id},565`);
      return true;
    }
    const release = this.hold();
    const net = connect({ host: target.host, port: target.port });
    net.setNoDelay(true);
    const s: SimSocket = { id, ctx, mode: mode as 0 | 1, net, state: "connecting", rx: [], rxLen: 0, urcArmed: true, sentTotal: 0, readTotal: 0, recvTotal: 0, replyHold: undefined };
    this.sockets.set(id, s);
    const epoch = this.epoch;
    const live = () => this.sockets.get(id) === s && this.epoch === epoch;
    net.once("connect", () => {
      release();
      if (!live()) return;
      s.state = "connected";
      this.stats.socketsOpened++;
      this.urc(`+QIOPEN: ${id},0`);
    });
    net.on("data", (d: Buffer) => {
      if (!live()) return;
      this.stats.bytesFromPeers += d.length;
      s.recvTotal += d.length;
      if (s.mode === 1) {
        for (let off = 0; off < d.length; off += 1500) {
          const part = d.subarray(off, Math.min(d.length, off + 1500));
          this.raw(Buffer.concat([enc(`\r\n+QIURC: "recv",${id},${part.length}\r\n`), part, enc("\r\n")]));
        }
      } else {
        s.rx.push(d);
        s.rxLen += d.length;
        if (s.urcArmed) {
          s.urcArmed = false;
          this.urc(`+QIURC: "recv",${id}`);
        }
      }
      s.replyHold?.();
      s.replyHold = undefined;
    });
    net.on("error", () => {
      /* reported through close */
    });
    net.once("close", () => {
      release();
      s.replyHold?.();
      s.replyHold = undefined;
      if (!live()) return;
      if (s.state === "connecting") {
        this.sockets.delete(id);
        this.urc(`+QIOPEN: ${id},566`);
        return;
      }
      if (s.state === "connected") {
        s.state = "closing";
        this.urc(`+QIURC: "closed",${id}`);
      }
    });
    return true;
  }

  private qisend(req: AtRequest): boolean {
    const o = this.out;
    const id = Number(req.args[0]);
    const s = this.sockets.get(id);
    if (req.kind !== "set" || req.args.length < 2) return o.error(), true; // only the fixed-length form
    const len = Number(req.args[1]);
    if (!s || s.state !== "connected" || !(len >= 0 && len <= 1460)) return o.error(), true;
    if (len === 0) {
      o.line(`+QISEND: ${s.sentTotal},${s.sentTotal},0`);
      o.ok();
      return true;
    }
    this.dataMode = { id, length: len, chunks: [], received: 0 };
    o.raw("\r\n> ");
    return true;
  }

  private endSend(dm: { id: number; length: number; chunks: Buffer[] }): void {
    this.dataMode = undefined;
    const s = this.sockets.get(dm.id);
    if (!s || s.state !== "connected") {
      this.out.line("SEND FAIL");
      return;
    }
    if (this.sendFail > 0) {
      this.sendFail--;
      this.out.line("SEND FAIL");
      return;
    }
    const data = Buffer.concat(dm.chunks);
    const release = this.hold();
    const epoch = this.epoch;
    s.net.write(data, (err) => {
      release();
      if (this.epoch !== epoch) return;
      if (err) {
        this.out.line("SEND FAIL");
        return;
      }
      s.sentTotal += data.length;
      this.stats.bytesToPeers += data.length;
      this.out.line("SEND OK");
      // Give a 127.0.0.1 peer time to answer before virtual time may jump.
      s.replyHold?.();
      s.replyHold = this.hold(this.options.peerGraceMs);
    });
  }

  private qird(req: AtRequest): boolean {
    const o = this.out;
    const s = this.sockets.get(Number(req.args[0]));
    if (req.kind !== "set" || !s || s.mode !== 0) return o.error(), true;
    const want = req.args.length > 1 ? Number(req.args[1]) : 1500;
    if (want === 0) {
      o.line(`+QIRD: ${s.recvTotal},${s.readTotal},${s.rxLen}`);
      o.ok();
      return true;
    }
    const n = Math.min(want, s.rxLen, 1500);
    if (n === 0) {
      s.urcArmed = true;
      o.raw("\r\n+QIRD: 0\r\n\r\nOK\r\n");
      return true;
    }
    const all = Buffer.concat(s.rx);
    const data = all.subarray(0, n);
    s.rx = n < all.length ? [all.subarray(n)] : [];
    s.rxLen -= n;
    s.readTotal += n;
    o.raw(Buffer.concat([enc(`\r\n+QIRD: ${n}\r\n`), data, enc("\r\n\r\nOK\r\n")]));
    return true;
  }

  private logicalChannel(req: AtRequest): boolean {
    const o = this.out;
    const u = this.sim;
    if (req.kind !== "set") return o.error(), true;
    if (this.simState() === "absent") return o.cme(10), true;
    try {
      if (req.name === "+CCHO") {
        if (!u.openChannel) return o.cme(4), true;
        const sid = u.openChannel(fromHex(a0(req)));
        o.line(`+CCHO: ${sid}`);
      } else if (req.name === "+CGLA") {
        if (!u.transmit) return o.cme(4), true;
        const hex = req.args[2] ?? "";
        if (Number(req.args[1]) !== hex.length || hex.length % 2) return o.cme(3), true; // <length> counts hex characters
        const r = Buffer.from(u.transmit(Number(req.args[0]), fromHex(hex))).toString("hex").toUpperCase();
        o.line(`+CGLA: ${r.length},"${r}"`);
      } else {
        if (!u.closeChannel) return o.cme(4), true;
        u.closeChannel(Number(req.args[0]));
      }
    } catch (e) {
      o.cme(e instanceof CmeError ? e.cme : 13);
      return true;
    }
    o.ok();
    return true;
  }

  private destroySocket(s: SimSocket): void {
    this.sockets.delete(s.id);
    s.replyHold?.();
    s.replyHold = undefined;
    s.net.destroy();
  }

  /** Open sockets (for tests). */
  get openSockets(): number {
    return this.sockets.size;
  }
}

function a0(req: AtRequest): string {
  return req.args[0] ?? "";
}

function fromHex(h: string): Uint8Array {
  return Uint8Array.from(Buffer.from(/^[0-9a-fA-F]*$/.test(h) && h.length % 2 === 0 ? h : "", "hex"));
}

/** "AT+QIOPEN=1,0,\"TCP\",..." -> name/kind/args. */
export function parseRequest(line: string): AtRequest {
  const body = line.slice(2);
  let name: string;
  let kind: AtRequest["kind"] = "exec";
  let args: string[] = [];
  if (body.startsWith("+") || body.startsWith("&")) {
    const m = /^([+&][A-Za-z0-9]+)(=\?|\?|=)?(.*)$/.exec(body);
    name = (m?.[1] ?? body).toUpperCase();
    const op = m?.[2];
    if (op === "=?") kind = "test";
    else if (op === "?") kind = "read";
    else if (op === "=") {
      kind = "set";
      args = splitArgs(m?.[3] ?? "");
    }
  } else name = body.toUpperCase();
  return { line, name, kind, args };
}

function splitArgs(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  let q = false;
  for (const c of s) {
    if (c === '"') q = !q;
    else if (c === "," && !q) {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}
