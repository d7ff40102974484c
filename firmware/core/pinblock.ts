/**
 * ISO 9564-1 PIN blocks, formats 0 to 4 (clear blocks; format 4 also enciphered/deciphered under AES).
 *
 * Format 0 (= ANSI X9.8 "with PAN", CUP field 52): `0 N PIN F..F` XOR `0000` ‖ 12 rightmost PAN digits
 *   without the check digit.
 * Format 1: `1 N PIN` + random fill 0-F, no PAN.
 * Format 2 (ICC offline PIN): `2 N PIN F..F`, no PAN.
 * Format 3: `3 N PIN` + random fill A-F, XOR the format-0 PAN field.
 * Format 4 (AES, 16 bytes): PIN field `4 N PIN A..A` (to nibble 15) ‖ 8 random bytes; PAN field
 *   `M` ‖ PAN (12..19 digits, M = length - 12; shorter PANs left-padded with zeros to 12, M = 0) ‖ zeros;
 *   enciphered block = E(E(PIN field) XOR PAN field).
 *
 * Randomness comes from the caller (`random(into)` fills `into`): the core has no I/O.
 * Errors: E_PIN_LENGTH (4..12), E_PIN_DIGIT, E_PAN, E_PIN_FILL, E_PIN_FORMAT, E_PIN_RANDOM, E_KEY_LENGTH.
 */
import type { BlockCipher } from "./cipher";
import { CoreError } from "./errors";
import { createCipher } from "./modes";

export type PinBlockFormat = 0 | 1 | 2 | 3 | 4;
/** Fills `into` with random bytes (the board's RNG through the HAL, or the PED's). */
export type RandomFill = (into: Uint8Array) => void;

const DIGITS = "0123456789";

function setNibble(b: Uint8Array, pos: number, v: number): void {
  const i = pos >> 1;
  b[i] = pos & 1 ? (b[i]! & 0xf0) | v : (v << 4) | (b[i]! & 0x0f);
}

function nibble(b: Uint8Array, pos: number): number {
  const v = b[pos >> 1]!;
  return pos & 1 ? v & 15 : v >> 4;
}

function checkPin(pin: string): void {
  if (pin.length < 4 || pin.length > 12) throw new CoreError("E_PIN_LENGTH", `PIN of ${pin.length} digits (4..12)`);
  for (let i = 0; i < pin.length; i++) {
    const c = pin.charCodeAt(i);
    if (c < 48 || c > 57) throw new CoreError("E_PIN_DIGIT", `PIN character ${i} is not a digit`);
  }
}

function checkPan(pan: string | undefined): string {
  if (pan === undefined) throw new CoreError("E_PAN", "this PIN block format needs the PAN");
  if (pan.length < 8 || pan.length > 19) throw new CoreError("E_PAN", `PAN of ${pan.length} digits (8..19)`);
  for (let i = 0; i < pan.length; i++) {
    const c = pan.charCodeAt(i);
    if (c < 48 || c > 57) throw new CoreError("E_PAN", `PAN character ${i} is not a digit`);
  }
  return pan;
}

function needRandom(random: RandomFill | undefined, format: number): RandomFill {
  if (typeof random !== "function") throw new CoreError("E_PIN_RANDOM", `format ${format} needs a random source`);
  return random;
}

/** The 8-byte PAN field of formats 0 and 3: `0000` ‖ the 12 rightmost PAN digits excluding the check digit. */
export function panField(pan: string): Uint8Array {
  checkPan(pan);
  const out = new Uint8Array(8);
  const end = pan.length - 1; // drop the check digit
  // nibble 4..15 <- pan[end-12 .. end), zeros where the PAN is shorter
  for (let k = 0; k < 12; k++) {
    const i = end - 12 + k;
    setNibble(out, 4 + k, i >= 0 ? pan.charCodeAt(i) - 48 : 0);
  }
  return out;
}

