/**
 * The link manager: one `connect(host, port)` for the app (a NetConnector), over whichever link works.
 *
 * Order: the policy's (default cellular, then dial-up, then native links); a link that failed within
 * `retryAfterMs` is tried after the others, so a terminal that fell back to dial-up does not wait for
 * a dead 4G link on every transaction, yet goes back to 4G once it recovers. Failover: cellular tries
 * the eUICC's other operator profiles first (see bearers.ts), then the next link; a host that refuses
 * TCP over a working 4G link also fails over (the dial-up NAC is another path to the acquirer) unless
 * `failoverOnHostUnreachable` is false. When every link fails the LinkError's code is the diagnosis of
 * the first link tried (what the merchant should fix first) and its evidence lists every link's.
 *
 * Every step lands in the bounded diagnostic log, `linkLog()`.
 */
import type { NetConnector, NetSocket } from "../net/socket";
import type { QuectelModem } from "../modem/quectel";
import type { EsimClient } from "../esim/client";
import type { DialupModem } from "../dialup/hayes";
import { LinkLog, type LinkLogEntry } from "./log";
import { LinkError, diagnose, type LinkDiagnosis } from "./errors";
import { CellularBearer, DialupBearer, NativeBearer, type Bearer, type CellularPolicy, type DialupPolicy, type LinkTime } from "./bearers";

export interface LinkPolicy {
  /** Link names in order of preference (default: cellular, dialup, then the native links). */
  order?: string[];
  cellular?: CellularPolicy;
  /** Dial-up is used when the board has the modem and at least one number is configured. */
  dialup?: DialupPolicy;
  /** Fail over when TCP to the host fails over a working link (default true). */
  failoverOnHostUnreachable?: boolean;
  /** A link that failed goes behind the others for this long (default 300000 ms). */
  retryAfterMs?: number;
  /** Entries kept in the diagnostic log (default 64). */
  logSize?: number;
}

export interface LinkDevices {
  time: LinkTime;
  modem?: QuectelModem;
  esim?: EsimClient;
  dialup?: DialupModem;
  /** Native links (Ethernet, Wi-Fi) as connectors, by name. */
  natives?: Array<{ name: string; connector: NetConnector }>;
}

export class LinkManager implements NetConnector {
  readonly log: LinkLog;
  private readonly bearers = new Map<string, Bearer>();
  private readonly failedAt = new Map<string, number>();
  private readonly order: string[];
  private readonly cellular: CellularBearer | undefined;
  /** The link the last connection went over. */
  active: string | undefined;

  constructor(
    private readonly devices: LinkDevices,
    private readonly policy: LinkPolicy = {},
  ) {
    this.log = new LinkLog(policy.logSize ?? 64);
    const stepLog = (link: string, step: string, outcome: "ok" | "fail" | "info", detail: string, code?: string) =>
      this.log.add(devices.time.monotonic(), link, step, outcome, detail, code);
    if (devices.modem) {
      this.cellular = new CellularBearer(devices.modem, devices.esim, policy.cellular ?? {}, stepLog);
      this.bearers.set("cellular", this.cellular);
    }
    if (devices.dialup && policy.dialup && policy.dialup.numbers.length > 0) this.bearers.set("dialup", new DialupBearer(devices.dialup, policy.dialup, stepLog));
    const natives = devices.natives ?? [];
    for (const n of natives) this.bearers.set(n.name, new NativeBearer(n.name, n.connector, stepLog));
    this.order = policy.order ?? ["cellular", "dialup"].concat(natives.map((n) => n.name));
  }

  /** The diagnostic log, oldest entry first. */
  linkLog(): LinkLogEntry[] {
    return this.log.entries();
  }

  /** Links configured on this board, in the policy's order. */
  get links(): string[] {
    return this.order.filter((n) => this.bearers.has(n));
  }

  /** What the cellular link found when it last came up (ICCID, APN, IP, PLMN, signal). */
  get cellularStatus(): CellularBearer["status"] {
    return this.cellular?.status;
  }

  private orderNow(): string[] {
    const now = this.devices.time.monotonic();
    const retry = this.policy.retryAfterMs ?? 300000;
    const fresh: string[] = [];
    const stale: string[] = [];
    for (const n of this.links) {
      const at = this.failedAt.get(n);
      if (at !== undefined && now - at < retry) stale.push(n);
      else fresh.push(n);
    }
    return fresh.concat(stale);
  }

  async connect(host: string, port: number, options: { timeoutMs?: number } = {}): Promise<NetSocket> {
    const time = this.devices.time;
    const t0 = time.monotonic();
    const order = this.orderNow();
    this.log.add(t0, "link", "connect", "info", `${host}:${port} via ${order.join(",") || "nothing"}`);
    const attempts: LinkDiagnosis[] = [];
    for (const name of order) {
      const bearer = this.bearers.get(name)!;
      try {
        const socket = await bearer.open(host, port, options.timeoutMs);
        this.active = name;
        this.failedAt.delete(name);
        this.log.add(time.monotonic(), name, "connected", "ok", `${host}:${port} after ${time.monotonic() - t0} ms`);
        return socket;
      } catch (e) {
        const d = diagnose(name, e, this.policy.cellular?.weakRssi);
        if (name === "cellular" && this.cellular && this.cellular.lastProfiles.length > 1) d.profiles = this.cellular.lastProfiles.slice();
        attempts.push(d);
        this.failedAt.set(name, time.monotonic());
        if (this.active === name) this.active = undefined;
        this.log.add(time.monotonic(), name, "diagnosis", "fail", `${d.cause}${d.profiles ? " profiles " + d.profiles.join(" ") : ""}`, d.code);
        if (d.code === "E_LINK_HOST_UNREACHABLE" && this.policy.failoverOnHostUnreachable === false) break;
      }
    }
    const waitedMs = time.monotonic() - t0;
    if (attempts.length === 0) {
      this.log.add(time.monotonic(), "link", "failed", "fail", "no link configured", "E_LINK_NOT_CONFIGURED");
      throw new LinkError("E_LINK_NOT_CONFIGURED", "no link is configured on this terminal", { attempts, host, port, waitedMs });
    }
    const primary = attempts[0]!;
    this.log.add(time.monotonic(), "link", "failed", "fail", attempts.map((a) => `${a.link}:${a.code}`).join(" "), primary.code);
    throw new LinkError(primary.code, `no link to ${host}:${port}: ${attempts.map((a) => `${a.link} ${a.code} (${a.cause})`).join("; ")}`, { attempts, host, port, waitedMs });
  }
}
