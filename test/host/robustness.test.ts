/**
 * Malformed input from clients (garbage, LEN too small, huge LEN, truncated frames, bodies that do not parse,
 * random and mutated frames): the host answers 30 where it can, closes the offending connection otherwise, never
 * fails, and keeps serving the other connections. Then many concurrent clients on one account: every sale
 * answered, RRNs unique, the balance exact.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { randomBytes } from "node:crypto";
import { createAcquirerHost, type AcquirerHost } from "../../boards/sim/host/host.ts";
import { TEST_CARDS as C } from "../../boards/sim/host/factory.ts";
import { buildFrame, parseFrame } from "../../boards/sim/host/codec.ts";
import { HostClient } from "../../boards/sim/host/client.ts";
import { TestTerminal, H, rejects } from "./terminal.ts";

/** No host-side failure events (socket resets by a client are fine). */
function noHostFailures(host: AcquirerHost): void {
  const bad = host.events.list({ kind: "error" }).filter((e) => !(e.note ?? "").startsWith("socket:"));
  assert.equal(bad, [], "host errors");
}

async function stillServes(host: AcquirerHost, t: TestTerminal): Promise<void> {
  assert.is((await t.balance(C.debit, "1234")).code, "00", "another connection is still served");
}

test("garbage, LEN below TPDU+header, huge LEN: that connection is closed at once, the others are served", async () => {
  const host = await createAcquirerHost();
  const t = await TestTerminal.ready(host);
  try {
    for (const bytes of [Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), H("0005 0102030405"), Buffer.concat([H("FFFF 6000030000 603100310001"), randomBytes(100)]), H("0000")]) {
      const c = await HostClient.connect(host.port);
      c.send(bytes);
      await c.waitClosed(2000);
      await stillServes(host, t);
    }
    assert.is(host.events.list({ kind: "malformed" }).length, 4);
    assert.ok(host.events.list({ kind: "malformed" }).some((e) => /above the limit/.test(e.note!)));
    noHostFailures(host);
  } finally {
    t.close();
    await host.close();
  }
});

test("truncated frames: peer closes mid-frame, or goes silent (idle timeout closes it)", async () => {
  const host = await createAcquirerHost({ idleTimeoutMs: 200 });
  const t = await TestTerminal.ready(host);
  try {
    const frame = buildFrame(t.client.tpdu, t.client.header, "0820", { 11: "000001", 41: t.tid, 42: t.mid, 60: "00000001301" });
    const c1 = await HostClient.connect(host.port);
    c1.send(frame.subarray(0, 20));
    await new Promise((r) => setTimeout(r, 50));
    c1.close();
    await host.events.waitFor((e) => e.kind === "malformed" && /peer closed/.test(e.note ?? ""), 2000, true);
    const c2 = await HostClient.connect(host.port);
    c2.send(frame.subarray(0, frame.length - 1));
    await c2.waitClosed(2000);
    assert.ok(host.events.list({ kind: "malformed" }).some((e) => /silence/.test(e.note ?? "")));
    // A frame in pieces, byte by byte, is fine.
    const c3 = await HostClient.connect(host.port);
    for (const b of frame) c3.send(Uint8Array.of(b));
    assert.is(parseFrame(await c3.readFrame()).message.fields.get(39), "00");
    c3.close();
    t.client.close();
    t.client = await HostClient.connect(host.port);
    await stillServes(host, t);
    noHostFailures(host);
  } finally {
    t.close();
    await host.close();
  }
});

