/**
 * firmware/cup/messages.ts against the worked example of spec/cup-8583.md §9 (sign-in request and sale request
 * byte for byte, sign-in response keys), and every builder's field set per spec §6 packed and parsed back.
 * MACs and key unwrapping are cross-checked with node:crypto, independent of firmware/core.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createCipheriv, createDecipheriv } from "node:crypto";
import { Iso8583Message } from "../../../firmware/core/iso8583.ts";
import { CUP_SPEC } from "../../../firmware/cup/fields.ts";
import { splitFrame } from "../../../firmware/cup/frame.ts";
import { bytesToHex, hexToBytes } from "../../../firmware/core/bytes.ts";
import { computeMac } from "../../../firmware/core/mac.ts";
import { parseTlv } from "../../../firmware/core/tlv.ts";
import {
  TXN,
  buildActivation,
  buildBalance,
  buildBatchUploadDetail,
  buildBatchUploadEnd,
  buildCompletion,
  buildCompletionVoid,
  buildEcho,
  buildFinancial,
  buildOfflineAdvice,
  buildPreAuth,
  buildPreAuthCancel,
  buildRefund,
  buildReversal,
  buildSale,
  buildSettlement,
  buildSignIn,
  buildSignOut,
  buildVoid,
  cupMessage,
  cupPacker,
  decodeFields,
  encodeFields,
  formatSettlementTotals,
  packRequest,
  parseActivationGrant,
  parseBalance,
  parseSettlementTotals,
  parseSignInKeys,
  readResponse,
  utf8Decode,
  utf8Encode,
  type CardData,
  type CupRequest,
  type TxnKind,
} from "../../../firmware/cup/messages.ts";

const hex = (s: string) => hexToBytes(s.replace(/\s+/g, ""));
const FRAMING = { tpdu: hex("6000030000"), header: hex("603100310001") };
const ID = { terminalId: "10000001", merchantId: "898100012345678" };
const MAK = hex("3B5D7F9E1A2C4E6F");
const TMK = hex("11111111111111112222222222222222");

const SIGNIN_REQ = "003C 6000030000 603100310001 0800 0020000000C00012 000001 3130303030303031 383938313030303132333435363738 0011 000000010030 0003 303031";
const SIGNIN_RESP =
  "0079 6000000003 603100310001 0810 003800010AC00014 000001 093015 1122 08 48020000 303933303135303030303031 3030 3130303030303031 383938313030303132333435363738 0011 000000010030 0040 CB4AB541CD5AD4FC256A882726936A5A 08D7B4FB DA64B6170F346167 0000000000000000 FC11AEF3";
const SALE_REQ =
  "0073 6000030000 603100310001 0200 302004C020C09811 000000 000000010000 000123 0210 00 06 37 6222021234567890123D30121010000000000 0 3130303030303031 383938313030303132333435363738 313536 2A084C604973D4AE 2600000000000000 0011 220000010000 4138363441434638";

/** Single DES via node:crypto (K1=K2=K3). */
function desEnc(key: Uint8Array, block: Uint8Array): Buffer {
  const c = createCipheriv("des-ede3", Buffer.concat([key, key, key]), null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(block), c.final()]);
}
/** The CUP ECB MAC of §7.4 from the spec text over node:crypto: 8 ASCII bytes. */
function refMac(data: Uint8Array): Uint8Array {
  const x = new Uint8Array(8);
  for (let i = 0; i < data.length; i++) x[i % 8]! ^= data[i]!;
  const h = Buffer.from(Buffer.from(x).toString("hex").toUpperCase(), "ascii");
  const e1 = desEnc(MAK, h.subarray(0, 8));
  for (let i = 0; i < 8; i++) e1[i]! ^= h[8 + i]!;
  return Buffer.from(desEnc(MAK, e1).toString("hex").toUpperCase().slice(0, 8), "ascii");
}
const macOf = (d: Uint8Array) => computeMac("cup-ecb", MAK, d);

function pack(req: CupRequest): Uint8Array {
  const out = new Uint8Array(1024);
  const n = packRequest(cupPacker(), req, FRAMING, out, macOf);
  return out.slice(0, n);
}
function parse(frame: Uint8Array): Iso8583Message {
  const f = splitFrame(frame);
  return new Iso8583Message(CUP_SPEC).parse(frame, f.bodyOffset, f.body.length);
}

