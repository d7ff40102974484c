/**
 * The competing npm libraries on the same workloads, the fastest way their public API allows a caller with
 * fixed working keys: cipher objects keyed once and reused where the API lets a caller do that (des.js
 * instances, crypto-js encryptors), one call per operation where it does not (sm-crypto, crypto-js CBC).
 * Modes or MACs a library lacks are composed from its block cipher with the same plain-JS glue for every
 * library (`cupMacWith`, `retailMacWith`). TLV parsers fill a Map by tag, as our TlvMap indexes by tag.
 *
 * Runs on Node (native Buffer) and bundled for the embedded engine (the `buffer` polyfill: the bench build
 * injects it for the libraries' global `Buffer`; `import { Buffer } from "buffer"` is the polyfill there and
 * node:buffer on Node).
 */
import { Buffer } from "buffer";
import desjs from "des.js";
import CryptoJS, { type WordArray } from "crypto-js/core";
import "crypto-js/tripledes";
import "crypto-js/mode-ecb";
import "crypto-js/pad-nopadding";
import "crypto-js/enc-hex";
// Only its SM4 module: the package index also loads SM2, whose RNG wants crypto.getRandomValues at load.
import sm4 from "sm-crypto/src/sm4/index.js";
import berTlv from "ber-tlv";
import tlv from "tlv";
import NodeTlv from "node-tlv";
import Iso8583 from "iso_8583";
import type { Bench, Implementation } from "./workloads";
import {
  CUP_MAC_DATA_LENGTH,
  CUP_MAC_KEY_HEX,
  FIELD55_HEX,
  SALE_FIELDS,
  SALE_FIELD_NUMBERS,
  SALE_MTI,
  SM4_BLOCK_HEX,
  SM4_KEY_HEX,
  TDES_BLOCK_HEX,
  TDES_KEY_HEX,
  X919_KEY_HEX,
  fieldsText,
  hex,
  tagMapText,
  unhex,
  x919Data,
} from "./inputs";
import { packedSale } from "./workloads";

type Competitor = Implementation;

const HEXC = [48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 65, 66, 67, 68, 69, 70];

/**
 * The CUP ECB MAC (spec/cup-8583.md §7.4) around any single-DES block encryption: XOR the zero-padded
 * 8-byte blocks, expand to 16 upper-case hex characters, E(first 8) XOR last 8, E again, first 4 bytes as
 * 8 hex characters. The same glue serves node:crypto, des.js and crypto-js.
 */
export function cupMacWith(data: ArrayLike<number>, encrypt: (block8: Uint8Array) => ArrayLike<number>): Uint8Array {
  const x = new Uint8Array(8);
  for (let i = 0; i < data.length; i++) x[i & 7] ^= data[i]!;
  const h = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    h[2 * i] = HEXC[x[i]! >> 4]!;
    h[2 * i + 1] = HEXC[x[i]! & 15]!;
  }
  const e1 = encrypt(h.subarray(0, 8));
  const y = new Uint8Array(8);
  for (let i = 0; i < 8; i++) y[i] = e1[i]! ^ h[8 + i]!;
  const e2 = encrypt(y);
  const out = new Uint8Array(8);
  for (let i = 0; i < 4; i++) {
    out[2 * i] = HEXC[e2[i]! >> 4]!;
    out[2 * i + 1] = HEXC[e2[i]! & 15]!;
  }
  return out;
}

/**
 * X9.19 (ISO 9797-1 alg 3, DES, padding 1, data a whole number of blocks) around single-DES block
 * operations: CBC under K1 chained in JS, then D(K2), E(K1).
 */
export function retailMacWith(
  data: ArrayLike<number>,
  encrypt1: (block8: Uint8Array) => ArrayLike<number>,
  decrypt2: (block8: Uint8Array) => ArrayLike<number>,
): Uint8Array {
  const st = new Uint8Array(8);
  for (let off = 0; off < data.length; off += 8) {
    for (let i = 0; i < 8; i++) st[i] ^= data[off + i]!;
    st.set(encrypt1(st));
  }
  st.set(decrypt2(st));
  st.set(encrypt1(st));
  return st;
}

