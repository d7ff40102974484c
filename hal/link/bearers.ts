/**
 * The links the manager can bring up, each logging every step it takes:
 * - cellular: 4G module start -> SIM (PIN if configured) -> ICCID -> signal -> registration -> APN
 *   (from the IMSI's PLMN) -> PDP -> TCP; on a failure the policy names (registration denied, no
 *   service, PDP refused), with an eUICC: the next operator profile (GetProfilesInfo, EnableProfile,
 *   AT+CFUN=0/1, verify) and again from registration. The link stays up between connections; a module
 *   reset or a lost PDP context (URC, or found when a socket open fails) brings it up again.
 * - dialup: init once, then dial the configured numbers in turn (busy -> the next number; no dial
 *   tone -> the line itself is down, stop).
 * - native: any NetConnector (Ethernet / Wi-Fi natives when a board has them).
 */
import { errorCode } from "../errors";
import type { NetSocket, NetConnector } from "../net/socket";
import type { QuectelModem, Signal } from "../modem/quectel";
import type { ModemError } from "../modem/errors";
import { switchProfile, type EsimClient } from "../esim/client";
import type { ProfileInfo } from "../esim/es10";
import type { DialupModem } from "../dialup/hayes";

/** Logs one step: ok/fail/info, detail text, error code. */
export type StepLog = (link: string, step: string, outcome: "ok" | "fail" | "info", detail: string, code?: string) => void;

export interface LinkTime {
  sleep(ms: number): Promise<void>;
  monotonic(): number;
  timers: { set(callback: () => void, ms: number): number; clear(id: number): void };
}

export interface Bearer {
  readonly name: string;
  open(host: string, port: number, timeoutMs?: number): Promise<NetSocket>;
}

/** Short evidence text of an error for the log. */
export function detailOf(e: unknown): string {
  const ev = (e as { evidence?: unknown })?.evidence;
  const msg = String((e as Error)?.message ?? e);
  if (ev && typeof ev === "object") {
    let s = "";
    for (const k of Object.keys(ev)) {
      const v = (ev as Record<string, unknown>)[k];
      if (v === undefined || typeof v === "object") continue;
      s += `${s ? " " : ""}${k}=${String(v)}`;
    }
    return s || msg;
  }
  return msg;
}

/** Runs a step and logs it. */
export async function step<T>(log: StepLog, link: string, name: string, body: () => Promise<T>, detail: (v: T) => string): Promise<T> {
  let v: T;
  try {
    v = await body();
  } catch (e) {
    log(link, name, "fail", detailOf(e), errorCode(e));
    throw e;
  }
  log(link, name, "ok", detail(v));
  return v;
}

export interface CellularPolicy {
  /** APN when the PLMN is not in apnByPlmn (default "cmnet"). */
  apn?: string;
  /** PLMN (MCC+MNC from the IMSI) -> APN: {"46000":"cmnet","46001":"3gnet","46011":"ctnet"}. */
  apnByPlmn?: { [plmn: string]: string };
  user?: string;
  password?: string;
  auth?: 0 | 1 | 2;
  /** Entered when the SIM asks for its PIN. */
  simPin?: string;
  readyTimeoutMs?: number;
  simTimeoutMs?: number;
  /** Registration watchdog per profile (default 60000 ms; the spec's 90 s is for one SIM). */
  registrationTimeoutMs?: number;
  /** AT+QIOPEN result wait (default 30000 ms). */
  connectTimeoutMs?: number;
  /** CSQ at or below this is a weak signal (default 9, about -95 dBm). */
  weakRssi?: number;
  /** With an eUICC, try other operator profiles (default true). */
  switchProfiles?: boolean;
  /** Driver codes after which the next profile is tried (default registration denied, timeout, PDP failed). */
  switchOn?: string[];
  /** Preferred profiles first: ICCIDs or provider / profile names. */
  profileOrder?: string[];
  /** Also use test and provisioning profiles (default: operational ones only). */
  anyClass?: boolean;
}

export const DEFAULT_SWITCH_ON = ["E_REG_DENIED", "E_REG_TIMEOUT", "E_PDP_FAILED"];

export class CellularBearer implements Bearer {
  readonly name = "cellular";
  private up = false;
  private resetsAtUp = -1;
  /** `ICCID:cause` of each profile tried in the last bring-up that failed. */
  lastProfiles: string[] = [];
  /** What the last successful bring-up found. */
  status: { iccid: string; apn: string; ip: string; plmn: string; signal?: Signal } | undefined;

  constructor(
    private readonly modem: QuectelModem,
    private readonly esim: EsimClient | undefined,
    private readonly policy: CellularPolicy,
    private readonly log: StepLog,
  ) {
    modem.onEvent((e) => {
      if ((e.kind === "reset" || e.kind === "pdp-lost") && this.up) {
        this.up = false;
        log(this.name, "4g.lost", "info", e.kind === "reset" ? `module restarted (${e.line})` : `PDP context ${e.contextId} dropped by the network`);
      }
    });
  }

