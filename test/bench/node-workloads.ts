/**
 * node:crypto (OpenSSL) on the cipher and MAC workloads, Node only. As a caller would: `createCipheriv`
 * per operation (OpenSSL has no DES MACs, so X9.19 is des-ede-cbc with K1 ‖ K1, i.e. single-DES CBC, then a
 * des-ede-ecb decrypt under K2 ‖ K2 and encrypt under K1 ‖ K1; the CUP MAC is the shared JS glue around two
 * des-ede-ecb K ‖ K encryptions). "node:crypto-keyed" reuses one ECB cipher object for every block
 * (update() only, never final()): what OpenSSL costs once the per-call setup is gone.
 */
import { createCipheriv, createDecipheriv, getCiphers } from "node:crypto";
import type { Implementation } from "./workloads.ts";
import { packedSale } from "./workloads.ts";
import { CUP_MAC_DATA_LENGTH, CUP_MAC_KEY_HEX, SM4_BLOCK_HEX, SM4_KEY_HEX, TDES_BLOCK_HEX, TDES_KEY_HEX, X919_KEY_HEX, hex, x919Data } from "./inputs.ts";
import { cupMacWith } from "./npm-workloads.ts";

const buf = (h: string) => Buffer.from(h, "hex");

function ecbOnce(alg: string, key: Buffer, block: Uint8Array, decrypt = false): Buffer {
  const c = decrypt ? createDecipheriv(alg, key, null) : createCipheriv(alg, key, null);
  c.setAutoPadding(false);
  const out = c.update(block);
  c.final();
  return out;
}

const tdes: Implementation = {
  workload: "3des-ecb-block",
  impl: "node:crypto",
  make() {
    const key = buf(TDES_KEY_HEX);
    const block = buf(TDES_BLOCK_HEX);
    let out: Uint8Array = block;
    const op = () => {
      out = ecbOnce("des-ede-ecb", key, block);
    };
    return { op, result: () => (op(), hex(out)) };
  },
};

const tdesKeyed: Implementation = {
  workload: "3des-ecb-block",
  impl: "node:crypto-keyed",
  make() {
    const c = createCipheriv("des-ede-ecb", buf(TDES_KEY_HEX), null);
    c.setAutoPadding(false);
    const block = buf(TDES_BLOCK_HEX);
    let out: Uint8Array = block;
    const op = () => {
      out = c.update(block);
    };
    return { op, result: () => (op(), hex(out)) };
  },
};

const x919: Implementation = {
  workload: "x919-mac-256",
  impl: "node:crypto",
  make() {
    const k = buf(X919_KEY_HEX);
    const k1k1 = Buffer.concat([k.subarray(0, 8), k.subarray(0, 8)]);
    const k2k2 = Buffer.concat([k.subarray(8, 16), k.subarray(8, 16)]);
    const iv = Buffer.alloc(8);
    const data = x919Data();
    let mac: Uint8Array = iv;
    const op = () => {
      const c = createCipheriv("des-ede-cbc", k1k1, iv);
      c.setAutoPadding(false);
      const ct = c.update(data);
      c.final();
      const last = ct.subarray(ct.length - 8);
      mac = ecbOnce("des-ede-ecb", k1k1, ecbOnce("des-ede-ecb", k2k2, last, true));
    };
    return { op, result: () => (op(), hex(mac)) };
  },
};

const cupMac: Implementation = {
  workload: "cup-ecb-mac-200",
  impl: "node:crypto",
  make() {
    const k = buf(CUP_MAC_KEY_HEX);
    const kk = Buffer.concat([k, k]);
    const data = packedSale().slice(0, CUP_MAC_DATA_LENGTH);
    let mac: Uint8Array = new Uint8Array(8);
    const op = () => {
      mac = cupMacWith(data, (b) => ecbOnce("des-ede-ecb", kk, b));
    };
    return { op, result: () => (op(), hex(mac)) };
  },
};

const HAS_SM4 = getCiphers().includes("sm4-ecb");

const sm4: Implementation = {
  workload: "sm4-block",
  impl: "node:crypto",
  make() {
    const key = buf(SM4_KEY_HEX);
    const block = buf(SM4_BLOCK_HEX);
    let out: Uint8Array = block;
    const op = () => {
      out = ecbOnce("sm4-ecb", key, block);
    };
    return { op, result: () => (op(), hex(out)) };
  },
};

const sm4Keyed: Implementation = {
  workload: "sm4-block",
  impl: "node:crypto-keyed",
  make() {
    const c = createCipheriv("sm4-ecb", buf(SM4_KEY_HEX), null);
    c.setAutoPadding(false);
    const block = buf(SM4_BLOCK_HEX);
    let out: Uint8Array = block;
    const op = () => {
      out = c.update(block);
    };
    return { op, result: () => (op(), hex(out)) };
  },
};

/** node:crypto implementations; SM4 only when this Node's OpenSSL has sm4-ecb. */
export const NODE_CRYPTO: readonly Implementation[] = [tdes, tdesKeyed, x919, cupMac, ...(HAS_SM4 ? [sm4, sm4Keyed] : [])];
export const NODE_HAS_SM4 = HAS_SM4;