test("a body that does not parse: 30 for a request MTI (the connection stays usable), close otherwise; responses from a client are ignored", async () => {
  const host = await createAcquirerHost();
  const t = await TestTerminal.ready(host);
  try {
    // MTI 0200, bitmap says field 2 and 3, body ends after the PAN length.
    t.client.send(H("0016 6000030000 603100310001 0200 6000000000000000 19"));
    const r = parseFrame(await t.client.readFrame()).message;
    assert.is(r.mti, "0210");
    assert.is(r.fields.get(39), "30");
    await stillServes(host, t);
    // A response MTI from the client: ignored, no answer, connection open.
    t.client.send(buildFrame(t.client.tpdu, t.client.header, "0210", { 11: "000001", 39: "00" }));
    await rejects(t.client.readFrame(200), /E_CLIENT_TIMEOUT/);
    await stillServes(host, t);
    // Not BCD where the MTI goes: closed.
    const c = await HostClient.connect(host.port);
    c.send(H("000D 6000030000 603100310001 FFFF"));
    await c.waitClosed(2000);
    noHostFailures(host);
  } finally {
    t.close();
    await host.close();
  }
});

test("fuzz: 400 random and mutated frames; the host never fails and still serves", async () => {
  const host = await createAcquirerHost();
  const t = await TestTerminal.ready(host);
  try {
    const valid = [
      buildFrame(t.client.tpdu, t.client.header, "0200", { 3: "000000", 4: 100, 11: "000777", 25: "00", 41: t.tid, 42: t.mid, 49: "156", 60: t.f60("22"), ...t.cardFields(C.debit, "1234") }, t.mak!),
      buildFrame(t.client.tpdu, t.client.header, "0800", { 11: "000778", 41: t.tid, 42: t.mid, 60: "00000001003", 63: "001" }),
      buildFrame(t.client.tpdu, t.client.header, "0500", { 11: "000779", 41: t.tid, 42: t.mid, 48: "0".repeat(62), 49: "156", 60: t.f60("00", "201") }, t.mak!),
    ];
    let answered = 0;
    for (let i = 0; i < 400; i++) {
      let frame: Uint8Array;
      if (i % 2) {
        frame = Buffer.from(valid[i % valid.length]!);
        const flips = 1 + (i % 4);
        for (let k = 0; k < flips; k++) frame[13 + Math.floor(Math.random() * (frame.length - 13))] ^= 1 << Math.floor(Math.random() * 8);
      } else {
        const body = randomBytes(Math.floor(Math.random() * 120));
        frame = Buffer.concat([Buffer.from([(body.length + 11) >> 8, (body.length + 11) & 255]), H("6000030000603100310001"), body]);
      }
      const c = await HostClient.connect(host.port);
      c.send(frame);
      try {
        await c.readFrame(300);
        answered++;
      } catch {
        // closed or silent: fine
      }
      c.close();
    }
    assert.ok(answered > 0);
    assert.is((await t.signIn("003")).code, "00"); // the fuzzed sign-ins may have replaced the keys
    await stillServes(host, t);
    noHostFailures(host);
  } finally {
    t.close();
    await host.close();
  }
});

test("many concurrent clients: 25 terminals × 8 sales on one account; every answer right, RRNs unique, balance exact", async () => {
  const host = await createAcquirerHost();
  try {
    const terms = await Promise.all(Array.from({ length: 25 }, (_, i) => TestTerminal.ready(host, String(30000001 + i), "898100099990001")));
    const t0 = Date.now();
    const results = await Promise.all(
      terms.map(async (t, i) => {
        const out = [];
        for (let k = 0; k < 8; k++) out.push(await t.sale(C.debit, 100 + i * 10 + k, "1234"));
        return out;
      }),
    );
    const ms = Date.now() - t0;
    const all = results.flat();
    assert.is(all.length, 200);
    assert.ok(all.every((r) => r.code === "00"));
    assert.is(new Set(all.map((r) => r.f(37))).size, 200, "unique RRNs");
    const total = all.reduce((s, r) => s + Number(r.f(4)), 0);
    assert.is(host.accounts.get(C.debit.pan)!.balance, C.debit.balance - total);
    assert.is(host.ledger.entries().length, 200);
    for (const t of terms) assert.is(host.ledger.entries({ terminalId: t.tid }).length, 8);
    console.log(`    200 sales from 25 concurrent connections in ${ms} ms`);
    for (const t of terms) t.close();
    noHostFailures(host);
  } finally {
    await host.close();
  }
});

test.run();
