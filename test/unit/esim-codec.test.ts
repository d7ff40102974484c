/**
 * hal/esim on Node: ES10 requests against published bytes (devices.md §2.2 examples, lpac traces),
 * EID check digits against published valid EIDs, ICCID nibble swapping, the ProfileInfo parser against
 * responses built by the virtual eUICC's independent codec, encodings cross-checked with npm
 * `ber-tlv`, the AT transport (CCHO forms, CGLA length rule, 61xx both ways, bounded loops), the
 * result codes, and fuzzing of the response parsers: only typed E_ESIM_* errors.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createRequire } from "node:module";
import { AtEngine, type AtLink, type AtTimers } from "../../hal/at/engine.ts";
import { HalError } from "../../hal/errors.ts";
import { hexToBytes, bytesToHex } from "../../firmware/core/bytes.ts";
import { TlvWriter } from "../../firmware/core/tlv.ts";
import { EsimError } from "../../hal/esim/errors.ts";
import { Es10Transport } from "../../hal/esim/transport.ts";
import { EsimClient } from "../../hal/esim/client.ts";
import {
  TAG_DISABLE,
  TAG_ENABLE,
  decodeIccid,
  eidCheckDigitsOk,
  encodeGetEid,
  encodeGetProfilesInfo,
  encodeIccid,
  encodeProfileOperation,
  parseEid,
  parseOperationResult,
  parseProfilesInfo,
  resultError,
  utf8Decode,
  utf8Encode,
} from "../../hal/esim/es10.ts";
import { Euicc, chinaProfiles, iccidBytes, tlv } from "../../boards/sim/devices/euicc.ts";
import { Modem4G, realTimeHost } from "../../boards/sim/devices/modem4g.ts";
import { rngInt as rng } from "../support.ts";

const require = createRequire(import.meta.url);
const berTlv = require("ber-tlv") as { TlvFactory: { parse(b: Buffer): Array<{ tag: string; value: Buffer | null; items: unknown[] | null }> } };

const latin1 = (b: Uint8Array) => Buffer.from(b).toString("latin1");
const H = (b: Uint8Array) => bytesToHex(b);

class Wire implements AtLink {
  onWrite: ((s: string) => void) | undefined;
  private chunks: Uint8Array[] = [];
  private waiter: (() => void) | undefined;
  push(s: string | Uint8Array): void {
    this.chunks.push(typeof s === "string" ? Uint8Array.from(Buffer.from(s, "latin1")) : s);
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
  async read(): Promise<Uint8Array> {
    for (;;) {
      const c = this.chunks.shift();
      if (c) return c;
      await new Promise<void>((r) => (this.waiter = r));
    }
  }
  write(d: Uint8Array): void {
    this.onWrite?.(latin1(d));
  }
  close(): void {}
}

const timers: AtTimers = {
  set: (cb, ms) => setTimeout(cb, ms) as unknown as number,
  clear: (id) => clearTimeout(id as unknown as NodeJS.Timeout),
};

/** A module answering each command line through `answer` (returns the response text). */
function scripted(answer: (line: string) => string) {
  const wire = new Wire();
  const at = new AtEngine(wire, timers, { defaultTimeoutMs: 500 });
  const lines: string[] = [];
  wire.onWrite = (s) => {
    const line = s.replace(/\r$/, "");
    lines.push(line);
    setImmediate(() => wire.push(answer(line)));
  };
  return { at, lines };
}

const cgla = (hex: string) => `\r\n+CGLA: ${hex.length},"${hex}"\r\n\r\nOK\r\n`;

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === "function" ? p() : p);
    return "resolved";
  } catch (e) {
    return (e as { code?: string }).code ?? `untyped ${String(e)}`;
  }
}

// ---- requests -------------------------------------------------------------------------------------

