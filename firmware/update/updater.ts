/**
 * Firmware updates from the terminal-management system (TMS), docs/firmware-update.md:
 *
 * 1. ask the TMS for an offer (board, running version); it answers the new image's header and signature;
 * 2. check them (signature, key, board, security version, size) before a byte of the bundle is stored;
 * 3. download the image sector by sector into the INACTIVE slot, recording progress after each sector (a power
 *    cut resumes at the last recorded sector: that sector is erased and written again);
 * 4. verify the image as it sits in flash (prefix and the bundle's SHA-256) and only then mark the slot staged
 *    in the boot-control record; the boot loader starts it on trial at the next reset;
 * 5. the new firmware confirms its boot once the app has started (confirmBoot); the loader rolls back to the
 *    previous slot if it does not within maxTrialBoots boots.
 *
 * TMS wire: frames of a 2-byte big-endian length + a CBOR map, over a NetSocket (the 4G module's TCP socket).
 *   {op: "offer", board, version, securityVersion}  ->  {none: true} | {version, prefix: bytes(352), size}
 *   {op: "chunk", offset, length}                    ->  {offset, data: bytes} (shorter only at the end)
 */
import { cborDecode, cborEncode, type CborValue } from "../core/cbor";
import { CoreError } from "../core/errors";
import { sha256 } from "../core/sha256";
import type { Hal } from "../../hal/index";
import type { NetConnector, NetSocket } from "../../hal/net/socket";
import { BootControlStore, NO_SLOT, slotNames, type BootControl } from "./bootctl";
import { PREFIX_BYTES, sameBytes, verifyImageInFlash, verifyPrefix, type ImageHeader, type UpdateKey, type UpdatePolicy } from "./image";
import { RecordRing, le32, putLe32 } from "./records";

export const PROGRESS_MAGIC = 0x50445055; // "UPDP" as little-endian bytes 55 50 44 50
const PROGRESS_BYTES = 64;
const STATE_DOWNLOADING = 1;
const STATE_STAGED = 2;

/** board.json `update`: the keys, the lowest security version, trial boots before a rollback. */
export interface UpdateConfig {
  keys: UpdateKey[];
  minSecurityVersion: number;
  maxTrialBoots: number;
}

export function updateConfig(device: Hal["device"]): UpdateConfig | undefined {
  const u = (device as unknown as { update?: UpdateConfig }).update;
  return u && Array.isArray(u.keys) ? u : undefined;
}

export type UpdateOutcome =
  | { status: "current"; version: string }
  | { status: "staged"; version: string; slot: number; bytes: number; resumedAt: number; securityVersion: number }
  | { status: "awaiting-reboot"; slot: number };

interface Layout {
  flash: Natives.Flash;
  slots: Array<{ first: number; count: number }>;
  boot: BootControlStore;
  progress: RecordRing;
  config: UpdateConfig;
}

function layout(hal: Hal): Layout | undefined {
  const slots = slotNames(hal.device);
  const bootPart = hal.device.flash.partitions.boot;
  const progPart = hal.device.flash.partitions.update;
  const config = updateConfig(hal.device);
  if (!slots || !bootPart || !progPart || !config) return undefined;
  return {
    flash: hal.flash,
    slots,
    boot: new BootControlStore(hal.flash, bootPart),
    progress: new RecordRing({ flash: hal.flash, first: progPart.first, count: progPart.count }, PROGRESS_MAGIC, PROGRESS_BYTES),
    config,
  };
}

/**
 * Called by the app once it has started (firmware/app/start.ts): a boot on trial becomes the confirmed one
 * (and raises the minimum security version to the image's). Returns what it did.
 */
