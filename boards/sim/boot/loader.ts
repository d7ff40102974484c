/**
 * The simulator's boot loader (board code, Node): what a board's first-stage loader does before it starts the
 * engine (docs/firmware-update.md has the C version's duties; the record layout is firmware/update/bootctl.ts).
 *
 * At every boot it reads the boot-control record and picks a slot:
 *   - a slot pending trial: counts the attempt in the record FIRST, then starts it; when it has had
 *     maxAttempts boots without confirming, rolls back (pending cleared, flag set) and starts the active slot;
 *   - otherwise the active slot; if that slot does not verify, the other one when it does;
 *   - no record (a factory-fresh terminal): the first slot that verifies.
 * Every slot is verified before it is started (node:crypto: the header's RSA-2048 signature with a key of the
 * board's `update.keys`, the board name, the bundle's SHA-256): a damaged slot is never executed.
 * A power cut while the loader writes the record reboots into the loader (the record ring keeps the old copy).
 *
 * Hooking it into a simulator world: `attachLoader(world.host, loader)` loads the chosen bundle at each boot;
 * `runWithLoader(host)` restarts after a crash at start (what a hardware watchdog does on a board).
 */
import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import type { BoardJson } from "../../../build/board.ts";
import { nodeVerifyImage } from "../../../build/sign.ts";
import type { EngineHost, RunResult } from "../engine-host.ts";
import type { SimFlash } from "../devices/flash.ts";
import { BootControlStore, FLAG_ROLLED_BACK, NO_SLOT, type BootControl } from "../../../firmware/update/bootctl.ts";
import { HEADER_BYTES, PREFIX_BYTES, parseHeader } from "../../../firmware/update/image.ts";

export interface BootChoice {
  slot: number;
  bundle: string;
  version: string;
  reason: string;
}

export class BootError extends Error {
  constructor(readonly code: "E_BOOT_NO_IMAGE" | "E_BOOT_NO_SLOTS", message: string) {
    super(`${code}: ${message}`);
  }
}

interface UpdateJson {
  keys: Array<{ id: number; modulus: string; exponent: number }>;
  minSecurityVersion: number;
  maxTrialBoots: number;
}

export function keyFromModulus(modulusHex: string, exponent: number): KeyObject {
  const e = Buffer.alloc(4);
  e.writeUInt32BE(exponent);
  let i = 0;
  while (i < 3 && e[i] === 0) i++;
  return createPublicKey({ key: { kty: "RSA", n: Buffer.from(modulusHex, "hex").toString("base64url"), e: e.subarray(i).toString("base64url") }, format: "jwk" });
}

export class SimBootLoader {
  readonly store: BootControlStore;
  readonly slots: Array<{ first: number; count: number }>;
  private readonly keys = new Map<number, KeyObject>();
  private readonly cfg: UpdateJson;
  /** One line per decision (tests read it). */
  readonly events: string[] = [];
  rollbacks = 0;
  /** Power cuts that tore the loader's own record write. */
  cutsInLoader = 0;
  last: BootChoice | undefined;

  constructor(readonly flash: SimFlash, readonly board: BoardJson) {
    const p = board.flash.partitions;
    if (!p.boot || !p.slotA || !p.slotB) throw new BootError("E_BOOT_NO_SLOTS", `board ${board.name} has no boot/slotA/slotB partitions`);
    this.slots = [p.slotA, p.slotB];
    this.store = new BootControlStore(flash, p.boot);
    this.cfg = (board as BoardJson & { update: UpdateJson }).update;
    for (const k of this.cfg.keys) this.keys.set(k.id, keyFromModulus(k.modulus, k.exponent));
  }

  /** The image in a slot when it verifies (signature, key, board, digest), else undefined. */
  verifySlot(slot: number): { version: string; securityVersion: number; image: Uint8Array } | undefined {
    const s = this.slots[slot]!;
    const base = s.first * this.flash.sectorSize;
    const max = s.count * this.flash.sectorSize;
    let h;
    try {
      h = parseHeader(this.flash.read(base, HEADER_BYTES));
    } catch {
      return undefined;
    }
    const key = this.keys.get(h.keyId);
    if (!key || h.board !== this.board.name || PREFIX_BYTES + h.length > max) return undefined;
    const image = this.flash.read(base, PREFIX_BYTES + h.length);
    if (!nodeVerifyImage(image, key)) return undefined;
    return { version: h.version, securityVersion: h.securityVersion, image };
  }