test("requests: GetEID BF3E035C015A, GetProfilesInfo BF2D00 / with tag list, Enable and Disable layouts", async () => {
  const w = new TlvWriter(16);
  assert.is(H(encodeGetEid(w)), "BF3E035C015A"); // devices.md §2.2, lpac
  assert.is(H(encodeGetProfilesInfo(w, "")), "BF2D00");
  assert.is(H(encodeGetProfilesInfo(w)), "BF2D0A5C085A4F9F7090919295");
  const aid = "A0000005591010FFFFFFFF8900001000";
  // A card vendor's EnableProfile by AID, refreshFlag false [E6]: BF31 17 A0 12 4F 10 <AID> 81 01 00.
  assert.is(H(encodeProfileOperation(w, TAG_ENABLE, { aid }, false)), `BF3117A0124F10${aid}810100`);
  assert.is(H(encodeProfileOperation(w, TAG_DISABLE, { iccid: "89860012345678901234" }, true)), "BF3211A00C5A0A98680021436587092143" + "8101FF");
  // The npm ber-tlv parser reads the same structure.
  const tree = berTlv.TlvFactory.parse(Buffer.from(encodeProfileOperation(w, TAG_ENABLE, { iccid: "8986012012345678902" }, false)));
  assert.is(tree[0]!.tag, "BF31");
  const items = tree[0]!.items as Array<{ tag: string; value: Buffer | null; items: Array<{ tag: string; value: Buffer }> | null }>;
  assert.equal(
    items.map((i) => i.tag),
    ["A0", "81"],
  );
  assert.is(items[0]!.items![0]!.tag, "5A");
  assert.is(items[0]!.items![0]!.value.toString("hex").toUpperCase(), "986810022143658709F2");
  assert.is(await codeOf(() => encodeProfileOperation(w, TAG_ENABLE, { aid: "A000" }, false)), "E_ESIM_BAD_AID");
  assert.is(await codeOf(() => encodeProfileOperation(w, TAG_ENABLE, { iccid: "8986X" }, false)), "E_ESIM_BAD_ICCID");
});

test("ICCID: nibble-swapped BCD (8986... stored 98 68 ...), F padding for 19 digits, both ways; lpac #242's ICCID", async () => {
  const out = new Uint8Array(10);
  encodeIccid("89860012345678901234", out, 0);
  assert.is(H(out), "98680021436587092143");
  encodeIccid("8986001234567890123", out, 0);
  assert.is(H(out), "986800214365870921F3");
  assert.is(decodeIccid(out, 0, 10), "8986001234567890123");
  // The eUICC side's own codec agrees.
  assert.is(iccidBytes("8986001234567890123").toString("hex").toUpperCase(), "986800214365870921F3");
  // lpac printed iccid "89000000000000000012" for a Rohde & Schwarz test profile (lpac issue #242).
  assert.is(decodeIccid(hexToBytes("98000000000000000021"), 0, 10), "89000000000000000012");
  assert.is(await codeOf(() => decodeIccid(hexToBytes("98A80000000000000021"), 0, 10)), "E_ESIM_PARSE");
  assert.is(await codeOf(() => decodeIccid(hexToBytes("9868F021436587092143"), 0, 10)), "E_ESIM_PARSE"); // digits after the pad
});

test("EID check digits (SGP.29, mod 97 = 1): Infineon's published valid EIDs pass, one changed digit fails", async () => {
  for (const eid of ["89034011560010000000000000000121", "89001012012341234012345678901224", "89001567010203040506070809101152", "89044011112233441122334411223321"]) {
    assert.ok(eidCheckDigitsOk(eid), eid);
    // BigInt is fine on Node: the engine-side digit loop must agree with it.
    assert.is(BigInt(eid) % 97n, 1n);
    const bad = eid.slice(0, 10) + String((Number(eid[10]) + 1) % 10) + eid.slice(11);
    assert.not.ok(eidCheckDigitsOk(bad), bad);
  }
  assert.not.ok(eidCheckDigitsOk("8904401111223344112233441122332"));
  const resp = hexToBytes("BF3E125A1089044011112233441122334411223321");
  assert.is(parseEid(resp), "89044011112233441122334411223321");
  assert.is(await codeOf(() => parseEid(hexToBytes("BF3E125A1089044011112233441122334411223322"))), "E_ESIM_BAD_EID");
  assert.is(await codeOf(() => parseEid(hexToBytes("BF3E115A0F890440111122334411223344112233"))), "E_ESIM_PARSE");
  assert.is(await codeOf(() => parseEid(hexToBytes("BF3E00"))), "E_ESIM_PARSE");
});