export function confirmBoot(hal: Hal, securityVersion?: number): "confirmed" | "not-on-trial" | "no-slots" {
  const l = layout(hal);
  if (!l) return "no-slots";
  const c = l.boot.read();
  if (!c || c.pending === NO_SLOT || c.pending !== c.booted) return "not-on-trial";
  let sv = c.minSecurityVersion;
  try {
    const prefix = l.flash.read(l.slots[c.pending]!.first * l.flash.sectorSize, PREFIX_BYTES);
    const h = verifyPrefix(prefix, policyOf(hal, l, c));
    sv = Math.max(sv, securityVersion ?? h.securityVersion);
  } catch {
    // the loader verified it before starting it; keep the old minimum if it cannot be read now
  }
  l.boot.write({ ...c, active: c.pending, pending: NO_SLOT, attempts: 0, flags: 0, minSecurityVersion: sv });
  hal.log.info(`update: boot of slot ${c.pending === 0 ? "A" : "B"} confirmed (security version >= ${sv})`);
  return "confirmed";
}

/** The boot-control record as the agent's `update` op reports it. */
export function bootState(hal: Hal): BootControl | undefined {
  return layout(hal)?.boot.read();
}

function policyOf(hal: Hal, l: Layout, c: BootControl | undefined): UpdatePolicy {
  const slotBytes = Math.min(l.slots[0]!.count, l.slots[1]!.count) * l.flash.sectorSize;
  return {
    board: hal.device.name,
    keys: l.config.keys,
    minSecurityVersion: Math.max(l.config.minSecurityVersion, c?.minSecurityVersion ?? 0),
    maxBundleBytes: slotBytes - PREFIX_BYTES,
  };
}

function fail(code: string, message: string): never {
  throw new CoreError(code, message);
}

/** One request/answer with the TMS. */
async function exchange(sock: NetSocket, req: { [k: string]: CborValue }, timeoutMs: number): Promise<{ [k: string]: CborValue }> {
  const body = cborEncode(req);
  const frame = new Uint8Array(2 + body.length);
  frame[0] = body.length >> 8;
  frame[1] = body.length & 0xff;
  frame.set(body, 2);
  await sock.write(frame);
  const len = await sock.readExactly(2, timeoutMs);
  const n = (len[0]! << 8) | len[1]!;
  const answer = cborDecode(await sock.readExactly(n, timeoutMs));
  if (!answer || typeof answer !== "object" || answer instanceof Uint8Array || Array.isArray(answer)) fail("E_UPDATE_TMS", "the TMS answered something that is not a map");
  const m = answer as { [k: string]: CborValue };
  if (typeof m.error === "string") fail("E_UPDATE_TMS", `the TMS refused: ${m.error}`);
  return m;
}

export interface UpdateRequest {
  host: string;
  port: number;
  /** Running firmware version (reported to the TMS). */
  version: string;
  timeoutMs?: number;
  /** Called after each sector is stored (tests, progress screen). */
  onProgress?(done: number, total: number): void;
}

