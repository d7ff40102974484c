/**
 * Chip (contact EMV) and contactless (qPBOC) sales end to end: the Terminal in the embedded engine with the EMV
 * kernel, the real card driver against the simulator's virtual cards, the PED, and the acquirer host over TCP on
 * 127.0.0.1 (the issuer checking the ARQC and answering 91 / scripts). Each EMV test card of the catalog gives its
 * outcome; the host-received field 55 is parsed with the npm `ber-tlv` reader and its 9F26 compared with the
 * cryptogram recomputed here from the issuer keys; TVR/TSI byte by byte; reversal once at the host when the card
 * declines after the approval; journal vs ledger after a settlement with the batch upload carrying the TC.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createRequire } from "node:module";
import { loadBoard } from "../../build/board.ts";
import { factoryFlash } from "../../boards/sim/world.ts";
import { Modem4G } from "../../boards/sim/devices/modem4g.ts";
import { SimPed } from "../../boards/sim/devices/ped.ts";
import { SimCardReader } from "../../boards/sim/devices/card.ts";
import { VirtualCard } from "../../boards/sim/devices/cards/virtual-card.ts";
import { unionpayBlockedApp, unionpayCredit, unionpayDdaFail, unionpayDebit, unionpayDualApp, unionpayExpired, unionpayPinLocked, quickPass } from "../../boards/sim/devices/cards/catalog.ts";
import { createAcquirerHost, type AcquirerHost } from "../../boards/sim/host/host.ts";
import { DEFAULT_ACTIVATION_CODE, DEFAULT_TERMINAL_ID, FACTORY_TRANSPORT_KEY_HEX, TEST_CARDS } from "../../boards/sim/host/factory.ts";
import { acInput, cardKeys, computeCryptogram } from "../../boards/sim/issuer/issuer.ts";
import { H, hex } from "../../boards/sim/issuer/crypto.ts";
import { caKeyParams } from "../../boards/sim/issuer/pki.ts";
import { AgentPort } from "./fixtures/txn-driver.ts";
import { runEntry, type EntryRun } from "./harness.ts";
import { SIM_TEST_CA_KEYS } from "../../firmware/txn/chip.ts";

const require = createRequire(import.meta.url);
const berTlv = require("ber-tlv") as { TlvFactory: { parse(b: Buffer): Array<{ tag: string; value: Buffer | null; items: unknown[] | null }> } };

/** field 55 (hex) -> tag -> value hex, read by the independent npm parser. */
function tlv(h: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const t of berTlv.TlvFactory.parse(Buffer.from(h, "hex"))) m.set(t.tag.toUpperCase(), t.value ? t.value.toString("hex").toUpperCase() : "");
  return m;
}
function tagOrder(h: string): string[] {
  return berTlv.TlvFactory.parse(Buffer.from(h, "hex")).map((t) => t.tag.toUpperCase());
}
/** The ARQC/TC the card must have computed over the data in field 55 (option A keys, common session key). */
function cryptogramOf(f55: Map<string, string>, pan: string, psn: string): string {
  const atc = parseInt(f55.get("9F36")!, 16);
  const get = (t: number) => {
    const v = f55.get(t.toString(16).toUpperCase());
    return v === undefined ? undefined : H(v);
  };
  return hex(computeCryptogram(cardKeys(pan, psn).mkAc, atc, acInput(get)));
}

let host: AcquirerHost;
let agent: AgentPort;
let reader: SimCardReader;
let ped: SimPed;
let done: Promise<EntryRun>;
let pin = "1234";
const events: any[] = [];

const cards = {
  debit: new VirtualCard(unionpayDebit),
  credit: new VirtualCard(unionpayCredit, { atc: 10 }),
  expired: new VirtualCard(unionpayExpired),
  blocked: new VirtualCard(unionpayBlockedApp),
  ddaFail: new VirtualCard(unionpayDdaFail),
  pinLocked: new VirtualCard(unionpayPinLocked),
  dual: new VirtualCard(unionpayDualApp),
  dualReversal: new VirtualCard(unionpayDualApp, { atc: 7 }),
  qpOffline: new VirtualCard(quickPass),
  qpOnline: new VirtualCard(quickPass),
  qpTooMuch: new VirtualCard(quickPass),
  // The debit card with an AC master key that is not the one the issuer derives: its ARQC cannot verify.
  badArqc: new VirtualCard({ ...unionpayDebit, applications: unionpayDebit.applications.map((a) => ({ ...a, crypto: { ...a.crypto!, mkAc: "00112233445566778899AABBCCDDEEFF" } })) }, { atc: 3 }),
};

