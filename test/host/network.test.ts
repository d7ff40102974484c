/**
 * Network management over real TCP: activation (every outcome of docs/cup-profile.md, TMK under the transport
 * key with its KCV, decrypted with node:crypto), sign-in 001/003/004 (field 62 layouts, every KCV, fresh keys per
 * sign-in, the host's batch in 60.2), sign-out, echo; field 62 and the PIN block against spec §9.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createAcquirerHost } from "../../boards/sim/host/host.ts";
import * as F from "../../boards/sim/host/factory.ts";
import { signInKeyField } from "../../boards/sim/host/handlers/network.ts";
import { pinFromBlock, cupMac, hex as khex } from "../../boards/sim/host/keys.ts";
import { parseFrame } from "../../boards/sim/host/codec.ts";
import { HostClient } from "../../boards/sim/host/client.ts";
import { TestTerminal, H, hex, ecb, nodeKcv } from "./terminal.ts";

test("activation: TMK under the factory transport key, KCV, merchant name; then sign-in works with that TMK", async () => {
  const host = await createAcquirerHost();
  const t = await TestTerminal.open(host, "00000000", " ".repeat(15));
  try {
    const r = await t.activate(F.SIM_SERIAL_NUMBER, F.DEFAULT_ACTIVATION_CODE, F.FACTORY_TRANSPORT_KEY_HEX);
    assert.is(r.code, "00");
    assert.is(r.f(41), F.DEFAULT_TERMINAL_ID);
    assert.is(r.f(42), F.DEFAULT_MERCHANT_ID);
    assert.is(hex(t.tmk!), F.DEFAULT_TMK_HEX);
    assert.is(r.message.mac, undefined, "no MAC on an activation answer");
    // DF12: the merchant name in UTF-8.
    const f62 = H(r.f(62)!);
    const at = f62.indexOf(Buffer.from([0xdf, 0x12]));
    assert.is(f62.subarray(at + 3, at + 3 + f62[at + 2]!).toString("utf8"), F.DEFAULT_MERCHANT_NAME);
    assert.is(host.terminals.device(F.SIM_SERIAL_NUMBER)!.state, "active");
    const s = await t.signIn("003");
    assert.is(s.code, "00");
    assert.is(host.terminals.keys(F.DEFAULT_TERMINAL_ID).mak, hex(t.mak!), "host and terminal share the MAK");
    // Re-activation of the active device with its code: allowed, same factory TMK, keys dropped.
    const again = await t.activate(F.SIM_SERIAL_NUMBER, F.DEFAULT_ACTIVATION_CODE, F.FACTORY_TRANSPORT_KEY_HEX);
    assert.is(again.code, "00");
    assert.is(host.terminals.keys(F.DEFAULT_TERMINAL_ID).mak, undefined);
  } finally {
    t.close();
    await host.close();
  }
});

test("activation declines: A1 A2 A3 A4 90 97, and 90 for a host in maintenance", async () => {
  const host = await createAcquirerHost();
  const t = await TestTerminal.open(host, "00000000", " ".repeat(15));
  try {
    for (const [name, c] of Object.entries(F.ACTIVATION_CASES)) {
      if (name === "ok") continue;
      const r = await t.activate(c.serial, c.code, F.FACTORY_TRANSPORT_KEY_HEX);
      assert.is(r.code, c.responseCode, name);
      assert.is(r.f(62), undefined, `${name}: no keys`);
      assert.is(r.f(41), "00000000", `${name}: 41 echoed`);
    }
    assert.is(host.terminals.device(F.SIM_SERIAL_NUMBER)!.state, "new", "declines change nothing");
    host.config.maintenance = true;
    const m = await t.activate(F.SIM_SERIAL_NUMBER, F.DEFAULT_ACTIVATION_CODE, F.FACTORY_TRANSPORT_KEY_HEX);
    assert.is(m.code, "90");
    host.config.maintenance = false;
    // Missing TLV: format error.
    const bad = await t.send("0800", { 11: t.nextStan(), 41: "00000000", 42: " ".repeat(15), 60: "00000000360", 62: "DF0103414243" }, { mac: false });
    assert.is(bad.code, "30");
    // A device revoked after activation: its terminal can no longer sign in.
    const ok = await t.activate(F.SIM_SERIAL_NUMBER, F.DEFAULT_ACTIVATION_CODE, F.FACTORY_TRANSPORT_KEY_HEX);
    assert.is(ok.code, "00");
    host.terminals.setDeviceState(F.SIM_SERIAL_NUMBER, "revoked");
    assert.is((await t.signIn()).code, "97");
    assert.is((await t.activate(F.SIM_SERIAL_NUMBER, F.DEFAULT_ACTIVATION_CODE, F.FACTORY_TRANSPORT_KEY_HEX)).code, "A2");
  } finally {
    t.close();
    await host.close();
  }
});

test("activation with a random TMK: decrypted with node:crypto, KCV matches", async () => {
  const host = await createAcquirerHost({ randomTmk: true });
  const t = await TestTerminal.open(host, "00000000", " ".repeat(15));
  try {
    const r = await t.activate(F.SIM_SERIAL_NUMBER, F.DEFAULT_ACTIVATION_CODE, F.FACTORY_TRANSPORT_KEY_HEX);
    assert.is(r.code, "00");
    assert.is.not(hex(t.tmk!), F.DEFAULT_TMK_HEX);
    assert.is(hex(t.tmk!), host.terminals.keys(F.DEFAULT_TERMINAL_ID).tmk);
  } finally {
    t.close();
    await host.close();
  }
});

test("sign-in 001/003/004: layouts, KCVs (node:crypto), fresh random keys each time, host batch in 60.2", async () => {
  const host = await createAcquirerHost();
  try {
    const t = await TestTerminal.ready(host);
    const seen = new Set<string>();
    for (const mode of ["001", "003", "004", "003"] as const) {
      const r = await t.signIn(mode);
      assert.is(r.code, "00", mode);
      assert.is(r.message.f60.network, mode);
      assert.is(r.f(32), F.ACQUIRER_ID);
      assert.match(r.f(37)!, /^\d{12}$/);
      const k = host.terminals.keys(t.tid);
      assert.is(k.mode, mode);
      assert.is(k.pik, hex(t.pik!));
      assert.is(k.mak, hex(t.mak!));
      assert.is(t.mak!.length, 8, "MAK is single length");
      assert.is(t.pik!.length, mode === "001" ? 8 : 16);
      if (mode === "004") assert.is(k.tdk, hex(t.tdk!));
      assert.not.ok(seen.has(k.mak!), "a new MAK every sign-in");
      seen.add(k.mak!);
    }
    // The host's batch wins: set it, sign in with another.
    host.terminals.setBatch(t.tid, "000042");
    t.batch = "000007";
    const r = await t.signIn("003");
    assert.is(r.message.f60.batch, "000042");
    assert.is(t.batch, "000042");
    t.close();
  } finally {
    await host.close();
  }
});

test("sign-in declines: unknown terminal 97, wrong merchant 03, scripted 96 keeps the old keys", async () => {
  const host = await createAcquirerHost();
  try {
    const t = await TestTerminal.ready(host);
    const mak = host.terminals.keys(t.tid).mak;
    host.rules.add({ match: { mti: "0800", network: "003" }, action: { respond: "96" }, times: 1 });
    assert.is((await t.signIn("003")).code, "96");
    assert.is(host.terminals.keys(t.tid).mak, mak);
    const mid = t.mid;
    t.mid = "898100000000000";
    assert.is((await t.signIn("003")).code, "03");
    t.mid = mid;
    t.tid = "99999999";
    assert.is((await t.signIn("003")).code, "97");
    t.close();
  } finally {
    await host.close();
  }
});

test("sign-out drops the keys (then 22), echo answers 00, other 60.3 answer 40", async () => {
  const host = await createAcquirerHost();
  try {
    const t = await TestTerminal.ready(host);
    const echo = await t.send("0820", { 11: t.nextStan(), 41: t.tid, 42: t.mid, 60: t.f60("00", "301") }, { mac: false });
    assert.is(echo.message.mti, "0830");
    assert.is(echo.code, "00");
    const out = await t.send("0820", { 11: t.nextStan(), 41: t.tid, 42: t.mid, 60: t.f60("00", "002") }, { mac: false });
    assert.is(out.code, "00");
    assert.is(host.terminals.keys(t.tid).mak, undefined);
    const sale = await t.sale(F.TEST_CARDS.debit, 100);
    assert.is(sale.code, "22");
    assert.is(host.ledger.entries().length, 0);
    const other = await t.send("0800", { 11: t.nextStan(), 41: t.tid, 42: t.mid, 60: t.f60("00", "999") }, { mac: false });
    assert.is(other.code, "40");
    t.close();
  } finally {
    await host.close();
  }
});

test("spec §9: field 62 of the worked sign-in, and the worked sale's MAC and PIN block, on the host's crypto", async () => {
  const tmk = H("11111111111111112222222222222222");
  const pik = H("0123456789ABCDEFFEDCBA9876543210");
  const mak = H("3B5D7F9E1A2C4E6F");
  assert.is(signInKeyField(tmk, "003", pik, mak), "CB4AB541CD5AD4FC256A882726936A5A08D7B4FBDA64B6170F3461670000000000000000FC11AEF3");
  assert.is(nodeKcv(pik), "08D7B4FB");
  // The worked sale request, byte for byte from the spec: its MAC and its PIN block.
  const sale = H(
    "0073 6000030000 603100310001 0200 302004C020C09811 000000 000000010000 000123 0210 00 06 37 6222021234567890123D30121010000000000 0 3130303030303031 383938313030303132333435363738 313536 2A084C604973D4AE 2600000000000000 0011 220000010000 4138363441434638",
  );
  const m = parseFrame(sale).message;
  assert.is(khex(cupMac(mak, m.macInput!)), "4138363441434638");
  assert.is(pinFromBlock(pik, H(m.fields.get(52)!), "6222021234567890123"), "123456");
  // Over TCP: a host whose terminal holds the §9 keys verifies that MAC (the card is not one of its accounts: 14, not A0).
  const host = await createAcquirerHost();
  try {
    host.terminals.addTerminal({ terminalId: "10000001", merchantId: "898100012345678", tmkHex: "11111111111111112222222222222222" });
    host.terminals.get("10000001")!.keys = { mode: "003", pik, mak, signedInAt: 0 };
    const c = await HostClient.connect(host.port);
    c.send(sale);
    const r = parseFrame(await c.readFrame()).message;
    assert.is(r.mti, "0210");
    assert.is(r.fields.get(39), "14");
    assert.is(hex(r.mac!), hex(cupMac(mak, r.macInput!)));
    c.close();
    // And the §9 sign-in request itself is answered with keys that decrypt under the §9 TMK.
    const c2 = await HostClient.connect(host.port);
    c2.send(H("003C 6000030000 603100310001 0800 0020000000C00012 000001 3130303030303031 383938313030303132333435363738 0011 000000010030 0003 303031"));
    const si = parseFrame(await c2.readFrame());
    assert.is(hex(si.tpdu), "6000000003", "TPDU addresses swapped");
    assert.is(hex(si.header), "603100310001");
    const f62 = H(si.message.fields.get(62)!);
    const newPik = ecb(false, tmk, f62.subarray(0, 16));
    assert.is(hex(f62.subarray(16, 20)), nodeKcv(newPik));
    c2.close();
  } finally {
    await host.close();
  }
});

test.run();
