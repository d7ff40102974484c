/**
 * The signed firmware image (docs/firmware-update.md):
 *
 *   header (96 B) | signature (256 B, RSASSA-PKCS1-v1_5 with SHA-256 over the header) | bundle (JS, `length` B)
 *
 * Header, big-endian:
 *   0  magic "TPFW"            4  format version (1)     5  key id           6  header length (96)
 *   8  board name (16 B ASCII, zero padded)              24 firmware version (16 B ASCII, zero padded)
 *   40 security version u32 (anti-rollback)              44 bundle length u32
 *   48 SHA-256 of the bundle (32 B)                      80 signature length u16 (256)   82 signature scheme (1)
 *   83..95 zero
 * The signature covers the header, and the header holds the bundle's digest: one RSA check covers the whole
 * image. The header and signature come first so a terminal refuses a wrong board, key, version or a forged
 * header before it downloads the bundle.
 */
import { CoreError } from "../core/errors";
import { RsaPublicKey } from "../core/rsa";
import { Sha256, sha256 } from "../core/sha256";

export const IMAGE_MAGIC = 0x54504657; // "TPFW"
export const IMAGE_FORMAT = 1;
export const HEADER_BYTES = 96;
export const SIGNATURE_BYTES = 256;
/** Header + signature: where the bundle starts in an image (and in a slot). */
export const PREFIX_BYTES = HEADER_BYTES + SIGNATURE_BYTES;
export const SCHEME_PKCS1_SHA256 = 1;

export interface ImageHeader {
  keyId: number;
  board: string;
  version: string;
  securityVersion: number;
  length: number;
  digest: Uint8Array;
}

/** A public key images may be signed with (board.json `update.keys`). */
export interface UpdateKey {
  id: number;
  /** Big-endian modulus, hex. */
  modulus: string;
  exponent: number;
}

/** What the terminal accepts: its board, its keys, the lowest security version, the largest bundle. */
export interface UpdatePolicy {
  board: string;
  keys: readonly UpdateKey[];
  minSecurityVersion: number;
  maxBundleBytes: number;
}

function fail(code: string, message: string): never {
  throw new CoreError(code, message);
}

function readAscii(b: Uint8Array, off: number, len: number): string {
  let s = "";
  for (let i = off; i < off + len; i++) {
    const c = b[i]!;
    if (c === 0) break;
    if (c < 0x20 || c > 0x7e) fail("E_UPDATE_HEADER", "a text field holds a non-ASCII byte");
    s += String.fromCharCode(c);
  }
  return s;
}

function writeAscii(b: Uint8Array, off: number, len: number, s: string): void {
  if (s.length > len) fail("E_UPDATE_HEADER", `"${s}" is longer than ${len} characters`);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) fail("E_UPDATE_HEADER", "text fields are printable ASCII");
    b[off + i] = c;
  }
}

function u32(b: Uint8Array, o: number): number {
  return b[o]! * 0x1000000 + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!);
}

function putU32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/** The 96-byte header of an image (used by the signing tool and the tests). */
export function encodeHeader(h: ImageHeader): Uint8Array {
  const b = new Uint8Array(HEADER_BYTES);
  putU32(b, 0, IMAGE_MAGIC);
  b[4] = IMAGE_FORMAT;
  b[5] = h.keyId & 0xff;
  b[6] = HEADER_BYTES >> 8;
  b[7] = HEADER_BYTES & 0xff;
  writeAscii(b, 8, 16, h.board);
  writeAscii(b, 24, 16, h.version);
  putU32(b, 40, h.securityVersion);
  putU32(b, 44, h.length);
  if (h.digest.length !== 32) fail("E_UPDATE_HEADER", "the digest is 32 bytes");
  b.set(h.digest, 48);
  b[80] = SIGNATURE_BYTES >> 8;
  b[81] = SIGNATURE_BYTES & 0xff;
  b[82] = SCHEME_PKCS1_SHA256;
  return b;
}

/** Parses a header at b[off] (structure only: no signature check). E_UPDATE_HEADER, E_UPDATE_FORMAT. */
export function parseHeader(b: Uint8Array, off = 0): ImageHeader {
  if (b.length - off < HEADER_BYTES) fail("E_UPDATE_HEADER", `a header is ${HEADER_BYTES} bytes, got ${b.length - off}`);
  if (u32(b, off) !== IMAGE_MAGIC) fail("E_UPDATE_HEADER", "not a firmware image (magic)");
  if (b[off + 4] !== IMAGE_FORMAT) fail("E_UPDATE_FORMAT", `image format ${b[off + 4]}, this terminal reads ${IMAGE_FORMAT}`);
  if (((b[off + 6]! << 8) | b[off + 7]!) !== HEADER_BYTES) fail("E_UPDATE_FORMAT", "header length");
  if (((b[off + 80]! << 8) | b[off + 81]!) !== SIGNATURE_BYTES || b[off + 82] !== SCHEME_PKCS1_SHA256) fail("E_UPDATE_FORMAT", "signature scheme");
  return {
    keyId: b[off + 5]!,
    board: readAscii(b, off + 8, 16),
    version: readAscii(b, off + 24, 16),
    securityVersion: u32(b, off + 40),
    length: u32(b, off + 44),
    digest: b.slice(off + 48, off + 80),
  };
}

