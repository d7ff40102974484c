/**
 * PIN pad driver over the PED native. The PED (secure side) holds the TMK and the working keys,
 * decrypts loaded keys inside and checks their KCV, and returns only KCVs, PIN blocks, MACs and
 * ciphertexts: no key and no PIN digit ever reaches the engine. This driver validates requests,
 * maps the PED's results to typed errors and turns PIN entry into a promise.
 *
 * Errors: E_KCV_MISMATCH (a key whose check value differs; nothing installed), E_KEY_LENGTH,
 * E_KEY_SLOT, E_PIN_CANCELLED, E_PIN_TIMEOUT, E_PIN_OPTIONS, E_PAN, and the PED's own codes
 * (E_KEY_MISSING, E_KEY_USAGE, E_PED_BUSY, ...).
 */
import { HalError } from "../errors";

export type KeyAlgorithm = Natives.KeyAlgorithm;
export type WorkingKeyUsage = "pik" | "mak" | "tdk";
export type PedMacAlgorithm = Natives.MacAlgorithm;

/** The PED's factory transport key, under which a TMK is injected. */
export const TRANSPORT_KEY = -1;
/** Key slots the driver accepts (terminal SDKs commonly offer 0..99). */
export const MAX_SLOT = 99;

export interface LoadTmkOptions {
  slot: number;
  algorithm: KeyAlgorithm;
  /** The TMK encrypted under the transport key (or under another TMK slot with `underSlot`). */
  cipher: Uint8Array;
  /** Expected check value (3 or 4 bytes of E(0), compared on its length). */
  kcv: Uint8Array;
  underSlot?: number;
}

export interface LoadWorkingKeyOptions {
  slot: number;
  usage: WorkingKeyUsage;
  algorithm: KeyAlgorithm;
  /** The TMK slot whose key encrypts `cipher`. */
  tmkSlot: number;
  cipher: Uint8Array;
  kcv: Uint8Array;
}

export interface PinEntryOptions {
  /** PIK slot. */
  slot: number;
  /** PAN (digits, check digit included) for the ISO 9564 format-0 block. */
  pan: string;
  minLength?: number;
  maxLength?: number;
  timeoutMs?: number;
  /** ENTER with no digits ends the entry as "bypass" (PIN bypass, EMV CVM). */
  allowBypass?: boolean;
  /** Digits entered so far, for the masked display; never the digits. */
  onKey?(count: number): void;
}

export interface PinEntryResult {
  status: "ok" | "bypass";
  /** The format-0 PIN block encrypted under the PIK ("ok" only). */
  pinBlock?: Uint8Array;
}

const KEY_BYTES: Record<KeyAlgorithm, number[]> = { des: [8], "3des": [16, 24], sm4: [16], aes: [16, 24, 32] };

function checkSlot(slot: number, what: string): void {
  if (!(slot === (slot | 0) && slot >= 0 && slot <= MAX_SLOT)) throw new HalError("E_KEY_SLOT", `${what} slot ${slot}: 0..${MAX_SLOT}`);
}

function checkKey(algorithm: KeyAlgorithm, cipher: Uint8Array, kcv: Uint8Array): void {
  const sizes = KEY_BYTES[algorithm];
  if (!sizes) throw new HalError("E_KEY_ALGORITHM", `unknown key algorithm ${String(algorithm)}`);
  if (sizes.indexOf(cipher.length) < 0) throw new HalError("E_KEY_LENGTH", `${algorithm} key of ${cipher.length} bytes: ${sizes.join("/")}`);
  if (kcv.length < 3 || kcv.length > 4) throw new HalError("E_KCV_LENGTH", `check value of ${kcv.length} bytes: 3..4`);
}

function prefixEqual(full: Uint8Array, expected: Uint8Array): boolean {
  if (full.length < expected.length) return false;
  let d = 0;
  for (let i = 0; i < expected.length; i++) d |= full[i]! ^ expected[i]!;
  return d === 0;
}

function asHal(e: unknown): HalError {
  if (e instanceof HalError) return e;
  const o = e as { code?: unknown; message?: unknown } | undefined;
  const code = o && typeof o.code === "string" ? o.code : "E_PED";
  const msg = o && typeof o.message === "string" ? o.message : String(e);
  return new HalError(code, msg.indexOf(code + ": ") === 0 ? msg.slice(code.length + 2) : msg);
}

