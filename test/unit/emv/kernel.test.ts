/**
 * The EMV kernel run directly in Node against the simulator's virtual cards (real card logic, APDU
 * transport of T=1): the rules one by one — terminal action analysis, CVM list conditions and methods,
 * processing restrictions, terminal risk management (floor limit, random selection, velocity, exception
 * file), selection (partial AID, next occurrence, re-selection after GPO 6985), ODA failures (unknown
 * CA key, expired certificate, tampered record), field 55, fallback rules and contactless limits.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseResponse } from "../../../hal/card/apdu.ts";
import { VirtualCard, apduExchange } from "../../../boards/sim/devices/cards/virtual-card.ts";
import { chipStripe2xx, records, unionpayCredit, unionpayDebit, unionpayDualApp } from "../../../boards/sim/devices/cards/catalog.ts";
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { personalise } from "../../../boards/sim/devices/cards/personalise.ts";
import { tlv, type AppImage, type CardImage } from "../../../boards/sim/devices/cards/image.ts";
import { caKeyParams } from "../../../boards/sim/issuer/pki.ts";
import { EmvIssuer } from "../../../boards/sim/issuer/issuer.ts";
import { H, hex } from "../../../boards/sim/issuer/crypto.ts";
import {
  EmvContext,
  aidConfig,
  caPublicKey,
  buildField55,
  chipFailureAllowsFallback,
  contactlessPreprocess,
  performContactTransaction,
  swipeDecision,
  terminalActionAnalysis,
  onlineCapability,
  type KernelCallbacks,
  type TerminalConfig,
  type TransactionInput,
} from "../../../firmware/emv/index.ts";
import { cardholderVerification } from "../../../firmware/emv/cvm.ts";
import { processingRestrictions, terminalRiskManagement } from "../../../firmware/emv/risk.ts";
import { buildCandidateList, finalSelection } from "../../../firmware/emv/selection.ts";

function channel(card: VirtualCard, hook?: (apdu: Uint8Array) => Uint8Array | undefined) {
  card.reset();
  return {
    transmit: async (apdu: Uint8Array) => parseResponse(hook?.(apdu) ?? apduExchange(card, apdu, "contact")),
  };
}

function config(o: Partial<TerminalConfig> = {}, aid: Parameters<typeof aidConfig>[0] = { aid: "A000000333010101" }): TerminalConfig {
  return {
    terminalType: 0x22,
    capabilities: H("E0E8C8"),
    additionalCapabilities: H("6000F0A001"),
    countryCode: "156",
    ifdSerial: "UNIT0001",
    aids: [aidConfig(aid), aidConfig({ ...aid, aid: "A000000333010102" })],
    caKeys: caKeyParams().map(caPublicKey),
    ...o,
  };
}

const TX: TransactionInput = { amount: 10000, type: 0x00, currencyCode: "156", currencyExponent: 2, date: "261122", time: "120000", sequenceCounter: 9 };

/** Callbacks: fixed random bytes, an issuer that approves, PIN callbacks that say what the test wants. */
function callbacks(o: Partial<KernelCallbacks> & { randomByte?: number } = {}): KernelCallbacks {
  const issuer = new EmvIssuer();
  return {
    random: (into) => into.fill(o.randomByte ?? 0x11),
    onlinePin: async () => ({ status: "ok", pinBlock: H("0102030405060708") }),
    goOnline: async (req) => ({ responseCode: "00", approved: true, field55: issuer.authorize({ pan: req.pan, psn: req.panSequence, field55: req.field55, responseCode: "00" }).field55 }),
    ...o,
  };
}