async function chip(card: VirtualCard, args: Record<string, unknown>, cardPin = "1234"): Promise<any> {
  pin = cardPin;
  if (args.slot === "contactless") reader.tap(card);
  else reader.insert(card);
  try {
    return await agent.call("chip", args);
  } catch (e) {
    return { error: (e as any).code, message: (e as Error).message, fallback: (e as any).fallback, reversal: (e as any).reversal };
  } finally {
    if (args.slot === "contactless") reader.leaveField();
    else reader.remove();
  }
}
const entryOf = (stan: number) => host.ledger.entries({ terminalId: DEFAULT_TERMINAL_ID }).find((e) => Number(e.stan) === stan && e.mti !== "0400");

test.before(async () => {
  host = await createAcquirerHost();
  const board = loadBoard("sim");
  agent = new AgentPort();
  reader = new SimCardReader();
  ped = new SimPed({ transportKeyHex: FACTORY_TRANSPORT_KEY_HEX });
  agent.onEvent = (e) => {
    events.push(e);
    if (e.event === "pin") ped.type(pin);
  };
  done = runEntry("test/engine/fixtures/chip-agent.ts", {
    flash: factoryFlash(board),
    serial: { "sim:modem": new Modem4G({ rssi: 24, seed: 7 }), "sim:debug": agent },
    extras: [reader, ped],
    maxBoots: 1,
  });
  await agent.call("boot");
  await agent.call("configure", { hostAddress: "127.0.0.1", hostPort: host.port });
  assert.is((await agent.call("activate", { code: DEFAULT_ACTIVATION_CODE })).status, "approved");
  assert.is((await agent.call("signIn")).status, "approved");
  await agent.call("operatorSignIn", { no: "01", password: "0000" });
});
test.after(async () => {
  await agent.call("exit").catch(() => undefined);
  await done;
  await host.close();
});

test("the firmware's default CA key is the simulator's test CA key", () => {
  const ca = caKeyParams()[0]!;
  assert.is(SIM_TEST_CA_KEYS[0]!.modulus, ca.modulus.toUpperCase());
  assert.is(SIM_TEST_CA_KEYS[0]!.index, ca.index);
});

test("debit, contact: DDA, online PIN, ARQC verified at the host, ARPC checked by the card, TC; fields 22/23/35/55", async () => {
  const bal0 = host.accounts.get(TEST_CARDS.debit.pan)!.balance;
  const o = await chip(cards.debit, { slot: "contact", amount: 12345 });
  assert.is(o.status, "approved", JSON.stringify(o));
  assert.is(o.code, "00");
  assert.is(o.record.entryMode, "chip");
  assert.is(o.emv.cryptogram, "TC");
  assert.is(o.emv.reason, "issuer");
  assert.is(o.emv.tvr, "0000048000"); // online PIN entered; floor limit 0 exceeded
  assert.is(o.emv.tsi, "F800");
  assert.is(cards.debit.transaction.issuerAuth, "ok");
  const e = entryOf(o.record.stan)!;
  assert.ok(e.emv?.arqcValid, "the host verified the ARQC");
  assert.is(e.emv!.field22, "051");
  assert.is(e.emv!.field23, "001");
  assert.ok(e.emv!.track2 && e.emv!.track2.startsWith(TEST_CARDS.debit.pan), "field 35 = track 2 equivalent");
  const f = tlv(e.emv!.field55!);
  assert.equal(tagOrder(e.emv!.field55!), ["9F26", "9F27", "9F10", "9F37", "9F36", "95", "9A", "9C", "9F02", "5F2A", "82", "9F1A", "9F03", "9F33", "9F34", "9F35", "9F1E", "84", "9F09", "9F41", "9F63"]);
  assert.is(f.get("9F26"), cryptogramOf(f, TEST_CARDS.debit.pan, "01"));
  assert.is(f.get("9F27"), "80");
  assert.is(f.get("95"), "0000048000");
  assert.is(f.get("9F02"), "000000012345");
  assert.is(f.get("9C"), "00");
  assert.is(f.get("9F34"), "420300");
  assert.is(f.get("9F33"), "E068C8");
  assert.is(f.get("84"), "A000000333010101");
  assert.is(f.get("9F41"), String(o.record.stan).padStart(8, "0"), "9F41 = the STAN");
  assert.is(host.accounts.get(TEST_CARDS.debit.pan)!.balance, bal0 - 12345);
});