/** Checks the TMS for a new image and stages it (see the file comment). Typed errors: E_UPDATE_*. */
export async function checkForUpdate(hal: Hal, net: NetConnector, r: UpdateRequest): Promise<UpdateOutcome> {
  const l = layout(hal);
  if (!l) fail("E_UPDATE_UNSUPPORTED", `board ${hal.device.name} has no update slots or keys`);
  const ctl = l.boot.read();
  const running = ctl && ctl.booted !== NO_SLOT ? ctl.booted : 0;
  if (ctl && ctl.pending !== NO_SLOT && ctl.pending !== ctl.booted) return { status: "awaiting-reboot", slot: ctl.pending };
  const target = 1 - running;
  const policy = policyOf(hal, l, ctl);
  const ss = l.flash.sectorSize;
  const base = l.slots[target]!.first * ss;
  const timeoutMs = r.timeoutMs ?? 30000;

  const sock = await net.connect(r.host, r.port, { timeoutMs });
  try {
    const offer = await exchange(sock, { op: "offer", board: hal.device.name, version: r.version, securityVersion: policy.minSecurityVersion }, timeoutMs);
    if (offer.none === true) return { status: "current", version: r.version };
    const prefix = offer.prefix;
    if (!(prefix instanceof Uint8Array)) fail("E_UPDATE_TMS", "the offer has no image prefix");
    if (prefix.length < PREFIX_BYTES) fail("E_UPDATE_TRUNCATED", `the offer's prefix is ${prefix.length} B of ${PREFIX_BYTES}`);
    // Before anything is written: signature, key, board, security version, size.
    const h: ImageHeader = verifyPrefix(prefix, policy);
    const total = PREFIX_BYTES + h.length;
    if (typeof offer.size === "number" && offer.size < total) fail("E_UPDATE_TRUNCATED", `the TMS holds ${offer.size} B of a ${total} B image`);
    const id = sha256(prefix, 0, PREFIX_BYTES);

    // Resume where a cut (or a lost connection) left the same image in the same slot.
    let start = 0;
    const p = readProgress(l.progress);
    if (p && p.slot === target && p.total === total && sameBytes(p.id, id)) {
      if (p.state === STATE_STAGED) start = total;
      else start = Math.min(p.next, total) - (Math.min(p.next, total) % ss);
    }
    const resumedAt = start;
    if (start === 0) writeProgress(l.progress, { slot: target, state: STATE_DOWNLOADING, total, next: 0, id });
    for (let off = start; off < total; off += ss) {
      const want = Math.min(ss, total - off);
      const a = await exchange(sock, { op: "chunk", offset: off, length: want }, timeoutMs);
      const data = a.data;
      if (a.offset !== off || !(data instanceof Uint8Array)) fail("E_UPDATE_TMS", `asked for offset ${off}, got ${String(a.offset)}`);
      if (data.length < want) fail("E_UPDATE_TRUNCATED", `the image ends at ${off + data.length} B, its header says ${total} B`);
      if (off === 0 && !sameBytes(data.subarray(0, PREFIX_BYTES), prefix.subarray(0, PREFIX_BYTES))) fail("E_UPDATE_MISMATCH", "the image's first bytes differ from the offered header");
      const sector = (base + off) / ss;
      l.flash.erase(sector);
      l.flash.program(base + off, data.length === want ? data : data.subarray(0, want));
      writeProgress(l.progress, { slot: target, state: STATE_DOWNLOADING, total, next: off + want, id });
      r.onProgress?.(off + want, total);
    }

    // Verify what is in flash, not what was received, before the slot is marked staged.
    try {
      verifyImageInFlash(l.flash, base, policy);
    } catch (e) {
      writeProgress(l.progress, { slot: target, state: 0, total, next: 0, id });
      throw e;
    }
    writeProgress(l.progress, { slot: target, state: STATE_STAGED, total, next: total, id });
    const now = l.boot.read();
    l.boot.write({
      active: now && now.active !== NO_SLOT ? now.active : running,
      pending: target,
      attempts: 0,
      maxAttempts: l.config.maxTrialBoots,
      booted: running,
      flags: 0,
      minSecurityVersion: now?.minSecurityVersion ?? l.config.minSecurityVersion,
    });
    hal.log.info(`update: ${h.version} staged in slot ${target === 0 ? "A" : "B"} (${total} B, resumed at ${resumedAt})`);
    return { status: "staged", version: h.version, slot: target, bytes: total, resumedAt, securityVersion: h.securityVersion };
  } finally {
    await sock.close();
  }
}

interface Progress {
  slot: number;
  state: number;
  total: number;
  next: number;
  id: Uint8Array;
}

function readProgress(ring: RecordRing): Progress | undefined {
  const p = ring.read();
  if (!p) return undefined;
  return { slot: p[0]!, state: p[1]!, total: le32(p, 4), next: le32(p, 8), id: p.slice(12, 44) };
}

function writeProgress(ring: RecordRing, v: Progress): void {
  const p = new Uint8Array(PROGRESS_BYTES - 12);
  p[0] = v.slot;
  p[1] = v.state;
  putLe32(p, 4, v.total);
  putLe32(p, 8, v.next);
  p.set(v.id, 12);
  ring.write(p);
}
