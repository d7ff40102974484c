/**
 * The EMV kernel (contact) in the embedded engine, end to end, one scenario per test card of the
 * simulator: the real card driver against the virtual cards (real cryptograms with each card's keys,
 * real RSA certificates), the real PIN pad driver against the simulated PED, and the online step
 * answered by the simulator's issuer (ARQC check, ARPC, scripts). TVR, TSI, CVM results and field 55
 * are checked byte by byte against values worked out here; cryptograms are recomputed with the card's
 * keys (option A + common session key, written in boards/sim/issuer) and the PIN block is deciphered
 * with node:crypto.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createDecipheriv } from "node:crypto";
import { runEntry, results } from "./harness.ts";
import { EmvBridge, type Scenario } from "./fixtures/emv-bridge.ts";
import { VirtualCard } from "../../boards/sim/devices/cards/virtual-card.ts";
import { chipStripe2xx, unionpayBlockedApp, unionpayCredit, unionpayDdaFail, unionpayDebit, unionpayDualApp, unionpayExpired, unionpayPinLocked } from "../../boards/sim/devices/cards/catalog.ts";
import { acInput, cardKeys, computeCryptogram } from "../../boards/sim/issuer/issuer.ts";
import { H, hex } from "../../boards/sim/issuer/crypto.ts";
import { parse } from "../../boards/sim/issuer/tlv.ts";

const ENTRY = "test/engine/fixtures/emv-run.ts";
const PIK = "1C2D3E4F5A6B7C8D9EAFB0C1D2E3F405";

const cards = {
  debit: new VirtualCard(unionpayDebit),
  credit: new VirtualCard(unionpayCredit, { atc: 10 }),
  intl: new VirtualCard(chipStripe2xx),
  expired: new VirtualCard(unionpayExpired),
  blocked: new VirtualCard(unionpayBlockedApp),
  ddaFail: new VirtualCard(unionpayDdaFail),
  pinLocked: new VirtualCard(unionpayPinLocked),
  dual: new VirtualCard(unionpayDualApp),
  debitIaFail: new VirtualCard(unionpayDebit, { atc: 40 }),
  dualReversal: new VirtualCard(unionpayDualApp, { atc: 7 }),
  // A debit card whose chip is dead (no ATR): its stripe says 620.
  brokenChip: new VirtualCard({ ...unionpayDebit, contact: undefined }),
};

const scenarios: Scenario[] = [
  { name: "debit", iface: "contact", amount: 12345, card: cards.debit, online: { responseCode: "00" } },
  {
    name: "credit",
    iface: "contact",
    amount: 88800,
    card: cards.credit,
    pin: "8888",
    online: {
      responseCode: "00",
      scripts: [
        { template: 0x71, id: "11223344", commands: [{ kind: "put-data", tag: 0x9f79, value: H("000000010000") }] },
        // A command whose MAC is wrong: the card refuses it (6988) after the final GENERATE AC.
        { template: 0x72, id: "55667788", commands: [{ kind: "raw", apdu: H("841E000008" + "0102030405060708") }] },
      ],
    },
  },
  { name: "intl", iface: "contact", amount: 5000, card: cards.intl, pin: "4321", online: null },
  { name: "expired", iface: "contact", amount: 2000, card: cards.expired, online: { responseCode: "54" } },
  { name: "blocked", iface: "contact", amount: 2000, card: cards.blocked },
  { name: "ddaFail", iface: "contact", amount: 3000, card: cards.ddaFail, online: { responseCode: "00" } },
  { name: "pinLocked", iface: "contact", amount: 3000, card: cards.pinLocked, offlinePin: "1234", online: { responseCode: "00" } },
  { name: "dual", iface: "contact", amount: 66600, card: cards.dual, choose: 1, online: { responseCode: "00" } },
  { name: "debitIaFail", iface: "contact", amount: 100, card: cards.debitIaFail, online: { responseCode: "00", corruptArpc: true } },
  { name: "dualReversal", iface: "contact", amount: 100, card: cards.dualReversal, choose: 1, online: { responseCode: "00", corruptArpc: true } },
  { name: "brokenChip", iface: "contact", amount: 100, card: cards.brokenChip, serviceCode: "620" },
];

let r: Record<string, any> = {};
let run: Awaited<ReturnType<typeof runEntry>>;
const bridge = new EmvBridge(scenarios);
let wallMs = 0;


/** TLV list of a field 55 as [tag hex, value hex] pairs, in order. */
function tlvs(h: string): Array<[string, string]> {
  return parse(H(h)).map((t) => [t.tag.toString(16).toUpperCase(), hex(t.value)]);
}
function tag(h: string, t: string): string | undefined {
  return tlvs(h).find(([k]) => k === t)?.[1];
}

const n6 = (amount: number) => String(amount).padStart(12, "0");

