/**
 * Shared by the update tests: signed images of the real sim firmware (v1 as built, v2 = the same bundle reporting
 * version 0.2.0), a terminal world booted by the simulator's boot loader from slot A, the acquirer host, and the TMS.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, loadBoard } from "../../build/board.ts";
import { VERSION } from "../../build/build.ts";
import { signImage } from "../../build/sign.ts";
import { ensureBuilt } from "../engine/build-once.ts";
import { createWorld, factoryFlash, type World } from "../../boards/sim/world.ts";
import { SimBootLoader, attachLoader, installImage, runWithLoader } from "../../boards/sim/boot/loader.ts";
import { createAcquirerHost, type AcquirerHost } from "../../boards/sim/host/host.ts";
import { TEST_CARDS } from "../../boards/sim/host/factory.ts";
import { wrapTmk } from "../../boards/sim/script/session.ts";
import { TmsServer } from "../../boards/sim/tms/server.ts";
import type { SimFlash } from "../../boards/sim/devices/flash.ts";
import type { RunResult } from "../../boards/sim/engine-host.ts";

export const board = loadBoard("sim");
export const KEY_PEM = readFileSync(join(ROOT, "boards/sim/keys/update-test-key.pem"), "utf8");
const CONFIG = { terminalId: "10000099", merchantId: "898100012345678", tmkHex: "11111111111111112222222222222222" };

export async function bundles(): Promise<{ v1: string; v2: string }> {
  await ensureBuilt();
  const v1 = readFileSync(join(ROOT, "dist/sim/firmware.js"), "utf8");
  // The same build reporting 0.2.0: esbuild inlines __VERSION__ as a string literal (package.json's version).
  const v2 = v1.split(JSON.stringify(VERSION)).join(JSON.stringify("0.2.0"));
  if (v2 === v1) throw new Error("the bundle holds no version literal");
  return { v1, v2 };
}

export function sign(bundle: string | Uint8Array, version: string, securityVersion: number, o: { key?: string | import("node:crypto").KeyObject; board?: string; keyId?: number } = {}): Uint8Array {
  return signImage({ bundle: typeof bundle === "string" ? new TextEncoder().encode(bundle) : bundle, key: o.key ?? KEY_PEM, board: o.board ?? "sim", version, securityVersion, keyId: o.keyId ?? 1 });
}

export interface Terminal {
  world: World;
  flash: SimFlash;
  loader: SimBootLoader;
  acquirer: AcquirerHost;
  tms: TmsServer;
  done: Promise<RunResult & { restarts: number }>;
  call(op: string, args?: Record<string, unknown>): Promise<any>;
  /** Waits for the agent's ready after a reboot. */
  ready(): Promise<void>;
  close(): Promise<RunResult & { restarts: number }>;
}

/** A terminal with `factoryImage` in slot A (and the flash as given, for a second life), booted by the loader. */
export async function startTerminal(factoryImage: Uint8Array, flash?: SimFlash): Promise<Terminal> {
  const f = flash ?? factoryFlash(board);
  if (!flash) installImage(f, board, 0, factoryImage);
  const loader = new SimBootLoader(f, board);
  const acquirer = await createAcquirerHost({ terminals: [{ terminalId: CONFIG.terminalId, merchantId: CONFIG.merchantId, tmkHex: CONFIG.tmkHex }] });
  const tms = new TmsServer();
  await tms.start();
  const world = createWorld({ jig: false, flash: f, bundle: "", modem: { rssi: 24 }, maxBoots: 40, onLog: process.env.ENGINE_LOG ? (l, m) => console.log(`  [${l}] ${m}`) : undefined });
  attachLoader(world.host, loader);
  world.agent.listeners.push((e) => {
    if (e.ev === "txn" && e.kind === "pin") setImmediate(() => world.ped.type(TEST_CARDS.debit.pin));
  });
  const done = runWithLoader(world.host);
  const a = world.agent;
  const ready = () => Promise.race([a.whenReady(), done.then((r) => Promise.reject(new Error(`engine ended: ${r.status} ${r.error ?? ""}`)))]);
  await ready();
  return {
    world,
    flash: f,
    loader,
    acquirer,
    tms,
    done,
    call: (op, args) => a.call(op, args ?? {}),
    ready,
    async close() {
      await a.call("exit", { status: 0 }).catch(() => undefined);
      const r = await done;
      await acquirer.close();
      await tms.close();
      return r;
    },
  };
}

/** Configures the host address, provisions the TMK and signs in: ready for a sale. */
export async function provision(t: Terminal): Promise<void> {
  await t.call("configure", { hostAddress: "127.0.0.1", hostPort: t.acquirer.port, tpdu: "6000030000", header: "603100310001", signInCode: "003" });
  const { cipher, kcv } = wrapTmk(CONFIG.tmkHex);
  await t.call("provision", { terminalId: CONFIG.terminalId, merchantId: CONFIG.merchantId, merchantName: "", tmkCipher: cipher, tmkKcv: kcv });
  await t.call("settings", { autoSignIn: true });
}

export async function sale(t: Terminal, amount: number): Promise<any> {
  const st = await t.call("state");
  if (!st.signedIn) await t.call("signIn");
  await t.call("operatorSignIn", { no: "01", password: "0000" }).catch(() => undefined);
  return t.call("sale", { amount, card: { track2: TEST_CARDS.debit.track2 }, pin: true });
}

/** Reboots through the agent and waits for the firmware to be back. */
export async function reboot(t: Terminal): Promise<void> {
  await t.call("reset").catch(() => undefined);
  await new Promise((r) => setTimeout(r, 20));
  await t.ready();
}

/** Polls the boot-control record until `pred` holds (the confirmation comes after the agent's ready). */
export async function bootRecordUntil(t: Terminal, pred: (c: any) => boolean, tries = 200): Promise<any> {
  let c: any;
  for (let i = 0; i < tries; i++) {
    c = await t.call("update", {});
    if (c && pred(c)) return c;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`boot record never matched: ${JSON.stringify(c)}`);
}

export function slotBytes(flash: SimFlash, slot: 0 | 1): Buffer {
  const p = slot === 0 ? board.flash.partitions.slotA! : board.flash.partitions.slotB!;
  return Buffer.from(flash.read(p.first * flash.sectorSize, p.count * flash.sectorSize));
}