/** Random nibbles in [lo, 15] into positions [from, to) of `b`, by rejection sampling on random bytes. */
function randomNibbles(b: Uint8Array, from: number, to: number, lo: number, random: RandomFill): void {
  const span = 16 - lo; // 16 (0-F) or 6 (A-F)
  const limit = 256 - (256 % span); // unbiased: accept bytes below a multiple of span
  const pool = new Uint8Array(16);
  let used = pool.length;
  let refills = 0;
  for (let pos = from; pos < to; ) {
    if (used === pool.length) {
      if (++refills > 8) throw new CoreError("E_PIN_RANDOM", "random source gives no usable bytes");
      random(pool);
      used = 0;
    }
    const r = pool[used++]!;
    if (r >= limit) continue;
    setNibble(b, pos++, lo + (r % span));
  }
  pool.fill(0);
}

/**
 * A clear 8-byte PIN block of format 0, 1, 2 or 3 for `pin` (4..12 digits). Formats 0 and 3 need the
 * PAN; formats 1 and 3 need `random`.
 */
export function buildPinBlock(format: 0 | 1 | 2 | 3, pin: string, pan?: string, random?: RandomFill): Uint8Array {
  if (format !== 0 && format !== 1 && format !== 2 && format !== 3) throw new CoreError("E_PIN_FORMAT", `8-byte PIN block format ${String(format)}`);
  checkPin(pin);
  const pf = format === 0 || format === 3 ? panField(checkPan(pan)) : undefined;
  const rnd = format === 1 || format === 3 ? needRandom(random, format) : undefined;
  const out = new Uint8Array(8);
  const n = pin.length;
  setNibble(out, 0, format);
  setNibble(out, 1, n);
  for (let i = 0; i < n; i++) setNibble(out, 2 + i, pin.charCodeAt(i) - 48);
  if (rnd) randomNibbles(out, 2 + n, 16, format === 3 ? 10 : 0, rnd);
  else for (let p = 2 + n; p < 16; p++) setNibble(out, p, 15);
  if (pf) for (let i = 0; i < 8; i++) out[i] ^= pf[i]!;
  return out;
}

/** Reads control, length and digits of the PIN field in nibbles 0..15 of `b`; checks each fill nibble after the PIN. */
function readPinField(b: Uint8Array, format: number, fillCheck: (v: number) => boolean): string {
  const c = nibble(b, 0);
  if (c !== format) throw new CoreError("E_PIN_FORMAT", `control nibble ${c}, expected ${format}`);
  const n = nibble(b, 1);
  if (n < 4 || n > 12) throw new CoreError("E_PIN_LENGTH", `PIN length nibble ${n} (4..12)`);
  let pin = "";
  for (let i = 0; i < n; i++) {
    const d = nibble(b, 2 + i);
    if (d > 9) throw new CoreError("E_PIN_DIGIT", `PIN nibble ${i} is ${d}`);
    pin += DIGITS[d];
  }
  for (let p = 2 + n; p < 16; p++) if (!fillCheck(nibble(b, p))) throw new CoreError("E_PIN_FILL", `fill nibble ${p} is ${nibble(b, p)}`);
  return pin;
}

const FILL_F = (v: number) => v === 15;
const FILL_ANY = (_v: number) => true;
const FILL_AF = (v: number) => v >= 10;
const FILL_A = (v: number) => v === 10;

/** The PIN of a clear 8-byte PIN block of format 0..3 (formats 0 and 3 need the PAN). Checks control, length, digits, fill. */
export function parsePinBlock(format: 0 | 1 | 2 | 3, block: Uint8Array, pan?: string): string {
  if (format !== 0 && format !== 1 && format !== 2 && format !== 3) throw new CoreError("E_PIN_FORMAT", `8-byte PIN block format ${String(format)}`);
  if (block.length !== 8) throw new CoreError("E_PIN_FORMAT", `PIN block of ${block.length} bytes (8)`);
  const b = new Uint8Array(8);
  b.set(block);
  if (format === 0 || format === 3) {
    const pf = panField(checkPan(pan));
    for (let i = 0; i < 8; i++) b[i] ^= pf[i]!;
  }
  const pin = readPinField(b, format, format === 1 ? FILL_ANY : format === 3 ? FILL_AF : FILL_F);
  b.fill(0);
  return pin;
}