/**
 * The request's field 55 as the kernel must build it: CUP's tag order, the terminal's data, the card's
 * data, and the ARQC recomputed from the card's own keys over the same inputs.
 */
function expectedRequest(o: { f55: string; pan: string; psn: string; atc: number; aip: string; amount: number; tvr: string; cvm: string; iad: string; aid: string; seq: number; cid?: string; product?: string }): string {
  const un = tag(o.f55, "9F37")!;
  const atc = o.atc.toString(16).padStart(4, "0").toUpperCase();
  const values: Record<number, string> = { 0x9f02: n6(o.amount), 0x9f03: n6(0), 0x9f1a: "0156", 0x95: o.tvr, 0x5f2a: "0156", 0x9a: "261122", 0x9c: "00", 0x9f37: un, 0x82: o.aip, 0x9f36: atc, 0x9f10: o.iad };
  const ac = computeCryptogram(cardKeys(o.pan, o.psn).mkAc, o.atc, acInput((t) => (values[t] ? H(values[t]!) : undefined)));
  const parts: Array<[string, string]> = [
    ["9F26", hex(ac)],
    ["9F27", o.cid ?? "80"],
    ["9F10", o.iad],
    ["9F37", un],
    ["9F36", atc],
    ["95", o.tvr],
    ["9A", "261122"],
    ["9C", "00"],
    ["9F02", n6(o.amount)],
    ["5F2A", "0156"],
    ["82", o.aip],
    ["9F1A", "0156"],
    ["9F03", n6(0)],
    ["9F33", "E0E8C8"],
    ["9F34", o.cvm],
    ["9F35", "22"],
    ["9F1E", Buffer.from("SIM00001").toString("hex").toUpperCase()],
    ["84", o.aid],
    ["9F09", "0030"],
    ["9F41", String(o.seq).padStart(8, "0")],
  ];
  if (o.product) parts.push(["9F63", o.product]);
  return parts.map(([t, v]) => t + (v.length / 2).toString(16).padStart(2, "0").toUpperCase() + v).join("");
}

/** ISO 9564 format 0 written from the standard, and the PED's block deciphered with node:crypto. */
function iso0(pin: string, pan: string): string {
  const a = ("0" + pin.length.toString(16) + pin).padEnd(16, "F");
  const b = "0000" + pan.slice(-13, -1);
  let s = "";
  for (let i = 0; i < 16; i++) s += (parseInt(a[i]!, 16) ^ parseInt(b[i]!, 16)).toString(16).toUpperCase();
  return s;
}
function decipherPinBlock(block: string): string {
  const d = createDecipheriv("des-ede-ecb", Buffer.from(PIK, "hex"), null);
  d.setAutoPadding(false);
  return Buffer.concat([d.update(Buffer.from(block, "hex")), d.final()]).toString("hex").toUpperCase();
}

test.before(async () => {
  const t0 = Date.now();
  run = await runEntry(ENTRY, { extras: bridge.extras, onLog: bridge.onLog });
  wallMs = Date.now() - t0;
  r = results(run.logs);
});

test("the fixture ran every scenario to its end", () => {
  assert.is(run.status, "exit", run.error + "\n" + run.logs.join("\n"));
  assert.is(run.exitCode, 0, run.logs.join("\n"));
  assert.ok(run.logs.includes("done"));
  for (const s of scenarios) assert.ok(r[s.name], `no outcome for ${s.name}`);
  const per = scenarios.map((s) => `${s.name} ${bridge.wallMs.get(s.name)}`).join(", ");
  console.log(`    emv-contact: ${scenarios.length} transactions, ${wallMs} ms wall with the bundling; per transaction (ms, engine + virtual card + issuer): ${per}`);
});