const SWIPE: CardData = { entryMode: "swipe", pan: "6222021234567890123", track2: "6222021234567890123=30121010000000000" };
const MANUAL: CardData = { entryMode: "manual", pan: "6222021234567890123", expiry: "3012" };
const PINBLOCK = hex("2A084C604973D4AE");

test("§9 sign-in request: buildSignIn + packRequest give the spec's 62 bytes", () => {
  const req = buildSignIn({ ...ID, stan: 1, batch: 1 }, "003", "01");
  assert.is(req.mac, false);
  assert.is(bytesToHex(pack(req)), SIGNIN_REQ.replace(/\s+/g, ""));
});

test("§9 sale request: buildSale (swipe, PIN) + the PED-style MAC give the spec's bytes, MAC A864ACF8", () => {
  const req = buildSale({ ...ID, stan: 123, batch: 1 }, { amount: 10000, card: SWIPE, pinBlock: PINBLOCK });
  const frame = pack(req);
  assert.is(bytesToHex(frame), SALE_REQ.replace(/\s+/g, ""));
  const m = parse(frame);
  assert.is(Buffer.from(refMac(m.macInput())).toString("ascii"), "A864ACF8", "node:crypto MAC over the same range");
});

test("§9 sign-in response: readResponse and parseSignInKeys; the keys unwrap under the TMK (node:crypto) to the KCVs", () => {
  const m = parse(hex(SIGNIN_RESP));
  const r = readResponse(m);
  assert.equal([r.mti, r.stan, r.code, r.time, r.date, r.rrn, r.acquirerId, r.field60, r.terminalId, r.merchantId], ["0810", "000001", "00", "093015", "1122", "093015000001", "48020000", "00000001003", "10000001", "898100012345678"]);
  const keys = parseSignInKeys(r.field62!, "003");
  assert.is(keys.pik.algorithm, "3des");
  assert.is(keys.mak.algorithm, "des");
  assert.is(keys.tdk, undefined);
  const d = createDecipheriv("des-ede", TMK, null);
  d.setAutoPadding(false);
  const pik = Buffer.concat([d.update(keys.pik.cipher), d.final()]);
  assert.is(pik.toString("hex").toUpperCase(), "0123456789ABCDEFFEDCBA9876543210");
  const d2 = createDecipheriv("des-ede", TMK, null);
  d2.setAutoPadding(false);
  const mak = Buffer.concat([d2.update(keys.mak.cipher), d2.final()]);
  assert.is(mak.toString("hex").toUpperCase(), "3B5D7F9E1A2C4E6F");
  assert.is(bytesToHex(keys.pik.kcv), "08D7B4FB");
  assert.is(bytesToHex(keys.mak.kcv), "FC11AEF3");
  assert.is(desEnc(mak, new Uint8Array(8)).subarray(0, 4).toString("hex").toUpperCase(), "FC11AEF3");
});

test("parseSignInKeys: 001 (24 bytes) and 004 (60 bytes) layouts; a wrong size is E_MSG_FIELD62", () => {
  const b24 = new Uint8Array(24).map((_, i) => i);
  const k1 = parseSignInKeys(b24, "001");
  assert.is(bytesToHex(k1.pik.cipher), "0001020304050607");
  assert.is(bytesToHex(k1.pik.kcv), "08090A0B");
  assert.is(bytesToHex(k1.mak.cipher), "0C0D0E0F10111213");
  assert.is(bytesToHex(k1.mak.kcv), "14151617");
  const b60 = new Uint8Array(60).map((_, i) => i);
  const k4 = parseSignInKeys(b60, "004");
  assert.is(bytesToHex(k4.tdk!.cipher), bytesToHex(b60.subarray(40, 56)));
  assert.is(bytesToHex(k4.tdk!.kcv), "38393A3B");
  assert.throws(() => parseSignInKeys(b24, "003"), (e: { code?: string }) => e.code === "E_MSG_FIELD62");
  assert.throws(() => parseSignInKeys(new Uint8Array(0), "001"), (e: { code?: string }) => e.code === "E_MSG_FIELD62");
});

