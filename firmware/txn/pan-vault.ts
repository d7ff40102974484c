/**
 * The PAN vault: card data at rest, unreadable without the PED (PCI DSS 3.4, issue #10 "Secrets").
 *
 * What rests in flash: the journal keeps the masked PAN (first 6 / last 4: slips, reports, reprints, the agent, the
 * diagnostic export) and the PAN sealed here; the pending reversal and the stored advices keep their sensitive
 * fields (2 PAN, 14 expiry, 35 / 36 tracks, 55 ICC data) sealed. Only the flows that must send the PAN open it
 * (void or completion void without the card, batch upload), and drop the clear string once the message is built.
 *
 * The key: a data-encryption key (PED usage "dek") in its own PED slot, made at first need as D_TMK(16 random bytes
 * from the hardware RNG) — a key nobody ever sees in clear, which never leaves the PED, and which erase-all
 * (sign-out, key reset) keeps. Its 4-byte check value rests in the store (KEY_PAN_VAULT); each sealed blob carries
 * the first 3 bytes of it, so a key that changed or vanished (PED tamper wipe, a new PED) is detected:
 * E_PAN_KEY_CHANGED — the records sealed under the old key stay unreadable (a void of them asks for the card again),
 * new ones are sealed under a new key. Nothing crashes.
 *
 * The cipher: CTR mode with the PED's forward cipher only (`encrypt` ECB over the counter blocks; the PED has no
 * decrypt, CTR does not need one): keystream block i = E_K(nonce || 0.. || i as 16 bits), the nonce 8 random bytes
 * per blob (the first 6 with an 8-byte block cipher). AES-128 when the PED takes it, 3DES otherwise. One PED call
 * per seal or open.
 *
 * Blob: tag (3 bytes: the key's KCV) | nonce (8) | ciphertext (as long as the plaintext). A PAN's plaintext is its
 * digit count and its digits in BCD (F-padded): 11 bytes at most, so a sealed PAN takes 22 bytes at most.
 *
 * Errors: E_PAN_KEY_CHANGED (sealed under a key the PED no longer holds), E_PAN_KEY_MISSING (no key can be made:
 * no TMK in the PED), E_PAN_SEALED (a blob too short to be one).
 */
import { CoreError } from "../core/errors";
import { maskPan } from "../core/luhn";
import type { FlashLog } from "../store/flash-log";
import type { PinPad, KeyAlgorithm } from "../../hal/ped/pinpad";
import { decodeFields, encodeFields, type FieldMap } from "../cup/messages";
import { RecordReader, RecordWriter } from "./record-codec";

/** Store key of the vault's key record (slot, algorithm, KCV). Free range between 0x0107 and 0x0300. */
export const KEY_PAN_VAULT = 0x0200;
/** PED slot of the data-encryption key (TMK 1; working-key banks 2..4 and 12..14). */
export const PAN_KEY_SLOT = 20;
/** The TMK slot the key is derived under (firmware/terminal/signin.ts TMK_SLOT). */
export const PAN_KEY_TMK_SLOT = 1;

/** ISO 8583 fields that never rest in clear: PAN, expiry, track 2, track 3, ICC data. */
export const SENSITIVE_FIELDS: readonly number[] = [2, 14, 35, 36, 55];

const META_VERSION = 1;
const TAG = 3;
const NONCE = 8;

export interface VaultKey {
  slot: number;
  algorithm: KeyAlgorithm;
  /** 4-byte check value of the key (E_K(0)). */
  kcv: Uint8Array;
}

export type VaultStatus = "none" | "ok" | "changed";

function hex(b: Uint8Array, n = b.length): string {
  let s = "";
  for (let i = 0; i < n; i++) s += (b[i]! < 16 ? "0" : "") + b[i]!.toString(16).toUpperCase();
  return s;
}

/**
 * CTR over `data` in place with the keystream of `encrypt` (ECB of the counter blocks): the same call seals and
 * opens. Exported for the tests, which check it against node:crypto.
 */
export function ctrApply(encrypt: (blocks: Uint8Array) => Uint8Array, blockSize: number, nonce: Uint8Array, data: Uint8Array): Uint8Array {
  const n = data.length;
  const blocks = Math.ceil(n / blockSize);
  if (blocks > 65535) throw new CoreError("E_PAN_SEALED", "data too long to seal");
  const ctr = new Uint8Array(blocks * blockSize);
  const nn = Math.min(nonce.length, blockSize - 2);
  for (let b = 0; b < blocks; b++) {
    const at = b * blockSize;
    for (let i = 0; i < nn; i++) ctr[at + i] = nonce[i]!;
    ctr[at + blockSize - 2] = (b >>> 8) & 255;
    ctr[at + blockSize - 1] = b & 255;
  }
  const ks = encrypt(ctr);
  for (let i = 0; i < n; i++) data[i] = data[i]! ^ ks[i]!;
  ks.fill(0);
  return data;
}