/** A context with the terminal data and some card data set, for the rules that need no card. */
function ctxWith(values: Record<number, string>, o: { config?: TerminalConfig; tx?: Partial<TransactionInput>; cb?: KernelCallbacks; card?: VirtualCard } = {}): EmvContext {
  const cfg = o.config ?? config();
  const ctx = new EmvContext(o.card ? channel(o.card) : { transmit: async () => ({ data: new Uint8Array(0), sw: 0x6d00, sw1: 0x6d, sw2: 0 }) }, cfg, { ...TX, ...o.tx }, o.cb ?? callbacks(), "contact");
  ctx.initTerminalData();
  ctx.setAidData(cfg.aids[0]!);
  for (const [t, v] of Object.entries(values)) ctx.data.set(Number(t), H(v));
  return ctx;
}

test("terminal action analysis: denial beats online, online codes, offline-only terminals use the Default codes", () => {
  const c = ctxWith({ 0x9f0e: "0000000000", 0x9f0f: "0000000000", 0x9f0d: "0000000000" });
  assert.is(terminalActionAnalysis(c, "first"), "TC");
  c.data.setTvr("expired");
  assert.is(terminalActionAnalysis(c, "first"), "ARQC"); // TAC-Online D84004F800 names "expired" (byte 2 b7)
  c.data.set(0x9f0e, H("0040000000"));
  assert.is(terminalActionAnalysis(c, "first"), "AAC");
  // Absent IACs: Denial 00.., Online and Default FF..
  const d = ctxWith({});
  d.data.setTvr("newCard");
  assert.is(terminalActionAnalysis(d, "first"), "ARQC");
  assert.is(terminalActionAnalysis(d, "default"), "AAC");
  const off = ctxWith({ 0x9f0d: "0000000000" }, { config: config({ terminalType: 0x23 }) });
  off.data.setTvr("floorLimitExceeded");
  assert.is(terminalActionAnalysis(off, "first"), "AAC"); // TAC-Default D84000A800 has floor limit
  assert.is(onlineCapability(0x21), "online-only");
  assert.is(onlineCapability(0x26), "offline-only");
  assert.is(terminalActionAnalysis(ctxWith({}, { config: config({ terminalType: 0x21 }) }), "first"), "ARQC");
});

test("CVM: conditions on amounts X/Y and currency, the first applicable rule, results and TVR", async () => {
  // X = 100.00, Y = 500.00; rules: online PIN if over Y, signature if over X, no CVM otherwise.
  const list = "00002710" + "0000C350" + "0209" + "1E07" + "1F00";
  const run = async (amount: number, extra: Record<number, string> = {}) => {
    const c = ctxWith({ 0x82: "7C00", 0x8e: list, 0x9f42: "0156", ...extra }, { tx: { amount } });
    await cardholderVerification(c);
    return { cvm: c.data.digits(0x9f34), tvr: hex(c.data.tvr), sig: c.signatureRequired, tsi: hex(c.data.tsi) };
  };
  assert.equal(await run(60000), { cvm: "020900", tvr: "0000040000", sig: false, tsi: "4000" });
  assert.equal(await run(20000), { cvm: "1E0700", tvr: "0000000000", sig: true, tsi: "4000" });
  assert.equal(await run(5000), { cvm: "1F0002", tvr: "0000000000", sig: false, tsi: "4000" });
  // Another application currency: amount conditions never apply -> no CVM required (last rule, always).
  assert.equal((await run(60000, { 0x9f42: "0840" })).cvm, "1F0002");
});

test("CVM: failures — PIN bypassed, no PIN pad, unrecognised method, list missing, CVM not supported by the AIP", async () => {
  const one = async (list: string, cb: Partial<KernelCallbacks>, aip = "7C00") => {
    const values: Record<number, string> = { 0x82: aip };
    if (list) values[0x8e] = list;
    const c = ctxWith(values, { cb: callbacks(cb) });
    await cardholderVerification(c);
    return { cvm: c.data.digits(0x9f34), tvr: hex(c.data.tvr) };
  };
  assert.equal(await one("0000000000000000" + "4200" + "1F00", { onlinePin: async () => ({ status: "bypass" }) }), { cvm: "1F0002", tvr: "0000080000" });
  assert.equal(await one("0000000000000000" + "0200", { onlinePin: undefined }), { cvm: "020001", tvr: "0000900000" });
  assert.equal(await one("0000000000000000" + "3500", {}), { cvm: "350001", tvr: "0000C00000" });
  assert.equal(await one("", {}), { cvm: "3F0000", tvr: "2000000000" });
  assert.equal(await one("0000000000000000" + "0200", {}, "2C00"), { cvm: "3F0000", tvr: "0000000000" });
  // No rule applies at all: 3F 00 01 and CVM failed.
  assert.equal(await one("0000000000000000" + "0104", {}), { cvm: "3F0001", tvr: "0000800000" });
});