test("credit, contact: SDA, velocity, issuer scripts from the account: 71 put-data ok, DF31 in the outcome", async () => {
  host.accounts.must(TEST_CARDS.credit.pan).emv = { scripts: [{ template: 0x71, id: "11223344", commands: [{ kind: "put-data", tag: 0x9f79, value: H("000000010000") }] }] };
  const o = await chip(cards.credit, { slot: "contact", amount: 88800 }, "8888");
  assert.is(o.status, "approved", JSON.stringify(o));
  assert.is(o.emv.tvr, "020004C000");
  assert.is(o.emv.tsi, "FC00");
  assert.is(o.emv.scriptResults, "2011223344");
  assert.equal(cards.credit.scripts, [{ ins: 0xda, sw: 0x9000 }]);
  const e = entryOf(o.record.stan)!;
  assert.ok(e.emv!.arqcValid);
  const f = tlv(e.emv!.field55!);
  assert.is(f.get("9F26"), cryptogramOf(f, TEST_CARDS.credit.pan, "00"));
});

test("expired application: online, the host answers 54, the card AAC; declined", async () => {
  const o = await chip(cards.expired, { slot: "contact", amount: 2000 });
  assert.is(o.status, "declined", JSON.stringify(o));
  assert.is(o.code, "54");
  assert.is(o.emv.tvr, "0040048000");
  assert.is(o.emv.cryptogram, "AAC");
  assert.is(o.record.state, "declined");
  assert.ok(entryOf(o.record.stan)!.emv!.arqcValid);
});

test("blocked application: terminated, no fallback, nothing sent", async () => {
  const before = host.ledger.entries({ terminalId: DEFAULT_TERMINAL_ID }).length;
  const o = await chip(cards.blocked, { slot: "contact", amount: 2000 });
  assert.is(o.error, "E_EMV_APP_BLOCKED", JSON.stringify(o));
  assert.is(o.fallback, false);
  assert.is(host.ledger.entries({ terminalId: DEFAULT_TERMINAL_ID }).length, before);
  // Chip first: its stripe (service code 620) is refused now.
  const sw = await agent.fails("swipe", { amount: 100, track2: TEST_CARDS.blockedApp.track2 });
  assert.is(sw.code, "E_USE_CHIP");
});

test("DDA failure: TVR byte 1 'DDA failed', IAC-Denial -> AAC offline, declined Z1 without the host", async () => {
  const before = host.ledger.entries({ terminalId: DEFAULT_TERMINAL_ID }).length;
  const o = await chip(cards.ddaFail, { slot: "contact", amount: 3000 });
  assert.is(o.status, "declined", JSON.stringify(o));
  assert.is(o.code, "Z1");
  assert.is(o.emv.tvr, "0800048000");
  assert.is(o.emv.reason, "terminal-denial");
  assert.is(host.ledger.entries({ terminalId: DEFAULT_TERMINAL_ID }).length, before);
});

test("offline-PIN card (PIN try limit exceeded): the PED has no offline PIN, CVM failed, IAC-Denial -> declined offline", async () => {
  const o = await chip(cards.pinLocked, { slot: "contact", amount: 3000 });
  assert.is(o.status, "declined", JSON.stringify(o));
  // CVM not successful + PIN pad not present (the terminal does not claim offline PIN: 9F33 E068C8).
  assert.is(o.emv.tvr, "0000908000");
  assert.not.ok(cards.pinLocked.commands.some((x) => x.ins === 0x20), "no VERIFY");
  assert.is(o.code, "Z1");
});

