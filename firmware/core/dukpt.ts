/**
 * DUKPT key derivation (the host/desk side: from the BDK to the keys of one KSN).
 *
 * TDES DUKPT, ANSI X9.24-1:2009 (= X9.24-3:2017 annex C): 10-byte KSN (59-bit initial KSN + 21-bit
 * counter), double-length BDK. IK (IPEK) = TDES_BDK(left 8 bytes of the initial KSN) ‖
 * TDES_{BDK XOR C0C0C0C000000000C0C0C0C000000000}(same); the transaction key for a KSN comes from the IK
 * by the non-reversible key generation process, once per set counter bit (high to low); the working keys
 * are variants of it: PIN `..FF` at bytes 7/15, MAC request bytes 6/14, MAC response 4/12, data request
 * 5/13, data response 3/11; the data keys are then passed through the 2009 one-way function (the variant
 * key TDES-encrypts its own halves).
 *
 * AES DUKPT, ANSI X9.24-3:2017: 12-byte KSN (8-byte initial key ID ‖ 32-bit counter), AES-128/192/256
 * BDK. Every key is AES-ECB(derivation key, 16-byte derivation data) per 128 bits: version 01, block
 * counter, key usage, algorithm, length in bits, then the initial key ID (for the initial key) or its
 * right 4 bytes ‖ the counter. Intermediate derivation keys keep the BDK's type; working keys may be
 * 2TDEA/3TDEA/AES up to the BDK's strength. HMAC working keys are not offered (no SHA-256 in the core).
 *
 * Counters are handled as bytes: no intermediate leaves the engine's small integers. Every key here is
 * transient, so ciphers are built directly (not through createCipher's cache, which would keep copies
 * of intermediate keys and evict the terminal's working keys).
 * `dukptTdesNextKsn` / `dukptAesNextKsn` advance a KSN to the next counter the originating device may
 * use (at most 10 / 16 set bits), as the terminal does after each transaction.
 *
 * Errors: E_KEY_LENGTH, E_DUKPT_KSN, E_DUKPT_COUNTER, E_DUKPT_KEY_TYPE, E_DUKPT_EXHAUSTED.
 */
import { CoreError } from "./errors";
import { desCipher, tdesCipher } from "./des";
import { aesCipher } from "./aes";

// ---------------------------------------------------------------------------------------------------
// Counter advance (both variants): counter + 1, then while it has too many set bits, add its lowest set
// bit. `c` holds the counter big-endian; `topMask` the valid bits of c[0]. False when the counter overflows.

function ones(c: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < c.length; i++) for (let v = c[i]!; v; v &= v - 1) n++;
  return n;
}

/** c += 2^bit (bit counted from the right end); false on overflow past topMask. */
function addBit(c: Uint8Array, bit: number, topMask: number): boolean {
  let i = c.length - 1 - (bit >> 3);
  let carry = 1 << (bit & 7);
  for (; i >= 0 && carry; i--) {
    const v = c[i]! + carry;
    c[i] = v & 0xff;
    carry = v >> 8;
  }
  return carry === 0 && (c[0]! & ~topMask) === 0;
}