// ---- crypto-js helpers: bytes <-> WordArray (the glue its callers write) ----------------------------------
function toWords(b: ArrayLike<number>): WordArray {
  const words: number[] = [];
  for (let i = 0; i < b.length; i += 4) words.push(((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) | 0);
  return CryptoJS.lib.WordArray.create(words, b.length);
}
function fromWords(w: WordArray): Uint8Array {
  const out = new Uint8Array(w.sigBytes);
  for (let i = 0; i < out.length; i++) out[i] = (w.words[i >>> 2]! >>> (24 - 8 * (i & 3))) & 0xff;
  return out;
}
const ECB_RAW = { mode: CryptoJS.mode.ECB, padding: CryptoJS.pad.NoPadding };

// ---- the workloads --------------------------------------------------------------------------------------
const desjs3des: Competitor = {
  workload: "3des-ecb-block",
  impl: "des.js",
  make() {
    const k = unhex(TDES_KEY_HEX);
    const key = Array.from(k).concat(Array.from(k.subarray(0, 8))); // EDE wants K1 K2 K3
    const c = desjs.EDE.create({ type: "encrypt", key, padding: false });
    const block = Array.from(unhex(TDES_BLOCK_HEX));
    let out: number[] = [];
    const op = () => {
      out = c.update(block);
    };
    return { op, result: () => (op(), hex(out)) };
  },
};

const cryptojs3des: Competitor = {
  workload: "3des-ecb-block",
  impl: "crypto-js",
  make() {
    const enc = CryptoJS.algo.TripleDES.createEncryptor(CryptoJS.enc.Hex.parse(TDES_KEY_HEX), ECB_RAW);
    const block = CryptoJS.enc.Hex.parse(TDES_BLOCK_HEX);
    let out: WordArray = block;
    const op = () => {
      out = enc.process(block);
    };
    return { op, result: () => (op(), CryptoJS.enc.Hex.stringify(out).toUpperCase()) };
  },
};

const desjsX919: Competitor = {
  workload: "x919-mac-256",
  impl: "des.js",
  make() {
    const k = unhex(X919_KEY_HEX);
    const e1 = desjs.DES.create({ type: "encrypt", key: k.subarray(0, 8), padding: false });
    const d2 = desjs.DES.create({ type: "decrypt", key: k.subarray(8, 16), padding: false });
    const data = x919Data();
    let mac: Uint8Array = new Uint8Array(8);
    // des.js holds back the last block of a decryption until final().
    const op = () => {
      mac = retailMacWith(data, (b) => e1.update(b), (b) => d2.final(b));
    };
    return { op, result: () => (op(), hex(mac)) };
  },
};

const cryptojsX919: Competitor = {
  workload: "x919-mac-256",
  impl: "crypto-js",
  make() {
    const k = unhex(X919_KEY_HEX);
    const e1 = CryptoJS.algo.DES.createEncryptor(toWords(k.subarray(0, 8)), ECB_RAW);
    const d2 = CryptoJS.algo.DES.createDecryptor(toWords(k.subarray(8, 16)), ECB_RAW);
    const data = x919Data();
    let mac: Uint8Array = new Uint8Array(8);
    const op = () => {
      mac = retailMacWith(
        data,
        (b) => fromWords(e1.process(toWords(b))),
        (b) => fromWords(d2.finalize(toWords(b))),
      );
    };
    return { op, result: () => (op(), hex(mac)) };
  },
};

const cryptojsX919Cbc: Competitor = {
  workload: "x919-mac-256",
  impl: "crypto-js-cbc",
  make() {
    const k = unhex(X919_KEY_HEX);
    const k1 = toWords(k.subarray(0, 8));
    const e1 = CryptoJS.algo.DES.createEncryptor(k1, ECB_RAW);
    const d2 = CryptoJS.algo.DES.createDecryptor(toWords(k.subarray(8, 16)), ECB_RAW);
    const data = toWords(x919Data());
    const cbc = { mode: CryptoJS.mode.CBC, padding: CryptoJS.pad.NoPadding, iv: CryptoJS.lib.WordArray.create([0, 0], 8) };
    let mac: Uint8Array = new Uint8Array(8);
    // CBC keeps its chaining state in the encryptor: one per MAC (a DES key schedule per call).
    const op = () => {
      const ct = CryptoJS.algo.DES.createEncryptor(k1, cbc).finalize(data);
      const n = ct.words.length;
      const last = CryptoJS.lib.WordArray.create([ct.words[n - 2]!, ct.words[n - 1]!], 8);
      mac = fromWords(e1.process(d2.finalize(last)));
    };
    return { op, result: () => (op(), hex(mac)) };
  },
};

const desjsCupMac: Competitor = {
  workload: "cup-ecb-mac-200",
  impl: "des.js",
  make() {
    const e = desjs.DES.create({ type: "encrypt", key: unhex(CUP_MAC_KEY_HEX), padding: false });
    const data = packedSale().slice(0, CUP_MAC_DATA_LENGTH);
    let mac: Uint8Array = new Uint8Array(8);
    const op = () => {
      mac = cupMacWith(data, (b) => e.update(b));
    };
    return { op, result: () => (op(), hex(mac)) };
  },
};

const cryptojsCupMac: Competitor = {
  workload: "cup-ecb-mac-200",
  impl: "crypto-js",
  make() {
    const e = CryptoJS.algo.DES.createEncryptor(CryptoJS.enc.Hex.parse(CUP_MAC_KEY_HEX), ECB_RAW);
    const data = packedSale().slice(0, CUP_MAC_DATA_LENGTH);
    let mac: Uint8Array = new Uint8Array(8);
    const op = () => {
      mac = cupMacWith(data, (b) => fromWords(e.process(toWords(b))));
    };
    return { op, result: () => (op(), hex(mac)) };
  },
};

const smCryptoSm4: Competitor = {
  workload: "sm4-block",
  impl: "sm-crypto",
  make() {
    const key = Array.from(unhex(SM4_KEY_HEX));
    const block = Array.from(unhex(SM4_BLOCK_HEX));
    const opts = { padding: "none" as const, output: "array" as const };
    let out: number[] = [];
    const op = () => {
      out = sm4.encrypt(block, key, opts);
    };
    return { op, result: () => (op(), hex(out)) };
  },
};

/** Tag map entries of a Map for the cross-check text. */
function mapText<V>(m: Map<string | number, V>, valueHex: (v: V) => string): string {
  const entries: Array<[string, string]> = [];
  m.forEach((v, k) => entries.push([typeof k === "number" ? k.toString(16) : k, valueHex(v)]));
  return tagMapText(entries);
}

const berTlvParse: Competitor = {
  workload: "tlv-parse-f55",
  impl: "ber-tlv",
  make() {
    const buf = Buffer.from(FIELD55_HEX, "hex");
    type Item = { tag: string; value: Uint8Array; items: Item[] };
    let map = new Map<string, Uint8Array>();
    const add = (m: Map<string, Uint8Array>, list: Item[]) => {
      for (let i = 0; i < list.length; i++) {
        const t = list[i]!;
        if (t.items && t.items.length) add(m, t.items);
        else m.set(t.tag, t.value);
      }
    };
    const op = () => {
      map = new Map();
      add(map, berTlv.TlvFactory.parse(buf));
    };
    return { op, result: () => (op(), mapText(map, (v) => hex(v))) };
  },
};

const tlvParse: Competitor = {
  workload: "tlv-parse-f55",
  impl: "tlv",
  make() {
    const buf = Buffer.from(FIELD55_HEX, "hex");
    type Item = { tag: number; value: Uint8Array | Item[]; constructed: boolean };
    let map = new Map<number, Uint8Array>();
    const add = (m: Map<number, Uint8Array>, list: Item[]) => {
      for (let i = 0; i < list.length; i++) {
        const t = list[i]!;
        if (t.constructed) add(m, t.value as Item[]);
        else m.set(t.tag, t.value as Uint8Array);
      }
    };
    const op = () => {
      map = new Map();
      add(map, tlv.parseAll(buf));
    };
    return { op, result: () => (op(), mapText(map, (v) => hex(v))) };
  },
};

const nodeTlvParse: Competitor = {
  workload: "tlv-parse-f55",
  impl: "node-tlv",
  make() {
    const buf = Buffer.from(FIELD55_HEX, "hex");
    type Item = { getTag(): string; getValue(): string; getChild(): Item[] };
    let map = new Map<string, string>();
    const op = () => {
      map = new Map();
      const list: Item[] = NodeTlv.parseList(buf);
      for (let i = 0; i < list.length; i++) map.set(list[i]!.getTag(), list[i]!.getValue());
    };
    return { op, result: () => (op(), mapText(map, (v) => v)) };
  },
};

/**
 * iso_8583 cannot express the CUP dialect (BCD MTI and numerics, BCD lengths, binary variable fields): it
 * packs ASCII 1987-style (ASCII MTI and digits, ASCII LL/LLL, a 16-byte binary bitmap, b fields as hex text).
 * Its closest config: its defaults, with field 55 as LLLVAR hex text, 60 as LLLVAR n and 64 as 8 binary bytes.
 */
const ISO_8583_FORMATS = {
  55: { ContentType: "b", Label: "ICC data", LenType: "lllvar", MaxLen: 510 },
  60: { ContentType: "n", Label: "Reserved private", LenType: "lllvar", MaxLen: 999 },
  64: { ContentType: "b", Label: "MAC", LenType: "fixed", MaxLen: 16 },
};
function iso8583Json(): { [field: string]: string } {
  const m: { [field: string]: string } = { 0: SALE_MTI };
  for (const n of SALE_FIELD_NUMBERS) m[n] = SALE_FIELDS[n]!;
  return m;
}
function iso8583Packed(): Uint8Array {
  const raw = new Iso8583(iso8583Json(), ISO_8583_FORMATS).getRawMessage();
  if (raw.error) throw new Error(`iso_8583: ${raw.error}`);
  return raw;
}
function iso8583Text(raw: Uint8Array): string {
  const json = new Iso8583(undefined, ISO_8583_FORMATS).getIsoJSON(raw, { lenHeader: false });
  if (json.error) throw new Error(`iso_8583: ${json.error}`);
  return fieldsText((n) => json[n]);
}

const iso8583Pack: Competitor = {
  workload: "iso8583-pack-sale",
  impl: "iso_8583",
  make() {
    const json = iso8583Json();
    let raw: Uint8Array = new Uint8Array(0);
    const op = () => {
      raw = new Iso8583(json, ISO_8583_FORMATS).getRawMessage();
    };
    return { op, result: () => (op(), iso8583Text(raw)) };
  },
};

const iso8583Unpack: Competitor = {
  workload: "iso8583-unpack-sale",
  impl: "iso_8583",
  make() {
    const raw = iso8583Packed();
    let json: { [field: string]: string } = {};
    const op = () => {
      json = new Iso8583(undefined, ISO_8583_FORMATS).getIsoJSON(raw, { lenHeader: false });
    };
    return { op, result: () => (op(), fieldsText((n) => json[n])) };
  },
};

export const NPM_COMPETITORS: readonly Competitor[] = [
  desjs3des,
  cryptojs3des,
  desjsX919,
  cryptojsX919,
  cryptojsX919Cbc,
  desjsCupMac,
  cryptojsCupMac,
  smCryptoSm4,
  berTlvParse,
  tlvParse,
  nodeTlvParse,
  iso8583Pack,
  iso8583Unpack,
];

/** Bytes of the iso_8583 sale (for the report: it is another dialect than ours). */
export function iso8583PackedLength(): number {
  return iso8583Packed().length;
}