test("ProfileInfo list: built by the eUICC's independent codec, read back field by field; list errors typed", async () => {
  const lpacIccid = "89000000000000000012";
  const lpacAid = "a0000005591010ffffffff8900002000";
  const e3 = tlv(
    0xe3,
    tlv(0x5a, iccidBytes(lpacIccid)),
    tlv(0x4f, Buffer.from(lpacAid, "hex")),
    tlv(0x9f70, Buffer.from([1])),
    tlv(0x91, Buffer.from("Rohde & Schwarz", "utf8")),
    tlv(0x92, Buffer.from("R&S CMW500 3G_XOR", "utf8")),
    tlv(0x93, Buffer.from([1])), // iconType: skipped
    tlv(0x95, Buffer.from([0])),
  );
  const cn = tlv(0xe3, tlv(0x5a, iccidBytes("8986012012345678902")), tlv(0x9f70, Buffer.from([0])), tlv(0x90, Buffer.from("收款机", "utf8")), tlv(0x91, Buffer.from("中国联通", "utf8")));
  const resp = tlv(0xbf2d, tlv(0xa0, e3, tlv(0xdf01, Buffer.from([0])), cn));
  const list = parseProfilesInfo(Uint8Array.from(resp));
  // What lpac printed for the same profile (issue #242): iccid, isdpAid, state enabled, names, class test.
  assert.equal(list[0], { iccid: lpacIccid, aid: lpacAid.toUpperCase(), state: 1, nickname: "", provider: "Rohde & Schwarz", name: "R&S CMW500 3G_XOR", profileClass: 0 });
  assert.equal(list[1], { iccid: "8986012012345678902", aid: "", state: 0, nickname: "收款机", provider: "中国联通", name: "", profileClass: -1 });
  assert.is(list.length, 2);
  // Long-form lengths (81 xx) on the way: the three China profiles of the virtual card.
  const w = new TlvWriter();
  w.begin(0xbf2d).begin(0xa0);
  for (const p of chinaProfiles()) w.begin(0xe3).put(0x5a, iccidBytes(p.iccid)).putHex(0x4f, p.aid).put(0x91, utf8Encode(p.provider)).end();
  const three = w.end().end().toBytes();
  assert.equal(
    parseProfilesInfo(three).map((p) => [p.iccid, p.provider]),
    chinaProfiles().map((p) => [p.iccid, p.provider]),
  );
  // ProfileInfoListError: incorrectInputValues (1), undefinedError (127).
  const e1 = await codeOf(() => parseProfilesInfo(hexToBytes("BF2D03810101")));
  assert.is(e1, "E_ESIM_LIST_ERROR");
  try {
    parseProfilesInfo(hexToBytes("BF2D0381017F"));
  } catch (e) {
    assert.is((e as EsimError).evidence.result, 127);
  }
  assert.is(await codeOf(() => parseProfilesInfo(hexToBytes("BF2D00"))), "E_ESIM_PARSE");
  assert.is(await codeOf(() => parseProfilesInfo(hexToBytes("BF3E00"))), "E_ESIM_PARSE");
  assert.is(await codeOf(() => parseProfilesInfo(hexToBytes("BF2D05A003E30201"))), "E_ESIM_PARSE"); // E3 content truncated
  assert.equal(parseProfilesInfo(hexToBytes("BF2D02A000")), []);
});

test("operation results: 0 ok, 1..5 and 127 as typed errors, anything else E_ESIM_UNDEFINED", async () => {
  assert.is(parseOperationResult(hexToBytes("BF3103800100"), TAG_ENABLE, "EnableProfile"), 0);
  assert.is(parseOperationResult(hexToBytes("BF3103800105"), TAG_ENABLE, "EnableProfile"), 5);
  const ref = { iccid: "89860012345678901234" };
  assert.is(resultError("EnableProfile", 0, ref), undefined);
  const codes = [1, 2, 3, 4, 5, 127, 9].map((r) => resultError("EnableProfile", r, ref)!.code);
  assert.equal(codes, ["E_ESIM_PROFILE_NOT_FOUND", "E_ESIM_NOT_DISABLED", "E_ESIM_POLICY", "E_ESIM_WRONG_REENABLING", "E_ESIM_CAT_BUSY", "E_ESIM_UNDEFINED", "E_ESIM_UNDEFINED"]);
  assert.is(resultError("DisableProfile", 2, ref)!.code, "E_ESIM_NOT_ENABLED");
  assert.is(resultError("EnableProfile", 3, ref)!.evidence.result, 3);
  assert.throws(() => parseOperationResult(hexToBytes("BF3203800100"), TAG_ENABLE, "EnableProfile"), (e: EsimError) => e.code === "E_ESIM_PARSE");
  assert.throws(() => parseOperationResult(hexToBytes("BF3100"), TAG_ENABLE, "EnableProfile"), (e: EsimError) => e.code === "E_ESIM_PARSE");
});

