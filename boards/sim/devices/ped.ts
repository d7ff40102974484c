/**
 * The simulator's PED (secure PIN entry device). It plays the secure side of the `ped` native through
 * one host function, `pedCall(op, jsonArgs)` (boards/sim/prelude.js): keys live only here (a factory
 * transport key, TMK slots, working keys decrypted inside with the core ciphers and checked by KCV), and
 * only check values, MACs, ciphertexts and encrypted PIN blocks go back to the engine.
 *
 * PIN entry is driven by the test pressing the PED's keys (`press`, `type`, or a SimKeypad linked to
 * this PED): the digits stay here; the engine gets digit counts ("pin" events) and the final result
 * ("pindone" with status and, for "ok", the ISO 9564 format-0 block under the PIK). The PED's own
 * timeout is checked on the engine clock at every key and at cancel (the driver's guard timer calls
 * cancel just after the deadline; the PED then reports "timeout").
 */
import { randomFillSync } from "node:crypto";
import type { QuickJSContext, QuickJSHandle } from "quickjs-emscripten";
import type { ExtraNatives, HostApi } from "../engine-host.ts";
import { createCipher, ecbDecrypt, ecbEncrypt, cbcEncrypt } from "../../../firmware/core/modes.ts";
import { kcv as keyCheckValue } from "../../../firmware/core/kcv.ts";
import { computeMac, type MacAlgorithm as CoreMac } from "../../../firmware/core/mac.ts";
import { buildPinBlock, encipherIso4 } from "../../../firmware/core/pinblock.ts";
import type { CipherAlgorithm } from "../../../firmware/core/cipher.ts";

/** "dek": data-encryption key for data at rest (PAN vault): encrypt like a TDK, kept by erase-all like a TMK. */
export type KeyUsage = "tmk" | "pik" | "mak" | "tdk" | "dek";
type PedKey = { usage: KeyUsage; algorithm: CipherAlgorithm; key: Uint8Array };

/** The default factory transport key (a well-known test key: never a production one). */
export const SIM_TRANSPORT_KEY_HEX = "0123456789ABCDEFFEDCBA9876543210";

const KEY_BYTES: Record<CipherAlgorithm, number[]> = { des: [8], "3des": [16, 24], sm4: [16], aes: [16, 24, 32] };
const MAX_SLOT = 99;

class PedError extends Error {
  constructor(code: string, message: string) {
    super(`${code}: ${message}`);
  }
}

function bytesArg(v: unknown, what: string): Uint8Array {
  const h = v && typeof v === "object" ? (v as { hex?: unknown }).hex : undefined;
  if (typeof h !== "string" || !/^([0-9a-fA-F]{2})*$/.test(h)) throw new PedError("E_OPTIONS", `${what} must be bytes`);
  return Uint8Array.from(Buffer.from(h, "hex"));
}
function hexOf(b: Uint8Array): string {
  return Buffer.from(b).toString("hex").toUpperCase();
}

export interface PinEntryState {
  id: number;
  slot: number;
  pan: string;
  minLength: number;
  maxLength: number;
  allowBypass: boolean;
  deadline: number;
  digits: string;
}

export class SimPed implements ExtraNatives {
  /** Operations the engine asked for (no key material, no digits), for tests. */
  readonly calls: Array<{ op: string; slot?: number; ok: boolean; code?: string }> = [];
  /** How entries ended, for tests. */
  readonly entries: Array<{ status: string; digits: number }> = [];

  private readonly transport: PedKey;
  private readonly slots = new Map<number, PedKey>();
  private entry: PinEntryState | undefined;
  private api: HostApi | undefined;

  /** The PIN entry under way, as a PED's own display shows it: how many digits, until when (never the digits). */
  get entryProgress(): { digits: number; minLength: number; maxLength: number; deadline: number } | undefined {
    const e = this.entry;
    return e ? { digits: e.digits.length, minLength: e.minLength, maxLength: e.maxLength, deadline: e.deadline } : undefined;
  }