test("CVM: offline plaintext PIN with the card — a wrong PIN (63C2) asks again, the right one passes", async () => {
  const image: CardImage = { ...unionpayDebit, applications: [{ ...unionpayDebit.applications[0]!, records: { ...unionpayDebit.applications[0]!.records } }] };
  const card = new VirtualCard(image);
  card.process(0, 0xa4, 4, 0, H("A000000333010101"), "contact");
  const asked: number[] = [];
  const pins = ["9999", "1234"];
  const cb = callbacks({
    offlinePin: async (tries) => {
      asked.push(tries);
      const p = pins.shift()!;
      return { status: "ok", block: H(("2" + p.length.toString(16) + p).padEnd(16, "F")) };
    },
  });
  const c = ctxWith({ 0x82: "7C00", 0x8e: "0000000000000000" + "0100" }, { cb, card });
  // The card channel was reset by ctxWith: select again so VERIFY has an application.
  await c.transmit(H("00A4040008A00000033301010100"));
  await cardholderVerification(c);
  assert.equal(asked, [3, 2]);
  assert.is(c.data.digits(0x9f34), "010002");
  assert.is(hex(c.data.tvr), "0000000000");
  assert.is(card.pinTries, 3);
});

test("processing restrictions: versions, usage control (international cash, ATM), effective and expiry dates", () => {
  const run = (v: Record<number, string>, tx: Partial<TransactionInput> = {}, cfg?: TerminalConfig) => {
    const c = ctxWith(v, { tx, config: cfg });
    processingRestrictions(c);
    return hex(c.data.tvr);
  };
  assert.is(run({ 0x9f08: "0030", 0x5f24: "301231", 0x5f25: "200101" }), "0000000000");
  assert.is(run({ 0x9f08: "0020" }), "0080000000");
  assert.is(run({ 0x5f25: "270101" }), "0020000000");
  assert.is(run({ 0x5f24: "261121" }), "0040000000");
  assert.is(run({ 0x5f24: "261122" }), "0000000000");
  // AUC valid for domestic goods/services only (2 = b6... 0x28 = domestic goods + services, b1 non-ATM).
  const auc = { 0x9f07: "2900", 0x5f28: "0156" };
  assert.is(run(auc), "0000000000");
  assert.is(run(auc, { type: 0x01 }), "0010000000"); // cash not allowed
  assert.is(run({ ...auc, 0x5f28: "0344" }), "0010000000"); // international goods not allowed
  assert.is(run(auc, {}, config({ terminalType: 0x14 })), "0010000000"); // not valid at ATMs
});