test("two applications: the cardholder picks credit, CDA, signature, approved online", async () => {
  const o = await chip(cards.dual, { slot: "contact", amount: 66600, choose: 1 }, "2468");
  assert.is(o.status, "approved", JSON.stringify(o));
  assert.is(o.emv.aid, "A000000333010102");
  assert.ok(o.emv.signatureRequired);
  assert.is(o.emv.tvr, "0000008000");
  assert.ok(events.some((e) => e.event === "choose" && e.detail === "UP DEBIT|UP CREDIT"));
  const f = tlv(entryOf(o.record.stan)!.emv!.field55!);
  assert.is(f.get("9F26"), cryptogramOf(f, TEST_CARDS.dual.pan, "01"));
});

test("the host approves, the card declines at the second GENERATE AC: reversed once (96), 'declined by card'", async () => {
  host.accounts.must(TEST_CARDS.dual.pan).emv = { corruptArpc: true };
  const bal0 = host.accounts.get(TEST_CARDS.dual.pan)!.balance;
  const o = await chip(cards.dualReversal, { slot: "contact", amount: 100, choose: 1 }, "2468");
  host.accounts.must(TEST_CARDS.dual.pan).emv = undefined;
  assert.is(o.status, "declined", JSON.stringify(o));
  assert.ok(o.emv.declinedByCard);
  assert.is(o.reversal, "sent");
  assert.is(o.record.state, "reversed");
  assert.is(o.record.reversalReason, "96");
  const e = entryOf(o.record.stan)!;
  assert.is(e.state, "reversed");
  assert.is(e.reversal!.reason, "96");
  const revs = host.ledger.entries({ terminalId: DEFAULT_TERMINAL_ID }).filter((x) => x.mti === "0400");
  assert.ok(revs.length <= 1);
  assert.is(host.accounts.get(TEST_CARDS.dual.pan)!.balance, bal0, "the money came back");
  assert.is((await agent.call("state")).reversalPending, null);
});

test("bad ARQC at the host: declined 59 (card check error) with no money moved, the card AAC", async () => {
  const bal0 = host.accounts.get(TEST_CARDS.debit.pan)!.balance;
  const o = await chip(cards.badArqc, { slot: "contact", amount: 500 });
  assert.is(o.status, "declined", JSON.stringify(o));
  assert.is(o.code, "59");
  assert.is(o.emv.cryptogram, "AAC");
  const e = entryOf(o.record.stan)!;
  assert.is(e.emv!.arqcValid, false);
  assert.is(e.responseCode, "59");
  const f = tlv(e.emv!.field55!);
  assert.is.not(f.get("9F26"), cryptogramOf(f, TEST_CARDS.debit.pan, "01"), "the test's own recomputation disagrees too");
  assert.is(host.accounts.get(TEST_CARDS.debit.pan)!.balance, bal0);
  assert.is((await agent.call("state")).reversalPending, null);
});

test("qPBOC: under the floor limit the card approves offline (TC) -> offline sale stored with its advice", async () => {
  const o = await chip(cards.qpOffline, { slot: "contactless", amount: 5000 });
  assert.is(o.status, "approved", JSON.stringify(o));
  assert.is(o.kind, "offlineSale");
  assert.is(o.record.entryMode, "contactless");
  assert.is(o.emv.online, false);
  assert.is(o.emv.cryptogram, "TC");
});

test("qPBOC: over the CVM limit -> online PIN, ARQC verified, approved online (071)", async () => {
  const o = await chip(cards.qpOnline, { slot: "contactless", amount: 40000 });
  assert.is(o.status, "approved", JSON.stringify(o));
  const e = entryOf(o.record.stan)!;
  assert.is(e.emv!.field22, "071");
  assert.ok(e.emv!.arqcValid);
  const f = tlv(e.emv!.field55!);
  assert.is(f.get("9F26"), cryptogramOf(f, TEST_CARDS.quickPass.pan, "01"));
  assert.is(f.get("9F34"), "020000");
});

