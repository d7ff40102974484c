/**
 * A simulator session: the firmware image in the engine with every virtual device (world.ts), the agent client on
 * its debug port, and an acquirer host — the built-in one (boards/sim/host) or the integrator's test host at
 * HOST:PORT, reached through the virtual 4G module's real TCP sockets.
 *
 * With a terminal config (examples/terminal-config.json) the terminal is set up as a key-loading facility would
 * do it: the TMK (a test key) goes into the PED encrypted under the PED's factory transport key, the identity and
 * framing parameters are stored, and activation is skipped. Without one, the terminal is new and must activate.
 */
import { createCipheriv } from "node:crypto";
import { readFileSync } from "node:fs";
import { isIPv4 } from "node:net";
import { createAcquirerHost, type AcquirerHost } from "../host/host.ts";
import { FACTORY_TRANSPORT_KEY_HEX, TEST_CARDS } from "../host/factory.ts";
import { createWorld, type World } from "../world.ts";
import type { EngineOptions, RunResult } from "../engine-host.ts";

export interface TerminalConfig {
  terminalId: string;
  merchantId: string;
  merchantName?: string;
  tpdu?: string;
  header?: string;
  /** Network-management code of the sign-in (60.3): 001 single-length keys, 003 double, 004 double + TDK. */
  signInCode?: "001" | "003" | "004";
  /** The TMK as a TEST key (hex, 16 or 32 digits): never a production key. */
  testTmkHex: string;
  apn?: string;
  responseTimeoutMs?: number;
  operator?: { no: string; password: string };
  supervisorPassword?: string;
  autoSignIn?: boolean;
}

export interface CardSpec {
  name?: string;
  pan: string;
  track2?: string;
  expiry?: string;
  pin?: string;
}

export function loadJson<T>(path: string): T {
  const v = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  for (const k of Object.keys(v)) if (k.startsWith("//")) delete v[k];
  return v as T;
}

export function checkTerminalConfig(c: TerminalConfig): TerminalConfig {
  const bad = (m: string) => {
    throw Object.assign(new Error(`E_CONFIG: ${m}`), { code: "E_CONFIG" });
  };
  if (typeof c.terminalId !== "string" || !/^[0-9A-Za-z]{8}$/.test(c.terminalId)) bad(`terminalId must be 8 digits/letters, got ${JSON.stringify(c.terminalId)}`);
  if (typeof c.merchantId !== "string" || !/^[0-9A-Za-z]{15}$/.test(c.merchantId)) bad(`merchantId must be 15 digits/letters, got ${JSON.stringify(c.merchantId)}`);
  if (typeof c.testTmkHex !== "string" || !/^([0-9A-Fa-f]{16}|[0-9A-Fa-f]{32})$/.test(c.testTmkHex)) bad("testTmkHex must be 16 or 32 hex digits (a test key)");
  if (c.signInCode !== undefined && !["001", "003", "004"].includes(c.signInCode)) bad(`signInCode must be 001, 003 or 004, got ${JSON.stringify(c.signInCode)}`);
  if (c.tpdu !== undefined && !/^[0-9]{10}$/.test(c.tpdu)) bad("tpdu must be 10 digits");
  if (c.header !== undefined && !/^[0-9]{12}$/.test(c.header)) bad("header must be 12 digits");
  return c;
}

/** The TMK encrypted under the PED's transport key (3DES-ECB) and its KCV: what a key-loading facility injects. */
export function wrapTmk(tmkHex: string, transportKeyHex = FACTORY_TRANSPORT_KEY_HEX): { cipher: Buffer; kcv: Buffer } {
  let tk = Buffer.from(transportKeyHex, "hex");
  if (tk.length === 16) tk = Buffer.concat([tk, tk.subarray(0, 8)]);
  const tmk = Buffer.from(tmkHex, "hex");
  const e = createCipheriv("des-ede3", tk, null).setAutoPadding(false);
  const cipher = Buffer.concat([e.update(tmk), e.final()]);
  const k = tmk.length === 8 ? Buffer.concat([tmk, tmk, tmk]) : Buffer.concat([tmk, tmk.subarray(0, 8)]);
  const c = createCipheriv("des-ede3", k, null).setAutoPadding(false);
  const kcv = Buffer.concat([c.update(Buffer.alloc(8)), c.final()]).subarray(0, 4);
  return { cipher, kcv };
}

export interface SessionOptions {
  /** HOST:PORT of the acquirer's test host; default the built-in host. */
  host?: string;
  config?: TerminalConfig;
  /** Print the firmware's log. */
  echoLogs?: boolean;
  onLog?: (level: number, message: string) => void;
  /** Engine options passed through to the world (clock mode, heap budget, memory detail). */
  engine?: Partial<EngineOptions>;
  /** Type the card's PIN and swipe it when the terminal asks (default true); false when a person does it (the TUI). */
  autoCard?: boolean;
}