test("terminal risk management: floor limit, random selection (below threshold and interpolated), exception file, forced online", async () => {
  const cfg = config({}, { aid: "A000000333010101", floorLimit: 50000, randomThreshold: 10000, targetPercent: 20, maxTargetPercent: 80 });
  // random99 = ((b0<<8|b1) % 99) + 1 with every byte b: 0x0000 -> 1, 0x3131 -> 12593 % 99 + 1 = 21
  const trm = async (amount: number, byte: number, extra: Partial<TerminalConfig> = {}, tx: Partial<TransactionInput> = {}) => {
    const c = ctxWith({ 0x5a: "6214830012345678900F" }, { config: { ...cfg, ...extra }, tx: { amount, ...tx }, cb: callbacks({ randomByte: byte }) });
    await terminalRiskManagement(c);
    return hex(c.data.tvr);
  };
  assert.is(await trm(60000, 0), "0000008000");
  assert.is(await trm(5000, 0x00), "0000001000"); // 1 <= 20 %
  assert.is(await trm(5000, 0x31), "0000000000"); // 21 > 20 %
  // 30000 is halfway between threshold and floor: target 50 %.
  assert.is(await trm(30000, 0x31), "0000001000");
  assert.is(await trm(60000, 0, { exceptionFile: ["6214830012345678900"] }), "1000008000");
  assert.is(await trm(100, 0x31, {}, { forceOnline: true }), "0000000800");
});

test("terminal risk management: velocity checking with the card (ATC - last online ATC against 9F14/9F23; new card)", async () => {
  const run = async (atc: number, loatc: string | undefined) => {
    const app = unionpayCredit.applications[0]!;
    const image: CardImage = { ...unionpayCredit, applications: [{ ...app, data: loatc === undefined ? {} : { "9F13": loatc } }] };
    const card = new VirtualCard(image, { atc });
    const c = ctxWith({ 0x9f14: "05", 0x9f23: "0A" }, { card, config: config({}, { aid: "A000000333010102", floorLimit: 1000000 }), tx: { amount: 100 } });
    await c.transmit(H("00A4040008A00000033301010200"));
    await terminalRiskManagement(c);
    return hex(c.data.tvr);
  };
  assert.is(await run(20, "0012"), "0000000000"); // 20 - 18 = 2
  assert.is(await run(20, "000C"), "0000004000"); // 8 > 5
  assert.is(await run(30, "000C"), "0000006000"); // 18 > 10
  assert.is(await run(20, "0000"), "0008006000"); // new card
  assert.is(await run(20, undefined), "0000006000"); // no last online ATC register
});

test("selection: no PSE -> AID list; partial match walks the next occurrences; exact-only does not match a longer AID", async () => {
  const card = new VirtualCard(unionpayCredit);
  const ctx = ctxWith({}, { card, config: config({ aids: [aidConfig({ aid: "A0000003330101", partialMatch: true })] }) });
  // Credit has a PSE; without it the list of AIDs applies: hide the PSE by answering 6A82.
  const noPse = new EmvContext(channel(card, (apdu) => (hex(apdu).includes("315041592E5359532E4444463031") ? H("6A82") : undefined)), ctx.config, TX, callbacks(), "contact");
  const list = await buildCandidateList(noPse);
  assert.equal(list.candidates.map((c) => hex(c.aid)), ["A000000333010102"]);
  assert.is(list.blocked, 1); // the EC application answered 6283
  const exact = new EmvContext(channel(new VirtualCard(chipStripe2xx)), config({ aids: [aidConfig({ aid: "A0000003330101", partialMatch: false })] }), TX, callbacks(), "contact");
  assert.equal((await buildCandidateList(exact)).candidates, []);
});

test("final selection: priority order, cardholder choice or cancel, and no choice callback with confirmation needed", async () => {
  const dual = () => new EmvContext(channel(new VirtualCard(unionpayDualApp)), config(), TX, callbacks({ chooseApplication: async () => undefined }), "contact");
  const c1 = dual();
  const list = await buildCandidateList(c1);
  assert.equal(list.candidates.map((c) => [c.label, c.priority, c.confirmationRequired]), [["UP DEBIT", 1, true], ["UP CREDIT", 2, true]]);
  try {
    await finalSelection(c1, list);
    assert.unreachable();
  } catch (e) {
    assert.is((e as { code: string }).code, "E_EMV_CANCELLED");
  }
  const c2 = new EmvContext(channel(new VirtualCard(unionpayDualApp)), config(), TX, { ...callbacks(), chooseApplication: undefined }, "contact");
  try {
    await finalSelection(c2, await buildCandidateList(c2));
    assert.unreachable();
  } catch (e) {
    assert.is((e as { code: string }).code, "E_EMV_NO_APP");
  }
});

