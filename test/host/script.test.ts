/**
 * Scripted behaviour, each fault seen from the client side over real TCP: any response code (unknown ones too),
 * delay, drop, corrupted MAC, disconnect on accept / before / after processing, another STAN, garbage, partial
 * frame, the answer twice; matching by MTI, 60.1, 60.3, PAN, amount, terminal, nth occurrence, times; rules added
 * and removed while running and loaded from JSON; the event list (PANs masked).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { join } from "node:path";
import { createAcquirerHost, type AcquirerHost } from "../../boards/sim/host/host.ts";
import { TEST_CARDS as C } from "../../boards/sim/host/factory.ts";
import { buildFrame, parseFrame } from "../../boards/sim/host/codec.ts";
import { HostClient } from "../../boards/sim/host/client.ts";
import { ROOT } from "../../build/board.ts";
import { TestTerminal, hex, nodeCupMac, rejects } from "./terminal.ts";

async function world(): Promise<{ host: AcquirerHost; t: TestTerminal; done: () => Promise<void> }> {
  const host = await createAcquirerHost();
  const t = await TestTerminal.ready(host);
  return { host, t, done: async () => (t.close(), await host.close()) };
}

/** A sale request frame with MAC, for sending by hand. */
function saleFrame(t: TestTerminal, amount: number, card = C.debit, pin = card.pin) {
  const stan = t.nextStan();
  const frame = buildFrame(t.client.tpdu, t.client.header, "0200", { 3: "000000", 4: amount, 11: stan, 25: "00", 41: t.tid, 42: t.mid, 49: "156", 60: t.f60("22"), ...t.cardFields(card, pin) }, t.mak!);
  return { stan, frame };
}

test("respond: any code, unknown ones included (Z9, B7, 5X); declined, no money moved, MAC'd answer", async () => {
  const { host, t, done } = await world();
  try {
    host.rules.add({ match: { type: "22", amount: 6666 }, action: { respond: "Z9" } });
    host.rules.add({ match: { type: "22", amount: 6667 }, action: { respond: "B7" } });
    host.rules.add({ match: { type: "22", amount: 6668 }, action: { respond: "5X" } });
    host.rules.add({ match: { type: "22", amount: 6669 }, action: { respond: "00" } });
    for (const [amount, code] of [[6666, "Z9"], [6667, "B7"], [6668, "5X"], [6669, "00"]] as const) {
      const r = await t.sale(C.debit, amount, "1234");
      assert.is(r.code, code);
      assert.ok(r.message.mac, "MAC'd");
      assert.is(host.ledger.byRrn(r.f(37)!)!.state, code === "00" ? "approved" : "declined");
    }
    assert.is(host.accounts.get(C.debit.pan)!.balance, C.debit.balance - 6669, "only the 00 one debited");
    assert.is(host.events.list({ kind: "response", code: "5X" }).length, 1);
  } finally {
    await done();
  }
});

test("delay: the client times out, the late answer still arrives; the sale was applied", async () => {
  const { host, t, done } = await world();
  try {
    host.rules.add({ id: "slow", match: { amount: 7777 }, action: { delayMs: 400 } });
    const { frame, stan } = saleFrame(t, 7777);
    const t0 = Date.now();
    t.client.send(frame);
    await rejects(t.client.readFrame(150), /E_CLIENT_TIMEOUT/);
    const late = parseFrame(await t.client.readFrame(2000)).message;
    assert.ok(Date.now() - t0 >= 390, `late by ${Date.now() - t0} ms`);
    assert.is(late.fields.get(11), stan);
    assert.is(late.fields.get(39), "00");
    assert.is(host.ledger.entries({ state: "approved" }).length, 1);
    assert.is(host.events.list({ kind: "fault", rule: "slow" }).length, 1);
  } finally {
    await done();
  }
});

test("drop: no answer at all; the host applied the sale, and the terminal's reversal undoes it once", async () => {
  const { host, t, done } = await world();
  try {
    host.rules.add({ match: { type: "22" }, action: { drop: true }, times: 1 });
    const { frame, stan } = saleFrame(t, 5100);
    t.client.send(frame);
    await rejects(t.client.readFrame(300), /E_CLIENT_TIMEOUT/);
    assert.is(host.ledger.entries({ state: "approved" }).length, 1);
    const rev = await t.reversal({ 3: "000000", 4: 5100, 11: stan, 25: "00", 41: t.tid, 42: t.mid, 49: "156", 60: t.f60("22") }, "98");
    assert.is(rev.code, "00");
    assert.is(host.ledger.entries({ state: "reversed" }).length, 1);
    assert.is(host.accounts.get(C.debit.pan)!.balance, C.debit.balance);
    // times: 1 -> the next sale is answered.
    assert.is((await t.sale(C.debit, 100, "1234")).code, "00");
  } finally {
    await done();
  }
});

