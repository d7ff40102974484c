/**
 * Our side of the benchmark (engine code): one factory per workload over firmware/core, called the way
 * a terminal calls it: working keys through `createCipher`/`computeMac` (the schedule cache makes a known
 * key a short compare), reused output buffers, a reused TlvMap, Iso8583Packer and Iso8583Message.
 *
 * Each factory builds its state only when made, so a runner keeps one workload's buffers alive at a time
 * (the standalone bench must fit a 64 KB engine heap). `result()` runs the operation once and returns a
 * canonical text that every implementation of the workload must match; `verify()` checks our path against
 * a published vector (or the fixtures' own values) and returns "" when it holds.
 */
import { createCipher, ecbEncrypt } from "../../firmware/core/modes";
import { computeMac } from "../../firmware/core/mac";
import { TlvMap } from "../../firmware/core/tlv";
import { Iso8583Message, Iso8583Packer } from "../../firmware/core/iso8583";
import { CUP_SPEC } from "../../firmware/cup/fields";
import { ISO8583_1987_ASCII_BINARY_BITMAP } from "../../firmware/core/iso8583-ascii87";
import {
  CUP_MAC_DATA_LENGTH,
  CUP_MAC_KAT_DATA_HEX,
  CUP_MAC_KAT_HEX,
  CUP_MAC_KAT_KEY_HEX,
  CUP_MAC_KEY_HEX,
  FIELD55_HEX,
  FIELD55_OBJECTS,
  SALE_FIELDS,
  SALE_FIELD_NUMBERS,
  SALE_MTI,
  SM4_BLOCK_HEX,
  SM4_EXPECTED_HEX,
  SM4_KEY_HEX,
  TDES_BLOCK_HEX,
  TDES_EXPECTED_HEX,
  TDES_KEY_HEX,
  X919_KAT_DATA_HEX,
  X919_KAT_HEX,
  X919_KEY_HEX,
  fieldsText,
  hex,
  tagMapText,
  unhex,
  x919Data,
  type WorkloadName,
} from "./inputs";

export interface Bench {
  /** One operation. */
  op(): void;
  /** Runs the operation once; its output as canonical text (compared across implementations). */
  result(): string;
}

export interface OurBench extends Bench {
  /** "" when our path gives the published (or fixture) answer, else what went wrong. */
  verify(): string;
}

/** Another implementation of a workload (an npm library, node:crypto, or ours in another dialect). */
export interface Implementation {
  workload: WorkloadName;
  /** Name as printed in the report. */
  impl: string;
  make(): Bench;
}

export interface OurWorkload {
  name: WorkloadName;
  make(): OurBench;
}

function expect(what: string, got: string, want: string): string {
  return got === want ? "" : `${what}: expected ${want}, got ${got}`;
}

/** The packed sale (CUP dialect, MTI onwards). */
export function packedSale(): Uint8Array {
  const out = new Uint8Array(512);
  const end = new Iso8583Packer(CUP_SPEC).pack(SALE_MTI, SALE_FIELDS, out, 0);
  return out.slice(0, end);
}

const SALE_TEXT = fieldsText((n) => SALE_FIELDS[n]);

function tdes(): OurBench {
  const key = unhex(TDES_KEY_HEX);
  const block = unhex(TDES_BLOCK_HEX);
  const out = new Uint8Array(8);
  const op = () => {
    ecbEncrypt(createCipher("3des", key), block, out);
  };
  return {
    op,
    result: () => (op(), hex(out)),
    verify: () => (op(), expect("3DES-ECB", hex(out), TDES_EXPECTED_HEX)),
  };
}

function x919(): OurBench {
  const key = unhex(X919_KEY_HEX);
  const data = x919Data();
  let mac: Uint8Array = new Uint8Array(8);
  const op = () => {
    mac = computeMac("x9.19", key, data);
  };
  return {
    op,
    result: () => (op(), hex(mac)),
    verify: () => expect("X9.19 'hello world'", hex(computeMac("x9.19", key, unhex(X919_KAT_DATA_HEX))), X919_KAT_HEX),
  };
}

function cupMac(): OurBench {
  const key = unhex(CUP_MAC_KEY_HEX);
  const data = packedSale().slice(0, CUP_MAC_DATA_LENGTH);
  let mac: Uint8Array = new Uint8Array(8);
  const op = () => {
    mac = computeMac("cup-ecb", key, data);
  };
  return {
    op,
    result: () => (op(), hex(mac)),
    verify: () => expect("CUP ECB MAC seed", hex(computeMac("cup-ecb", unhex(CUP_MAC_KAT_KEY_HEX), unhex(CUP_MAC_KAT_DATA_HEX))), CUP_MAC_KAT_HEX),
  };
}

function sm4(): OurBench {
  const key = unhex(SM4_KEY_HEX);
  const block = unhex(SM4_BLOCK_HEX);
  const out = new Uint8Array(16);
  const op = () => {
    ecbEncrypt(createCipher("sm4", key), block, out);
  };
  return {
    op,
    result: () => (op(), hex(out)),
    verify: () => (op(), expect("SM4", hex(out), SM4_EXPECTED_HEX)),
  };
}

function tlvParse(): OurBench {
  const f55 = unhex(FIELD55_HEX);
  const map = new TlvMap(32);
  const op = () => {
    map.parse(f55);
  };
  const text = () => {
    const entries: Array<[string, string]> = [];
    for (let i = 0; i < map.count; i++) {
      const t = map.tagAt(i);
      if (!map.isConstructedAt(i)) entries.push([t.toString(16), hex(f55, map.valueOffsetAt(i), map.valueLengthAt(i))]);
    }
    return tagMapText(entries);
  };
  return {
    op,
    result: () => (op(), text()),
    verify: () => {
      op();
      if (map.count !== FIELD55_OBJECTS) return `field 55: ${map.count} objects, expected ${FIELD55_OBJECTS}`;
      const amount = map.get(0x9f02);
      return expect("field 55 9F02", amount ? hex(amount) : "none", "000000012345");
    },
  };
}