test("GPO 6985 on the first choice: the application leaves the list, the next one is selected and the transaction goes on", async () => {
  const card = new VirtualCard(unionpayDualApp);
  let refused = 0;
  const ch = channel(card, (apdu) => {
    if (apdu[1] === 0xa8 && card.selectedAid === "A000000333010101" && refused++ === 0) return H("6985");
    return undefined;
  });
  const o = await performContactTransaction(ch, config(), TX, callbacks({ chooseApplication: async () => 0 }));
  assert.is(refused, 1);
  assert.is(hex(o.aid), "A000000333010102");
  assert.is(o.result, "approved");
});

test("ODA failures: CA key unknown to the terminal, issuer certificate expired, a signed record changed", async () => {
  const run = async (card: VirtualCard, cfg: TerminalConfig = config()) => performContactTransaction(channel(card), cfg, TX, callbacks());
  // No CA key: DDA failed (the card has all its data).
  const noCa = await run(new VirtualCard(unionpayDebit), config({ caKeys: [] }));
  assert.is(hex(noCa.tvr).slice(0, 2), "08");
  // Certificates that expired in December 2024.
  const app = unionpayDebit.applications[0]!;
  const base: AppImage = { ...app, records: Object.fromEntries(Object.entries(app.records).filter(([k]) => k !== "2:2")) };
  base.records["3:1"] = tlv("70", tlv("9F08", "0030"), tlv("9F42", "0156"), tlv("9F44", "02"), tlv("9F4A", "82"));
  const expired = personalise(base, { pan: "6214830012345678900", psn: "01", issuerKey: "issuerA", certRecord: "2:2", oda: "dda", iccRecord: "3:1", iccKey: "icc1", certExpiry: "1224" });
  const e = await run(new VirtualCard({ ...unionpayDebit, applications: [expired] }));
  assert.is(hex(e.tvr).slice(0, 2), "08");
  // The same card with valid certificates passes (the rebuilt image is right).
  const fine = personalise(base, { pan: "6214830012345678900", psn: "01", issuerKey: "issuerA", certRecord: "2:2", oda: "dda", iccRecord: "3:1", iccKey: "icc1" });
  assert.is(hex((await run(new VirtualCard({ ...unionpayDebit, applications: [fine] }))).tvr).slice(0, 2), "00");
  // SDA over a record changed after signing (credit's ODA record 3:1: another expiry date).
  const credit = unionpayCredit.applications[0]!;
  const tampered: AppImage = { ...credit, records: { ...credit.records, "3:1": credit.records["3:1"]!.replace("5F2403300930", "5F2403301231") } };
  const t = await run(new VirtualCard({ ...unionpayCredit, applications: [tampered, unionpayCredit.applications[1]!] }));
  assert.is(hex(t.tvr).slice(0, 2), "42"); // SDA failed, SDA selected
});

test("TC hash value: a CDOL asking for 98 gets SHA-1 of the default TDOL data, TVR 'default TDOL used'", async () => {
  const debit = unionpayDebit.applications[0]!;
  const recs = records({ track1: unionpayDebit.tracks!.track1!, track2: unionpayDebit.tracks!.track2!, pan: "6214830012345678900", name: "ZHANG/SAN", expiry: "281231", effective: "231201", psn: "01", sfi1: 1, sfi2: 2, cdol1: "9F02069F03069F1A0295055F2A029A039C019F37049F21039F4E149814" });
  const app = personalise({ ...debit, records: recs, crypto: undefined }, { pan: "6214830012345678900", psn: "01", issuerKey: "issuerA", certRecord: "2:2", oda: "dda", iccRecord: "3:1", iccKey: "icc1" });
  const card = new VirtualCard({ ...unionpayDebit, applications: [app] });
  const cfg = config({}, { aid: "A000000333010101", defaultTdol: "9F02065F2A029A039C01" });
  const o = await performContactTransaction(channel(card), cfg, TX, callbacks());
  assert.is(o.result, "approved");
  assert.is(hex(o.tvr), "0000048080");
  const gen1 = card.commands.find((x) => x.ins === 0xae)!.data;
  const tdolData = "000000010000" + "0156" + "261122" + "00";
  assert.is(gen1.slice(-40), createHash("sha1").update(H(tdolData)).digest("hex").toUpperCase());
});