test("debit: DDA, online PIN, ARQC approved online, EXTERNAL AUTHENTICATE, TC; TVR/TSI/field 55 byte by byte", () => {
  const o = r.debit;
  const c = cards.debit;
  assert.is(o.result, "approved");
  assert.ok(o.online);
  assert.is(o.cryptogram, "TC");
  assert.is(o.reason, "issuer");
  assert.is(o.tvr, "0000048000"); // online PIN entered; floor limit (0) exceeded
  assert.is(o.tsi, "F800"); // ODA, CVM, card risk mgmt, issuer auth, terminal risk mgmt
  assert.is(o.pan, "6214830012345678900");
  assert.is(o.panSequence, "01");
  assert.is(o.expiry, "2812");
  assert.is(o.track2, unionpayDebit.tracks!.track2!);
  assert.is(o.aid, "A000000333010101");
  assert.is(o.label, "UnionPay Debit");
  assert.not.ok(o.signatureRequired);
  // The request's field 55, every tag in CUP's order, the ARQC recomputed with the card's keys.
  const want = expectedRequest({ f55: o.requestField55, pan: o.pan, psn: "01", atc: c.atc, aip: "7C00", amount: 12345, tvr: "0000048000", cvm: "420300", iad: "07010103A00000", aid: "A000000333010101", seq: 1, product: "0102030405060708090A0B0C0D0E0F10" });
  assert.is(o.requestField55, want);
  // The issuer saw the same and accepted the ARQC; the PIN block is format 0 of 1234.
  const seen = bridge.online.get("debit")!;
  assert.ok(seen.result!.arqcValid);
  assert.is(decipherPinBlock(seen.request.pinBlock!), iso0("1234", o.pan));
  assert.is(o.pinBlock, seen.request.pinBlock);
  // The card checked the ARPC; the final field 55 carries the TC (CVR: second AC TC, first ARQC) and the TSI.
  assert.is(c.transaction.issuerAuth, "ok");
  const fin = o.finalField55;
  assert.is(tag(fin, "9F27"), "40");
  assert.is(tag(fin, "9F10"), "07010103600000");
  assert.is(tag(fin, "9B"), "F800");
  assert.ok(bridge.issuer.verifyCryptogram(o.pan, H(fin), o.panSequence).valid);
  assert.is(bridge.issuer.verifyCryptogram(o.pan, H(fin), o.panSequence).type, "TC");
  assert.is(o.scriptResults, "");
  assert.is(o.scriptField55, "");
  // Wire order of the card's commands: SELECT PSE, READ dir, SELECT, GPO, 4 records, INTERNAL AUTH, GENAC, EXT AUTH, GENAC.
  // (A T=0 card sees a READ RECORD twice when it answers 6Cxx: count each command once.)
  const ins = c.commands.filter((x, i, a) => i === 0 || JSON.stringify(x) !== JSON.stringify(a[i - 1])).map((x) => x.ins.toString(16).toUpperCase());
  assert.equal(ins, ["A4", "B2", "B2", "A4", "A8", "B2", "B2", "B2", "B2", "88", "AE", "82", "AE"]);
});

test("credit: SDA (SDA selected), velocity (lower limit), script 71 ok, script 72 refused -> TVR byte 5, DF31", () => {
  const o = r.credit;
  const c = cards.credit;
  assert.is(o.result, "approved");
  assert.is(o.tvr, "020004C010");
  assert.is(o.tsi, "FC00");
  assert.is(tag(o.requestField55, "95"), "020004C000");
  assert.is(o.requestField55, expectedRequest({ f55: o.requestField55, pan: "6250110012345675", psn: "00", atc: c.atc, aip: "5C00", amount: 88800, tvr: "020004C000", cvm: "420300", iad: "07010103A00000", aid: "A000000333010102", seq: 2 }));
  assert.is(o.scriptResults, "20" + "11223344" + "11" + "55667788");
  assert.is(tag(o.finalField55, "DF31"), o.scriptResults);
  // The script result notification's field 55: the transaction's identity, then DF31.
  assert.equal(tlvs(o.scriptField55).map(([t]) => t), ["9F33", "95", "9F37", "9F1E", "9F10", "9F26", "9F36", "82", "DF31", "9F1A", "9A"]);
  assert.is(tag(o.scriptField55, "95"), "020004C010");
  assert.is(c.balances.get("A000000333010102"), 10000);
  assert.equal(c.scripts, [{ ins: 0xda, sw: 0x9000 }, { ins: 0x1e, sw: 0x6988 }]);
  assert.not.ok(c.blockedAids.has("A000000333010102"));
  assert.is(decipherPinBlock(bridge.online.get("credit")!.request.pinBlock!), iso0("8888", o.pan));
});

test("international T=1 card, no PSE (AID list), issuer key e=65537: host unreachable -> Default codes -> AAC (Z3)", () => {
  const o = r.intl;
  assert.is(o.result, "declined");
  assert.ok(o.unableToGoOnline);
  assert.not.ok(o.online);
  assert.is(o.reason, "unable-to-go-online");
  assert.is(o.tvr, "0000048000");
  assert.is(o.tsi, "E800");
  assert.is(tag(o.requestField55, "95"), "0000048000");
  // The second GENERATE AC carried ARC "Z3" (CDOL2 starts with 8A).
  const gen2 = cards.intl.commands.filter((x) => x.ins === 0xae)[1]!;
  assert.is(gen2.data.slice(0, 4), "5A33");
  assert.is(gen2.p1 & 0xc0, 0x00);
  assert.is(tag(o.finalField55, "9F27"), "00");
});

