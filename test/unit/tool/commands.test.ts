/**
 * The desk tool's commands, run through its entry (`main(argv, io)`) as the command line does: published
 * vectors (spec/vectors.md, RFC 4493, FIPS-197, GB/T 32907, X9.24-1/-3) and node:crypto cross-checks, error
 * exit codes and messages, `batch`.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createCipheriv, getCiphers, randomBytes } from "node:crypto";
import { main } from "../../../boards/sim/tool/cli.ts";
import { FIELD55_HEX } from "../../vectors/field55.ts";
import { SALE_FIELDS, SALE_MTI } from "../../vectors/sale.ts";
import { Iso8583Packer } from "../../../firmware/core/iso8583.ts";
import { CUP_SPEC } from "../../../firmware/cup/fields.ts";

async function tool(argv: string[], stdin = ""): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), readStdin: async () => stdin });
  return { code, out, err };
}

/** One line of output, exit 0. */
async function one(argv: string[]): Promise<string> {
  const r = await tool(argv);
  assert.is(r.code, 0, `${argv.join(" ")}: ${r.err.join(" / ")}`);
  assert.is(r.out.length, 1, `${argv.join(" ")}: one line`);
  return r.out[0]!;
}

const HEX = (b: Uint8Array | Buffer) => Buffer.from(b).toString("hex").toUpperCase();
function ecb(alg: string, key: Buffer, data: Buffer): Buffer {
  const c = createCipheriv(alg, key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}
function cbc(alg: string, key: Buffer, iv: Buffer, data: Buffer): Buffer {
  const c = createCipheriv(alg, key, iv);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}
const HAS_SM4 = getCiphers().includes("sm4-ecb");

// ---- mac --------------------------------------------------------------------------------------------------
const KAB = "41414141414141414242424242424242";
const HELLO = "68656C6C6F20776F726C64";

test("mac x9.19: 'hello world' under A..A B..B, pads 1/2/3 ([psec] tests/test_mac.py)", async () => {
  assert.is(await one(["mac", "--alg", "x9.19", "--key", KAB, "--data", HELLO]), "3DDE5C5511661CBF");
  assert.is(await one(["mac", "--alg", "x9.19", "--key", KAB, "--text", "hello world"]), "3DDE5C5511661CBF");
  assert.is(await one(["mac", "--alg", "x9.19", "--key", KAB, "--data", HELLO, "--pad", "2"]), "E16941032C3BC7D4");
  assert.is(await one(["mac", "--alg", "iso9797-1-alg3", "--key", KAB, "--data", HELLO, "--pad=3"]), "BA90F750EF43F668");
  assert.is(await one(["mac", "--alg", "x9.19", "--key", KAB, "--data", HELLO, "--length", "4"]), "3DDE5C55");
});

test("mac iso9797-1-alg1: TDES CBC-MAC vectors ([psec] tests/test_mac.py, psec/mac.py)", async () => {
  const k = "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB";
  assert.is(await one(["mac", "--alg", "iso9797-1-alg1", "--key", k, "--data", HELLO]), "68D9038F23360DF3");
  assert.is(await one(["mac", "--alg", "iso9797-1-alg1", "--key", k, "--data", HELLO, "--pad", "2"]), "32DC341271ACCD00");
  assert.is(await one(["mac", "--alg", "iso9797-1-alg1", "--key", "0123456789ABCDEFFEDCBA9876543210", "--data", "1234567890ABCDEF", "--pad", "2"]), "925B1737EF681AD3");
});

test("mac x9.9 equals single-DES CBC over the zero-padded data (node:crypto des-ede-cbc K||K)", async () => {
  for (const n of [1, 8, 13, 64]) {
    const key = randomBytes(8);
    const data = randomBytes(n);
    const padded = Buffer.concat([data, Buffer.alloc((8 - (n % 8)) % 8)]);
    const ref = cbc("des-ede-cbc", Buffer.concat([key, key]), Buffer.alloc(8), padded).subarray(-8);
    assert.is(await one(["mac", "--alg", "x9.9", "--key", HEX(key), "--data", HEX(data)]), HEX(ref), `${n} bytes`);
  }
});

/** The CUP ECB MAC of spec §7.4 written here over node:crypto single DES (des-ede K||K). */
function cupMacRef(key: Buffer, data: Buffer, bs = 8, enc = (b: Buffer) => ecb("des-ede-ecb", Buffer.concat([key, key]), b)): string {
  const x = Buffer.alloc(bs);
  for (let i = 0; i < data.length; i++) x[i % bs]! ^= data[i]!;
  const h = Buffer.from(HEX(x), "ascii");
  const e1 = enc(h.subarray(0, bs));
  for (let i = 0; i < bs; i++) e1[i]! ^= h[bs + i]!;
  return HEX(Buffer.from(HEX(enc(e1)).slice(0, 8), "ascii"));
}

test("mac cup-ecb: the regression seeds of spec/vectors.md and a node:crypto reference", async () => {
  assert.is(await one(["mac", "--alg", "cup-ecb", "--key", "5CBE7E38A146FD5C", "--data", "010203"]), HEX(Buffer.from("F11F2C27")));
  const d32 = Buffer.from(Array.from({ length: 33 }, (_, i) => i));
  assert.is(await one(["mac", "--alg", "cup-ecb", "--key", "0123456789ABCDEF", "--data", HEX(d32.subarray(0, 32))]), HEX(Buffer.from("DFB656BD")));
  assert.is(await one(["mac", "--alg", "cup-ecb", "--key", "0123456789ABCDEF", "--data", HEX(d32)]), HEX(Buffer.from("4A202BF5")));
  const key = randomBytes(8);
  const data = randomBytes(201);
  assert.is(await one(["mac", "--alg", "cup-ecb", "--key", HEX(key), "--data", HEX(data)]), cupMacRef(key, data));
});

test("mac sm4-ecb: the CUP procedure over 16-byte blocks against node:crypto sm4-ecb", async () => {
  if (!HAS_SM4) return;
  const key = randomBytes(16);
  const data = randomBytes(77);
  assert.is(await one(["mac", "--alg", "sm4-ecb", "--key", HEX(key), "--data", HEX(data)]), cupMacRef(key, data, 16, (b) => ecb("sm4-ecb", key, b)));
});

test("mac aes-cmac: RFC 4493 examples 1-4", async () => {
  const k = "2b7e151628aed2a6abf7158809cf4f3c";
  const m = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
  assert.is(await one(["mac", "--alg", "aes-cmac", "--key", k, "--data", ""]), "BB1D6929E95937287FA37D129B756746");
  assert.is(await one(["mac", "--alg", "aes-cmac", "--key", k, "--data", m.slice(0, 32)]), "070A16B46B4D4144F79BDD9DD04A287C");
  assert.is(await one(["mac", "--alg", "aes-cmac", "--key", k, "--data", m.slice(0, 80)]), "DFA66747DE9AE63030CA32611497C827");
  assert.is(await one(["mac", "--alg", "aes-cmac", "--key", k, "--data", m]), "51F0BEBF7E3B9D92FC49741779363CFE");
});

// ---- kcv --------------------------------------------------------------------------------------------------
test("kcv: 3DES 0123..3210 -> 08D7B4 ([psec] des.py); DES MAK check value D5D44FF7 (vectors.md F62)", async () => {
  assert.is(await one(["kcv", "--alg", "3des", "--key", "0123456789ABCDEFFEDCBA9876543210"]), "08D7B4FB");
  assert.is(await one(["kcv", "--alg", "3des", "--key", "0123456789ABCDEFFEDCBA9876543210", "--length", "3"]), "08D7B4");
  assert.is(await one(["kcv", "--alg", "des", "--key", "0123456789ABCDEF"]), "D5D44FF7");
});

test("kcv: SM4 and AES zero-block check values against node:crypto", async () => {
  const k = randomBytes(16);
  assert.is(await one(["kcv", "--alg", "aes", "--key", HEX(k)]), HEX(ecb("aes-128-ecb", k, Buffer.alloc(16))).slice(0, 8));
  if (HAS_SM4) assert.is(await one(["kcv", "--alg", "sm4", "--key", HEX(k)]), HEX(ecb("sm4-ecb", k, Buffer.alloc(16))).slice(0, 8));
  // X9.24-1 CMAC check value = AES-CMAC of one zero block, 5 bytes.
  const cmac = await one(["mac", "--alg", "aes-cmac", "--key", HEX(k), "--data", "00".repeat(16)]);
  assert.is(await one(["kcv", "--alg", "aes", "--key", HEX(k), "--cmac"]), cmac.slice(0, 10));
});

// ---- pinblock ---------------------------------------------------------------------------------------------
const PAN = "5555555551234567";

test("pinblock: ISO 0 and 2 vectors (vectors.md)", async () => {
  assert.is(await one(["pinblock", "--format", "0", "--pin", "1234", "--pan", PAN]), "041261AAAAEDCBA9");
  assert.is(await one(["pinblock", "--format", "0", "--pin", "123456789012", "--pan", PAN]), "0C1261032D8226A9");
  assert.is(await one(["pinblock", "--format", "2", "--pin", "1234"]), "241234FFFFFFFFFF");
});

test("pinblock: ISO 1 and 3 with a given fill, and with random fill", async () => {
  assert.is(await one(["pinblock", "--format", "1", "--pin", "1234", "--fill", "0123456789"]), "1412340123456789");
  // ISO 3 = 3 N PIN fill XOR 0000 || 12 PAN digits without the check digit.
  const clear = Buffer.from("341234ABCDEFABCD", "hex");
  const pan = Buffer.from("0000555555123456", "hex");
  for (let i = 0; i < 8; i++) clear[i]! ^= pan[i]!;
  assert.is(await one(["pinblock", "--format", "3", "--pin", "1234", "--pan", PAN, "--fill", "ABCDEFABCD"]), HEX(clear));
  const random3 = await one(["pinblock", "--format", "3", "--pin", "1234", "--pan", PAN]);
  assert.ok(random3.startsWith("341261"), random3);
  const random1 = await one(["pinblock", "--format", "1", "--pin", "1234"]);
  assert.ok(/^141234[0-9A-F]{10}$/.test(random1), random1);
});

test("pinblock: ISO 4 PIN field, and enciphered under AES ([psec] tests/test_pinblock.py)", async () => {
  assert.is(await one(["pinblock", "--format", "4", "--pin", "1234", "--pan", "1234567890123456789", "--fill", "0011223344556677"]), "441234AAAAAAAAAA0011223344556677");
  const argv = ["pinblock", "--format", "4", "--pin", "1234", "--pan", "1234567890123456789", "--fill", "FFFFFFFFFFFFFFFF"];
  assert.is(await one([...argv, "--key", "00112233445566778899AABBCCDDEEFF"]), "28B41FDDD29B743E93124BD8E32D921E");
});

test("pinblock --key: the DUKPT PIN key of KSN ..E00001 encrypts 041274EDCBA9876F to 1B9C1845EB993A7A (X9.24-1 A.4)", async () => {
  const r = await tool(["dukpt", "--alg", "tdes", "--bdk", "0123456789ABCDEFFEDCBA9876543210", "--ksn", "FFFF9876543210E00001"]);
  assert.is(r.code, 0);
  const pinKey = r.out.find((l) => l.startsWith("pin "))!.split(/\s+/)[1]!;
  assert.is(await one(["pinblock", "--format", "0", "--pin", "1234", "--pan", "4012345678909"]), "041274EDCBA9876F");
  assert.is(await one(["pinblock", "--format", "0", "--pin", "1234", "--pan", "4012345678909", "--key", pinKey]), "1B9C1845EB993A7A");
});

// ---- encrypt / decrypt ------------------------------------------------------------------------------------
test("encrypt: 3DES, SM4 and AES known answers (psec des.py, GB/T 32907 App. A, FIPS-197 C.1)", async () => {
  assert.is(await one(["encrypt", "--alg", "3des", "--mode", "ecb", "--key", "0123456789ABCDEFFEDCBA9876543210", "--data", "3132333435363738"]), "41D2FFBA3CDC15FE");
  assert.is(await one(["encrypt", "--alg", "sm4", "--key", "0123456789ABCDEFFEDCBA9876543210", "--data", "0123456789ABCDEFFEDCBA9876543210"]), "681EDF34D206965E86B3E94F536E4246");
  assert.is(await one(["encrypt", "--alg", "aes", "--key", "000102030405060708090a0b0c0d0e0f", "--data", "00112233445566778899aabbccddeeff"]), "69C4E0D86A7B0430D8CDB78070B4C55A");
  assert.is(await one(["decrypt", "--alg", "aes", "--key", "000102030405060708090a0b0c0d0e0f", "--data", "69C4E0D86A7B0430D8CDB78070B4C55A"]), "00112233445566778899AABBCCDDEEFF");
});

test("encrypt/decrypt CBC with an IV against node:crypto, and back", async () => {
  const cases: Array<[string, number, string, (k: Buffer) => Buffer]> = [
    ["des", 8, "des-ede-cbc", (k) => Buffer.concat([k, k])],
    ["3des", 16, "des-ede-cbc", (k) => k],
    ["3des", 24, "des-ede3-cbc", (k) => k],
    ["aes", 32, "aes-256-cbc", (k) => k],
    ...(HAS_SM4 ? [["sm4", 16, "sm4-cbc", (k: Buffer) => k] as [string, number, string, (k: Buffer) => Buffer]] : []),
  ];
  for (const [alg, keyLen, ossl, okey] of cases) {
    const bs = alg === "aes" || alg === "sm4" ? 16 : 8;
    const key = randomBytes(keyLen);
    const iv = randomBytes(bs);
    const data = randomBytes(bs * 3);
    const ct = await one(["encrypt", "--alg", alg, "--mode", "cbc", "--key", HEX(key), "--iv", HEX(iv), "--data", HEX(data)]);
    assert.is(ct, HEX(cbc(ossl, okey(key), iv, data)), `${alg} ${keyLen}`);
    assert.is(await one(["decrypt", "--alg", alg, "--mode", "cbc", "--key", HEX(key), "--iv", HEX(iv), "--data", ct]), HEX(data));
  }
  // The IV defaults to zeros.
  const k = randomBytes(16);
  const d = randomBytes(16);
  assert.is(await one(["encrypt", "--alg", "aes", "--mode", "cbc", "--key", HEX(k), "--data", HEX(d)]), HEX(cbc("aes-128-cbc", k, Buffer.alloc(16), d)));
});

// ---- dukpt ------------------------------------------------------------------------------------------------
function labels(lines: string[]): Record<string, string> {
  const r: Record<string, string> = {};
  for (const l of lines) {
    const [k, v] = l.split(/\s+/);
    r[k!] = v!;
  }
  return r;
}

test("dukpt tdes: IK and transaction key of X9.24-1:2009 A.4", async () => {
  const r = await tool(["dukpt", "--alg", "tdes", "--bdk", "0123456789ABCDEFFEDCBA9876543210", "--ksn", "FFFF9876543210E00001"]);
  assert.is(r.code, 0);
  const k = labels(r.out);
  assert.is(k.ik, "6AC292FAA1315B4D858AB3A3D7D5933A");
  assert.is(k.transaction, "042666B49184CFA368DE9628D0397BC9");
  assert.is(k.counter, "1");
  // The PIN variant XORs 00..FF at bytes 7 and 15 of the transaction key.
  assert.is(k.pin, "042666B49184CF5C68DE9628D0397B36");
});

test("dukpt aes: X9.24-3 AES-128 BDK, KSN 1234567890123456 00000001", async () => {
  const r = await tool(["dukpt", "--alg", "aes", "--bdk", "FEDCBA9876543210F1F1F1F1F1F1F1F1", "--ksn", "123456789012345600000001"]);
  assert.is(r.code, 0, r.err.join(" "));
  const k = labels(r.out);
  assert.is(k.ik, "1273671EA26AC29AFA4D1084127652A1");
  assert.is(k.derivation, "4F21B565BAD9835E112B6465635EAE44");
  assert.is(k["pin-encryption"], "AF8CB133A78F8DC2D1359F18527593FB");
  assert.is(k["mac-generation"], "A2DC23DE6FDE0824A2BC321E08E4B8B7");
  assert.is(k["data-encryption"], "A35C412EFD41FDB98B69797C02DCD08F");
});

// ---- tlv / iso8583 ----------------------------------------------------------------------------------------
test("tlv: field 55 as named lines; a template as an indented tree; spaces between bytes allowed", async () => {
  const r = await tool(["tlv", FIELD55_HEX]);
  assert.is(r.code, 0);
  assert.is(r.out.length, 23);
  assert.is(r.out[0], "9F26 Application Cryptogram [8] 8F2A3C7D15E6B940");
  assert.ok(r.out.includes("9F02 Amount, Authorised (Numeric) [6] 000000012345"), r.out.join("\n"));
  const fci = await tool(["tlv", "6F1A 840E315041592E5359532E4444463031", "A5088801025F2D027A68"]);
  assert.equal(fci.out, [
    "6F File Control Information (FCI) Template [26]",
    "  84 Dedicated File (DF) Name [14] 315041592E5359532E4444463031",
    "  A5 File Control Information (FCI) Proprietary Template [8]",
    "    88 Short File Identifier (SFI) [1] 02",
    '    5F2D Language Preference [2] 7A68 "zh"',
  ]);
});

// spec/cup-8583.md §9, the sale request frame.
const SALE_FRAME =
  "0073 6000030000 603100310001 0200 302004C020C09811 000000 000000010000 000123 0210 00 06 37 6222021234567890123D30121010000000000 0 3130303030303031 383938313030303132333435363738 313536 2A084C604973D4AE 2600000000000000 0011 220000010000 4138363441434638";

test("iso8583: the §9 sale frame: frame head, fields decoded, track/PIN/MAC hidden", async () => {
  const r = await tool(["iso8583", ...SALE_FRAME.split(" ")]);
  assert.is(r.code, 0, r.err.join(" "));
  assert.is(r.out[0], "frame: length 115, TPDU 6000030000, header 603100310001");
  const text = r.out.join("\n");
  assert.match(text, /MTI \.+ 0200/);
  assert.match(text, /F4 {3}Amount, transaction \.+ 000000010000/);
  assert.match(text, /F35 {2}Track 2 data \.+ \[redacted, 37 digits\]/);
  assert.match(text, /F41 {2}Terminal id \.+ "10000001"/);
  assert.match(text, /F64 {2}MAC \.+ \[redacted, 8 bytes\]/);
  assert.not.match(text, /6222021234567890123/);
});

test("iso8583: the fixture sale (body only): PAN masked, field 55 as a TLV tree", async () => {
  const out = new Uint8Array(512);
  const body = out.subarray(0, new Iso8583Packer(CUP_SPEC).pack(SALE_MTI, SALE_FIELDS, out, 0));
  const r = await tool(["iso8583", "--dialect", "cup", HEX(body)]);
  assert.is(r.code, 0, r.err.join(" "));
  const text = r.out.join("\n");
  assert.match(text, /F2 {3}Primary account number \.+ 622202\*{9}0123/);
  assert.ok(r.out.includes("F55 as BER-TLV:"));
  assert.ok(r.out.includes("    9F02 Amount, Authorised (Numeric) [6] 000000012345"));
});

test("iso8583 --dialect ascii87: an ASCII 0800 with field 11", async () => {
  const wire = Buffer.from("0800" + "0020000000000000" + "000001", "ascii");
  const r = await tool(["iso8583", "--dialect", "ascii87", HEX(wire)]);
  assert.is(r.code, 0, r.err.join(" "));
  assert.match(r.out.join("\n"), /MTI \.+ 0800/);
  assert.match(r.out.join("\n"), /F11 .+ 000001/);
});

// ---- errors -------------------------------------------------------------------------------------------------
test("bad command lines exit 2 with a message that names the problem", async () => {
  const cases: Array<[string[], RegExp]> = [
    [[], /usage: tool COMMAND/],
    [["frobnicate"], /unknown command "frobnicate"/],
    [["mac", "--alg", "x9.19", "--text", "x"], /mac: --key is required/],
    [["mac", "--alg", "x9.99", "--key", KAB, "--text", "x"], /--alg x9\.99: not one of cup-ecb/],
    [["mac", "--alg", "x9.19", "--key", "41414141414141414242424242424G42", "--text", "x"], /--key: "G" at position 30 is not a hex digit/],
    [["mac", "--alg", "x9.19", "--key", "414", "--text", "x"], /--key: odd number of hex digits \(3\)/],
    [["mac", "--alg", "x9.19", "--key", KAB, "--text", "x", "--colour", "red"], /unknown option --colour/],
    [["mac", "--alg", "x9.19", "--key"], /--key needs a value/],
    [["mac", "--alg", "cup-ecb", "--key", "0123456789ABCDEF", "--data", "00", "--pad", "2"], /--pad does not apply to cup-ecb/],
    [["pinblock", "--format", "0", "--pin", "1234", "--pan", PAN, "--fill", "AB"], /format 0 has no random fill/],
    [["pinblock", "--format", "3", "--pin", "1234", "--pan", PAN, "--fill", "ABC"], /leaves 10 fill nibbles, got 3/],
    [["pinblock", "--format", "3", "--pin", "1234", "--pan", PAN, "--fill", "0123456789"], /"0" at 1 is not a format 3 fill nibble/],
    [["pinblock", "--format", "2", "--pin", "1234", "--pan", PAN], /format 2 has no PAN field/],
    [["pinblock", "--format", "7", "--pin", "1234"], /--format 7: a whole number from 0 to 4/],
    [["encrypt", "--alg", "des", "--key", "0123456789ABCDEF", "--data", "00", "--iv", "00"], /--iv applies to --mode cbc only/],
    [["tlv"], /tlv HEX is required/],
  ];
  for (const [argv, message] of cases) {
    const r = await tool(argv);
    assert.is(r.code, 2, argv.join(" "));
    assert.is(r.out.length, 0, argv.join(" "));
    assert.match(r.err.join("\n"), message, argv.join(" "));
  }
});

test("input the core refuses exits 1 with the core's error code", async () => {
  const cases: Array<[string[], RegExp]> = [
    [["mac", "--alg", "x9.19", "--key", "4141", "--text", "x"], /^tool mac: E_KEY_LENGTH: /],
    [["kcv", "--alg", "3des", "--key", "0123456789ABCDEF01"], /^tool kcv: E_KEY_LENGTH: /],
    [["decrypt", "--alg", "aes", "--key", "000102030405060708090a0b0c0d0e0f", "--data", "0011"], /^tool decrypt: E_BLOCK_LENGTH: /],
    [["pinblock", "--format", "0", "--pin", "123", "--pan", PAN], /^tool pinblock: E_PIN_LENGTH: /],
    [["dukpt", "--alg", "tdes", "--bdk", "0123456789ABCDEFFEDCBA9876543210", "--ksn", "FFFF98"], /^tool dukpt: E_DUKPT_KSN: /],
    [["tlv", "9F0206000000"], /^tool tlv: E_TLV_TRUNCATED: /],
    [["iso8583", "0200"], /^tool iso8583: E_8583_TRUNCATED: /],
    [["iso8583", "--frame", "0200302004C020C09811"], /^tool iso8583: E_8583_TRUNCATED: frame announces 514 bytes, 10 present/],
  ];
  for (const [argv, message] of cases) {
    const r = await tool(argv);
    assert.is(r.code, 1, argv.join(" "));
    assert.match(r.err[0]!, message, argv.join(" "));
  }
});

test("help prints every command and exits 0", async () => {
  const r = await tool(["help"]);
  assert.is(r.code, 0);
  for (const c of ["mac", "kcv", "pinblock", "encrypt", "decrypt", "dukpt", "tlv", "iso8583", "batch"]) assert.ok(r.out.some((l) => l.trim().startsWith(c)), c);
  assert.match((await tool(["help", "kcv"])).out[0]!, /^usage: tool kcv --alg/);
});

// ---- batch -------------------------------------------------------------------------------------------------
test("batch: one result line per command, `error: ...` for a failed one, exit 1 if any failed", async () => {
  const stdin = [
    "# check values",
    "kcv --alg 3des --key 0123456789ABCDEFFEDCBA9876543210",
    "",
    'mac --alg x9.19 --key 41414141414141414242424242424242 --text "hello world"',
    "kcv --alg des --key 01",
    "tlv 9F02060000000123455F2A020156",
    "frobnicate",
    "dukpt --alg tdes --bdk 0123456789ABCDEFFEDCBA9876543210 --ksn FFFF9876543210E00001",
  ].join("\n");
  const r = await tool(["batch"], stdin);
  assert.is(r.code, 1);
  assert.is(r.out.length, 6);
  assert.is(r.out[0], "08D7B4FB");
  assert.is(r.out[1], "3DDE5C5511661CBF");
  assert.match(r.out[2]!, /^error: E_KEY_LENGTH: /);
  assert.is(r.out[3], "9F02 Amount, Authorised (Numeric) [6] 000000012345 | 5F2A Transaction Currency Code [2] 0156");
  assert.match(r.out[4]!, /^error: unknown command "frobnicate"/);
  assert.match(r.out[5]!, /transaction +042666B49184CFA368DE9628D0397BC9/);
  const ok = await tool(["batch"], "kcv --alg des --key 0123456789ABCDEF\r\nencrypt --alg sm4 --key 0123456789ABCDEFFEDCBA9876543210 --data 0123456789ABCDEFFEDCBA9876543210\r\n");
  assert.is(ok.code, 0);
  assert.equal(ok.out, ["D5D44FF7", "681EDF34D206965E86B3E94F536E4246"]);
  assert.is((await tool(["batch", "extra"])).code, 2);
});

test.run();