/** What spec §6.1 says each kind carries, checked on the packed and re-parsed message. */
const KIND_CASES: Array<[TxnKind, (ctx: { terminalId: string; merchantId: string; stan: number; batch: number }) => CupRequest, number[]]> = [
  ["balance", (c) => buildBalance(c, { card: SWIPE, pinBlock: PINBLOCK }), [3, 11, 22, 25, 26, 35, 41, 42, 49, 52, 53, 60, 64]],
  ["sale", (c) => buildSale(c, { amount: 500, card: MANUAL }), [2, 3, 4, 11, 14, 22, 25, 41, 42, 49, 60, 64]],
  ["void", (c) => buildVoid(c, { amount: 500, card: SWIPE, original: { batch: 1, trace: 7, rrn: "123456789012", authCode: "A1B2C3" } }), [3, 4, 11, 22, 25, 35, 37, 38, 41, 42, 49, 60, 61, 64]],
  ["refund", (c) => buildRefund(c, { amount: 300, card: SWIPE, original: { batch: 1, trace: 7, rrn: "123456789012", date: "1122" }, operator: "02" }), [2, 3, 4, 11, 22, 25, 37, 41, 42, 49, 60, 61, 63, 64]],
  ["preAuth", (c) => buildPreAuth(c, { amount: 900, card: MANUAL, pinBlock: PINBLOCK }), [2, 3, 4, 11, 14, 22, 25, 26, 41, 42, 49, 52, 53, 60, 64]],
  ["preAuthCancel", (c) => buildPreAuthCancel(c, { amount: 900, card: MANUAL, original: { authCode: "PA0001", date: "1122" } }), [2, 3, 4, 11, 14, 22, 25, 38, 41, 42, 49, 60, 61, 64]],
  ["completion", (c) => buildCompletion(c, { amount: 800, card: MANUAL, original: { authCode: "PA0001", date: "1122" } }), [2, 3, 4, 11, 14, 22, 25, 38, 41, 42, 49, 60, 61, 64]],
  ["completionVoid", (c) => buildCompletionVoid(c, { amount: 800, card: MANUAL, original: { batch: 1, trace: 9, rrn: "123456789013", authCode: "PA0001" } }), [2, 3, 4, 11, 14, 22, 25, 37, 38, 41, 42, 49, 60, 61, 64]],
  ["offlineSale", (c) => buildOfflineAdvice(c, { amount: 100, card: SWIPE, operator: "01" }), [2, 3, 4, 11, 22, 25, 41, 42, 49, 60, 63, 64]],
];

for (const [kind, build, fieldsWanted] of KIND_CASES) {
  test(`${kind}: MTI, 3, 25, 60.1 of spec §6.1, the fields it must carry, a MAC node:crypto agrees with`, () => {
    const req = build({ ...ID, stan: 42, batch: 3 });
    const def = TXN[kind];
    const frame = pack(req);
    const m = parse(frame);
    assert.is(m.mti, def.mti);
    assert.equal(m.fields(), fieldsWanted);
    assert.is(m.getString(3), def.processingCode);
    assert.is(m.getString(25), def.condition);
    assert.is(m.getString(60), def.typeCode + "000003" + "000");
    assert.is(m.getString(11), "000042");
    assert.is(bytesToHex(m.mac()!), bytesToHex(refMac(m.macInput())));
  });
}

test("field 22 by entry mode and PIN; field 61 layouts of void (batch+trace) and refund / completion (+date)", () => {
  const ctx = { ...ID, stan: 5, batch: 1 };
  const code = (card: CardData, pin: boolean) => parse(pack(buildSale(ctx, { amount: 1, card, pinBlock: pin ? PINBLOCK : undefined }))).getString(22);
  assert.is(code(SWIPE, true), "021");
  assert.is(code(SWIPE, false), "022");
  assert.is(code(MANUAL, false), "012");
  assert.is(code({ ...MANUAL, entryMode: "chip", cardSequence: "001", icc: hex("9F2608AABBCCDDEEFF0011") }, true), "051");
  assert.is(code({ ...SWIPE, entryMode: "fallback" }, true), "801");
  const chip = parse(pack(buildSale(ctx, { amount: 1, card: { ...MANUAL, entryMode: "chip", cardSequence: "001", icc: hex("9F2608AABBCCDDEEFF0011") } })));
  assert.is(chip.getString(23), "001");
  assert.is(chip.getString(55), "9F2608AABBCCDDEEFF0011");
  const v = parse(pack(buildVoid(ctx, { amount: 1, card: SWIPE, original: { batch: 2, trace: 123 } })));
  assert.is(v.getString(61), "000002000123");
  const r = parse(pack(buildRefund(ctx, { amount: 1, card: SWIPE, original: { batch: 2, trace: 123, rrn: "R00000000001", date: "1121" } })));
  assert.is(r.getString(61), "0000020001231121");
  const c = parse(pack(buildCompletion(ctx, { amount: 1, card: MANUAL, original: { authCode: "123456", date: "1120" } })));
  assert.is(c.getString(61), "0000000000001120");
  assert.is(c.getString(38), "123456");
});