test("qPBOC: above the contactless limit -> 请插卡 (E_EMV_USE_CONTACT), the card untouched", async () => {
  const o = await chip(cards.qpTooMuch, { slot: "contactless", amount: 150000 });
  assert.is(o.error, "E_EMV_USE_CONTACT", JSON.stringify(o));
  assert.match(o.message, /请插卡/);
  assert.is(cards.qpTooMuch.commands.length, 0);
});

test("a dead chip (no ATR): fallback allowed, the swipe that follows goes as a fallback (22 = 80x) and is approved", async () => {
  const dead = new VirtualCard({ ...unionpayDebit, contact: undefined });
  const o = await chip(dead, { slot: "contact", amount: 100 });
  assert.is(o.error, "E_CARD_MUTE", JSON.stringify(o));
  assert.is(o.fallback, true);
  pin = "1234";
  const sw = await agent.call("swipe", { amount: 100, track2: TEST_CARDS.debit.track2, pin: true });
  assert.is(sw.status, "approved", JSON.stringify(sw));
  assert.is(sw.record.entryMode, "fallback");
  // Used up: the next swipe of the chip card is refused again.
  assert.is((await agent.fails("swipe", { amount: 100, track2: TEST_CARDS.debit.track2 })).code, "E_USE_CHIP");
});

test("settlement with chip sales: journal = ledger; the batch upload carries each chip record's final field 55 (TC verified at the host)", async () => {
  const journal: any[] = await agent.call("journal");
  const batch = (await agent.call("state")).batch;
  const pad = (n: number) => String(n).padStart(6, "0");
  const ledger = host.ledger.entries({ terminalId: DEFAULT_TERMINAL_ID }).filter((e) => e.mti !== "0400" && e.batch === pad(batch));
  const sent = journal.filter((r) => r.responseCode !== "Z1");
  for (const r of sent) {
    const e = ledger.find((x) => Number(x.stan) === r.stan);
    assert.ok(e, `ledger entry for STAN ${r.stan}`);
    assert.is(e!.amount, r.amount, `amount of ${r.stan}`);
    assert.is(e!.rrn, r.rrn, `RRN of ${r.stan}`);
    const hostState = { approved: "approved", "offline-advised": "approved", declined: "declined", reversed: "reversed" }[e!.state as string];
    assert.is(hostState, r.state, `state of ${r.stan}`);
  }
  assert.is(ledger.length, sent.length);
  // Journal records the host never saw: the card's offline declines only.
  assert.ok(journal.filter((r) => r.responseCode === "Z1").every((r) => r.state === "declined"));
  // Force the batch upload: the host's ledger disagrees on one approved swipe.
  const fb = journal.find((r) => r.entryMode === "fallback")!;
  host.ledger.byStan(DEFAULT_TERMINAL_ID, pad(batch), pad(fb.stan))!.state = "declined";
  const st = await agent.call("settle", { supervisorPassword: "123456" });
  assert.equal(st.result, [2, 1], JSON.stringify(st));
  assert.equal(st.finalResult, [1, 1]);
  const chipApproved = journal.filter((r) => (r.entryMode === "chip" || r.entryMode === "contactless") && r.state === "approved");
  assert.ok(chipApproved.length >= 5, `${chipApproved.length} chip approvals`);
  for (const r of chipApproved) {
    const e = host.ledger.byStan(DEFAULT_TERMINAL_ID, pad(batch), pad(r.stan))!;
    assert.ok(e.emv?.tc, `TC of STAN ${r.stan} kept by the host`);
    // qPBOC online: no second GENERATE AC (the card has left), the ARQC is the final cryptogram.
    const onlineTap = r.entryMode === "contactless" && r.kind === "sale";
    assert.is(e.emv!.tcType, onlineTap ? "ARQC" : "TC", `STAN ${r.stan}`);
    assert.ok(e.emv!.tcValid, `TC of STAN ${r.stan} verifies with the issuer keys`);
  }
  const rec = host.ledger.batch(DEFAULT_TERMINAL_ID, pad(batch));
  assert.is(rec.upload.details.size, journal.filter((r) => r.state === "approved").length);
});

test.run();