  get isUp(): boolean {
    return this.up && this.modem.resets === this.resetsAtUp && this.modem.pdpUp;
  }

  private bringing: Promise<void> | undefined;

  /** Brings the link up, once at a time: a second caller waits for the bring-up in progress. */
  private ensureUp(): Promise<void> {
    if (!this.bringing)
      this.bringing = this.bringUp().then(
        () => {
          this.bringing = undefined;
        },
        (e) => {
          this.bringing = undefined;
          throw e;
        },
      );
    return this.bringing;
  }

  async open(host: string, port: number, timeoutMs?: number): Promise<NetSocket> {
    if (!this.isUp) {
      if (this.up) this.log(this.name, "4g.lost", "info", this.modem.resets !== this.resetsAtUp ? "module restarted" : "PDP context gone");
      await this.ensureUp();
    }
    const connectMs = timeoutMs ?? this.policy.connectTimeoutMs ?? 30000;
    const tcp = () => step(this.log, this.name, "tcp", () => this.modem.openTcp(host, port, { timeoutMs: connectMs }), (s) => `${host}:${port} id=${s.id}`);
    try {
      return await tcp();
    } catch (e) {
      if (!(await this.lost(e))) throw e;
    }
    this.up = false;
    await this.ensureUp();
    return tcp();
  }

  /** After a failed socket open: is the link itself gone (PDP lost, module reset) rather than the host? */
  private async lost(e: unknown): Promise<boolean> {
    const code = errorCode(e);
    const socketError = (e as ModemError).evidence?.socketError;
    if (code === "E_SOCKET_CONNECT" && socketError !== 561 && socketError !== 570) {
      // The module says the connect failed: check the context before blaming the host.
      let ip: string | undefined;
      try {
        ip = await this.modem.pdpAddress();
      } catch {
        ip = undefined;
      }
      const lost = !ip || this.modem.resets !== this.resetsAtUp;
      this.log(this.name, "4g.recheck", "info", lost ? "PDP context gone: bringing the link up again" : `PDP up (${ip}): the host is unreachable`);
      return lost;
    }
    const gone = code === "E_SOCKET_CONNECT" || code === "E_MODEM_RESET" || code === "E_AT_TIMEOUT" || code === "E_SOCKET_CLOSED";
    if (gone) this.log(this.name, "4g.recheck", "info", `${code}: bringing the link up again`);
    return gone;
  }

  /** Everything a socket needs, switching operator profiles as the policy allows. */
  async bringUp(): Promise<void> {
    const m = this.modem;
    const p = this.policy;
    const log = this.log;
    const link = this.name;
    this.up = false;
    this.lastProfiles = [];
    await step(log, link, "4g.start", () => m.start({ timeoutMs: p.readyTimeoutMs ?? 30000 }), (model) => model);
    await this.simReady();
    let iccid = await step(log, link, "iccid", () => m.iccid(), (v) => v);
    const tried = new Set<string>([iccid]);
    let firstError: unknown;
    let register = true;
    for (;;) {
      if (register) {
        try {
          await this.registerAndActivate(iccid);
          this.up = true;
          this.resetsAtUp = m.resets;
          return;
        } catch (e) {
          firstError ??= e;
          this.lastProfiles.push(`${iccid}:${errorCode(e)}`);
          if (!this.esim || p.switchProfiles === false || (p.switchOn ?? DEFAULT_SWITCH_ON).indexOf(errorCode(e)) < 0) throw e;
        }
      }
      const picked = await this.nextProfile(tried);
      const next = picked?.next;
      if (!next) {
        log(link, "esim.exhausted", "info", `no other profile to try (${this.lastProfiles.join(" ")})`);
        throw firstError;
      }
      tried.add(next.iccid);
      try {
        await switchProfile(m, this.esim!, next.iccid, {
          register: false,
          simTimeoutMs: p.simTimeoutMs,
          profiles: picked.list,
          report: (name, ok, detail, code) => log(link, name, ok ? "ok" : "fail", detail, code),
        });
        iccid = next.iccid;
        register = true;
      } catch (e) {
        this.lastProfiles.push(`${next.iccid}:${errorCode(e)}`);
        register = false;
      }
    }
  }

  private async simReady(): Promise<void> {
    const m = this.modem;
    const timeoutMs = this.policy.simTimeoutMs ?? 20000;
    try {
      await step(this.log, this.name, "sim", () => m.simReady({ timeoutMs }), () => "READY");
    } catch (e) {
      const pin = this.policy.simPin;
      if (errorCode(e) !== "E_SIM_PIN_REQUIRED" || pin === undefined) throw e;
      await step(this.log, this.name, "sim.pin", () => m.enterPin(pin), () => "accepted");
      await step(this.log, this.name, "sim", () => m.simReady({ timeoutMs }), () => "READY");
    }
  }