  constructor(options: { transportKeyHex?: string; transportAlgorithm?: CipherAlgorithm } = {}) {
    const algorithm = options.transportAlgorithm ?? "3des";
    this.transport = { usage: "tmk", algorithm, key: Uint8Array.from(Buffer.from(options.transportKeyHex ?? SIM_TRANSPORT_KEY_HEX, "hex")) };
  }

  // ---- test controls ---------------------------------------------------------------------------

  get entering(): boolean {
    return this.entry !== undefined;
  }

  /** Presses one PED key: a digit, "enter", "clear" or "cancel". Returns false when no entry is running. */
  press(key: string): boolean {
    const e = this.entry;
    if (!e || !this.api) return false;
    if (this.api.clock.monotonic() >= e.deadline) {
      this.finish("timeout");
      return true;
    }
    if (key.length === 1 && key >= "0" && key <= "9") {
      if (e.digits.length < e.maxLength) {
        e.digits += key;
        this.api.post("pin", e.id, e.digits.length);
      }
    } else if (key === "clear") {
      if (e.digits.length) {
        e.digits = "";
        this.api.post("pin", e.id, 0);
      }
    } else if (key === "cancel") this.finish("cancel");
    else if (key === "enter") {
      const n = e.digits.length;
      if (n === 0 && e.allowBypass) this.finish("bypass");
      else if (n >= e.minLength && n <= e.maxLength) this.finish("ok");
      // else: too short, the PED beeps and waits
    }
    return true;
  }

  /** Types digits and, unless told otherwise, ENTER. */
  type(digits: string, enter = true): void {
    for (const d of digits) this.press(d);
    if (enter) this.press("enter");
  }

  /** What a slot holds, without the key. */
  keyInfo(slot: number): { usage: KeyUsage; algorithm: CipherAlgorithm; kcv: string } | undefined {
    const k = this.slots.get(slot);
    return k ? { usage: k.usage, algorithm: k.algorithm, kcv: hexOf(keyCheckValue(k.algorithm, k.key, 4)) } : undefined;
  }

  /** Fault injection (self-test tests): the key in `slot` is damaged (bits flipped), so its check value changes. */
  corruptKey(slot: number): boolean {
    const k = this.slots.get(slot);
    if (!k) return false;
    k.key[0]! ^= 0x10;
    return true;
  }

  // ---- the native ------------------------------------------------------------------------------

  install(ctx: QuickJSContext, host: QuickJSHandle, api: HostApi): void {
    this.api = api;
    // A reboot ends any PIN entry; keys are kept (the PED's secure memory is battery-backed).
    if (this.entry) {
      this.entry.digits = "";
      this.entry = undefined;
    }
    const h = ctx.newFunction("pedCall", (opH, argsH) => {
      const op = ctx.getString(opH);
      const args = JSON.parse(ctx.getString(argsH)) as Record<string, unknown>;
      try {
        const r = this.call(op, args);
        this.calls.push({ op, slot: typeof args.slot === "number" ? args.slot : undefined, ok: true });
        return typeof r === "number" ? ctx.newNumber(r) : ctx.newString(r);
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        this.calls.push({ op, slot: typeof args.slot === "number" ? args.slot : undefined, ok: false, code: /^(E_[A-Z0-9_]+)/.exec(msg)?.[1] });
        throw e instanceof Error ? e : new Error(msg);
      }
    });
    ctx.setProp(host, "pedCall", h);
    h.dispose();
  }

  private slotArg(v: unknown): number {
    if (typeof v !== "number" || v !== Math.floor(v) || v < 0 || v > MAX_SLOT) throw new PedError("E_KEY_SLOT", `slot ${String(v)}: 0..${MAX_SLOT}`);
    return v;
  }

  private keyIn(slot: number, usage: KeyUsage): PedKey {
    const k = this.slots.get(slot);
    if (!k) throw new PedError("E_KEY_MISSING", `no key in slot ${slot}`);
    if (k.usage !== usage) throw new PedError("E_KEY_USAGE", `slot ${slot} holds a ${k.usage}, not a ${usage}`);
    return k;
  }