test("UTF-8: Chinese names, 4-byte characters, malformed sequences as U+FFFD (no TextDecoder in the engine)", async () => {
  for (const s of ["中国移动", "China Mobile 4G", "😀 ok", "ÄÖÜ", ""]) {
    const b = utf8Encode(s);
    assert.equal(Buffer.from(b), Buffer.from(s, "utf8"));
    assert.is(utf8Decode(b, 0, b.length), s);
  }
  assert.is(utf8Decode(hexToBytes("41C3"), 0, 2), "A\uFFFD");
  assert.is(utf8Decode(hexToBytes("E4B8FF41"), 0, 4), "\uFFFD\uFFFD\uFFFD" + "A");
  assert.is(utf8Decode(hexToBytes("C080"), 0, 2), "\uFFFD\uFFFD"); // overlong
  assert.is(utf8Decode(hexToBytes("EDA080"), 0, 3), "\uFFFD\uFFFD\uFFFD"); // surrogate
});

// ---- transport --------------------------------------------------------------------------------------

test("transport: the lpac #143 trace (CLA 81 on session 1, BF2E00) byte for byte; the devices.md 61xx example with CLA 80", async () => {
  // lpac issue #143, a real module: AT+CGLA=1,16,"81E2910003BF2E00" -> +CGLA: 46,"BF2E1280...BCFD9000".
  const traceResp = "BF2E128010FDC5A60071053ABB4C0F91BC0620BCFD9000";
  const a = scripted((l) => (l === 'AT+CCHO="A0000005591010FFFFFFFF8900000100"' ? "\r\n+CCHO: 1\r\n\r\nOK\r\n" : l === 'AT+CGLA=1,16,"81E2910003BF2E00"' ? cgla(traceResp) : "\r\nOK\r\n"));
  const t = new Es10Transport(a.at);
  assert.is(await t.open(), 1);
  assert.is(H(await t.storeData(hexToBytes("BF2E00"))), traceResp.slice(0, -4));
  await t.close();
  assert.equal(a.lines, ['AT+CCHO="A0000005591010FFFFFFFF8900000100"', 'AT+CGLA=1,16,"81E2910003BF2E00"', "AT+CCHC=1"]);
  // devices.md §2.2: 80E2910006BF3E035C015A -> 6115, then 80C0000015 -> data 9000 (CLA without channel bits).
  const eid = "BF3E125A1089044011112233441122334411223321";
  const b = scripted((l) =>
    l.startsWith("AT+CCHO") ? "\r\n+CCHO: 1\r\n\r\nOK\r\n" : l === 'AT+CGLA=1,22,"80E2910006BF3E035C015A"' ? cgla("6115") : l === 'AT+CGLA=1,10,"80C0000015"' ? cgla(eid + "9000") : "\r\nOK\r\n",
  );
  const t2 = new Es10Transport(b.at, { claChannelBits: false });
  await t2.open();
  assert.is(parseEid(await t2.storeData(encodeGetEid(new TlvWriter()))), "89044011112233441122334411223321");
  assert.equal(b.lines.slice(1), ['AT+CGLA=1,22,"80E2910006BF3E035C015A"', 'AT+CGLA=1,10,"80C0000015"']);
});

test("transport: bare 27.007 +CCHO answer, CCHO refused, CGLA length mismatch, status words, endless 61xx, oversize answers", async () => {
  const bare = scripted((l) => (l.startsWith("AT+CCHO") ? "\r\n3\r\n\r\nOK\r\n" : "\r\nOK\r\n"));
  assert.is(await new Es10Transport(bare.at).open(), 3);
  const refused = scripted(() => "\r\n+CME ERROR: 3\r\n");
  const e = await new Es10Transport(refused.at).open().catch((x: EsimError) => x);
  assert.is((e as EsimError).code, "E_ESIM_CHANNEL");
  assert.is((e as EsimError).evidence.cme, 3);
  const open = (answer: (l: string) => string) => {
    const s = scripted((l) => (l.startsWith("AT+CCHO") ? "\r\n+CCHO: 1\r\n\r\nOK\r\n" : answer(l)));
    const t = new Es10Transport(s.at, { maxResponse: 600 });
    return { t, s };
  };
  let x = open(() => "\r\n+CGLA: 5,\"9000\"\r\n\r\nOK\r\n");
  await x.t.open();
  assert.is(await codeOf(x.t.storeData(hexToBytes("BF2D00"))), "E_ESIM_TRANSPORT");
  x = open(() => cgla("6A88"));
  await x.t.open();
  const sw = await x.t.storeData(hexToBytes("BF2D00")).catch((q: EsimError) => q);
  assert.is((sw as EsimError).code, "E_ESIM_SW");
  assert.is((sw as EsimError).evidence.sw, "6A88");
  x = open(() => cgla("AB6101"));
  await x.t.open();
  assert.is(await codeOf(x.t.storeData(hexToBytes("BF2D00"))), "E_ESIM_SW");
  assert.ok(x.s.lines.length < 80, `${x.s.lines.length} commands`);
  x = open(() => cgla("AB".repeat(250) + "6100"));
  await x.t.open();
  assert.is(await codeOf(x.t.storeData(hexToBytes("BF2D00"))), "E_ESIM_PARSE");
  x = open(() => cgla("9000").replace("9000", "90G0"));
  await x.t.open();
  assert.is(await codeOf(x.t.storeData(hexToBytes("BF2D00"))), "E_ESIM_TRANSPORT");
  // A 91xx status (a proactive command pending, e.g. after a refresh) ends the exchange like 9000.
  x = open(() => cgla("BF31038001009108"));
  await x.t.open();
  assert.is(H(await x.t.storeData(hexToBytes("BF3100"))), "BF3103800100");
});