test("bad input is E_MSG_INPUT: short PAN, zero amount, void without original, STAN 0 or > 999999", () => {
  const ctx = { ...ID, stan: 1, batch: 1 };
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return (e as { code?: string }).code;
    }
    return "none";
  };
  assert.is(code(() => buildSale(ctx, { amount: 100, card: { entryMode: "manual", pan: "12345" } })), "E_MSG_INPUT");
  assert.is(code(() => buildSale(ctx, { amount: 0, card: MANUAL })), "E_MSG_INPUT");
  assert.is(code(() => buildVoid(ctx, { amount: 1, card: MANUAL })), "E_MSG_INPUT");
  assert.is(code(() => buildSale({ ...ctx, stan: 0 }, { amount: 1, card: MANUAL })), "E_MSG_INPUT");
  assert.is(code(() => buildSale({ ...ctx, stan: 1000000 }, { amount: 1, card: MANUAL })), "E_MSG_INPUT");
  assert.is(code(() => buildSignIn(ctx, "002" as "001", "01")), "E_MSG_INPUT");
  assert.is(code(() => packRequest(cupPacker(), buildSale(ctx, { amount: 1, card: MANUAL }), FRAMING, new Uint8Array(512))), "E_MSG_MAC");
});

test("reversal (0400) copies 2, 3, 4, 11, 22, 25, 41, 42, 49, 60 (+38, 61) of the original, adds 39 and 64, never tracks or PIN", () => {
  const sale = buildSale({ ...ID, stan: 123, batch: 1 }, { amount: 10000, card: SWIPE, pinBlock: PINBLOCK });
  const rev = buildReversal(sale, "98", SWIPE.pan);
  const m = parse(pack(rev));
  assert.is(m.mti, "0400");
  assert.equal(m.fields(), [2, 3, 4, 11, 22, 25, 39, 41, 42, 49, 60, 64]);
  assert.is(m.getString(11), "000123", "the original trace");
  assert.is(m.getString(39), "98");
  assert.is(m.getString(60), "22000001000");
  assert.is(m.getString(2), "6222021234567890123");
  assert.is(bytesToHex(m.mac()!), bytesToHex(refMac(m.macInput())));
  const v = buildVoid({ ...ID, stan: 124, batch: 1 }, { amount: 10000, card: SWIPE, original: { batch: 1, trace: 123, rrn: "123456789012", authCode: "AB12CD" } });
  const mv = parse(pack(buildReversal(v, "A0", SWIPE.pan)));
  assert.equal(mv.fields(), [2, 3, 4, 11, 22, 25, 38, 39, 41, 42, 49, 60, 61, 64]);
});

test("the stored field-map codec round-trips strings and bytes; a truncated record is E_MSG_CODEC", () => {
  const sale = buildSale({ ...ID, stan: 9, batch: 1 }, { amount: 10000, card: MANUAL, pinBlock: PINBLOCK });
  const rev = buildReversal(sale, "98");
  const blob = encodeFields(rev.fields);
  const back = decodeFields(blob);
  assert.equal(Object.keys(back), Object.keys(rev.fields));
  const a = pack({ ...rev, fields: back });
  const b = pack(buildReversal(sale, "98"));
  assert.is(bytesToHex(a), bytesToHex(b));
  assert.throws(() => decodeFields(blob.subarray(0, blob.length - 1)), (e: { code?: string }) => e.code === "E_MSG_CODEC");
});

