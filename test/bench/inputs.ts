/**
 * The inputs every implementation of a workload gets (ours, node:crypto, the npm libraries), as hex so
 * that each side turns them into its own data type outside the timed loop. Engine code: constants only.
 *
 * Keys and blocks come from published vectors (spec/vectors.md) where one exists, so a workload's first
 * result doubles as a known-answer check; the longer MAC inputs are fixed, deterministic byte patterns.
 */
import { FIELD55_HEX } from "../vectors/field55";
import { SALE_FIELDS, SALE_FIELD_NUMBERS, SALE_MAK_HEX, SALE_MTI } from "../vectors/sale";

/** The workload names, in report order (the `bench <workload> <ops/s>` lines use them). */
export const WORKLOAD_NAMES = [
  "3des-ecb-block",
  "x919-mac-256",
  "cup-ecb-mac-200",
  "sm4-block",
  "tlv-parse-f55",
  "iso8583-pack-sale",
  "iso8583-unpack-sale",
] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];

/** 3DES (double-length key K1 K2 K1): TDES-ECB(K, "12345678") = 41D2FFBA3CDC15FE ([psec] des.py). */
export const TDES_KEY_HEX = "0123456789ABCDEFFEDCBA9876543210";
export const TDES_BLOCK_HEX = "3132333435363738";
export const TDES_EXPECTED_HEX = "41D2FFBA3CDC15FE";

/** SM4 (GB/T 32907-2016 App. A): K = P = 0123456789ABCDEFFEDCBA9876543210 -> 681EDF34D206965E86B3E94F536E4246. */
export const SM4_KEY_HEX = "0123456789ABCDEFFEDCBA9876543210";
export const SM4_BLOCK_HEX = "0123456789ABCDEFFEDCBA9876543210";
export const SM4_EXPECTED_HEX = "681EDF34D206965E86B3E94F536E4246";

/** X9.19 (retail MAC, DES halves, padding 1) over 256 bytes: byte i = (i * 37 + 11) & 0xff. */
export const X919_KEY_HEX = "41414141414141414242424242424242";
export const X919_DATA_LENGTH = 256;
/** Known answer of the same MAC path ([psec] tests/test_mac.py): "hello world" -> 3DDE5C5511661CBF. */
export const X919_KAT_DATA_HEX = "68656C6C6F20776F726C64";
export const X919_KAT_HEX = "3DDE5C5511661CBF";

/** CUP ECB MAC over the first 200 bytes of the sale message's MAC input (MTI onwards), under the sale MAK. */
export const CUP_MAC_KEY_HEX = SALE_MAK_HEX;
export const CUP_MAC_DATA_LENGTH = 200;
/** Regression seed of spec/vectors.md (no published vector): MAK 5CBE7E38A146FD5C, data 010203 -> ASCII "F11F2C27". */
export const CUP_MAC_KAT_KEY_HEX = "5CBE7E38A146FD5C";
export const CUP_MAC_KAT_DATA_HEX = "010203";
export const CUP_MAC_KAT_HEX = "4631314632433237";

export { FIELD55_HEX, SALE_FIELDS, SALE_FIELD_NUMBERS, SALE_MTI };
/** Objects in FIELD55_HEX and the value of 9F02 (amount, authorised) in it. */
export const FIELD55_OBJECTS = 23;

/** The X9.19 input: 256 deterministic bytes. */
export function x919Data(): Uint8Array {
  const d = new Uint8Array(X919_DATA_LENGTH);
  for (let i = 0; i < d.length; i++) d[i] = (i * 37 + 11) & 0xff;
  return d;
}

const HEX = "0123456789ABCDEF";

/** Upper-case hex (engine code: no Buffer). */
export function hex(b: ArrayLike<number>, off = 0, len = b.length - off): string {
  let s = "";
  for (let i = off; i < off + len; i++) s += HEX[b[i]! >> 4]! + HEX[b[i]! & 15]!;
  return s;
}

/** Bytes of a hex string (engine code: no Buffer). */
export function unhex(h: string): Uint8Array {
  const out = new Uint8Array(h.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.substr(2 * i, 2), 16);
  return out;
}

/**
 * A canonical text of a tag map for cross-checks between parsers: `TAG=VALUE` (upper-case hex) for every
 * primitive object, in document order, joined by spaces.
 */
export function tagMapText(entries: ReadonlyArray<readonly [string, string]>): string {
  let s = "";
  for (let i = 0; i < entries.length; i++) s += (i ? " " : "") + entries[i]![0].toUpperCase() + "=" + entries[i]![1].toUpperCase();
  return s;
}

/** A canonical text of a sale's field values for cross-checks between 8583 codecs: `n=value` joined by spaces. */
export function fieldsText(get: (n: number) => string | undefined): string {
  let s = "";
  for (let i = 0; i < SALE_FIELD_NUMBERS.length; i++) {
    const n = SALE_FIELD_NUMBERS[i]!;
    s += (i ? " " : "") + n + "=" + String(get(n)).toUpperCase();
  }
  return s;
}