export class PinPad {
  private entering = false;

  /** `timers` arm a guard over PIN entry in case the PED never reports its own timeout. */
  constructor(private readonly ped: Natives.Ped, private readonly timers: Natives.Timers) {}

  /** Loads a TMK (under the transport key by default); returns the PED's KCV. */
  loadTmk(o: LoadTmkOptions): Uint8Array {
    checkSlot(o.slot, "TMK");
    const under = o.underSlot ?? TRANSPORT_KEY;
    if (under !== TRANSPORT_KEY) checkSlot(under, "wrapping");
    checkKey(o.algorithm, o.cipher, o.kcv);
    return this.load({ slot: o.slot, usage: "tmk", algorithm: o.algorithm, underSlot: under, cipher: o.cipher, kcv: o.kcv });
  }

  /** Loads a working key (PIK, MAK, TDK) encrypted under a TMK; returns its KCV. */
  loadWorkingKey(o: LoadWorkingKeyOptions): Uint8Array {
    checkSlot(o.slot, o.usage);
    checkSlot(o.tmkSlot, "TMK");
    if (o.usage !== "pik" && o.usage !== "mak" && o.usage !== "tdk") throw new HalError("E_KEY_USAGE", `working key usage ${String(o.usage)}`);
    if (o.slot === o.tmkSlot) throw new HalError("E_KEY_SLOT", "a working key cannot replace its own TMK");
    checkKey(o.algorithm, o.cipher, o.kcv);
    return this.load({ slot: o.slot, usage: o.usage, algorithm: o.algorithm, underSlot: o.tmkSlot, cipher: o.cipher, kcv: o.kcv });
  }

  /**
   * Installs a data-encryption key (usage "dek", for data at rest: the PAN vault) as D_TMK(`cipher`): with random
   * `cipher` bytes the key is one nobody ever sees in clear. No expected check value (none can be known); returns
   * the PED's KCV. A DEK is kept by erase() of every working key (sign-out, key reset), like a TMK.
   */
  loadStorageKey(o: { slot: number; algorithm: KeyAlgorithm; tmkSlot: number; cipher: Uint8Array }): Uint8Array {
    checkSlot(o.slot, "DEK");
    checkSlot(o.tmkSlot, "TMK");
    if (o.slot === o.tmkSlot) throw new HalError("E_KEY_SLOT", "a data key cannot replace its own TMK");
    const sizes = KEY_BYTES[o.algorithm];
    if (!sizes) throw new HalError("E_KEY_ALGORITHM", `unknown key algorithm ${String(o.algorithm)}`);
    if (sizes.indexOf(o.cipher.length) < 0) throw new HalError("E_KEY_LENGTH", `${o.algorithm} key of ${o.cipher.length} bytes: ${sizes.join("/")}`);
    try {
      return this.ped.loadKey({ slot: o.slot, usage: "dek", algorithm: o.algorithm, underSlot: o.tmkSlot, cipher: o.cipher });
    } catch (e) {
      throw asHal(e);
    }
  }

  private load(o: Natives.PedLoadKey): Uint8Array {
    let kcv: Uint8Array;
    try {
      kcv = this.ped.loadKey(o);
    } catch (e) {
      throw asHal(e);
    }
    // Belt and braces: a PED that installed a key whose KCV differs must not keep it.
    if (!prefixEqual(kcv, o.kcv!)) {
      try {
        this.ped.erase(o.slot);
      } catch {
        // nothing more to do: report the mismatch
      }
      throw new HalError("E_KCV_MISMATCH", `slot ${o.slot}: the key's check value differs from the one given`);
    }
    return kcv;
  }

  hasKey(slot: number): boolean {
    checkSlot(slot, "key");
    return this.ped.hasKey(slot);
  }

  /** The 4-byte check value of an installed key (E_KEY_MISSING otherwise). */
  kcv(slot: number): Uint8Array {
    checkSlot(slot, "key");
    try {
      return this.ped.kcv(slot);
    } catch (e) {
      throw asHal(e);
    }
  }

