/**
 * The host's key work, on the project's core (firmware/core): working keys made at random with DES parity,
 * key transport ECB under a KEK (single DES for an 8-byte KEK, two-key 3DES for 16 bytes), KCVs, the CUP ECB MAC
 * with the 8-byte MAK (spec/cup-8583.md §7.4), and the format-0 PIN block under the PIK (§7.2).
 */
import { randomFillSync } from "node:crypto";
import { createCipher, ecbDecrypt, ecbEncrypt } from "../../../firmware/core/modes.ts";
import { kcv } from "../../../firmware/core/kcv.ts";
import { setOddParity } from "../../../firmware/core/kcv.ts";
import { cupEcbMac } from "../../../firmware/core/mac.ts";
import { parsePinBlock } from "../../../firmware/core/pinblock.ts";
import { bytesToHex, constantTimeEqual, hexToBytes } from "../../../firmware/core/bytes.ts";
import type { CipherAlgorithm } from "../../../firmware/core/cipher.ts";

/** Fills `into` with random bytes (node:crypto by default; a seeded source for reproducible tests). */
export type RandomSource = (into: Uint8Array) => void;
export const nodeRandom: RandomSource = (into) => {
  randomFillSync(into);
};

/** A DES/3DES key with odd parity: 8 (DES) or 16 bytes (two-key 3DES). Never all-equal halves. */
export function randomKey(bytes: 8 | 16, random: RandomSource = nodeRandom): Uint8Array {
  const k = new Uint8Array(bytes);
  for (;;) {
    random(k);
    setOddParity(k, k);
    if (bytes === 8 || bytesToHex(k, 0, 8) !== bytesToHex(k, 8, 8)) return k;
  }
}

/**
 * A key as a plain Uint8Array. The core's cipher cache keeps `key.slice()` and zeroes it when evicting: on a Node
 * Buffer `slice()` is a view, so a Buffer key handed to the core could be wiped under its owner. Copy Buffers.
 */
function plain(k: Uint8Array): Uint8Array {
  return Buffer.isBuffer(k) ? new Uint8Array(k) : k;
}

/** DES for an 8-byte key, 3DES for 16/24 bytes. */
export function algorithmFor(key: Uint8Array): CipherAlgorithm {
  return key.length === 8 ? "des" : "3des";
}

/** `key` encrypted ECB under `kek` (a TMK or the transport key). */
export function wrapKey(kek: Uint8Array, key: Uint8Array): Uint8Array {
  return ecbEncrypt(createCipher(algorithmFor(kek), plain(kek)), key);
}

/** The clear key from its ECB ciphertext under `kek`. */
export function unwrapKey(kek: Uint8Array, ct: Uint8Array): Uint8Array {
  return ecbDecrypt(createCipher(algorithmFor(kek), plain(kek)), ct);
}

/** KCV: first 4 bytes of E_key(00×8), DES or 3DES by key length (spec §7.3). */
export function checkValue(key: Uint8Array, length = 4): Uint8Array {
  return kcv(algorithmFor(key), plain(key), length);
}

export function checkValueHex(key: Uint8Array): string {
  return bytesToHex(checkValue(key));
}

/** The CUP ECB MAC (§7.4) of `data` under the MAK (8 bytes: single DES; 16 bytes: the 3DES form). 8 ASCII hex bytes. */
export function cupMac(mak: Uint8Array, data: Uint8Array): Uint8Array {
  return cupEcbMac(createCipher(algorithmFor(mak), plain(mak)), data);
}

/** Whether `mac` is the CUP ECB MAC of `data` under the MAK (constant-time compare). */
export function cupMacValid(mak: Uint8Array, data: Uint8Array, mac: Uint8Array): boolean {
  return mac.length === 8 && constantTimeEqual(cupMac(mak, data), mac);
}

/** The PIN in a field 52 block: decrypted under the PIK, ISO 9564 format 0 with the PAN. Throws the core's E_PIN_* errors. */
export function pinFromBlock(pik: Uint8Array, block: Uint8Array, pan: string): string {
  const clear = ecbDecrypt(createCipher(algorithmFor(pik), plain(pik)), block);
  try {
    return parsePinBlock(0, clear, pan);
  } finally {
    clear.fill(0);
  }
}

export function hex(b: Uint8Array): string {
  return bytesToHex(b);
}

export function unhex(s: string): Uint8Array {
  return hexToBytes(s);
}