function advanceCounter(c: Uint8Array, topMask: number, maxOnes: number): boolean {
  if (!addBit(c, 0, topMask)) return false;
  while (ones(c) > maxOnes) {
    let bit = 0;
    for (let i = c.length - 1; i >= 0; i--, bit += 8) {
      const v = c[i]!;
      if (!v) continue;
      bit += v & 1 ? 0 : v & 2 ? 1 : v & 4 ? 2 : v & 8 ? 3 : v & 16 ? 4 : v & 32 ? 5 : v & 64 ? 6 : 7;
      break;
    }
    if (!addBit(c, bit, topMask)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------
// TDES DUKPT (X9.24-1:2009)

export interface DukptTdesKeys {
  /** Initial key (IPEK), 16 bytes. */
  ik: Uint8Array;
  /** The transaction key of the KSN (no variant), 16 bytes. */
  transactionKey: Uint8Array;
  /** PIN encryption key (variant bytes 7/15). */
  pin: Uint8Array;
  /** MAC request key (variant bytes 6/14; X9.19 retail MAC). */
  macRequest: Uint8Array;
  /** MAC response key (variant bytes 4/12). */
  macResponse: Uint8Array;
  /** Data encryption request key (variant bytes 5/13, then the one-way function). */
  dataRequest: Uint8Array;
  /** Data encryption response key (variant bytes 3/11, then the one-way function). */
  dataResponse: Uint8Array;
  /** The 21-bit transaction counter of the KSN. */
  counter: number;
}

export type DukptTdesVariant = "pin" | "mac-request" | "mac-response" | "data-request" | "data-response";

const C0_MASK = [0xc0, 0xc0, 0xc0, 0xc0, 0, 0, 0, 0];

function checkTdesKsn(ksn: Uint8Array): void {
  if (ksn.length !== 10) throw new CoreError("E_DUKPT_KSN", `TDES DUKPT KSN of ${ksn.length} bytes (10)`);
}

function checkBdk16(bdk: Uint8Array): void {
  if (bdk.length !== 16) throw new CoreError("E_KEY_LENGTH", `TDES DUKPT BDK of ${bdk.length} bytes (16)`);
}

/** The 21-bit counter of a TDES KSN. */
export function dukptTdesCounter(ksn: Uint8Array): number {
  checkTdesKsn(ksn);
  return ((ksn[7]! & 0x1f) << 16) | (ksn[8]! << 8) | ksn[9]!;
}

/** IK (IPEK) from the BDK and a KSN (its counter is ignored). */
export function dukptTdesIk(bdk: Uint8Array, ksn: Uint8Array): Uint8Array {
  checkBdk16(bdk);
  checkTdesKsn(ksn);
  const iksn = new Uint8Array(8);
  for (let i = 0; i < 8; i++) iksn[i] = ksn[i]!;
  iksn[7]! &= 0xe0;
  const ik = new Uint8Array(16);
  tdesCipher(bdk).encryptBlock(iksn, 0, ik, 0);
  const v = new Uint8Array(16);
  for (let i = 0; i < 16; i++) v[i] = bdk[i]! ^ C0_MASK[i & 7]!;
  tdesCipher(v).encryptBlock(iksn, 0, ik, 8);
  v.fill(0);
  return ik;
}

/**
 * The non-reversible key generation process on `key` (16 bytes, replaced in place) with the 8-byte
 * crypto register `reg`: right = DES_KL(reg XOR KR) XOR KR; left = the same under key XOR C0C0C0C0..
 */
function nonReversible(key: Uint8Array, reg: Uint8Array, t: Uint8Array, kv: Uint8Array): void {
  // new right half
  for (let i = 0; i < 8; i++) t[i] = reg[i]! ^ key[8 + i]!;
  desCipher(key.subarray(0, 8)).encryptBlock(t, 0, t, 0);
  for (let i = 0; i < 8; i++) t[i] ^= key[8 + i]!;
  // new left half, under the C0 variant of the key
  for (let i = 0; i < 16; i++) kv[i] = key[i]! ^ C0_MASK[i & 7]!;
  for (let i = 0; i < 8; i++) t[8 + i] = reg[i]! ^ kv[8 + i]!;
  desCipher(kv.subarray(0, 8)).encryptBlock(t, 8, t, 8);
  for (let i = 0; i < 8; i++) key[i] = t[8 + i]! ^ kv[8 + i]!;
  for (let i = 0; i < 8; i++) key[8 + i] = t[i]!;
}

/** The transaction key of `ksn` from the IK. Counter 0 or more than 10 set bits -> E_DUKPT_COUNTER. */
export function dukptTdesTransactionKey(ik: Uint8Array, ksn: Uint8Array): Uint8Array {
  if (ik.length !== 16) throw new CoreError("E_KEY_LENGTH", `TDES DUKPT IK of ${ik.length} bytes (16)`);
  checkTdesKsn(ksn);
  // Counter as 3 bytes: c[0] holds bits 20..16.
  const c0 = ksn[7]! & 0x1f;
  const c1 = ksn[8]!;
  const c2 = ksn[9]!;
  let ones = 0;
  for (let v = (c0 << 16) | (c1 << 8) | c2; v; v &= v - 1) ones++;
  if (ones === 0) throw new CoreError("E_DUKPT_COUNTER", "transaction counter 0 (the IK is never a transaction key)");
  if (ones > 10) throw new CoreError("E_DUKPT_COUNTER", `transaction counter with ${ones} set bits (at most 10)`);
  const key = new Uint8Array(16);
  key.set(ik);
  // Register: right 8 bytes of the KSN with the counter cleared; bits are set in it one by one.
  const reg = new Uint8Array(8);
  for (let i = 0; i < 8; i++) reg[i] = ksn[2 + i]!;
  reg[5]! &= 0xe0;
  reg[6] = 0;
  reg[7] = 0;
  const t = new Uint8Array(16);
  const kv = new Uint8Array(16);
  for (let bit = 20; bit >= 0; bit--) {
    const byte = bit >= 16 ? c0 : bit >= 8 ? c1 : c2;
    const m = 1 << (bit & 7);
    if ((byte & m) === 0) continue;
    reg[7 - (bit >> 3)]! |= m;
    nonReversible(key, reg, t, kv);
  }
  t.fill(0);
  kv.fill(0);
  return key;
}

/** The KSN of the next transaction (counter advanced past counters with more than 10 set bits). */
export function dukptTdesNextKsn(ksn: Uint8Array): Uint8Array {
  checkTdesKsn(ksn);
  const c = new Uint8Array([ksn[7]! & 0x1f, ksn[8]!, ksn[9]!]);
  if (!advanceCounter(c, 0x1f, 10)) throw new CoreError("E_DUKPT_EXHAUSTED", "the 21-bit transaction counter is exhausted");
  const out = ksn.slice();
  out[7] = (ksn[7]! & 0xe0) | c[0]!;
  out[8] = c[1]!;
  out[9] = c[2]!;
  return out;
}

const VARIANT_BYTE: { [k in DukptTdesVariant]: number } = { pin: 7, "mac-request": 6, "mac-response": 4, "data-request": 5, "data-response": 3 };

/** A working key of a transaction key: the variant, plus the one-way function for the data keys. */
export function dukptTdesVariant(transactionKey: Uint8Array, usage: DukptTdesVariant): Uint8Array {
  if (transactionKey.length !== 16) throw new CoreError("E_KEY_LENGTH", `TDES DUKPT key of ${transactionKey.length} bytes (16)`);
  const at = VARIANT_BYTE[usage];
  if (at === undefined) throw new CoreError("E_DUKPT_KEY_TYPE", `unknown TDES DUKPT variant ${String(usage)}`);
  const k = new Uint8Array(16);
  k.set(transactionKey);
  k[at]! ^= 0xff;
  k[8 + at]! ^= 0xff;
  if (usage === "data-request" || usage === "data-response") {
    const c = tdesCipher(k.slice());
    c.encryptBlock(k, 0, k, 0);
    c.encryptBlock(k, 8, k, 8);
  }
  return k;
}

/** Every TDES DUKPT key of `ksn` under `bdk` (the desk tool's `dukpt --alg tdes`). */
export function dukptTdesKeys(bdk: Uint8Array, ksn: Uint8Array): DukptTdesKeys {
  const ik = dukptTdesIk(bdk, ksn);
  const tk = dukptTdesTransactionKey(ik, ksn);
  return {
    ik,
    transactionKey: tk,
    pin: dukptTdesVariant(tk, "pin"),
    macRequest: dukptTdesVariant(tk, "mac-request"),
    macResponse: dukptTdesVariant(tk, "mac-response"),
    dataRequest: dukptTdesVariant(tk, "data-request"),
    dataResponse: dukptTdesVariant(tk, "data-response"),
    counter: dukptTdesCounter(ksn),
  };
}

// ---------------------------------------------------------------------------------------------------
// AES DUKPT (X9.24-3:2017)

/** Key types of X9.24-3 (derivation data "algorithm" and "length"). */
export type DukptAesKeyType = "2tdea" | "3tdea" | "aes128" | "aes192" | "aes256";

/** Key usages of X9.24-3 (derivation data "key usage indicator"). */
export type DukptAesUsage =
  | "key-encryption"
  | "pin-encryption"
  | "mac-generation"
  | "mac-verification"
  | "mac-both"
  | "data-encryption"
  | "data-decryption"
  | "data-both"
  | "key-derivation"
  | "key-derivation-initial";

const USAGE_CODE: { [k in DukptAesUsage]: number } = {
  "key-encryption": 0x0002,
  "pin-encryption": 0x1000,
  "mac-generation": 0x2000,
  "mac-verification": 0x2001,
  "mac-both": 0x2002,
  "data-encryption": 0x3000,
  "data-decryption": 0x3001,
  "data-both": 0x3002,
  "key-derivation": 0x8000,
  "key-derivation-initial": 0x8001,
};

const KEY_TYPE: { [k in DukptAesKeyType]: { alg: number; bits: number; bytes: number } } = {
  "2tdea": { alg: 0, bits: 128, bytes: 16 },
  "3tdea": { alg: 1, bits: 192, bytes: 24 },
  aes128: { alg: 2, bits: 128, bytes: 16 },
  aes192: { alg: 3, bits: 192, bytes: 24 },
  aes256: { alg: 4, bits: 256, bytes: 32 },
};

export interface DukptAesKeys {
  /** Initial key (IK) derived from the BDK for the KSN's initial key ID. */
  ik: Uint8Array;
  /** The intermediate derivation key of the KSN (X9.24-3's "transaction/derivation key"), BDK type. */
  derivationKey: Uint8Array;
  /** Working keys of `keyType` for the KSN. */
  pinEncryption: Uint8Array;
  macGeneration: Uint8Array;
  macVerification: Uint8Array;
  macBoth: Uint8Array;
  dataEncryption: Uint8Array;
  dataDecryption: Uint8Array;
  dataBoth: Uint8Array;
  keyEncryption: Uint8Array;
  keyType: DukptAesKeyType;
  /** The 32-bit transaction counter of the KSN. */
  counter: number;
}

function bdkType(key: Uint8Array): DukptAesKeyType {
  if (key.length === 16) return "aes128";
  if (key.length === 24) return "aes192";
  if (key.length === 32) return "aes256";
  throw new CoreError("E_KEY_LENGTH", `AES DUKPT key of ${key.length} bytes (16, 24, 32)`);
}

function keyTypeInfo(t: DukptAesKeyType): { alg: number; bits: number; bytes: number } {
  const info = KEY_TYPE[t];
  if (!info) throw new CoreError("E_DUKPT_KEY_TYPE", `unknown AES DUKPT key type ${String(t)}`);
  return info;
}

function checkAesKsn(ksn: Uint8Array): void {
  if (ksn.length !== 12) throw new CoreError("E_DUKPT_KSN", `AES DUKPT KSN of ${ksn.length} bytes (12)`);
}

/** The 32-bit counter of an AES DUKPT KSN. */
export function dukptAesCounter(ksn: Uint8Array): number {
  checkAesKsn(ksn);
  return ksn[8]! * 0x1000000 + ((ksn[9]! << 16) | (ksn[10]! << 8) | ksn[11]!);
}

/** The KSN of the next transaction (counter advanced past counters with more than 16 set bits). */
export function dukptAesNextKsn(ksn: Uint8Array): Uint8Array {
  checkAesKsn(ksn);
  const out = ksn.slice();
  const c = out.subarray(8, 12);
  if (!advanceCounter(c, 0xff, 16)) throw new CoreError("E_DUKPT_EXHAUSTED", "the 32-bit transaction counter is exhausted");
  return out;
}

/**
 * DeriveKey of X9.24-3: AES-ECB(derivationKey, derivation data) per 128 bits of the derived key, the
 * block counter in byte 1. `context` is 8 bytes at ctx[ctxOff..].
 */
function deriveKey(derivationKey: Uint8Array, usage: number, type: DukptAesKeyType, ctx: Uint8Array, ctxOff: number): Uint8Array {
  const info = keyTypeInfo(type);
  const c = aesCipher(derivationKey);
  const dd = new Uint8Array(16);
  dd[0] = 0x01;
  dd[2] = usage >> 8;
  dd[3] = usage & 0xff;
  dd[4] = info.alg >> 8;
  dd[5] = info.alg & 0xff;
  dd[6] = info.bits >> 8;
  dd[7] = info.bits & 0xff;
  for (let i = 0; i < 8; i++) dd[8 + i] = ctx[ctxOff + i]!;
  const blocks = (info.bytes + 15) >> 4;
  const out = new Uint8Array(blocks * 16);
  for (let b = 0; b < blocks; b++) {
    dd[1] = b + 1;
    c.encryptBlock(dd, 0, out, b * 16);
  }
  return info.bytes === out.length ? out : out.slice(0, info.bytes);
}

/** IK from the BDK and the 8-byte initial key ID (the left 8 bytes of the KSN). */
export function dukptAesIk(bdk: Uint8Array, ikid: Uint8Array): Uint8Array {
  const t = bdkType(bdk);
  if (ikid.length !== 8 && ikid.length !== 12) throw new CoreError("E_DUKPT_KSN", `initial key ID of ${ikid.length} bytes (8, or a 12-byte KSN)`);
  return deriveKey(bdk, USAGE_CODE["key-derivation-initial"], t, ikid, 0);
}

function checkAesCounter(ksn: Uint8Array): void {
  let ones = 0;
  for (let i = 8; i < 12; i++) for (let v = ksn[i]!; v; v &= v - 1) ones++;
  if (ones === 0) throw new CoreError("E_DUKPT_COUNTER", "transaction counter 0 (the IK is never a transaction key)");
  if (ones > 16) throw new CoreError("E_DUKPT_COUNTER", `transaction counter with ${ones} set bits (at most 16)`);
}

/** The intermediate derivation key of `ksn` from the IK (one derivation per set counter bit, high to low). */
export function dukptAesDerivationKey(ik: Uint8Array, ksn: Uint8Array): Uint8Array {
  const t = bdkType(ik);
  checkAesKsn(ksn);
  checkAesCounter(ksn);
  // context = derivation ID (KSN bytes 4..7) ‖ working counter (bits set one by one)
  const ctx = new Uint8Array(8);
  for (let i = 0; i < 4; i++) ctx[i] = ksn[4 + i]!;
  let key = ik;
  for (let byte = 0; byte < 4; byte++) {
    const v = ksn[8 + byte]!;
    for (let m = 0x80; m; m >>= 1) {
      if ((v & m) === 0) continue;
      ctx[4 + byte]! |= m;
      const next = deriveKey(key, USAGE_CODE["key-derivation"], t, ctx, 0);
      if (key !== ik) key.fill(0);
      key = next;
    }
  }
  return key;
}

/** A working key of `type` and `usage` for `ksn` from its derivation key. Stronger than the derivation key -> E_DUKPT_KEY_TYPE. */
export function dukptAesWorkingKey(derivationKey: Uint8Array, ksn: Uint8Array, usage: DukptAesUsage, type: DukptAesKeyType): Uint8Array {
  const dt = bdkType(derivationKey);
  checkAesKsn(ksn);
  const code = USAGE_CODE[usage];
  if (code === undefined) throw new CoreError("E_DUKPT_KEY_TYPE", `unknown AES DUKPT key usage ${String(usage)}`);
  const info = keyTypeInfo(type);
  if (info.bits > KEY_TYPE[dt].bits) throw new CoreError("E_DUKPT_KEY_TYPE", `a ${type} key cannot come from a ${dt} derivation key`);
  return deriveKey(derivationKey, code, type, ksn, 4);
}

/** Every AES DUKPT working key of `keyType` (default AES-128) for `ksn` under `bdk` (the desk tool's `dukpt --alg aes`). */
export function dukptAesKeys(bdk: Uint8Array, ksn: Uint8Array, keyType: DukptAesKeyType = "aes128"): DukptAesKeys {
  checkAesKsn(ksn);
  keyTypeInfo(keyType);
  const ik = dukptAesIk(bdk, ksn.subarray(0, 8));
  const dk = dukptAesDerivationKey(ik, ksn);
  const w = (u: DukptAesUsage) => dukptAesWorkingKey(dk, ksn, u, keyType);
  return {
    ik,
    derivationKey: dk,
    pinEncryption: w("pin-encryption"),
    macGeneration: w("mac-generation"),
    macVerification: w("mac-verification"),
    macBoth: w("mac-both"),
    dataEncryption: w("data-encryption"),
    dataDecryption: w("data-decryption"),
    dataBoth: w("data-both"),
    keyEncryption: w("key-encryption"),
    keyType,
    counter: dukptAesCounter(ksn),
  };
}