test("corruptMac: the answer's MAC does not verify on the client (a valid hex text nonetheless)", async () => {
  const { host, t, done } = await world();
  try {
    host.rules.add({ match: { amount: 8888 }, action: { corruptMac: true } });
    const { frame } = saleFrame(t, 8888);
    t.client.send(frame);
    const m = parseFrame(await t.client.readFrame()).message;
    assert.is(m.fields.get(39), "00");
    assert.match(Buffer.from(m.mac!).toString("ascii"), /^[0-9A-F]{8}$/);
    assert.is.not(hex(m.mac!), hex(nodeCupMac(t.mak!, m.macInput!)));
    assert.is(host.ledger.entries({ state: "approved" }).length, 1);
  } finally {
    await done();
  }
});

test("disconnect: on accept, before processing (nothing applied), after processing (applied, no answer)", async () => {
  const { host, t, done } = await world();
  try {
    host.rules.add({ id: "refuse", action: { disconnect: "accept" }, times: 1 });
    const c = await HostClient.connect(host.port);
    await c.waitClosed(2000);
    await rejects(c.readFrame(100), /E_CLIENT_CLOSED/);
    assert.is(host.events.list({ kind: "fault", rule: "refuse" }).length, 1);
    // the next connection is served
    await t.reconnect();
    host.rules.add({ match: { amount: 1001 }, action: { disconnect: "before" } });
    host.rules.add({ match: { amount: 1002 }, action: { disconnect: "after" } });
    t.client.send(saleFrame(t, 1001).frame);
    await rejects(t.client.readFrame(2000), /E_CLIENT_CLOSED/);
    assert.is(host.ledger.entries().length, 0, "before: not processed");
    await t.reconnect();
    t.client.send(saleFrame(t, 1002).frame);
    await rejects(t.client.readFrame(2000), /E_CLIENT_CLOSED/);
    assert.is(host.ledger.entries({ state: "approved" }).length, 1, "after: processed");
  } finally {
    await done();
  }
});

test("wrongStan: the answer carries another trace (MAC valid over it); or the one given", async () => {
  const { host, t, done } = await world();
  try {
    host.rules.add({ match: { amount: 1201 }, action: { wrongStan: true } });
    host.rules.add({ match: { amount: 1202 }, action: { wrongStan: "123456" } });
    const a = saleFrame(t, 1201);
    t.client.send(a.frame);
    const ma = parseFrame(await t.client.readFrame()).message;
    assert.is(ma.fields.get(11), String(Number(a.stan) + 1).padStart(6, "0"));
    assert.is(hex(ma.mac!), hex(nodeCupMac(t.mak!, ma.macInput!)));
    const b = saleFrame(t, 1202);
    t.client.send(b.frame);
    assert.is(parseFrame(await t.client.readFrame()).message.fields.get(11), "123456");
  } finally {
    await done();
  }
});

test("garbage, partial frame, twice", async () => {
  const { host, t, done } = await world();
  try {
    host.rules.add({ match: { amount: 1301 }, action: { garbage: "0005DEADBEEF01" } });
    host.rules.add({ match: { amount: 1302 }, action: { partial: 20 } });
    host.rules.add({ match: { amount: 1303 }, action: { twice: true } });
    host.rules.add({ match: { amount: 1304 }, action: { garbage: 32, close: true } });
    t.client.send(saleFrame(t, 1301).frame);
    await rejects(t.client.readFrame(300), /E_CLIENT_TIMEOUT/);
    assert.is(t.client.pending().toString("hex").toUpperCase(), "0005DEADBEEF01");
    await t.reconnect();
    t.client.send(saleFrame(t, 1302).frame);
    await rejects(t.client.readFrame(2000), /E_CLIENT_CLOSED/);
    assert.is(t.client.pending().length, 20);
    await t.reconnect();
    const tw = saleFrame(t, 1303);
    t.client.send(tw.frame);
    const f1 = await t.client.readFrame();
    const f2 = await t.client.readFrame();
    assert.is(hex(f1), hex(f2));
    assert.is(host.ledger.entries().filter((e) => e.amount === 1303).length, 1, "applied once");
    await t.reconnect();
    t.client.send(saleFrame(t, 1304).frame);
    await t.client.waitClosed(2000);
    assert.is(t.client.received, 32, "32 random bytes, then the host closed");
  } finally {
    await done();
  }
});