  private async registerAndActivate(iccid: string): Promise<void> {
    const m = this.modem;
    const p = this.policy;
    const log = this.log;
    const link = this.name;
    const weak = p.weakRssi ?? 9;
    const sig = await step(log, link, "signal", () => m.signal(), (s) => `csq=${s.rssi} dbm=${s.dbm ?? "unknown"}${s.rssi === 99 ? " (none yet)" : s.rssi <= weak ? " (weak)" : ""}`);
    await step(log, link, "register", () => m.waitRegistered({ timeoutMs: p.registrationTimeoutMs ?? 60000 }), (r) => `stat=${r.stat} eps=${r.eps} act=${r.act ?? "-"}`);
    const { apn, plmn } = await this.resolveApn();
    const ip = await step(
      log,
      link,
      "pdp",
      () => m.activatePdp({ apn, user: p.user, password: p.password, auth: p.auth, timeoutMs: 150000 }),
      (v) => `apn=${apn} ip=${v}`,
    );
    this.status = { iccid, apn, ip, plmn, signal: m.lastSignal ?? sig };
  }

  /** The APN for the SIM's operator: AT+CIMI -> PLMN (MCC + 2- or 3-digit MNC) -> policy. */
  private async resolveApn(): Promise<{ apn: string; plmn: string }> {
    const p = this.policy;
    let imsi = "";
    try {
      const r = await this.modem.at.command("AT+CIMI", { expect: "" });
      for (const l of r.lines) {
        const t = l.trim();
        if (/^\d{6,15}$/.test(t)) {
          imsi = t;
          break;
        }
      }
    } catch {
      // Without an IMSI the default APN is the best guess.
    }
    const map = p.apnByPlmn ?? {};
    const plmn = map[imsi.slice(0, 6)] !== undefined ? imsi.slice(0, 6) : imsi.slice(0, 5);
    const apn = map[plmn] ?? p.apn ?? "cmnet";
    this.log(this.name, "apn", "ok", `plmn=${plmn || "unknown"} apn=${apn}`);
    return { apn, plmn };
  }

  /** The next operator profile to try: disabled, not tried yet, in the policy's order. */
  private async nextProfile(tried: Set<string>): Promise<{ next: ProfileInfo | undefined; list: ProfileInfo[] } | undefined> {
    let list: ProfileInfo[];
    try {
      list = await step(this.log, this.name, "esim.list", () => this.esim!.getProfiles(), (l) => l.map((x) => `${x.iccid}${x.state === 1 ? "*" : ""}`).join(" "));
    } catch {
      return undefined;
    }
    const order = this.policy.profileOrder ?? [];
    const rank = (x: ProfileInfo) => {
      for (let i = 0; i < order.length; i++) if (order[i] === x.iccid || order[i] === x.provider || order[i] === x.name) return i;
      return order.length;
    };
    const candidates = list.filter((x) => x.iccid !== "" && !tried.has(x.iccid) && (this.policy.anyClass || x.profileClass === 2 || x.profileClass === -1));
    candidates.sort((a, b) => rank(a) - rank(b));
    return { next: candidates[0], list };
  }
}

export interface DialupPolicy {
  /** The acquirer's numbers, primary first (a PABX prefix like "9," goes in the number). */
  numbers: string[];
  dialTimeoutMs?: number;
}

export class DialupBearer implements Bearer {
  readonly name = "dialup";
  private ready = false;

  constructor(
    private readonly dialup: DialupModem,
    private readonly policy: DialupPolicy,
    private readonly log: StepLog,
  ) {}

  async open(host: string, port: number): Promise<NetSocket> {
    if (!this.ready) {
      await step(this.log, this.name, "dial.init", () => this.dialup.init(), () => "ready");
      this.ready = true;
    }
    let first: unknown;
    for (const number of this.policy.numbers) {
      try {
        return await step(this.log, this.name, "dial", () => this.dialup.dial(number, { timeoutMs: this.policy.dialTimeoutMs }), (c) => `${number} CONNECT ${c.rate} (for ${host}:${port})`);
      } catch (e) {
        first ??= e;
        const code = errorCode(e);
        if (code !== "E_DIAL_BUSY" && code !== "E_DIAL_NO_ANSWER" && code !== "E_DIAL_NO_CARRIER") this.ready = false;
        // No dial tone: the line itself is down, another number will not help.
        if (code === "E_DIAL_NO_DIALTONE" || code === "E_DIAL_NOT_READY" || code === "E_AT_CLOSED") break;
      }
    }
    throw first;
  }
}

/** A board's native link (Ethernet, Wi-Fi): the hook for when such a native exists. */
export class NativeBearer implements Bearer {
  constructor(
    readonly name: string,
    private readonly connector: NetConnector,
    private readonly log: StepLog,
  ) {}

  open(host: string, port: number, timeoutMs?: number): Promise<NetSocket> {
    return step(this.log, this.name, "connect", () => this.connector.connect(host, port, { timeoutMs }), () => `${host}:${port}`);
  }
}
