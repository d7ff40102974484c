/**
 * The eSIM client the link manager uses: ES10 functions over the AT engine, each in its own logical
 * channel that is closed again whatever happens (AT+CCHC also after an error), plus the operator
 * switch of devices.md §2.3: GetProfilesInfo -> EnableProfile (catBusy: reset the module, enable
 * once more) -> AT+CFUN=0 / AT+CFUN=1 so the module re-reads the card -> verify (AT+QCCID shows the
 * new ICCID, +CPIN: READY, optionally registration).
 */
import type { AtEngine } from "../at/engine";
import { errorCode } from "../errors";
import { TlvCursor, TlvWriter } from "../../firmware/core/tlv";
import type { QuectelModem, Registration } from "../modem/quectel";
import { EsimError } from "./errors";
import {
  TAG_DISABLE,
  TAG_ENABLE,
  encodeGetEid,
  encodeGetProfilesInfo,
  encodeProfileOperation,
  parseEid,
  parseOperationResult,
  parseProfilesInfo,
  resultError,
  type ProfileInfo,
  type ProfileRef,
} from "./es10";
import { Es10Transport, type Es10TransportOptions } from "./transport";

export interface EsimClientOptions extends Es10TransportOptions {
  /**
   * Resets the module after catBusy (devices.md §2.3 step 3) and resolves when it answers AT again.
   * Default: AT+CFUN=1,1, wait for the module to come back (RDY through `modem`, else AT probes;
   * 30 s), ATE0, AT+CMEE=1.
   */
  reset?: () => Promise<void>;
  /** The module's driver, when there is one: its reset event tells when the module is back. */
  modem?: QuectelModem;
  /** Clock and timers (hal/time.ts TimeService has them). */
  time: { sleep(ms: number): Promise<void>; monotonic(): number; timers: { set(cb: () => void, ms: number): number; clear(id: number): void } };
}

export class EsimClient {
  readonly transport: Es10Transport;
  private readonly w = new TlvWriter(64);
  private readonly cursor = new TlvCursor();
  private readonly resetModule: () => Promise<void>;
  /** Counts module resets done for catBusy. */
  resets = 0;

  constructor(
    readonly at: AtEngine,
    private readonly options: EsimClientOptions,
  ) {
    this.transport = new Es10Transport(at, options);
    this.resetModule = options.reset ?? (() => this.defaultReset());
  }

  private queue: Promise<unknown> = Promise.resolve();