test("catBusy with no driver events: AT+CFUN=1,1, AT probes until the module answers, EnableProfile again (real time)", async () => {
  const host = realTimeHost();
  const modem = new Modem4G({ bootMs: 300, simInitMs: 20, registrationMs: 20 });
  const euicc = new Euicc({ catBusy: 1 }).insertInto(modem);
  const wire = new Wire();
  wire.onWrite = (s) => modem.receive(Uint8Array.from(Buffer.from(s, "latin1")));
  modem.attach((b) => wire.push(Uint8Array.from(b)), host);
  const at = new AtEngine(wire, timers, { defaultTimeoutMs: 2000 });
  try {
    await new Promise((r) => setTimeout(r, 400));
    await at.command("ATE0");
    const client = new EsimClient(at, { time: { sleep: (ms) => new Promise((r) => setTimeout(r, ms)), monotonic: () => Date.now(), timers } });
    await client.enableProfile({ iccid: chinaProfiles()[1]!.iccid });
    assert.is(client.resets, 1);
    assert.is(euicc.enabledProfile()!.iccid, chinaProfiles()[1]!.iccid);
    assert.ok(modem.history.includes("AT+CFUN=1,1"));
    assert.is(modem.stats.boots, 2);
  } finally {
    at.close();
    host.dispose();
  }
});

// ---- fuzz ---------------------------------------------------------------------------------------------


test("fuzz: 60000 random and mutated ES10 responses into the three parsers: results or typed E_ESIM_* errors only", async () => {
  const r = rng(0xe51);
  const seeds = [
    Uint8Array.from(tlv(0xbf2d, tlv(0xa0, ...chinaProfiles().map((p) => tlv(0xe3, tlv(0x5a, iccidBytes(p.iccid)), tlv(0x4f, Buffer.from(p.aid, "hex")), tlv(0x9f70, Buffer.from([0])), tlv(0x91, Buffer.from(p.provider)), tlv(0x95, Buffer.from([2]))))))),
    hexToBytes("BF3E125A1089044011112233441122334411223321"),
    hexToBytes("BF3103800100"),
    hexToBytes("BF2D03810101"),
  ];
  const seen: Record<string, number> = {};
  const ITER = Number(process.env.FUZZ_ITERATIONS ?? 60000);
  for (let k = 0; k < ITER; k++) {
    const base = seeds[r(seeds.length)]!;
    let b: Uint8Array;
    const kind = r(4);
    if (kind === 0) b = Uint8Array.from({ length: r(64) }, () => r(256));
    else {
      b = Uint8Array.from(base);
      if (kind === 1) for (let n = 1 + r(3); n > 0; n--) b[r(b.length)] = r(256);
      else if (kind === 2) b = b.subarray(0, r(b.length + 1));
      else b[1 + r(b.length - 1)] = [0x00, 0x7f, 0x80, 0x81, 0x82, 0x83, 0x84, 0xff][r(8)]!;
    }
    for (const fn of [() => parseProfilesInfo(b), () => parseEid(b), () => parseOperationResult(b, TAG_ENABLE, "EnableProfile")]) {
      let code = "ok";
      try {
        fn();
      } catch (e) {
        if (!(e instanceof EsimError) || !(e instanceof HalError) || !e.code.startsWith("E_ESIM_")) throw new Error(`untyped error for ${bytesToHex(b)}: ${String(e)}`);
        code = e.code;
      }
      seen[code] = (seen[code] ?? 0) + 1;
    }
  }
  assert.ok((seen.ok ?? 0) > 1000 && (seen.E_ESIM_PARSE ?? 0) > 10000, JSON.stringify(seen));
  console.log(`    ${ITER} inputs x 3 parsers: ${JSON.stringify(seen)}`);
});

test.run();