const BINARY_FIELDS = [52, 55, 64];
const isBinary = (n: number) => n === 52 || n === 55 || n === 64;

/** The sale's values as a terminal holds them: digits and text as strings, b fields (52, 55, 64) as bytes. */
function saleValues(): { [field: number]: string | Uint8Array } {
  const v: { [field: number]: string | Uint8Array } = {};
  for (const n of SALE_FIELD_NUMBERS) v[n] = SALE_FIELDS[n]!;
  for (const n of BINARY_FIELDS) v[n] = unhex(SALE_FIELDS[n]!);
  return v;
}
function packBench(hexStrings: boolean): OurBench {
  const packer = new Iso8583Packer(CUP_SPEC);
  const values = hexStrings ? SALE_FIELDS : saleValues();
  const out = new Uint8Array(512);
  let end = 0;
  const op = () => {
    end = packer.pack(SALE_MTI, values, out, 0);
  };
  // The canonical text is the fields read back (another codec packs another dialect).
  const readBack = () => {
    const m = new Iso8583Message(CUP_SPEC).parse(out, 0, end);
    return fieldsText((n) => m.getString(n));
  };
  return {
    op,
    result: () => (op(), readBack()),
    verify: () => (op(), expect("sale read back", readBack(), SALE_TEXT)),
  };
}

function unpackBench(hexStrings: boolean): OurBench {
  const wire = packedSale();
  const msg = new Iso8583Message(CUP_SPEC);
  const nums = SALE_FIELD_NUMBERS;
  let count = 0;
  // Unpacking = indexing the message and decoding every field's value, as the other codecs do: digits and
  // text as strings, b fields as byte views (what goes on to the TLV parser, the PED, the MAC check) or,
  // with `hexStrings`, as hex strings.
  const op = () => {
    msg.parse(wire);
    count = 0;
    for (let i = 0; i < nums.length; i++) {
      const n = nums[i]!;
      if (!hexStrings && isBinary(n)) count += msg.getBytes(n)!.length;
      else count += msg.getString(n)!.length;
    }
  };
  const text = () => fieldsText((n) => msg.getString(n));
  return {
    op,
    result: () => (op(), text()),
    verify: () => (op(), count > 0 ? expect("sale unpacked", text(), SALE_TEXT) : "sale unpacked: no fields"),
  };
}

export const OUR_WORKLOADS: readonly OurWorkload[] = [
  { name: "3des-ecb-block", make: tdes },
  { name: "x919-mac-256", make: x919 },
  { name: "cup-ecb-mac-200", make: cupMac },
  { name: "sm4-block", make: sm4 },
  { name: "tlv-parse-f55", make: tlvParse },
  { name: "iso8583-pack-sale", make: () => packBench(false) },
  { name: "iso8583-unpack-sale", make: () => unpackBench(false) },
];

// ---- ours in the dialect iso_8583 packs ---------------------------------------------------------------
/** The sale in plain ISO 8583:1987 ASCII: track 2 with '=', field 55 as hex text. */
function asciiSale(): { [field: number]: string } {
  const v: { [field: number]: string } = {};
  for (const n of SALE_FIELD_NUMBERS) v[n] = SALE_FIELDS[n]!;
  v[35] = v[35]!.replace("D", "=");
  return v;
}
const asciiText = (m: Iso8583Message) => fieldsText((n) => (n === 35 ? m.getString(n)!.replace("=", "D") : m.getString(n)));

/**
 * Ours, other ways, for a like-for-like look at the 8583 figures: b fields as hex strings (what iso_8583
 * takes and gives), and the plain ISO 8583:1987 ASCII dialect (the one iso_8583 packs).
 */
export const OUR_8583_VARIANTS: readonly Implementation[] = [
  { workload: "iso8583-pack-sale", impl: "ours-hexstr", make: () => packBench(true) },
  { workload: "iso8583-unpack-sale", impl: "ours-hexstr", make: () => unpackBench(true) },
  {
    workload: "iso8583-pack-sale",
    impl: "ours-ascii87",
    make() {
      const packer = new Iso8583Packer(ISO8583_1987_ASCII_BINARY_BITMAP);
      const values = asciiSale();
      const out = new Uint8Array(1024);
      let end = 0;
      const op = () => {
        end = packer.pack(SALE_MTI, values, out, 0);
      };
      return { op, result: () => (op(), asciiText(new Iso8583Message(ISO8583_1987_ASCII_BINARY_BITMAP).parse(out, 0, end))) };
    },
  },
  {
    workload: "iso8583-unpack-sale",
    impl: "ours-ascii87",
    make() {
      const out = new Uint8Array(1024);
      const wire = out.slice(0, new Iso8583Packer(ISO8583_1987_ASCII_BINARY_BITMAP).pack(SALE_MTI, asciiSale(), out, 0));
      const msg = new Iso8583Message(ISO8583_1987_ASCII_BINARY_BITMAP);
      const nums = SALE_FIELD_NUMBERS;
      const op = () => {
        msg.parse(wire);
        for (let i = 0; i < nums.length; i++) msg.getString(nums[i]!);
      };
      return { op, result: () => (op(), asciiText(msg)) };
    },
  },
];