test("expired card: TVR 'expired application' -> online -> the issuer answers 54 -> AAC", () => {
  const o = r.expired;
  assert.is(o.result, "declined");
  assert.ok(o.online);
  assert.is(o.reason, "issuer");
  assert.is(o.responseCode, "54");
  assert.is(o.tvr, "0040048000");
  assert.is(o.tsi, "F800");
  assert.is(o.expiry, "2312");
  assert.ok(bridge.online.get("expired")!.result!.arqcValid);
  assert.is(tag(o.finalField55, "9F27"), "00");
  assert.not.ok(o.reversalRequired);
});

test("blocked application: SELECT 6283 -> no application, terminated, no fallback", () => {
  assert.is(r.blocked.error, "E_EMV_APP_BLOCKED");
  assert.is(r.blocked.fallback, false);
});

test("DDA failure: TVR byte 1 'DDA failed', the card's IAC-Denial names it -> AAC at the first GENERATE AC", () => {
  const o = r.ddaFail;
  assert.is(o.result, "declined");
  assert.not.ok(o.online);
  assert.is(o.reason, "terminal-denial");
  assert.is(o.tvr, "0800048000");
  assert.is(o.tsi, "E800");
  assert.is(o.requestField55, "");
  assert.is(tag(o.finalField55, "9F27"), "00");
  assert.not.ok(bridge.online.has("ddaFail"));
  // The GENERATE AC asked for an AAC.
  assert.equal(cards.ddaFail.commands.filter((x) => x.ins === 0xae).map((x) => x.p1), [0x00]);
});

test("PIN try limit exceeded: offline PIN not even asked, CVM failed (9F34 010001), declined offline", () => {
  const o = r.pinLocked;
  assert.is(o.result, "declined");
  assert.is(o.tvr, "0000A08000");
  assert.is(o.tsi, "E800");
  assert.is(tag(o.finalField55, "9F34"), "010001");
  assert.is(r["pinLocked.offlinePin"], undefined);
  assert.ok(cards.pinLocked.commands.some((x) => x.ins === 0xca && x.p1 === 0x9f && x.p2 === 0x17));
  assert.not.ok(cards.pinLocked.commands.some((x) => x.ins === 0x20));
});

test("two applications: the cardholder chooses; CDA on both GENERATE ACs, ARPC inside CDOL2, signature", () => {
  assert.equal(r["dual.candidates"], [
    { label: "UP DEBIT", priority: 1, confirm: true },
    { label: "UP CREDIT", priority: 2, confirm: true },
  ]);
  const o = r.dual;
  const c = cards.dual;
  assert.is(o.aid, "A000000333010102");
  assert.is(o.result, "approved");
  assert.ok(o.signatureRequired);
  assert.is(o.tvr, "0000008000");
  assert.is(o.tsi, "F800");
  assert.is(tag(o.requestField55, "9F34"), "5E0300");
  // CDA requested (P1 b5) on both; no EXTERNAL AUTHENTICATE; the card found the ARPC valid in CDOL2.
  const acs = c.commands.filter((x) => x.ins === 0xae);
  assert.equal(acs.map((x) => x.p1), [0x90, 0x50]);
  assert.not.ok(c.commands.some((x) => x.ins === 0x82));
  assert.is(c.transaction.issuerAuth, "ok");
  // The AC the kernel took from the CDA signature is the card's real cryptogram.
  assert.is(o.requestField55, expectedRequest({ f55: o.requestField55, pan: o.pan, psn: "01", atc: c.atc, aip: "1900", amount: 66600, tvr: "0000008000", cvm: "5E0300", iad: "07010103A00000", aid: "A000000333010102", seq: 8 }));
  assert.ok(bridge.issuer.verifyCryptogram(o.pan, H(o.finalField55), o.panSequence).valid);
});

test("issuer authentication failure: EXTERNAL AUTHENTICATE 6300 -> TVR byte 5 b7; the card still approves", () => {
  const o = r.debitIaFail;
  assert.is(o.result, "approved");
  assert.is(o.tvr, "0000048040");
  assert.is(tag(o.requestField55, "95"), "0000048000");
  assert.is(cards.debitIaFail.transaction.issuerAuth, "failed");
  // CVR of the final AC says issuer authentication failed.
  assert.is(tag(o.finalField55, "9F10"), "07010103680000");
});

test("host approves, the card declines (issuer authentication required and the ARPC is wrong): reversal", () => {
  const o = r.dualReversal;
  assert.is(o.result, "declined");
  assert.ok(o.reversalRequired);
  assert.is(o.reason, "card");
  assert.is(cards.dualReversal.transaction.issuerAuth, "failed");
});

test("a dead chip (no ATR): technical fallback allowed, the swipe that follows is a fallback (field 22)", () => {
  assert.equal(r.brokenChip, { error: "E_CARD_MUTE", fallback: true, swipe: "fallback" });
  // Before any chip failure the same stripe gets "use chip" (unit-tested in test/unit/emv/kernel.test.ts).
});

test.run();