/** The 16-byte plain-text PIN field of format 4: `4 N PIN A..A` ‖ 8 random bytes. */
export function buildIso4PinField(pin: string, random: RandomFill): Uint8Array {
  checkPin(pin);
  const rnd = needRandom(random, 4);
  const out = new Uint8Array(16);
  const n = pin.length;
  setNibble(out, 0, 4);
  setNibble(out, 1, n);
  for (let i = 0; i < n; i++) setNibble(out, 2 + i, pin.charCodeAt(i) - 48);
  for (let p = 2 + n; p < 16; p++) setNibble(out, p, 10);
  rnd(out.subarray(8, 16));
  return out;
}

/** The PIN of a format-4 plain-text PIN field (control 4, length 4..12, digits, `A` fill to nibble 15). */
export function parseIso4PinField(field: Uint8Array): string {
  if (field.length !== 16) throw new CoreError("E_PIN_FORMAT", `format 4 PIN field of ${field.length} bytes (16)`);
  return readPinField(field, 4, FILL_A);
}

/** The 16-byte plain-text PAN field of format 4. */
export function iso4PanField(pan: string): Uint8Array {
  checkPan(pan);
  const out = new Uint8Array(16);
  const n = pan.length;
  const m = n > 12 ? n - 12 : 0;
  setNibble(out, 0, m);
  const lead = n < 12 ? 12 - n : 0; // zeros before a short PAN
  for (let i = 0; i < n; i++) setNibble(out, 1 + lead + i, pan.charCodeAt(i) - 48);
  return out;
}

function aesCipher(key: Uint8Array | BlockCipher): BlockCipher {
  if (key instanceof Uint8Array) {
    if (key.length !== 16 && key.length !== 24 && key.length !== 32) throw new CoreError("E_KEY_LENGTH", `AES key of ${key.length} bytes`);
    return createCipher("aes", key);
  }
  if (key.blockSize !== 16) throw new CoreError("E_KEY_LENGTH", "format 4 needs a 16-byte block cipher (AES)");
  return key;
}

/** Enciphers a format-4 PIN field (16 bytes, from `buildIso4PinField`) for `pan` under an AES key: E(E(PIN field) XOR PAN field). */
export function encipherIso4PinField(key: Uint8Array | BlockCipher, pinField: Uint8Array, pan: string): Uint8Array {
  if (pinField.length !== 16) throw new CoreError("E_PIN_FORMAT", `format 4 PIN field of ${pinField.length} bytes (16)`);
  const c = aesCipher(key);
  const pf = iso4PanField(pan);
  const out = new Uint8Array(16);
  c.encryptBlock(pinField, 0, out, 0);
  for (let i = 0; i < 16; i++) out[i] ^= pf[i]!;
  c.encryptBlock(out, 0, out, 0);
  return out;
}

/** Builds and enciphers an ISO 9564-1 format 4 PIN block for `pin` and `pan` under an AES key. */
export function encipherIso4(key: Uint8Array | BlockCipher, pin: string, pan: string, random: RandomFill): Uint8Array {
  const c = aesCipher(key);
  checkPan(pan);
  const field = buildIso4PinField(pin, random);
  const out = encipherIso4PinField(c, field, pan);
  field.fill(0);
  return out;
}

/** Deciphers a format 4 PIN block to its plain-text PIN field (16 bytes): D(D(block) XOR PAN field). */
export function decipherIso4PinField(key: Uint8Array | BlockCipher, block: Uint8Array, pan: string): Uint8Array {
  if (block.length !== 16) throw new CoreError("E_PIN_FORMAT", `format 4 PIN block of ${block.length} bytes (16)`);
  const c = aesCipher(key);
  const pf = iso4PanField(pan);
  const out = new Uint8Array(16);
  c.decryptBlock(block, 0, out, 0);
  for (let i = 0; i < 16; i++) out[i] ^= pf[i]!;
  c.decryptBlock(out, 0, out, 0);
  return out;
}

/** Deciphers a format 4 PIN block under an AES key and returns the PIN (checks control, length, digits, fill). */
export function decipherIso4(key: Uint8Array | BlockCipher, block: Uint8Array, pan: string): string {
  const field = decipherIso4PinField(key, block, pan);
  try {
    return parseIso4PinField(field);
  } finally {
    field.fill(0);
  }
}
