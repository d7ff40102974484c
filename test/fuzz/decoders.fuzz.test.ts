/**
 * Fuzzing every decoder of outside bytes that the 8583/TLV fuzzers beside this file do not cover already
 * (issue #10): the CUP response path as the terminal reads it (frame length, 8583 parse, readResponse, fields
 * 48/54/62/55), the stored field maps of reversals, the issuer's 91/71/72, APDU responses, AT lines, ES10
 * responses, agent frames and their CBOR, the flash log mounting a random or torn image, journal records,
 * track 2, and the host's own 8583 decoder. Each decoder: seeded random bytes and mutations of valid inputs;
 * only a valid result or a typed error with the codes listed per target; outputs bounded by the input size.
 * FUZZ_SCALE multiplies the iterations (test/fuzz/kit.ts); the figures go into the reliability report.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { fuzz, iterations, mutate, recordFuzzRows, Rand, type FuzzRow } from "./kit.ts";
import { cupMessage, readResponse, parseBalance, parseSettlementTotals, parseSignInKeys, parseActivationGrant, decodeFields, encodeFields } from "../../firmware/cup/messages.ts";
import { BODY_OFFSET, LEN_BYTES, TPDU_BYTES, HEADER_BYTES } from "../../firmware/cup/frame.ts";
import { MAX_RESPONSE_BYTES } from "../../firmware/cup/exchange.ts";
import { issuerData } from "../../firmware/emv/completion.ts";
import { parseResponse } from "../../hal/card/apdu.ts";
import { LineScanner } from "../../hal/at/lines.ts";
import { qirdLength } from "../../hal/modem/quectel.ts";
import { parseEid, parseProfilesInfo, parseOperationResult, TAG_ENABLE, TAG_DISABLE } from "../../hal/esim/es10.ts";
import { encodeFrame, FrameDecoder, MAX_PAYLOAD } from "../../firmware/agent/frame.ts";
import { cborDecode, cborEncode, type CborValue } from "../../firmware/core/cbor.ts";
import { FlashLog } from "../../firmware/store/flash-log.ts";
import { crc32 } from "../../firmware/core/crc32.ts";
import { encodeRecord, decodeRecord, blankRecord } from "../../firmware/txn/journal.ts";
import { parseTrack2, parseTrack2Bytes } from "../../firmware/core/track2.ts";
import { buildFrame, parseFrame } from "../../boards/sim/host/codec.ts";
import { SimFlash } from "../../boards/sim/devices/flash.ts";
import { EXAMPLE_EID, tlv, iccidBytes } from "../../boards/sim/devices/euicc.ts";
import { FIELD55_HEX } from "../vectors/field55.ts";
import { SALE_FIELDS } from "../vectors/sale.ts";
import { H } from "../support.ts";

const rows: FuzzRow[] = [];
const TPDU = H("6000030000");
const HEADER = H("603100310001");
const ASCII = (s: string) => new Uint8Array(Buffer.from(s, "latin1"));

// ---- the CUP response path ---------------------------------------------------------------------------------

const totals = "000000012345001000000000000000" + "1" + "000000000000000000000000000000" + "1";
const activation = Buffer.concat([tlv(0xdf10, Buffer.alloc(16, 0x11)), tlv(0xdf11, Buffer.alloc(4, 0x22)), tlv(0xdf12, Buffer.from("测试商户", "utf8")), tlv(0xdf13, Buffer.from("127.0.0.1:9000"))]).toString("hex");
const issuer = Buffer.concat([tlv(0x91, Buffer.from("0102030405060708", "hex"), Buffer.from("3030", "hex")), tlv(0x71, tlv(0x9f18, Buffer.alloc(4, 1)), tlv(0x86, Buffer.from("8418000008AABBCCDDEEFF0011", "hex"))), tlv(0x72, tlv(0x86, Buffer.from("8424000000", "hex")))]).toString("hex");
const RESPONSES: Uint8Array[] = [
  buildFrame(TPDU, HEADER, "0810", { 11: "000001", 12: "093015", 13: "1122", 37: "000000000001", 39: "00", 41: "10000001", 42: "898100012345678", 60: "00000001003", 62: "00".repeat(40) }, H("3B5D7F9E1A2C4E6F")),
  buildFrame(TPDU, HEADER, "0810", { 11: "000002", 39: "00", 41: "10000001", 42: "898100012345678", 60: "00000001004", 62: "AB".repeat(60) }),
  buildFrame(TPDU, HEADER, "0810", { 11: "000003", 39: "00", 41: "10000001", 42: "898100012345678", 60: "00000001001", 62: "CD".repeat(24) }),
  buildFrame(TPDU, HEADER, "0830", { 11: "000004", 39: "00", 41: "10000001", 42: "898100012345678", 62: activation }),
  buildFrame(TPDU, HEADER, "0210", { 2: SALE_FIELDS[2]!, 3: "000000", 4: "000000012345", 11: "000124", 12: "093015", 13: "1122", 15: "1122", 32: "00010000", 37: "123456789012", 38: "A1B2C3", 39: "00", 41: "10000001", 42: "898100012345678", 44: "0301000003010000", 49: "156", 54: "1001156C000000099900", 55: issuer, 60: "22000001000", 63: "CUP" }, H("3B5D7F9E1A2C4E6F")),
  buildFrame(TPDU, HEADER, "0510", { 11: "000010", 12: "101010", 13: "1122", 15: "1122", 39: "00", 41: "10000001", 42: "898100012345678", 48: totals, 49: "156", 60: "00000001201", 63: "001" }),
];

function readCupResponse(frame: Uint8Array): number {
  // What CupExchange.awaitResponse does with the bytes of the socket, then what the flows read from it.
  if (frame.length < LEN_BYTES) return 0;
  const len = (frame[0]! << 8) | frame[1]!;
  if (len < TPDU_BYTES + HEADER_BYTES + 10 || len > MAX_RESPONSE_BYTES) return 0; // E_RESPONSE_FORMAT, before any parse
  const body = frame.subarray(LEN_BYTES, LEN_BYTES + len);
  if (body.length < len) return 0; // the socket would still be waiting
  const m = cupMessage();
  m.parse(body, BODY_OFFSET - LEN_BYTES, len - (BODY_OFFSET - LEN_BYTES));
  try {
    m.getString(11);
  } catch {
    // the exchange treats an unreadable STAN as ""
  }
  const r = readResponse(m);
  let out = m.fields().length;
  const tryField = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      const c = (e as { code?: string }).code ?? "";
      if (!/^E_(MSG|TLV)_/.test(c)) throw e;
    }
  };
  if (r.balance !== undefined) tryField(() => parseBalance(r.balance!));
  if (r.field48 !== undefined) tryField(() => parseSettlementTotals(r.field48!));
  if (r.field62) {
    const f62 = r.field62;
    for (const code of ["001", "003", "004"] as const) tryField(() => parseSignInKeys(f62, code));
    tryField(() => parseActivationGrant(f62));
  }
  if (m.has(55)) tryField(() => (out += issuerData(m.getBytes(55, true)).before.length));
  return out;
}

test("CUP responses as the terminal reads them: frame length, 8583 parse, readResponse, fields 48/54/62/55", () => {
  rows.push(
    fuzz({
      name: "CUP response (exchange framing, 8583, readResponse, 48/54/62/55)",
      iterations: iterations(60_000),
      seed: 0x8583,
      input: (r, it) => (it % 8 === 0 ? r.bytes(r.int(300)) : mutate(r, r.pick(RESPONSES), { lengths: [0, 1, 20, 21] })),
      run: readCupResponse,
      codes: ["E_8583_*"],
      bound: (b) => 128,
    }),
  );
});

test("the host's decoder (parseFrame) on random and mutated requests and responses", () => {
  const requests: Uint8Array[] = RESPONSES.map((f) => f.slice());
  requests.push(buildFrame(TPDU, HEADER, "0200", SALE_FIELDS));
  rows.push(
    fuzz({
      name: "host 8583 decoder (boards/sim/host/codec.ts parseFrame)",
      iterations: iterations(40_000),
      seed: 0x4057,
      input: (r, it) => (it % 8 === 0 ? r.bytes(r.int(300)) : mutate(r, r.pick(requests), { lengths: [0, 1, 20, 21] })),
      run: (b) => {
        const p = parseFrame(b);
        return p.message.fields.size;
      },
      codes: ["E_8583_*"],
      bound: () => 128,
    }),
  );
});

test("stored field maps (reversals, advices) from flash: decodeFields", () => {
  const seeds = [encodeFields({ 2: "6222021234567890123", 3: "000000", 4: "000000012345", 11: "000124", 52: H("2A084C604973D4AE"), 55: H(FIELD55_HEX) }), encodeFields({ 11: "000001", 39: "98" })];
  rows.push(
    fuzz({
      name: "stored field map (firmware/cup/messages.ts decodeFields)",
      iterations: iterations(40_000),
      seed: 0xf1e1d,
      input: (r, it) => (it % 8 === 0 ? r.bytes(r.int(200)) : mutate(r, r.pick(seeds), { lengths: [2, 3] })),
      run: (b) => {
        const f = decodeFields(b);
        let n = 0;
        for (const k in f) n += 4 + (f[k as unknown as number] as string | Uint8Array).length;
        assert.ok(n <= b.length, "the fields lie inside the input (a repeated field number keeps the last)");
        return n;
      },
      codes: ["E_MSG_CODEC"],
      bound: (b) => b.length,
    }),
  );
});

test("the issuer's field 55 (91, 71, 72): issuerData", () => {
  const seeds = [H(issuer), H("9108A1B2C3D4E5F607083030"), H("720E9F180400000001860584240000")];
  rows.push(
    fuzz({
      name: "issuer data 91/71/72 (firmware/emv/completion.ts issuerData)",
      iterations: iterations(60_000),
      seed: 0x9171,
      input: (r, it) => (it % 8 === 0 ? r.bytes(r.int(260)) : mutate(r, r.pick(seeds))),
      run: (b) => {
        const d = issuerData(b);
        let n = d.iad?.length ?? 0;
        for (const t of [...d.before, ...d.after]) n += t.length;
        return n;
      },
      codes: ["E_TLV_*"],
      bound: (b) => b.length,
    }),
  );
});

test("APDU responses: parseResponse", () => {
  rows.push(
    fuzz({
      name: "APDU response (hal/card/apdu.ts parseResponse)",
      iterations: iterations(40_000),
      seed: 0xa9d0,
      input: (r, it) => (it % 2 ? r.bytes(r.int(6)) : mutate(r, H("6F1A840E315041592E5359532E4444463031A5088801015F2D027A689000"))),
      run: (b) => parseResponse(b).data.length,
      codes: ["E_APDU"],
      bound: (b) => b.length,
    }),
  );
});

// ---- AT lines ----------------------------------------------------------------------------------------------

const MODEM_OUTPUT = ASCII(
  'AT+CSQ\r\r\n+CSQ: 24,99\r\n\r\nOK\r\n+QIURC: "recv",0,5\r\nhello\r\n+QIRD: 5\r\nab\r\nc\r\nOK\r\n> \r\nSEND OK\r\n+CME ERROR: 10\r\nRDY\r\n+CGLA: 8,"BF3E03"\r\nERROR\r\n+QIRD: 0\r\n\r\nOK\r\n+CEREG: 1\r\n',
);

test("AT lines: the scanner on random and mutated modem output, random splits, raw blocks by the header's length", () => {
  const MAX = 256;
  rows.push(
    fuzz({
      name: "AT lines (hal/at/lines.ts LineScanner)",
      iterations: iterations(30_000),
      seed: 0xa7,
      input: (r, it) => (it % 6 === 0 ? r.bytes(r.int(2000)) : mutate(r, MODEM_OUTPUT)),
      run: (b, r) => {
        let out = 0;
        const blockMax = 1500; // the largest block the driver asks for (AT+QIRD=<id>,1500)
        const sc: LineScanner = new LineScanner(
          {
            line(text) {
              assert.ok(text.length > 0 && text.length <= MAX && !/[\r\n]/.test(text), "a line within the buffer, without its end");
              out += text.length;
              // What the AT engine does for AT+QIRD (hal/modem/quectel.ts passes qirdLength as dataLength).
              if (text.startsWith("+QIRD:")) {
                const n = qirdLength(text);
                assert.ok(n <= blockMax, `a block of ${n} bytes asked by "${text}"`);
                sc.expectData(n);
              }
              if (text.startsWith("AT+QISEND")) sc.armPrompt(true);
            },
            prompt() {
              out++;
            },
            data(bytes) {
              out += bytes.length;
            },
          },
          MAX,
        );
        for (let i = 0; i < b.length; ) {
          const n = 1 + r.int(64);
          const end = Math.min(b.length, i + n);
          const at = sc.push(b, i, end);
          assert.is(at, end, "push consumes the whole chunk unless halted");
          i = end;
        }
        assert.ok(sc.dropped <= b.length);
        return out;
      },
      codes: [],
      bound: (b) => b.length,
    }),
  );
});

test("regression (found by this fuzzer): a garbled +QIRD length is refused, not allocated and waited for", () => {
  // Before the fix, "+QIRD: 99999999" made the scanner allocate 100 MB (on a 128 KB heap) and swallow every line after.
  assert.is(qirdLength("+QIRD: 99999999"), -1);
  assert.is(qirdLength("+QIRD: 1501"), -1);
  assert.is(qirdLength("+QIRD: 1500"), 1500);
  assert.is(qirdLength("+QIRD: 0"), 0);
  assert.is(qirdLength("+QIRD: x"), -1);
  assert.is(qirdLength("+QIRD: 1,2,3"), -1);
});

// ---- ES10 ---------------------------------------------------------------------------------------------------

test("ES10 responses: GetEID, GetProfilesInfo, Enable/DisableProfile", () => {
  const profile = (iccid: string, state: number, name: string) =>
    tlv(0xe3, tlv(0x5a, iccidBytes(iccid)), tlv(0x4f, Buffer.from("A0000005591010FFFFFFFF8900001000", "hex")), tlv(0x9f70, Buffer.from([state])), tlv(0x90, Buffer.from(name)), tlv(0x91, Buffer.from("中国移动")), tlv(0x92, Buffer.from(name)), tlv(0x95, Buffer.from([2])));
  const seeds = [
    new Uint8Array(tlv(0xbf3e, tlv(0x5a, Buffer.from(EXAMPLE_EID, "hex")))),
    new Uint8Array(tlv(0xbf2d, tlv(0xa0, profile("89860012345678901234", 1, "CMCC"), profile("89860198765432109876", 0, "CUCC")))),
    new Uint8Array(tlv(0xbf2d, tlv(0x81, Buffer.from([1])))),
    new Uint8Array(tlv(0xbf31, tlv(0x80, Buffer.from([0])))),
    new Uint8Array(tlv(0xbf32, tlv(0x80, Buffer.from([2])))),
  ];
  rows.push(
    fuzz({
      name: "ES10 responses (hal/esim/es10.ts parseEid / parseProfilesInfo / parseOperationResult)",
      iterations: iterations(40_000),
      seed: 0xe510,
      input: (r, it) => (it % 8 === 0 ? r.bytes(r.int(300)) : mutate(r, r.pick(seeds))),
      run: (b) => {
        switch (b[1]) {
          case 0x3e:
            return parseEid(b).length;
          case 0x31:
            return parseOperationResult(b, TAG_ENABLE, "EnableProfile");
          case 0x32:
            return parseOperationResult(b, TAG_DISABLE, "DisableProfile");
          default: {
            const list = parseProfilesInfo(b);
            return list.reduce((n, p) => n + p.iccid.length + p.aid.length + p.name.length + p.nickname.length + p.provider.length, 0);
          }
        }
      },
      codes: ["E_ESIM_PARSE", "E_ESIM_BAD_EID", "E_ESIM_LIST_ERROR"],
      bound: (b) => 2 * b.length + 0xffff, // a result value is at most 2 bytes
    }),
  );
});

// ---- agent frames and CBOR ---------------------------------------------------------------------------------

test("agent frames: a noisy, damaged stream in random splits; the buffer stays bounded", () => {
  const reqs: CborValue[] = [{ id: 1, op: "sale", args: { amount: 12345, pin: true } }, { id: 2, op: "diag", args: {} }, { id: 3, op: "keys", args: { keys: ["1", "enter"] } }];
  const stream = new Uint8Array(Buffer.concat(reqs.map((q) => encodeFrame(cborEncode(q)))));
  rows.push(
    fuzz({
      name: "agent frames (firmware/agent/frame.ts FrameDecoder)",
      iterations: iterations(30_000),
      seed: 0xa6e7,
      input: (r, it) => (it % 6 === 0 ? r.bytes(r.int(3000)) : mutate(r, stream, { lengths: [2, 3] })),
      run: (b, r) => {
        let out = 0;
        const d = new FrameDecoder((p) => {
          assert.ok(p.length <= MAX_PAYLOAD);
          out += p.length + 8;
        });
        for (let i = 0; i < b.length; ) {
          const n = 1 + r.int(100);
          d.push(b.subarray(i, i + n));
          i += n;
          assert.ok((d as unknown as { buf: Uint8Array }).buf.length <= 2 * (MAX_PAYLOAD + 8 + 100), "the receive buffer stays bounded");
        }
        d.idle();
        assert.is(d.discarded + out, b.length, "every byte is delivered or counted as discarded");
        return out;
      },
      codes: [],
      bound: (b) => b.length,
    }),
  );
});

test("CBOR requests: cborDecode on random and mutated payloads", () => {
  const seeds = [{ id: 1, op: "sale", args: { amount: 12345, pin: true, card: { pan: "6222021234567890123" } } }, { id: 9, op: "keys", args: { keys: ["1", "2", "enter"], n: -5, x: 1.5, b: new Uint8Array([1, 2]) } }, [[[[[[1]]]]]], "文字"].map((v) => cborEncode(v as CborValue));
  const size = (v: CborValue): number => {
    if (v instanceof Uint8Array || typeof v === "string") return 1 + v.length;
    if (Array.isArray(v)) return v.reduce((n: number, x) => n + size(x), 1);
    if (v && typeof v === "object") return Object.entries(v).reduce((n, [k, x]) => n + k.length + size(x), 1);
    return 1;
  };
  rows.push(
    fuzz({
      name: "CBOR (firmware/core/cbor.ts cborDecode)",
      iterations: iterations(60_000),
      seed: 0xcb0e,
      input: (r, it) => (it % 8 === 0 ? r.bytes(r.int(120)) : mutate(r, r.pick(seeds))),
      run: (b) => size(cborDecode(b)),
      codes: ["E_CBOR_*"],
      // A text string of n bytes decodes to at most n UTF-16 units; every item costs at least one input byte.
      bound: (b) => 3 * b.length + 1,
    }),
  );
});

// ---- flash: the store and journal records ------------------------------------------------------------------

const SECTOR = 4096;
const SECTORS = 4;

/** The Natives.Flash shape over a SimFlash (read into a caller's buffer), as the engine host gives it. */
function native(sim: SimFlash): Natives.Flash {
  return {
    sectorSize: sim.sectorSize,
    sectorCount: sim.sectorCount,
    read: (o, n, into) => (into ? (into.set(sim.read(o, n)), into) : sim.read(o, n)),
    program: (o, d) => sim.program(o, d),
    erase: (s) => sim.erase(s),
  };
}