  /** Erases one slot, or every working key (TMKs and DEKs stay) when `slot` is undefined. */
  erase(slot?: number): void {
    if (slot !== undefined) checkSlot(slot, "key");
    this.ped.erase(slot);
  }

  /** MAC over `data` with the MAK in `slot`, computed inside the PED. */
  mac(slot: number, algorithm: PedMacAlgorithm, data: Uint8Array): Uint8Array {
    checkSlot(slot, "MAK");
    try {
      return this.ped.mac({ slot, algorithm, data });
    } catch (e) {
      throw asHal(e);
    }
  }

  /** Encrypts `data` (whole blocks) with the TDK or DEK in `slot`, inside the PED. */
  encrypt(slot: number, mode: "ecb" | "cbc", data: Uint8Array, iv?: Uint8Array): Uint8Array {
    checkSlot(slot, "TDK");
    try {
      return this.ped.encrypt(iv ? { slot, mode, data, iv } : { slot, mode, data });
    } catch (e) {
      throw asHal(e);
    }
  }

  /**
   * Online PIN entry on the PED's keypad: resolves "ok" with the encrypted format-0 PIN block, or
   * "bypass"; rejects E_PIN_CANCELLED (CANCEL) or E_PIN_TIMEOUT. A guard timer cancels the entry
   * if the PED has not reported shortly after its own timeout.
   */
  enterPin(o: PinEntryOptions): Promise<PinEntryResult> {
    checkSlot(o.slot, "PIK");
    const minLength = o.minLength ?? 4;
    const maxLength = o.maxLength ?? 12;
    const timeoutMs = o.timeoutMs ?? 60000;
    if (!(minLength >= 4 && maxLength <= 12 && minLength <= maxLength)) throw new HalError("E_PIN_OPTIONS", `PIN length ${minLength}..${maxLength}: ISO 9564 allows 4..12`);
    if (!(timeoutMs > 0)) throw new HalError("E_PIN_OPTIONS", "timeout must be positive");
    if (!/^[0-9]{13,19}$/.test(o.pan)) throw new HalError("E_PAN", "PAN must be 13..19 digits");
    if (this.entering) return Promise.reject(new HalError("E_PED_BUSY", "a PIN entry is already in progress"));
    return new Promise<PinEntryResult>((resolve, reject) => {
      let guardFired = false;
      let settled = false;
      let guard = 0;
      const finish = () => {
        settled = true;
        this.entering = false;
        this.timers.clear(guard);
      };
      const onDone = (r: { status: "ok" | "bypass" | "cancel" | "timeout"; pinBlock?: Uint8Array }) => {
        if (settled) return;
        finish();
        if (r.status === "ok" && r.pinBlock) resolve({ status: "ok", pinBlock: r.pinBlock });
        else if (r.status === "bypass") resolve({ status: "bypass" });
        else if (r.status === "timeout" || guardFired) reject(new HalError("E_PIN_TIMEOUT", `no PIN within ${timeoutMs} ms`));
        else if (r.status === "cancel") reject(new HalError("E_PIN_CANCELLED", "PIN entry cancelled"));
        else reject(new HalError("E_PED", `PIN entry ended with ${String(r.status)}`));
      };
      this.entering = true;
      try {
        this.ped.pinEntry({ slot: o.slot, pan: o.pan, minLength, maxLength, timeoutMs, allowBypass: o.allowBypass === true, onKey: o.onKey, onDone });
      } catch (e) {
        this.entering = false;
        reject(asHal(e));
        return;
      }
      guard = this.timers.set(() => {
        if (settled) return;
        guardFired = true;
        try {
          this.ped.cancelPinEntry();
        } catch {
          // fall through to the final timer
        }
        // A PED that does not even answer the cancel: give up on it.
        guard = this.timers.set(() => {
          if (settled) return;
          finish();
          reject(new HalError("E_PIN_TIMEOUT", `no PIN within ${timeoutMs} ms (the PED did not answer)`));
        }, 1000);
      }, timeoutMs + 1000);
    });
  }

  /** Ends a PIN entry in progress (it rejects E_PIN_CANCELLED). */
  cancelPin(): void {
    if (this.entering) this.ped.cancelPinEntry();
  }
}