test("matching: nth occurrence, times, PAN, terminal, network code, processing code, amount range; first rule wins", async () => {
  const { host, t, done } = await world();
  try {
    host.rules.add({ id: "second", match: { type: "22", nth: 2 }, action: { respond: "05" } });
    host.rules.add({ id: "credit-card", match: { pan: C.credit.pan }, action: { respond: "57" } });
    host.rules.add({ id: "big", match: { amount: { min: 100000, max: 200000 } }, action: { respond: "61" }, times: 2 });
    host.rules.add({ id: "balance", match: { processingCode: "310000" }, action: { respond: "91" } });
    host.rules.add({ id: "echo", match: { mti: "0820", network: "301", terminal: t.tid }, action: { respond: "96" } });
    const codes: string[] = [];
    for (let i = 0; i < 3; i++) codes.push((await t.sale(C.debit, 100 + i, "1234")).code);
    assert.equal(codes, ["00", "05", "00"]);
    assert.is((await t.sale(C.credit, 100, "8888")).code, "57");
    assert.is((await t.sale(C.debit, 150000, "1234")).code, "61");
    assert.is((await t.sale(C.debit, 150000, "1234")).code, "61");
    assert.is((await t.sale(C.debit, 150000, "1234")).code, "00", "times: 2");
    assert.is((await t.balance(C.debit, "1234")).code, "91");
    const e = await t.send("0820", { 11: t.nextStan(), 41: t.tid, 42: t.mid, 60: t.f60("00", "301") }, { mac: false });
    assert.is(e.code, "96");
    assert.is(host.rules.get("second")!.fired, 1);
    assert.is(host.rules.get("big")!.fired, 2);
    // Removed while running.
    assert.ok(host.rules.remove("credit-card"));
    assert.is((await t.sale(C.credit, 100, "8888")).code, "00");
    // Added first: wins over the others.
    host.rules.add({ id: "all", action: { respond: "96" } }, true);
    assert.is((await t.balance(C.debit, "1234")).code, "96");
    host.rules.clear();
    assert.is((await t.balance(C.debit, "1234")).code, "00");
  } finally {
    await done();
  }
});

test("rules from JSON (examples/host-script.json) and from the config", async () => {
  const host = await createAcquirerHost({ rules: [{ id: "cfg", match: { amount: 4242 }, action: { respond: "B7" } }] });
  const t = await TestTerminal.ready(host);
  try {
    host.rules.loadFile(join(ROOT, "examples/host-script.json"));
    assert.is((await t.sale(C.debit, 6666, "1234")).code, "Z9");
    assert.is((await t.sale(C.debit, 4242, "1234")).code, "B7");
    host.rules.load('[{"id":"json","match":{"type":"01"},"action":{"respond":"Z1"}}]');
    assert.is((await t.balance(C.debit, "1234")).code, "Z1");
  } finally {
    t.close();
    await host.close();
  }
});

test("events: requests and responses described with the PAN masked, faults with their rule", async () => {
  const { host, t, done } = await world();
  try {
    host.rules.add({ id: "twice", match: { amount: 2020 }, action: { twice: true } });
    await t.sale(C.debit, 2020, "1234");
    await t.client.readFrame();
    await t.financial("0220", "30", "000000", { 2: C.credit.pan, 4: 100, 22: "012" });
    const all = host.events.list();
    const text = host.events.format();
    for (const card of Object.values(C)) assert.not.ok(text.includes(card.pan), `full PAN ${card.pan} in the events`);
    assert.ok(text.includes("625011******5675"), "masked PAN shown");
    assert.ok(all.some((e) => e.kind === "request" && e.mti === "0200"));
    assert.ok(all.some((e) => e.kind === "response" && e.mti === "0210" && e.code === "00"));
    assert.is(host.events.list({ kind: "fault", rule: "twice" }).length, 1);
    assert.ok(text.includes("[redacted"), "tracks, PIN block and MAC hidden");
    const dump = JSON.stringify(host.ledger.dump());
    for (const card of Object.values(C)) assert.not.ok(dump.includes(card.pan), "ledger dump masks PANs");
  } finally {
    await done();
  }
});

test.run();