/** A store image as the terminal leaves it: puts, multi-key commits, deletes, a compaction or two. */
function storeImage(seed: number): Uint8Array {
  const r = new Rand(seed);
  const flash = new SimFlash(SECTOR, SECTORS);
  const log = new FlashLog(native(flash), 0, SECTORS);
  for (let i = 0; i < 60; i++) {
    const key = r.int(12);
    if (r.int(6) === 0) log.delete(key);
    else if (r.int(3) === 0) log.commit([{ key, value: r.bytes(r.int(200)) }, { key: key + 100, value: encodeRecord({ ...blankRecord("sale"), stan: i, pan: "6222021234567890123", amount: 100 + i }) }]);
    else log.put(key, r.bytes(r.int(300)));
  }
  assert.ok(new FlashLog(native(new SimFlash(SECTOR, SECTORS, flash.bytes)), 0, SECTORS).keys().length > 5, "the seed image mounts");
  return flash.bytes.slice();
}

/** Recomputes the CRC of every record with a plausible header, so mutations reach the payload's parsing; returns the records' offsets. */
function refreshCrcs(img: Uint8Array): number[] {
  const dv = new DataView(img.buffer, img.byteOffset, img.byteLength);
  const at: number[] = [];
  for (let s = 0; s < SECTORS; s++) {
    let off = s * SECTOR + 16;
    const end = (s + 1) * SECTOR;
    while (off + 12 <= end) {
      const len = dv.getUint16(off + 2, true);
      if (img[off] === 0xff && len === 0xffff) break;
      const total = (12 + len + 3) & ~3;
      if (off + total > end) break;
      const c = crc32(img, off + 12, len, crc32(img, off + 1, 7));
      dv.setUint32(off + 8, c >>> 0, true);
      at.push(off);
      off += total;
    }
  }
  return at;
}