/** First 6 / last 4 with "*" between (a PAN already masked stays as it is; "" stays ""). */
export function maskedPan(pan: string): string {
  if (!pan || pan.indexOf("*") >= 0) return pan;
  try {
    return maskPan(pan);
  } catch {
    return "****";
  }
}

/** A PAN in clear (12..19 digits), not a masked one. */
export function isClearPan(pan: string): boolean {
  if (pan.length < 12 || pan.length > 19) return false;
  for (let i = 0; i < pan.length; i++) {
    const c = pan.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

export class PanVault {
  private key: VaultKey | undefined;
  /** The PED's key was compared with the stored check value (once a boot, and after each key change). */
  private verified: VaultStatus | undefined;

  constructor(
    private readonly store: FlashLog,
    private readonly pinpad: PinPad,
    private readonly random: (into: Uint8Array) => void,
    private readonly options: { slot?: number; tmkSlot?: number; algorithms?: KeyAlgorithm[] } = {},
  ) {
    const b = store.get(KEY_PAN_VAULT);
    if (b) {
      try {
        const r = new RecordReader(b);
        if (r.u8() === META_VERSION) {
          const slot = r.u8();
          const algorithm = r.str() as KeyAlgorithm;
          const kcv = r.bytes();
          if (kcv.length === 4) this.key = { slot, algorithm, kcv };
        }
      } catch {
        // an unreadable key record: a new key at first need (the old blobs then report E_PAN_KEY_CHANGED)
      }
    }
  }

  /** The key as recorded (undefined before the first seal). */
  get current(): VaultKey | undefined {
    return this.key;
  }

  /** "none": no key made yet; "ok": the PED holds the recorded key; "changed": it holds another one or none. */
  status(): VaultStatus {
    if (this.verified) return this.verified;
    const k = this.key;
    if (!k) return "none";
    let same = false;
    try {
      if (this.pinpad.hasKey(k.slot)) {
        const now = this.pinpad.kcv(k.slot);
        same = now.length >= 4 && now[0] === k.kcv[0] && now[1] === k.kcv[1] && now[2] === k.kcv[2] && now[3] === k.kcv[3];
      }
    } catch {
      same = false;
    }
    this.verified = same ? "ok" : "changed";
    return this.verified;
  }

  /**
   * Makes (or re-makes) the key when there is none or the PED lost it, ahead of the first seal (after a sign-in);
   * never throws: false when no key can be made now (no TMK), the first seal then tries again.
   */
  prepare(): boolean {
    try {
      this.sealingKey();
      return true;
    } catch {
      return false;
    }
  }

  /** Forgets the verification (the next use compares the PED's key again): after a PED reset or a self-test. */
  recheck(): void {
    this.verified = undefined;
  }

  /** The key to seal with, made (and recorded) when there is none or the PED lost it. */
  private sealingKey(): VaultKey {
    if (this.status() === "ok") return this.key!;
    const slot = this.options.slot ?? PAN_KEY_SLOT;
    const tmk = this.options.tmkSlot ?? PAN_KEY_TMK_SLOT;
    let hasTmk = false;
    try {
      hasTmk = this.pinpad.hasKey(tmk);
    } catch {
      hasTmk = false;
    }
    if (!hasTmk) throw new CoreError("E_PAN_KEY_MISSING", `卡号加密密钥无法生成（无主密钥）/ no TMK in PED slot ${tmk}: the PAN storage key cannot be made`);
    const seed = new Uint8Array(16);
    let last: unknown;
    for (const algorithm of this.options.algorithms ?? (["aes", "3des"] as KeyAlgorithm[])) {
      this.random(seed);
      try {
        const kcv = this.pinpad.loadStorageKey({ slot, algorithm, tmkSlot: tmk, cipher: seed });
        seed.fill(0);
        const key: VaultKey = { slot, algorithm, kcv: kcv.slice(0, 4) };
        this.store.put(KEY_PAN_VAULT, new RecordWriter(16).u8(META_VERSION).u8(slot).str(algorithm).bytes(key.kcv).finish());
        this.key = key;
        this.verified = "ok";
        return key;
      } catch (e) {
        last = e;
      }
    }
    seed.fill(0);
    const code = (last as { code?: string } | undefined)?.code ?? "E_PED";
    throw new CoreError("E_PAN_KEY_MISSING", `卡号加密密钥无法装载 / the PED refused the PAN storage key (${code})`);
  }

  private blockSize(k: VaultKey): number {
    return k.algorithm === "aes" || k.algorithm === "sm4" ? 16 : 8;
  }

  /** Seals `data` (left as it is): tag | nonce | ciphertext. */
  seal(data: Uint8Array): Uint8Array {
    const k = this.sealingKey();
    const out = new Uint8Array(TAG + NONCE + data.length);
    out[0] = k.kcv[0]!;
    out[1] = k.kcv[1]!;
    out[2] = k.kcv[2]!;
    const nonce = out.subarray(TAG, TAG + NONCE);
    this.random(nonce);
    const bs = this.blockSize(k);
    if (bs === 8) nonce[6] = nonce[7] = 0; // only 6 nonce bytes fit an 8-byte counter block
    const body = out.subarray(TAG + NONCE);
    body.set(data);
    ctrApply((b) => this.pinpad.encrypt(k.slot, "ecb", b), bs, nonce, body);
    return out;
  }

  /** The data of a sealed blob; E_PAN_KEY_CHANGED when the PED no longer holds its key. */
  open(blob: Uint8Array): Uint8Array {
    if (blob.length < TAG + NONCE) throw new CoreError("E_PAN_SEALED", `sealed data of ${blob.length} bytes`);
    const k = this.key;
    if (!k || this.status() !== "ok" || blob[0] !== k.kcv[0] || blob[1] !== k.kcv[1] || blob[2] !== k.kcv[2])
      throw new CoreError("E_PAN_KEY_CHANGED", `原卡号无法读取（加密密钥已更换），请重新刷卡 / sealed under key ${hex(blob, TAG)}, the PED holds ${k && this.verified === "ok" ? hex(k.kcv, TAG) : "another or none"}: present the card again`);
    const data = blob.slice(TAG + NONCE);
    return ctrApply((b) => this.pinpad.encrypt(k.slot, "ecb", b), this.blockSize(k), blob.subarray(TAG, TAG + NONCE), data);
  }

  /** A PAN (12..19 digits) sealed: its digit count and BCD digits. */
  sealPan(pan: string): Uint8Array {
    if (!isClearPan(pan)) throw new CoreError("E_PAN", `PAN of ${pan.length} characters is not 12..19 digits`);
    const n = pan.length;
    const p = new Uint8Array(1 + ((n + 1) >> 1));
    p[0] = n;
    for (let i = 0; i < n; i += 2) {
      const hi = pan.charCodeAt(i) - 48;
      const lo = i + 1 < n ? pan.charCodeAt(i + 1) - 48 : 15;
      p[1 + (i >> 1)] = (hi << 4) | lo;
    }
    const out = this.seal(p);
    p.fill(0);
    return out;
  }

  /** The PAN of sealPan(); E_PAN_KEY_CHANGED when its key is gone (or the plaintext is not a PAN's). */
  openPan(blob: Uint8Array): string {
    const p = this.open(blob);
    const n = p[0]!;
    let s = "";
    let ok = n >= 12 && n <= 19 && p.length === 1 + ((n + 1) >> 1);
    for (let i = 0; ok && i < n; i++) {
      const d = i & 1 ? p[1 + (i >> 1)]! & 15 : p[1 + (i >> 1)]! >> 4;
      if (d > 9) ok = false;
      else s += String.fromCharCode(48 + d);
    }
    if (ok && n & 1 && (p[p.length - 1]! & 15) !== 15) ok = false;
    p.fill(0);
    if (!ok) throw new CoreError("E_PAN_KEY_CHANGED", "原卡号无法读取，请重新刷卡 / the sealed PAN does not open to a PAN (another key): present the card again");
    return s;
  }

  // ---- field maps (pending reversal, stored advices) ---------------------------------------------------------

  /** `fields` without SENSITIVE_FIELDS, and those sealed (undefined when there are none). */
  splitFields(fields: FieldMap): { clear: FieldMap; sealed: Uint8Array | undefined } {
    const clear: FieldMap = {};
    const secret: FieldMap = {};
    let any = false;
    for (const key in fields) {
      const n = +key;
      const v = fields[n];
      if (v === undefined || v === null) continue;
      if (SENSITIVE_FIELDS.indexOf(n) >= 0) {
        secret[n] = v;
        any = true;
      } else clear[n] = v;
    }
    if (!any) return { clear, sealed: undefined };
    const plain = encodeFields(secret);
    const sealed = this.seal(plain);
    plain.fill(0);
    return { clear, sealed };
  }

  /** The sensitive fields of splitFields() (E_PAN_KEY_CHANGED when the key is gone). */
  openFields(sealed: Uint8Array): FieldMap {
    const plain = this.open(sealed);
    try {
      return decodeFields(plain);
    } finally {
      plain.fill(0);
    }
  }

  /** Writes `fields` with SENSITIVE_FIELDS sealed: the clear fields, then the sealed ones (empty when none). */
  writeFields(w: RecordWriter, fields: FieldMap): RecordWriter {
    const { clear, sealed } = this.splitFields(fields);
    return w.bytes(encodeFields(clear)).bytes(sealed);
  }

  /**
   * The field map of writeFields(). When the sealed part cannot be opened (key changed) the clear fields come back
   * with `lost` listing what is missing, so a reversal can still go out (identified by its trace, terminal, amount).
   */
  readFields(r: RecordReader): { fields: FieldMap; lost?: string } {
    const fields = decodeFields(r.bytes());
    const sealed = r.bytes();
    if (!sealed.length) return { fields };
    let secret: FieldMap;
    try {
      secret = this.openFields(sealed);
    } catch (e) {
      return { fields, lost: (e as { code?: string }).code ?? "E_PAN_KEY_CHANGED" };
    }
    for (const key in secret) fields[+key] = secret[+key];
    return { fields };
  }
}