  /** Picks the slot for this boot and updates the record (see the file comment). */
  choose(): BootChoice {
    for (;;) {
      const rec = this.store.read();
      const valid = [this.verifySlot(0), this.verifySlot(1)];
      const anyValid = (prefer: number) => (valid[prefer] ? prefer : valid[1 - prefer] ? 1 - prefer : undefined);
      let slot: number | undefined;
      let next: BootControl;
      let reason: string;
      if (!rec) {
        slot = anyValid(0);
        reason = "no boot record: first valid slot";
        next = { active: slot ?? NO_SLOT, pending: NO_SLOT, attempts: 0, maxAttempts: this.cfg.maxTrialBoots, booted: slot ?? NO_SLOT, flags: 0, minSecurityVersion: this.cfg.minSecurityVersion };
      } else if (rec.pending !== NO_SLOT && rec.attempts < rec.maxAttempts && valid[rec.pending]) {
        slot = rec.pending;
        reason = `trial boot ${rec.attempts + 1} of ${rec.maxAttempts}`;
        next = { ...rec, attempts: rec.attempts + 1, booted: slot };
      } else if (rec.pending !== NO_SLOT) {
        slot = anyValid(rec.active === NO_SLOT ? 1 - rec.pending : rec.active);
        reason = valid[rec.pending] ? `rollback: no confirmation after ${rec.attempts} trial boots` : "rollback: the staged slot does not verify";
        next = { ...rec, pending: NO_SLOT, attempts: 0, flags: rec.flags | FLAG_ROLLED_BACK, booted: slot ?? NO_SLOT, active: slot ?? rec.active };
      } else {
        slot = anyValid(rec.active === NO_SLOT ? 0 : rec.active);
        reason = slot === rec.active ? "active slot" : "active slot does not verify: the other one";
        next = { ...rec, booted: slot ?? NO_SLOT, active: slot ?? rec.active };
      }
      if (slot === undefined) {
        this.events.push("no valid image");
        throw new BootError("E_BOOT_NO_IMAGE", "no slot holds a valid signed image");
      }
      if (!rec || !sameRecord(rec, next)) {
        this.store.write(next);
        if (this.flash.takePowerCut()) {
          this.cutsInLoader++;
          this.events.push("power cut in the loader's record write: reboot");
          continue;
        }
      }
      if (reason.startsWith("rollback")) this.rollbacks++;
      const v = valid[slot]!;
      const bundle = Buffer.from(v.image.subarray(PREFIX_BYTES)).toString("utf8");
      this.events.push(`slot ${slot === 0 ? "A" : "B"} ${v.version}: ${reason}`);
      this.last = { slot, bundle, version: v.version, reason };
      return this.last;
    }
  }
}

function sameRecord(a: BootControl, b: BootControl): boolean {
  return a.active === b.active && a.pending === b.pending && a.attempts === b.attempts && a.maxAttempts === b.maxAttempts && a.booted === b.booted && a.flags === b.flags && a.minSecurityVersion === b.minSecurityVersion;
}

/** Factory programming: writes a signed image into a slot (erase + program, no cuts). */
export function installImage(flash: SimFlash, board: BoardJson, slot: 0 | 1, image: Uint8Array): void {
  const part = slot === 0 ? board.flash.partitions.slotA! : board.flash.partitions.slotB!;
  const ss = flash.sectorSize;
  if (image.length > part.count * ss) throw new Error(`E_BOOT_IMAGE_SIZE: ${image.length} B over the slot's ${part.count * ss} B`);
  for (let s = 0; s < Math.ceil(image.length / ss); s++) flash.erase(part.first + s);
  flash.program(part.first * ss, image);
}

/** Makes the host load the loader's choice at every boot. */
export function attachLoader(host: EngineHost, loader: SimBootLoader): void {
  host.setBootImage(() => loader.choose().bundle);
}

/**
 * Runs the host; a boot that dies at start (the bundle throws) is restarted like a hardware watchdog would, up to
 * `maxRestarts` times. Returns the last run's result and the restarts.
 */
export async function runWithLoader(host: EngineHost, maxRestarts = 6): Promise<RunResult & { restarts: number }> {
  let restarts = 0;
  for (;;) {
    const r = await host.run();
    if (r.status === "error" && restarts < maxRestarts && !/E_BOOT_NO_IMAGE/.test(r.error ?? "")) {
      restarts++;
      continue;
    }
    return { ...r, restarts };
  }
}

/** SHA-256 of a string (to name bundles in reports). */
export function bundleId(bundle: string): string {
  return createHash("sha256").update(bundle).digest("hex").slice(0, 12);
}