test("the flash log mounting random, mutated and torn images; every value read back and decoded as a journal record", () => {
  const images = [storeImage(1), storeImage(2), storeImage(3)];
  rows.push(
    fuzz({
      name: "flash log mount + reads (firmware/store/flash-log.ts)",
      iterations: iterations(3_000),
      seed: 0xf1a5,
      input: (r, it) => {
        const img = r.pick(images).slice();
        const kind = it % 6;
        if (kind === 0) {
          // A torn write: a run of bytes left at some intermediate value, the rest of the sector erased.
          const at = r.int(img.length);
          img.fill(0xff, at, Math.min(img.length, at + r.int(SECTOR)));
          if (r.int(2)) img[at] = r.int(256);
        } else if (kind === 1) for (let k = 0; k < 1 + r.int(40); k++) img[r.int(img.length)] ^= 1 << r.int(8);
        else if (kind === 2) {
          for (let k = 0; k < 1 + r.int(20); k++) {
            const at = r.int(img.length);
            img.set(r.bytes(Math.min(32, img.length - at)), at);
          }
          refreshCrcs(img);
        } else if (kind === 3) {
          for (let k = 0; k < 1 + r.int(20); k++) img[r.int(img.length)] = r.pick([0x00, 0xff, 0x5a, 0x01, 0x02, 0x03, 0x7f, 0x80]);
          refreshCrcs(img);
        } else if (kind === 4) {
          // Inside a record's payload (the key count, keys, inner lengths of a multi-key record), CRC made right.
          const recs = refreshCrcs(img);
          for (let k = 0; k < 1 + r.int(3); k++) {
            const at = r.pick(recs) + 12 + r.int(12);
            if (at < img.length) img[at] = r.int(3) ? r.pick([0x00, 0xff, 0x7f, 0x80, 0x01, 0x02, 0x03, 0x10]) : r.int(256);
          }
          refreshCrcs(img);
        } else img.set(r.bytes(img.length));
        return img;
      },
      run: (img) => {
        const flash = new SimFlash(SECTOR, SECTORS, img);
        const log = new FlashLog(native(flash), 0, SECTORS);
        let out = 0;
        for (const [k, loc] of (log as unknown as { index: Map<number, { off: number; len: number; sector: number }> }).index) {
          assert.ok(loc.off >= loc.sector * SECTOR && loc.off + loc.len <= (loc.sector + 1) * SECTOR, `value of key ${k} outside its sector`);
        }
        for (const k of log.keys()) {
          const v = log.get(k)!;
          out += v.length;
          if (k >= 100) {
            try {
              decodeRecord(v, k);
            } catch (e) {
              if ((e as { code?: string }).code !== "E_JOURNAL_RECORD") throw e;
            }
          }
        }
        // It must also still take writes after mounting whatever was there.
        log.put(7, new Uint8Array(20));
        assert.is(log.get(7)!.length, 20);
        return out;
      },
      codes: ["E_STORE_FULL"],
      size: (img) => img.length,
      show: (img) => `image of ${img.length} B`,
      bound: (img) => img.length,
    }),
  );
});

