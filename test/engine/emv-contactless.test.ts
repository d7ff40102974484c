/**
 * qPBOC (UnionPay QuickPass) in the embedded engine: reader limits (contactless transaction limit,
 * CVM limit, floor limit -> TTQ), the cryptogram from the GPO, offline approval within the card's
 * electronic-cash balance with fDDA checked against the test PKI, online ARQC (checked by the issuer)
 * with and without online PIN, "use contact" for an amount over the limit and for a card without
 * qPBOC, and a card whose fDDA signature is wrong.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runEntry } from "./harness.ts";
import { EmvBridge, type Scenario } from "./fixtures/emv-bridge.ts";
import { VirtualCard } from "../../boards/sim/devices/cards/virtual-card.ts";
import { quickPass, unionpayDebit } from "../../boards/sim/devices/cards/catalog.ts";
import type { CardImage } from "../../boards/sim/devices/cards/image.ts";
import { H, hex } from "../../boards/sim/issuer/crypto.ts";
import { parse } from "../../boards/sim/issuer/tlv.ts";

const badSigner: CardImage = { ...quickPass, applications: quickPass.applications.map((a) => ({ ...a, crypto: { ...a.crypto!, ddaKey: "icc8" } })) };
const lowBalance = new VirtualCard(quickPass);
lowBalance.balances.set("A000000333010101", 1000);

const cards = {
  offline: new VirtualCard(quickPass),
  online: new VirtualCard(quickPass),
  pin: new VirtualCard(quickPass),
  tooMuch: new VirtualCard(quickPass),
  debit: new VirtualCard(unionpayDebit),
  badFdda: new VirtualCard(badSigner),
  lowBalance,
};

// Reader limits in the fixture: contactless 1000.00, CVM 300.00, floor 200.00.
const scenarios: Scenario[] = [
  { name: "offline", iface: "contactless", amount: 5000, card: cards.offline },
  { name: "online", iface: "contactless", amount: 25000, card: cards.online, online: { responseCode: "00" } },
  { name: "pin", iface: "contactless", amount: 40000, card: cards.pin, online: { responseCode: "00" } },
  { name: "tooMuch", iface: "contactless", amount: 150000, card: cards.tooMuch },
  { name: "debit", iface: "contactless", amount: 1000, card: cards.debit },
  { name: "badFdda", iface: "contactless", amount: 5000, card: cards.badFdda },
  { name: "lowBalance", iface: "contactless", amount: 15000, card: cards.lowBalance, online: { responseCode: "51" } },
];

let r: Record<string, any> = {};
let run: Awaited<ReturnType<typeof runEntry>>;
const bridge = new EmvBridge(scenarios);

const tag = (h: string, t: string) => parse(H(h)).find((x) => x.tag.toString(16).toUpperCase() === t)?.value;
const tagHex = (h: string, t: string) => {
  const v = tag(h, t);
  return v ? hex(v) : undefined;
};
/** TTQ the card received in its GPO (the PDOL data starts with 9F66). */
const ttqSent = (c: VirtualCard) => c.commands.find((x) => x.ins === 0xa8)!.data.slice(4, 12);

test.before(async () => {
  run = await runEntry("test/engine/fixtures/emv-run.ts", { extras: bridge.extras, onLog: bridge.onLog });
  for (const l of run.logs) {
    const m = /^R (\S+) (.*)$/.exec(l);
    if (m) r[m[1]!] = JSON.parse(m[2]!);
  }
});

test("the fixture ran every scenario", () => {
  assert.is(run.status, "exit", run.error + "\n" + run.logs.join("\n"));
  assert.is(run.exitCode, 0, run.logs.join("\n"));
  for (const s of scenarios) assert.ok(r[s.name], s.name);
});

test("under the floor and CVM limits: TTQ 36000080, the card approves offline (TC) within its balance, fDDA verifies", () => {
  const o = r.offline;
  assert.is(ttqSent(cards.offline), "36000080");
  assert.is(o.result, "approved");
  assert.not.ok(o.online);
  assert.is(o.cryptogram, "TC");
  assert.is(o.reason, "offline");
  assert.is(o.tvr, "0000000000");
  assert.is(o.tsi, "8000");
  assert.is(o.interface, "contactless");
  assert.is(tagHex(o.finalField55, "9F27"), "40");
  assert.is(tagHex(o.finalField55, "9F34"), "3F0000");
  assert.is(cards.offline.balances.get("A000000333010101"), 50000 - 5000);
  // No GENERATE AC: the cryptogram came with the GPO; the TC verifies at the issuer.
  assert.not.ok(cards.offline.commands.some((x) => x.ins === 0xae));
  assert.ok(bridge.issuer.verifyCryptogram(o.pan, H(o.finalField55), o.panSequence).valid);
});

test("over the floor limit: 'online cryptogram required' -> ARQC in the GPO, no CVM, approved online; the issuer checks the ARQC", () => {
  const o = r.online;
  assert.is(ttqSent(cards.online), "36800080");
  assert.is(o.result, "approved");
  assert.ok(o.online);
  assert.is(o.cryptogram, "ARQC");
  assert.is(o.pinBlock, null);
  assert.is(tagHex(o.requestField55, "9F27"), "80");
  assert.is(tagHex(o.requestField55, "9F34"), "3F0000");
  assert.is(tagHex(o.requestField55, "95"), "0000000000");
  assert.is(tagHex(o.requestField55, "82"), "2000");
  assert.is(tagHex(o.requestField55, "9F02"), "000000025000");
  assert.ok(bridge.online.get("online")!.result!.arqcValid);
  assert.is(cards.online.balances.get("A000000333010101"), 50000);
});

test("at the CVM limit: 'CVM required' -> the card's CTQ asks online PIN -> PIN on the PED, ARQC approved", () => {
  const o = r.pin;
  assert.is(ttqSent(cards.pin), "36C00080");
  assert.is(o.result, "approved");
  assert.is(tagHex(o.requestField55, "9F34"), "020000");
  assert.match(o.pinBlock, /^[0-9A-F]{16}$/);
  assert.ok(bridge.online.get("pin")!.result!.arqcValid);
});

test("over the contactless limit, and a card without qPBOC: use the contact interface", () => {
  assert.is(r.tooMuch.error, "E_EMV_USE_CONTACT");
  assert.is(cards.tooMuch.commands.length, 0);
  assert.is(r.debit.error, "E_EMV_USE_CONTACT");
});

test("an fDDA signature that does not verify: declined offline", () => {
  const o = r.badFdda;
  assert.is(o.result, "declined");
  assert.is(o.reason, "fdda-failed");
  assert.is(o.tvr, "0800000000");
});

test("the card's own decision: a balance too low for an offline approval -> ARQC; the issuer declines (51)", () => {
  const o = r.lowBalance;
  assert.is(ttqSent(cards.lowBalance), "36000080");
  assert.is(o.cryptogram, "ARQC");
  assert.is(o.result, "declined");
  assert.is(o.responseCode, "51");
  assert.ok(bridge.online.get("lowBalance")!.result!.arqcValid);
});

test.run();
