/**
 * Working keys and the sign-in (签到, spec §6.2): the 0800 with 60.3 = 001/003/004, field 62 of the answer split by
 * that code, each key loaded into the PED under the TMK with its check value (the PED decrypts inside and refuses
 * a key whose KCV differs: keys never reach the engine).
 *
 * All or none: the PED has two banks of working-key slots. A sign-in loads the new PIK / MAK (/ TDK) into the bank
 * that is not in use; only when every key is in does one store commit switch the active bank. A KCV mismatch
 * (or any load error) erases the half-loaded bank and leaves the terminal signed out (the host has replaced its
 * keys anyway), with E_KCV_MISMATCH; a power cut in the middle leaves the old state in flash.
 *
 * PED slots (profile "Keys in the PED", second bank added here): TMK 1; bank 0: PIK 2, MAK 3, TDK 4; bank 1:
 * PIK 12, MAK 13, TDK 14. MAC: CUP ECB with the single-DES MAK, inside the PED.
 */
import { CoreError } from "../core/errors";
import type { FlashLog } from "../store/flash-log";
import type { PinPad } from "../../hal/ped/pinpad";
import { parseSignInKeys, type MacFunction, type SignInCode, type SignInKeys } from "../cup/messages";
import { RecordReader, RecordWriter } from "../txn/record-codec";
import { KEY_KEYSTATE } from "./storage";

export const TMK_SLOT = 1;
export const BANKS: ReadonlyArray<{ pik: number; mak: number; tdk: number }> = [
  { pik: 2, mak: 3, tdk: 4 },
  { pik: 12, mak: 13, tdk: 14 },
];

export interface KeyState {
  bank: number;
  signedIn: boolean;
  code: SignInCode;
  /** RTC ms of the last successful sign-in. */
  at: number;
}

const VERSION = 1;

export class WorkingKeys {
  state: KeyState = { bank: 0, signedIn: false, code: "003", at: 0 };

  constructor(private readonly store: FlashLog, private readonly pinpad: PinPad) {
    const b = store.get(KEY_KEYSTATE);
    if (b) {
      try {
        const r = new RecordReader(b);
        if (r.u8() === VERSION) this.state = { bank: r.u8() & 1, signedIn: r.u8() === 1, code: r.str() as SignInCode, at: r.u48() };
      } catch {
        // an unreadable key state: signed out (a sign-in rewrites it)
      }
    }
  }

  get signedIn(): boolean {
    return this.state.signedIn;
  }

  get slots(): { pik: number; mak: number; tdk: number } {
    return BANKS[this.state.bank]!;
  }

  private save(s: KeyState): void {
    this.store.put(KEY_KEYSTATE, new RecordWriter(16).u8(VERSION).u8(s.bank).u8(s.signedIn ? 1 : 0).str(s.code).u48(Math.max(0, Math.floor(s.at))).finish());
    this.state = s;
  }

  /** The CUP ECB MAC under the active MAK, computed in the PED; undefined when signed out. */
  macFunction(): MacFunction | undefined {
    if (!this.state.signedIn) return undefined;
    const slot = this.slots.mak;
    const pad = this.pinpad;
    return (data) => pad.mac(slot, "cup-ecb", data);
  }

  /** Signs out: the working keys are no longer used (sign-out, or an answer that asks for a new sign-in). */
  invalidate(): void {
    if (this.state.signedIn) this.save({ ...this.state, signedIn: false });
  }

  /**
   * Installs the keys of a sign-in answer (field 62 split by `code`) into the idle bank, then makes it active.
   * Throws E_KCV_MISMATCH (or the PED's error) with nothing installed and the terminal signed out.
   */
  install(field62: Uint8Array | undefined, code: SignInCode, now: number): SignInKeys {
    if (!field62) {
      this.invalidate();
      throw new CoreError("E_MSG_FIELD62", "签到应答缺少工作密钥 / the sign-in answer has no field 62 (working keys)");
    }
    let keys: SignInKeys;
    try {
      keys = parseSignInKeys(field62, code);
    } catch (e) {
      this.invalidate();
      throw e;
    }
    const idle = (this.state.bank ^ 1) & 1;
    const slots = BANKS[idle]!;
    const pad = this.pinpad;
    try {
      pad.loadWorkingKey({ slot: slots.pik, usage: "pik", algorithm: keys.pik.algorithm, tmkSlot: TMK_SLOT, cipher: keys.pik.cipher, kcv: keys.pik.kcv });
      pad.loadWorkingKey({ slot: slots.mak, usage: "mak", algorithm: keys.mak.algorithm, tmkSlot: TMK_SLOT, cipher: keys.mak.cipher, kcv: keys.mak.kcv });
      if (keys.tdk) pad.loadWorkingKey({ slot: slots.tdk, usage: "tdk", algorithm: keys.tdk.algorithm, tmkSlot: TMK_SLOT, cipher: keys.tdk.cipher, kcv: keys.tdk.kcv });
    } catch (e) {
      for (const s of [slots.pik, slots.mak, slots.tdk]) {
        try {
          pad.erase(s);
        } catch {
          // a slot that was never loaded
        }
      }
      this.invalidate();
      const c = (e as { code?: string }).code ?? "E_PED";
      throw new CoreError(c, `工作密钥校验失败，未装载 / working keys refused (${(e as Error).message}): none installed, signed out`);
    }
    // Keys of the other bank are stale from now on; the commit below is the switch.
    this.save({ bank: idle, signedIn: true, code, at: now });
    if (!keys.tdk) {
      try {
        pad.erase(slots.tdk);
      } catch {
        // no TDK in this bank
      }
    }
    return keys;
  }
}
