/**
 * The cost of ONE full contact chip sale in the embedded engine (QuickJS standing in for JerryScript): activation
 * and sign-in first, then a debit chip sale with online PIN and the host's ARPC (SELECT PSE .. second GENERATE AC,
 * the 8583 exchange over the virtual 4G module to the host on 127.0.0.1). Printed: the engine's virtual time and the
 * real time of the sale, and the run's peak memory (EngineHost's report: peakBytes = code + data above the empty
 * context, peakHeapBytes = data). Figures, not assertions (beyond the sale being approved).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { loadBoard } from "../../build/board.ts";
import { factoryFlash } from "../../boards/sim/world.ts";
import { Modem4G } from "../../boards/sim/devices/modem4g.ts";
import { SimPed } from "../../boards/sim/devices/ped.ts";
import { SimCardReader } from "../../boards/sim/devices/card.ts";
import { VirtualCard } from "../../boards/sim/devices/cards/virtual-card.ts";
import { unionpayDebit } from "../../boards/sim/devices/cards/catalog.ts";
import { createAcquirerHost } from "../../boards/sim/host/host.ts";
import { DEFAULT_ACTIVATION_CODE, FACTORY_TRANSPORT_KEY_HEX } from "../../boards/sim/host/factory.ts";
import { AgentPort } from "./fixtures/txn-driver.ts";
import { runEntry } from "./harness.ts";

test("one full contact transaction: virtual time, real time, peak memory", async () => {
  const host = await createAcquirerHost();
  const agent = new AgentPort();
  const reader = new SimCardReader();
  const ped = new SimPed({ transportKeyHex: FACTORY_TRANSPORT_KEY_HEX });
  agent.onEvent = (e) => {
    if (e.event === "pin") ped.type("1234");
  };
  const done = runEntry("test/engine/fixtures/chip-agent.ts", {
    flash: factoryFlash(loadBoard("sim")),
    serial: { "sim:modem": new Modem4G({ rssi: 24, seed: 9 }), "sim:debug": agent },
    extras: [reader, ped],
    maxBoots: 1,
  });
  try {
    await agent.call("boot");
    await agent.call("configure", { hostAddress: "127.0.0.1", hostPort: host.port });
    await agent.call("activate", { code: DEFAULT_ACTIVATION_CODE });
    await agent.call("signIn");
    await agent.call("operatorSignIn", { no: "01", password: "0000" });
    const card = new VirtualCard(unionpayDebit);
    reader.insert(card);
    const t0 = Date.now();
    const o = await agent.call("chip", { slot: "contact", amount: 12345 });
    const realMs = Date.now() - t0;
    reader.remove();
    assert.is(o.status, "approved", JSON.stringify(o));
    await agent.call("exit");
    const run = await done;
    assert.is(run.status, "exit", run.error);
    const m = run.memory;
    console.log(
      `    chip sale (contact, DDA, online PIN, ARQC/ARPC, TC): virtual ${o.virtualMs} ms, real ${realMs} ms; ` +
        `engine run peak ${m.peakBytes} B (data heap ${m.peakHeapBytes} B, code ${m.codeBytes} B, limit ${m.heapLimitBytes} B, ${m.samples} samples)`,
    );
  } finally {
    await host.close();
  }
});

test.run();