export interface Session {
  world: World;
  /** The built-in host (undefined against an external host). */
  builtIn?: AcquirerHost;
  hostAddress: string;
  hostPort: number;
  config?: TerminalConfig;
  done: Promise<RunResult>;
  /** The card in use: its PIN is typed on the PED when the terminal asks, and it is swiped when asked. */
  useCard(card: CardSpec | undefined): void;
  /** Stops the engine ("exit") and the built-in host; resolves with the engine's result. */
  close(status?: number): Promise<RunResult>;
}

/** A card by name (the factory's test cards) or as given. */
export function cardOf(c: string | CardSpec): CardSpec {
  if (typeof c !== "string") return c;
  const t = (TEST_CARDS as Record<string, { pan: string; track2?: string; expiry?: string; pin?: string }>)[c];
  if (!t) throw Object.assign(new Error(`E_SCRIPT_CARD: no test card "${c}" (known: ${Object.keys(TEST_CARDS).join(", ")})`), { code: "E_SCRIPT_CARD" });
  return { name: c, pan: t.pan, track2: t.track2, expiry: t.expiry, pin: t.pin };
}

export async function startSession(o: SessionOptions = {}): Promise<Session> {
  const config = o.config ? checkTerminalConfig(o.config) : undefined;
  let builtIn: AcquirerHost | undefined;
  let hostAddress: string;
  let hostPort: number;
  const routes: Record<string, { host: string; port: number }> = {};
  if (o.host) {
    const i = o.host.lastIndexOf(":");
    hostAddress = o.host.substring(0, i);
    hostPort = Number(o.host.substring(i + 1));
    if (i <= 0 || !(hostPort > 0 && hostPort < 65536)) throw Object.assign(new Error(`E_CONFIG: --host must be HOST:PORT, got ${o.host}`), { code: "E_CONFIG" });
    if (!isIPv4(hostAddress)) routes[`${hostAddress}:${hostPort}`] = { host: hostAddress, port: hostPort };
  } else {
    builtIn = await createAcquirerHost({
      terminals: config ? [{ terminalId: config.terminalId, merchantId: config.merchantId, merchantName: config.merchantName, tmkHex: config.testTmkHex }] : [],
    });
    hostAddress = "127.0.0.1";
    hostPort = builtIn.port;
  }
  const world = createWorld({ ...o.engine, jig: false, echoLogs: o.echoLogs, onLog: o.onLog, modem: { routes, rssi: 24 }, dialup: builtIn ? { numbers: { "95516": hostPort } } : {} });
  let card: CardSpec | undefined;
  if (o.autoCard !== false) world.agent.listeners.push((e) => {
    if (e.ev === "txn" && e.kind === "pin") {
      if (card?.pin !== undefined) setImmediate(() => world.ped.type(card!.pin!));
      else setImmediate(() => world.ped.press("cancel"));
    } else if (e.ev === "swipe" && card) {
      const c = card;
      setImmediate(() => world.cards.swipe({ track2: c.track2 ?? `${c.pan}=${c.expiry ?? "3012"}1010000000000` }));
    }
  });
  const done = world.host.run();
  // An engine that ends before it is ready (a broken image) must not leave the caller waiting for ever.
  const stopped = await Promise.race([world.agent.whenReady().then(() => undefined), done]);
  if (stopped) {
    await builtIn?.close();
    throw new Error(`the firmware stopped before it was ready: ${stopped.status} ${stopped.error ?? ""}`);
  }
  const a = world.agent;
  await a.call("configure", { hostAddress, hostPort, ...(config?.tpdu ? { tpdu: config.tpdu } : {}), ...(config?.header ? { header: config.header } : {}), ...(config?.signInCode ? { signInCode: config.signInCode } : {}), ...(config?.apn ? { apn: config.apn } : {}), ...(config?.responseTimeoutMs ? { responseTimeoutMs: config.responseTimeoutMs } : {}) });
  if (config) {
    const { cipher, kcv } = wrapTmk(config.testTmkHex);
    await a.call("provision", { terminalId: config.terminalId, merchantId: config.merchantId, merchantName: config.merchantName ?? "", tmkCipher: cipher, tmkKcv: kcv });
    if (config.autoSignIn !== undefined) await a.call("settings", { autoSignIn: config.autoSignIn });
  }
  let closing: Promise<RunResult> | undefined;
  return {
    world,
    builtIn,
    hostAddress,
    hostPort,
    config,
    done,
    useCard(c) {
      card = c;
    },
    close(status = 0) {
      return (closing ??= (async () => {
        // The agent's exit, and the loop's stop as a fallback when the engine does not answer in time.
        void a.call("exit", { status }).catch(() => undefined);
        const t = setTimeout(() => world.host.stop(), 5000);
        const r = await done;
        clearTimeout(t);
        await builtIn?.close();
        return r;
      })());
    },
  };
}
