/**
 * The shared factory data: the identity the engine host and the PED use, Luhn-valid test cards whose tracks
 * parse, the catalog's virtual cards reaching their accounts, and the example configuration starting a host.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { join } from "node:path";
import * as factory from "../../boards/sim/host/factory.ts";
import { SIM_TRANSPORT_KEY_HEX } from "../../boards/sim/devices/ped.ts";
import { ALL_CARDS, EMV_TEST_CARDS } from "../../boards/sim/devices/cards/catalog.ts";
import { luhnValid } from "../../firmware/core/luhn.ts";
import { parseTrack2 } from "../../firmware/core/track2.ts";
import { createAcquirerHost, loadHostConfig } from "../../boards/sim/host/host.ts";
import { ScriptRules } from "../../boards/sim/host/script.ts";
import { ROOT } from "../../build/board.ts";
import { readFileSync } from "node:fs";
import { nodeKcv, H } from "./terminal.ts";

test("identity: the engine host's serial number, the PED's transport key, terminal and merchant numbers", () => {
  assert.is(factory.SIM_SERIAL_NUMBER, "SIM00000001");
  assert.match(readFileSync(join(ROOT, "boards/sim/engine-host.ts"), "utf8"), /"SIM00000001"/);
  assert.is(factory.FACTORY_TRANSPORT_KEY_HEX, SIM_TRANSPORT_KEY_HEX);
  assert.is(factory.DEFAULT_TERMINAL_ID, "10000001");
  assert.is(factory.DEFAULT_MERCHANT_ID, "898100012345678");
  assert.is(factory.DEFAULT_MERCHANT_NAME, "银联测试商户");
  assert.match(factory.DEFAULT_ACTIVATION_CODE, /^\d{8}$/);
  // The TMK the host issues is the spec §9 one; its KCV by node:crypto.
  assert.is(nodeKcv(H(factory.DEFAULT_TMK_HEX)).length, 8);
});

test("test cards: Luhn-valid PANs, tracks that parse to the same PAN and expiry", () => {
  const pans = new Set<string>();
  for (const c of Object.values(factory.TEST_CARDS)) {
    assert.ok(luhnValid(c.pan), `${c.name} ${c.pan} Luhn`);
    const t = parseTrack2(c.track2);
    assert.is(t.pan, c.pan, c.name);
    assert.is(t.expiry, c.expiry, c.name);
    assert.ok(t.panLuhnValid);
    assert.match(c.pin, /^\d{4,12}$/);
    assert.ok(c.balance >= 0);
    pans.add(c.pan);
  }
  assert.is(pans.size, Object.keys(factory.TEST_CARDS).length, "PANs are distinct");
});

test("the simulator's virtual cards have accounts with the same track 2 and PIN", () => {
  for (const c of Object.values(factory.TEST_CARDS)) {
    if (!("catalog" in c) || !c.catalog) continue;
    const v = ALL_CARDS[c.catalog] ?? EMV_TEST_CARDS[c.catalog]!; // EMV test cards too (issue #7)
    assert.ok(v, c.catalog);
    assert.is(v.tracks!.track2, c.track2, c.name);
    if (v.pin) assert.is(v.pin, c.pin, c.name);
  }
});

test("the example configuration and script start a host", async () => {
  const cfg = loadHostConfig(join(ROOT, "examples/host-config.json"));
  cfg.port = 0;
  const host = await createAcquirerHost(cfg);
  try {
    assert.ok(host.port > 0);
    assert.ok(host.terminals.device("SIM00000010"));
    assert.ok(host.terminals.get("10000099"));
    assert.ok(host.accounts.get("6214830000000010063")?.requirePin);
    const rules = host.rules.loadFile(join(ROOT, "examples/host-script.json"));
    assert.is(rules.length, 6);
    assert.ok(host.rules.get("lost-answer")!.times === 1);
  } finally {
    await host.close();
  }
});

test("rules are validated", () => {
  const r = new ScriptRules();
  assert.throws(() => r.add({ action: { respond: "ABC" } }), /E_HOST_RULE/);
  assert.throws(() => r.add({ action: { bogus: true } as never }), /E_HOST_RULE/);
  assert.throws(() => r.add({ match: { nth: 0 }, action: { drop: true } }), /E_HOST_RULE/);
  assert.throws(() => r.add({ match: { color: "red" } as never, action: { drop: true } }), /E_HOST_RULE/);
  assert.throws(() => r.load("[{}]"), /E_HOST_RULE/);
  assert.is(r.add({ id: "x", action: { drop: true } }).id, "x");
  assert.throws(() => r.add({ id: "x", action: { drop: true } }), /duplicate/);
});

test.run();