test("activation request: 60.3 = 360, 41 zeros, 42 spaces, 62 = TLV DF01/DF02/DF03; grant parse (DF10..DF13, UTF-8 name)", () => {
  const req = buildActivation(7, { serialNumber: "SIM00000001", activationCode: "12345678", firmwareVersion: "0.1.0" });
  const m = parse(pack(req));
  assert.is(m.mti, "0800");
  assert.equal(m.fields(), [11, 41, 42, 60, 62]);
  assert.is(m.getString(41), "00000000");
  assert.is(m.getString(42), "               ");
  assert.is(m.getString(60), "00000000360");
  const t = parseTlv(m.getBytes(62)!);
  assert.is(Buffer.from(t.get(0xdf01)!).toString(), "SIM00000001");
  assert.is(Buffer.from(t.get(0xdf02)!).toString(), "12345678");
  assert.is(Buffer.from(t.get(0xdf03)!).toString(), "0.1.0");
  const name = Buffer.from("银联测试商户", "utf8");
  const grant = Buffer.concat([hex("DF1010"), Buffer.alloc(16, 0x11), hex("DF1104A1B2C3D4"), hex("DF12"), Buffer.from([name.length]), name, hex("DF130E"), Buffer.from("127.0.0.1:9000")]);
  const g = parseActivationGrant(new Uint8Array(grant));
  assert.is(g.merchantName, "银联测试商户");
  assert.is(g.hostAddress, "127.0.0.1:9000");
  assert.is(bytesToHex(g.tmkKcv), "A1B2C3D4");
  assert.throws(() => parseActivationGrant(hex("DF1104A1B2C3D4")), (e: { code?: string }) => e.code === "E_MSG_FIELD62");
  assert.is(utf8Decode(utf8Encode("商户 A😀")), "商户 A😀");
  assert.is(Buffer.from(utf8Encode("商户😀")).toString("utf8"), "商户😀");
});

test("balance (54), settlement totals (48): formats of spec §6.3 / §6.10", () => {
  assert.equal(parseBalance("1002156C000001234567"), { accountType: "10", amountType: "02", currency: "156", amount: 1234567 });
  assert.is(parseBalance("1002156D000000000100").amount, -100);
  assert.throws(() => parseBalance("1002156X000001234567"), (e: { code?: string }) => e.code === "E_MSG_FIELD54");
  const t = { domestic: { debitAmount: 12345, debitCount: 3, creditAmount: 500, creditCount: 1, result: 0 }, foreign: { debitAmount: 0, debitCount: 0, creditAmount: 0, creditCount: 0, result: 0 } };
  const s = formatSettlementTotals(t);
  assert.is(s, "000000012345003000000000500001" + "0" + "000000000000000000000000000000" + "0");
  assert.is(s.length, 62);
  assert.equal(parseSettlementTotals(s), t);
  const m = parse(pack(buildSettlement({ ...ID, stan: 50, batch: 3 }, t, "00")));
  assert.is(m.mti, "0500");
  assert.equal(m.fields(), [11, 41, 42, 48, 49, 60, 63, 64]);
  assert.is(m.getString(60), "00000003201");
  assert.is(m.getString(63), "000");
});

test("batch upload detail / end, sign-out, echo: MTIs and 60.3 codes of the profile", () => {
  const d = parse(pack(buildBatchUploadDetail({ ...ID, batch: 3 }, { pan: "6222021234567890123", processingCode: "000000", amount: 100, trace: 12, entryMode: "021", rrn: "000000000001", authCode: "123456" })));
  assert.is(d.mti, "0320");
  assert.is(d.getString(60), "00000003201");
  assert.is(d.getString(11), "000012");
  const e = parse(pack(buildBatchUploadEnd({ ...ID, stan: 60, batch: 3 }, 2, "202")));
  assert.is(e.getString(48), "0002");
  assert.is(e.getString(60), "00000003202");
  const so = parse(pack(buildSignOut({ ...ID, stan: 61, batch: 3 }, "01")));
  assert.is(so.mti, "0820");
  assert.is(so.getString(60), "00000003002");
  const ec = parse(pack(buildEcho({ ...ID, stan: 62, batch: 3 })));
  assert.is(ec.getString(60), "00000003301");
  assert.is(ec.has(64), false);
});

test("readResponse copies what it keeps: the shared message can parse the next frame", () => {
  const m = cupMessage();
  const f = splitFrame(hex(SIGNIN_RESP));
  m.parse(hex(SIGNIN_RESP), f.bodyOffset, f.body.length);
  const r = readResponse(m);
  const sale = hex(SALE_REQ);
  const g = splitFrame(sale);
  m.parse(sale, g.bodyOffset, g.body.length);
  assert.is(bytesToHex(r.field62!).slice(0, 8), "CB4AB541");
  assert.is(r.stan, "000001");
  void buildFinancial;
});

test.run();