  private call(op: string, a: Record<string, unknown>): string | number {
    switch (op) {
      case "loadKey":
        return this.loadKey(a);
      case "hasKey":
        return this.slots.has(this.slotArg(a.slot)) ? "1" : "0";
      case "kcv": {
        const slot = this.slotArg(a.slot);
        const k = this.slots.get(slot);
        if (!k) throw new PedError("E_KEY_MISSING", `no key in slot ${slot}`);
        return hexOf(keyCheckValue(k.algorithm, k.key, 4));
      }
      case "erase":
        if (a.slot === undefined || a.slot === null) {
          for (const [s, k] of this.slots) if (k.usage !== "tmk" && k.usage !== "dek") this.wipe(s);
        } else this.wipe(this.slotArg(a.slot));
        return "";
      case "mac":
        return this.mac(a);
      case "encrypt":
        return this.encrypt(a);
      case "pinEntry":
        return this.startEntry(a);
      case "cancelPinEntry":
        if (this.entry) this.finish(this.api && this.api.clock.monotonic() >= this.entry.deadline ? "timeout" : "cancel");
        return "";
      default:
        throw new PedError("E_PED_OP", `unknown PED operation ${op}`);
    }
  }

  private wipe(slot: number): void {
    const k = this.slots.get(slot);
    if (k) k.key.fill(0);
    this.slots.delete(slot);
  }

  private loadKey(a: Record<string, unknown>): string {
    const slot = this.slotArg(a.slot);
    const usage = a.usage as KeyUsage;
    if (usage !== "tmk" && usage !== "pik" && usage !== "mak" && usage !== "tdk" && usage !== "dek") throw new PedError("E_KEY_USAGE", `usage ${String(usage)}`);
    const algorithm = a.algorithm as CipherAlgorithm;
    const sizes = KEY_BYTES[algorithm];
    if (!sizes) throw new PedError("E_KEY_ALGORITHM", `algorithm ${String(algorithm)}`);
    const under = a.underSlot;
    let wrapping: PedKey;
    if (under === -1) {
      if (usage !== "tmk") throw new PedError("E_KEY_USAGE", "only a TMK is loaded under the transport key");
      wrapping = this.transport;
    } else {
      wrapping = this.keyIn(this.slotArg(under), "tmk");
      if (under === slot) throw new PedError("E_KEY_SLOT", "a key cannot be loaded under itself");
    }
    const existing = this.slots.get(slot);
    if (existing && existing.usage === "tmk" && usage !== "tmk") throw new PedError("E_KEY_USAGE", `slot ${slot} holds a TMK`);
    const cipher = bytesArg(a.cipher, "cipher");
    const c = createCipher(wrapping.algorithm, wrapping.key);
    if (cipher.length === 0 || cipher.length % c.blockSize !== 0) throw new PedError("E_KEY_LENGTH", `encrypted key of ${cipher.length} bytes: whole ${c.blockSize}-byte blocks`);
    const key = ecbDecrypt(c, cipher);
    if (!sizes.includes(key.length)) {
      key.fill(0);
      throw new PedError("E_KEY_LENGTH", `${algorithm} key of ${cipher.length} bytes`);
    }
    const check = keyCheckValue(algorithm, key, 4);
    if (a.kcv !== undefined) {
      const want = bytesArg(a.kcv, "kcv");
      if (want.length < 3 || want.length > 4 || hexOf(check).slice(0, want.length * 2) !== hexOf(want)) {
        key.fill(0);
        throw new PedError("E_KCV_MISMATCH", `slot ${slot}: check value ${hexOf(want)} differs; key refused`);
      }
    }
    if (existing) existing.key.fill(0);
    this.slots.set(slot, { usage, algorithm, key });
    return hexOf(check);
  }