test("regression (found by this fuzzer): a multi-key record whose inner length runs past the record is not indexed", () => {
  const sim = new SimFlash(SECTOR, SECTORS);
  new FlashLog(native(sim), 0, SECTORS).commit([{ key: 1, value: new Uint8Array([1, 2, 3]) }, { key: 2, value: new Uint8Array([4, 5]) }]);
  const img = sim.bytes.slice();
  // Record at 16 (after the sector header): payload at 28 = count(2) op(1) key(2) len(2) ...; first entry's len := 0x0FFF.
  img[28 + 5] = 0xff;
  img[28 + 6] = 0x0f;
  refreshCrcs(img);
  const log = new FlashLog(native(new SimFlash(SECTOR, SECTORS, img)), 0, SECTORS);
  // Before the fix: key 1 pointed at 4095 bytes running over the next records and sector (a read beyond the flash).
  assert.equal(log.keys(), []);
  assert.is(log.get(1), undefined);
  const ok = new FlashLog(native(new SimFlash(SECTOR, SECTORS, sim.bytes)), 0, SECTORS);
  assert.equal(ok.keys(), [1, 2]);
});

test("regression (found by this fuzzer): a CRC-valid put record shorter than its key reads as nothing, not a read of length -1", () => {
  const sim = new SimFlash(SECTOR, SECTORS);
  new FlashLog(native(sim), 0, SECTORS).put(3, new Uint8Array([9, 9]));
  const img = sim.bytes.slice();
  img[16 + 2] = 1; // payload length 1: one byte of the key, no value
  refreshCrcs(img);
  const log = new FlashLog(native(new SimFlash(SECTOR, SECTORS, img)), 0, SECTORS);
  assert.equal(log.keys(), []);
  log.put(4, new Uint8Array([1]));
  assert.equal(log.keys(), [4]);
});