test("the CA keys file for terminal parameters equals the test PKI's CA keys", () => {
  const file = JSON.parse(readFileSync(new URL("../../../boards/sim/issuer/ca-keys.json", import.meta.url), "utf8"));
  assert.equal(file, caKeyParams());
});

test("the whole debit transaction in Node: same outcome as in the engine, field 55 within 255 bytes, issuer accepts the TC", async () => {
  const card = new VirtualCard(unionpayDebit);
  const o = await performContactTransaction(channel(card), config(), TX, callbacks());
  assert.is(o.result, "approved");
  assert.is(hex(o.tvr), "0000048000");
  assert.is(hex(o.tsi), "F800");
  assert.ok(o.requestField55.length <= 255 && o.finalField55.length <= 255);
  assert.ok(new EmvIssuer().verifyCryptogram(o.pan, o.finalField55, o.panSequence).valid);
});

test("field 55: CUP's order, absent tags skipped, 9F63 when the card has it", () => {
  const c = ctxWith({ 0x9f26: "1122334455667788", 0x9f27: "80", 0x82: "7C00", 0x9f63: "0102030405060708090A0B0C0D0E0F10" });
  const f = hex(buildField55(c.data));
  assert.ok(f.startsWith("9F2608112233445566778" + "89F2701809F3704"));
  assert.ok(f.endsWith("9F4104000000099F63100102030405060708090A0B0C0D0E0F10"));
  assert.not.ok(f.includes("9F1008"));
});

test("fallback: chip first for service codes 2xx/6xx, stripe after a chip failure; which errors allow it", () => {
  assert.is(swipeDecision("620", false), "use-chip");
  assert.is(swipeDecision("201", false), "use-chip");
  assert.is(swipeDecision("620", true), "fallback");
  assert.is(swipeDecision("120", false), "magstripe");
  assert.is(swipeDecision("220", false, false), "magstripe");
  for (const code of ["E_CARD_MUTE", "E_CARD_TIMEOUT", "E_APDU", "E_EMV_NO_APP", "E_EMV_CARD", "E_ATR_TCK"]) assert.ok(chipFailureAllowsFallback({ code }), code);
  for (const code of ["E_EMV_APP_BLOCKED", "E_EMV_CARD_BLOCKED", "E_EMV_CANCELLED", "E_CARD_REMOVED", "E_EMV_USE_CONTACT"]) assert.not.ok(chipFailureAllowsFallback({ code }), code);
  assert.not.ok(chipFailureAllowsFallback(new Error("x")));
});

test("contactless pre-processing: limits per AID -> TTQ bits or 'use contact'", () => {
  const cfg = config({ aids: [aidConfig({ aid: "A000000333010101", contactless: { transactionLimit: 100000, cvmLimit: 30000, floorLimit: 20000 } }), aidConfig({ aid: "A000000333010103" })] });
  const t = (amount: number) => contactlessPreprocess(cfg, amount).ttq.map((x) => (x ? hex(x) : null));
  assert.equal(t(100), ["36000080", null]);
  assert.equal(t(20000), ["36000080", null]);
  assert.equal(t(20001), ["36800080", null]);
  assert.equal(t(30000), ["36C00080", null]);
  assert.is(contactlessPreprocess(cfg, 100001).allowed, false);
});

test.run();