  private mac(a: Record<string, unknown>): string {
    const k = this.keyIn(this.slotArg(a.slot), "mak");
    const data = bytesArg(a.data, "data");
    const alg = a.algorithm as string;
    let core: CoreMac | undefined;
    if (alg === "cup-ecb") core = k.algorithm === "des" ? "cup-ecb" : k.algorithm === "3des" ? "cup-ecb-3des" : undefined;
    else if (alg === "x9.9" || alg === "x9.19" || alg === "sm4-ecb" || alg === "aes-cmac") core = alg;
    else throw new PedError("E_MAC_ALG", `MAC algorithm ${alg}`);
    if (!core) throw new PedError("E_MAC_ALG", `cup-ecb with a ${k.algorithm} key`);
    const needs: Record<string, CipherAlgorithm[]> = { "cup-ecb": ["des"], "cup-ecb-3des": ["3des"], "x9.9": ["des"], "x9.19": ["3des"], "sm4-ecb": ["sm4"], "aes-cmac": ["aes"] };
    if (!needs[core]!.includes(k.algorithm)) throw new PedError("E_MAC_ALG", `${alg} with a ${k.algorithm} key`);
    return hexOf(computeMac(core, k.key, data));
  }

  private encrypt(a: Record<string, unknown>): string {
    const slot = this.slotArg(a.slot);
    const k = this.slots.get(slot)?.usage === "dek" ? this.keyIn(slot, "dek") : this.keyIn(slot, "tdk");
    const data = bytesArg(a.data, "data");
    const c = createCipher(k.algorithm, k.key);
    if (a.mode === "ecb") return hexOf(ecbEncrypt(c, data));
    if (a.mode === "cbc") return hexOf(cbcEncrypt(c, data, a.iv === undefined ? new Uint8Array(c.blockSize) : bytesArg(a.iv, "iv")));
    throw new PedError("E_OPTIONS", `mode ${String(a.mode)}`);
  }

  private startEntry(a: Record<string, unknown>): number {
    if (this.entry) throw new PedError("E_PED_BUSY", "a PIN entry is already running");
    const slot = this.slotArg(a.slot);
    const k = this.keyIn(slot, "pik");
    if (k.algorithm === "sm4") throw new PedError("E_PED_ALGORITHM", "no PIN block format for an SM4 PIK here");
    const pan = a.pan;
    if (typeof pan !== "string" || !/^[0-9]{13,19}$/.test(pan)) throw new PedError("E_PAN", "PAN of 13..19 digits required");
    const minLength = Number(a.minLength);
    const maxLength = Number(a.maxLength);
    if (!(minLength >= 4 && maxLength <= 12 && minLength <= maxLength)) throw new PedError("E_PIN_OPTIONS", `PIN length ${minLength}..${maxLength}`);
    const timeoutMs = Number(a.timeoutMs);
    if (!(timeoutMs > 0)) throw new PedError("E_PIN_OPTIONS", "timeout required");
    const id = this.api!.newHandlerId();
    this.entry = { id, slot, pan, minLength, maxLength, allowBypass: a.allowBypass === true, deadline: this.api!.clock.monotonic() + timeoutMs, digits: "" };
    return id;
  }

  private finish(status: "ok" | "bypass" | "cancel" | "timeout"): void {
    const e = this.entry!;
    this.entry = undefined;
    let pinBlock: string | undefined;
    if (status === "ok") {
      const k = this.keyIn(e.slot, "pik");
      if (k.algorithm === "aes") pinBlock = hexOf(encipherIso4(k.key, e.digits, e.pan, (into) => void randomFillSync(into)));
      else {
        const clear = buildPinBlock(0, e.digits, e.pan);
        pinBlock = hexOf(ecbEncrypt(createCipher(k.algorithm, k.key), clear));
        clear.fill(0);
      }
    }
    this.entries.push({ status, digits: e.digits.length });
    e.digits = "";
    this.api!.post("pindone", e.id, JSON.stringify(pinBlock ? { status, pinBlock } : { status }));
  }
}