  /**
   * Runs `body` with the channel open; closes it afterwards, also when `body` fails. Sessions run one
   * after the other (one logical channel, one ES10 exchange at a time).
   */
  session<T>(body: (t: Es10Transport) => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      const t = this.transport;
      await t.open();
      try {
        return await body(t);
      } finally {
        await t.close();
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** ES10c GetEID: the 32-digit EID (check digits verified). */
  getEid(): Promise<string> {
    const req = encodeGetEid(this.w);
    return this.session(async (t) => parseEid(await t.storeData(req, "GetEID"), this.cursor));
  }

  /** ES10c GetProfilesInfo: every profile with ICCID, AID, state, names and class. */
  getProfiles(): Promise<ProfileInfo[]> {
    const req = encodeGetProfilesInfo(this.w);
    return this.session(async (t) => parseProfilesInfo(await t.storeData(req, "GetProfilesInfo"), this.cursor));
  }

  /**
   * ES10c EnableProfile by ICCID or ISD-P AID (it disables the enabled one implicitly). Results are
   * typed errors; catBusy (5) resets the module and tries once more (then E_ESIM_CAT_BUSY, retried).
   */
  async enableProfile(ref: ProfileRef, options: { refresh?: boolean } = {}): Promise<void> {
    const req = encodeProfileOperation(this.w, TAG_ENABLE, ref, options.refresh ?? false);
    for (let attempt = 0; ; attempt++) {
      const result = await this.session(async (t) => parseOperationResult(await t.storeData(req, "EnableProfile"), TAG_ENABLE, "EnableProfile", this.cursor));
      const err = resultError("EnableProfile", result, ref);
      if (!err) return;
      if (err.code === "E_ESIM_CAT_BUSY" && attempt === 0) {
        this.resets++;
        await this.resetModule();
        continue;
      }
      if (attempt > 0) (err.evidence as { retried?: boolean }).retried = true;
      throw err;
    }
  }

  /** ES10c DisableProfile. */
  async disableProfile(ref: ProfileRef, options: { refresh?: boolean } = {}): Promise<void> {
    const req = encodeProfileOperation(this.w, TAG_DISABLE, ref, options.refresh ?? false);
    const result = await this.session(async (t) => parseOperationResult(await t.storeData(req, "DisableProfile"), TAG_DISABLE, "DisableProfile", this.cursor));
    const err = resultError("DisableProfile", result, ref);
    if (err) throw err;
  }

  private async defaultReset(): Promise<void> {
    const at = this.at;
    const time = this.options.time;
    const modem = this.options.modem;
    // The module announces its restart with RDY; the Quectel driver owns that URC and reports it as an event.
    let restarted = false;
    const off = modem?.onEvent((e) => {
      if (e.kind === "reset") restarted = true;
    });
    try {
      const t0 = time.monotonic();
      await at.command("AT+CFUN=1,1", { timeoutMs: 15000 }).catch((e) => {
        // The module may restart before its OK: that is what was asked for.
        if (errorCode(e) !== "E_MODEM_RESET") throw e;
      });
      // Without the driver's event: give the module time to go down, then probe until it answers.
      if (!modem) await time.sleep(2000);
      for (;;) {
        if (time.monotonic() - t0 > 30000)
          throw new EsimError("E_ESIM_TRANSPORT", "the module did not come back after AT+CFUN=1,1", { command: "AT+CFUN=1,1", waitedMs: time.monotonic() - t0 });
        if (modem && !restarted) {
          await time.sleep(200);
          continue;
        }
        try {
          await at.command("AT", { timeoutMs: 1000 });
          break;
        } catch {
          await time.sleep(500);
        }
      }
      await at.command("ATE0");
      await at.command("AT+CMEE=1");
    } finally {
      off?.();
    }
  }
}

export interface SwitchOptions {
  /** refreshFlag of EnableProfile (default false: the module is cycled with AT+CFUN instead). */
  refresh?: boolean;
  /** Also wait for registration (default true) with this timeout (default 60000 ms). */
  register?: boolean;
  registrationTimeoutMs?: number;
  simTimeoutMs?: number;
  /** The profile list when the caller has just read it (saves a GetProfilesInfo). */
  profiles?: ProfileInfo[];
  /** Sees each step: name, ok, and a short detail. */
  report?: (step: string, ok: boolean, detail: string, code?: string) => void;
}

export interface SwitchResult {
  profile: ProfileInfo;
  iccid: string;
  registration?: Registration;
}

/** Picks a profile by ICCID, AID, or service provider / profile name (as devices.md §2.3 step 1 says). */
export function findProfile(profiles: ProfileInfo[], target: string): ProfileInfo | undefined {
  const t = target.toUpperCase();
  for (const p of profiles) if (p.iccid === target || (p.aid !== "" && p.aid === t) || p.provider === target || p.name === target) return p;
  return undefined;
}

/** AT+CFUN=0 then AT+CFUN=1: the module lets go of the card and reads it again (devices.md §2.3 step 4). */
export async function cycleSim(modem: QuectelModem): Promise<void> {
  await modem.at.command("AT+CFUN=0", { timeoutMs: 15000 });
  await modem.at.command("AT+CFUN=1", { timeoutMs: 15000 });
  // The module dropped its PDP contexts and sockets with the radio.
  modem.pdpUp = false;
}

/**
 * Switches the operator: enable `target` (ICCID, AID or provider name), cycle the SIM, verify the
 * module now reads the new ICCID with +CPIN: READY, and (by default) that it registers.
 */
export async function switchProfile(modem: QuectelModem, esim: EsimClient, target: string, options: SwitchOptions = {}): Promise<SwitchResult> {
  const report = options.report ?? (() => undefined);
  const step = async <T>(name: string, body: () => Promise<T>, detail: (v: T) => string): Promise<T> => {
    try {
      const v = await body();
      report(name, true, detail(v));
      return v;
    } catch (e) {
      report(name, false, String((e as Error).message ?? e), errorCode(e));
      throw e;
    }
  };
  const profiles = options.profiles ?? (await step("esim.list", () => esim.getProfiles(), (l) => l.map((p) => `${p.iccid}:${p.state}`).join(",")));
  const profile = findProfile(profiles, target);
  if (!profile) {
    const err = new EsimError("E_ESIM_PROFILE_NOT_FOUND", `no profile ${target} on the eUICC`, { fn: "GetProfilesInfo", iccid: target });
    report("esim.enable", false, err.message, err.code);
    throw err;
  }
  const ref: ProfileRef = profile.iccid ? { iccid: profile.iccid } : { aid: profile.aid };
  if (profile.state !== 1) await step("esim.enable", () => esim.enableProfile(ref, { refresh: options.refresh }), () => `${profile.iccid} ${profile.provider}`);
  await step("esim.refresh", () => cycleSim(modem), () => "AT+CFUN=0/1");
  await step("sim", () => modem.simReady({ timeoutMs: options.simTimeoutMs ?? 20000 }), () => "READY");
  const iccid = await step(
    "esim.verify",
    async () => {
      const got = await modem.iccid();
      if (profile.iccid && got !== profile.iccid)
        throw new EsimError("E_ESIM_REFRESH", `the module reads ICCID ${got}, not ${profile.iccid}`, { expected: profile.iccid, actual: got });
      return got;
    },
    (v) => v,
  );
  const result: SwitchResult = { profile, iccid };
  if (options.register ?? true)
    result.registration = await step("register", () => modem.waitRegistered({ timeoutMs: options.registrationTimeoutMs ?? 60000 }), (r) => `stat=${r.stat}`);
  return result;
}