/** DER DigestInfo prefix for SHA-256 (RFC 8017 §9.2 note 1). */
const DIGEST_INFO = [0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20];

const keyCache: { [id: number]: RsaPublicKey | undefined } = {};

function hexBytes(h: string): Uint8Array {
  if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) fail("E_UPDATE_KEY", "a key modulus is hex");
  const b = new Uint8Array(h.length / 2);
  for (let i = 0; i < b.length; i++) b[i] = parseInt(h.substr(2 * i, 2), 16);
  return b;
}

function keyFor(policy: UpdatePolicy, id: number): RsaPublicKey {
  let key: UpdateKey | undefined;
  for (const k of policy.keys) if (k.id === id) key = k;
  if (!key) fail("E_UPDATE_KEY", `image signed with key ${id}, which this terminal does not hold`);
  const cached = keyCache[id];
  if (cached) return cached;
  const m = hexBytes(key.modulus);
  if (m.length !== SIGNATURE_BYTES) fail("E_UPDATE_KEY", `key ${id} is ${m.length * 8} bits, updates use RSA-2048`);
  const k = new RsaPublicKey(m, key.exponent, SIGNATURE_BYTES);
  keyCache[id] = k;
  return k;
}

/**
 * RSASSA-PKCS1-v1_5 verification with SHA-256 (RFC 8017 §8.2.2): recovers EM = s^e mod n and compares it
 * with 00 01 FF..FF 00 || DigestInfo || SHA-256(message), every byte (no parsing of the recovered block).
 */
export function verifyPkcs1Sha256(key: RsaPublicKey, message: Uint8Array, signature: Uint8Array, sigOff = 0): boolean {
  const k = key.length;
  if (signature.length - sigOff < k) return false;
  const s = signature.subarray(sigOff, sigOff + k);
  let em: Uint8Array;
  try {
    em = key.apply(s);
  } catch {
    return false; // s >= n
  }
  const h = sha256(message);
  const tail = DIGEST_INFO.length + 32;
  let bad = em[0]! | (em[1]! ^ 1) | em[k - tail - 1]!;
  for (let i = 2; i < k - tail - 1; i++) bad |= em[i]! ^ 0xff;
  for (let i = 0; i < DIGEST_INFO.length; i++) bad |= em[k - tail + i]! ^ DIGEST_INFO[i]!;
  for (let i = 0; i < 32; i++) bad |= em[k - 32 + i]! ^ h[i]!;
  return bad === 0;
}

/**
 * Checks an image's prefix (header + signature) against the policy, before any of its bundle is stored:
 * structure, signature (E_UPDATE_SIGNATURE), key (E_UPDATE_KEY), board (E_UPDATE_BOARD), security version
 * (E_UPDATE_ROLLBACK), size (E_UPDATE_SIZE). Returns the header.
 */
export function verifyPrefix(prefix: Uint8Array, policy: UpdatePolicy, off = 0): ImageHeader {
  if (prefix.length - off < PREFIX_BYTES) fail("E_UPDATE_TRUNCATED", `an image starts with ${PREFIX_BYTES} bytes of header and signature`);
  const h = parseHeader(prefix, off);
  const key = keyFor(policy, h.keyId);
  if (!verifyPkcs1Sha256(key, prefix.subarray(off, off + HEADER_BYTES), prefix, off + HEADER_BYTES)) fail("E_UPDATE_SIGNATURE", "the image's signature does not verify");
  // Only signed fields are judged from here on.
  if (h.board !== policy.board) fail("E_UPDATE_BOARD", `image for board ${h.board}, this is ${policy.board}`);
  if (h.securityVersion < policy.minSecurityVersion) fail("E_UPDATE_ROLLBACK", `security version ${h.securityVersion} is below the minimum ${policy.minSecurityVersion}`);
  if (h.length < 1 || h.length > policy.maxBundleBytes) fail("E_UPDATE_SIZE", `bundle of ${h.length} B (1..${policy.maxBundleBytes})`);
  return h;
}

/** SHA-256 of `length` bytes read from flash at `offset`, 4 KB at a time into one reused buffer. */
export function flashDigest(flash: Natives.Flash, offset: number, length: number, scratch = new Uint8Array(4096)): Uint8Array {
  const h = new Sha256();
  let done = 0;
  while (done < length) {
    const n = Math.min(scratch.length, length - done);
    const got = flash.read(offset + done, n, n === scratch.length ? scratch : undefined);
    h.update(got, 0, n);
    done += n;
  }
  return h.digest();
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/**
 * Verifies a whole image held in flash at `offset` (a slot): prefix against the policy, then the bundle's digest
 * (E_UPDATE_DIGEST). What the updater runs before it marks a slot staged.
 */
export function verifyImageInFlash(flash: Natives.Flash, offset: number, policy: UpdatePolicy): ImageHeader {
  const prefix = flash.read(offset, PREFIX_BYTES);
  const h = verifyPrefix(prefix, policy);
  const d = flashDigest(flash, offset + PREFIX_BYTES, h.length);
  if (!sameBytes(d, h.digest)) fail("E_UPDATE_DIGEST", "the bundle's SHA-256 differs from the signed header's");
  return h;
}