test("journal records: decodeRecord on random and mutated records", () => {
  const seeds = [
    encodeRecord({ ...blankRecord("sale"), stan: 124, batch: 1, amount: 12345, pan: "6222021234567890123", rrn: "123456789012", authCode: "A1B2C3", responseCode: "00", operator: "01" }),
    encodeRecord({ ...blankRecord("void"), stan: 9, origStan: 8, origRrn: "000000000008", error: "E_HOST_TIMEOUT 超时", reversalReason: "98" }),
  ];
  rows.push(
    fuzz({
      name: "journal record (firmware/txn/journal.ts decodeRecord, record-codec.ts)",
      iterations: iterations(60_000),
      seed: 0x10e,
      input: (r, it) => (it % 8 === 0 ? r.bytes(r.int(200)) : mutate(r, r.pick(seeds))),
      run: (b) => {
        const rec = decodeRecord(b, 0);
        let n = 0;
        for (const v of Object.values(rec)) if (typeof v === "string") n += v.length;
        return n;
      },
      codes: ["E_JOURNAL_RECORD"],
      bound: (b) => b.length,
    }),
  );
});

// ---- track 2 -----------------------------------------------------------------------------------------------

test("track 2: text (magstripe reader) and BCD (chip tag 57)", () => {
  const text = [";6222021234567890123=30122011234567890?", "6250110012345675D30092201000000000", "4761739001010119=22122011143804400000"];
  const bcd = [H("6222021234567890123D30122011234567890F"), H("6250110012345675D30092201000000000")];
  rows.push(
    fuzz({
      name: "track 2 text (firmware/core/track2.ts parseTrack2)",
      iterations: iterations(40_000),
      seed: 0x72,
      input: (r, it) => {
        const b = it % 8 === 0 ? r.bytes(r.int(50)) : mutate(r, ASCII(r.pick(text)));
        return Buffer.from(b).toString("latin1");
      },
      run: (s) => {
        const t = parseTrack2(s);
        assert.ok(t.pan.length >= 12 && t.pan.length <= 19);
        return t.pan.length + t.discretionary.length;
      },
      codes: ["E_TRACK2_*"],
      show: (s) => JSON.stringify(s),
      bound: (s) => s.length,
    }),
  );
  rows.push(
    fuzz({
      name: "track 2 BCD (firmware/core/track2.ts parseTrack2Bytes)",
      iterations: iterations(40_000),
      seed: 0x57,
      input: (r, it) => (it % 8 === 0 ? r.bytes(r.int(30)) : mutate(r, r.pick(bcd))),
      run: (b) => {
        const t = parseTrack2Bytes(b);
        return t.pan.length + t.discretionary.length;
      },
      codes: ["E_TRACK2_*"],
      bound: (b) => 2 * b.length,
    }),
  );
});

test.after(() => recordFuzzRows("decoders", rows));

test.run();
