/**
 * A full sale through the native runtime, then the same scenario on the sim target (issue 11).
 *
 * Native: the linux board's image of the JSON-lines agent runs in boards/port (QuickJS); its modem, printer and
 * debug roles are pseudo-terminals bridged to the simulator's virtual 4G module (real TCP to the acquirer host on
 * 127.0.0.1), virtual ESC/POS printer and the agent client; card reader, PED, display and keypad answer on the
 * device link. Sim: the same agent source for the sim board in the embedded engine with the same devices.
 * fixtures/sale-scenario.ts holds the steps and the outcome checks; both targets must give the same outcome.
 *
 * Skipped (with the reason printed) only where there is no C compiler to build the runtime.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createAcquirerHost, type AcquirerHost } from "../../boards/sim/host/host.ts";
import { TEST_CARDS } from "../../boards/sim/host/factory.ts";
import { checkOutcome, runScenario, WRONG_PIN_SCENARIO } from "./fixtures/sale-scenario.ts";
import { compilerMissing, startNative, startSim, type SaleTarget } from "./fixtures/sale-targets.ts";

const noCompiler = compilerMissing();
const outcomes: Record<string, Record<string, unknown>> = {};

async function runOn(start: () => Promise<SaleTarget>): Promise<{ target: SaleTarget; ms: number }> {
  const wall = Date.now();
  const host: AcquirerHost = await createAcquirerHost();
  let target: SaleTarget | undefined;
  try {
    target = await start();
    const saved = await runScenario(target, host);
    outcomes[target.name] = checkOutcome(target, host, saved);
    const end = await target.exit();
    assert.is(end.status, "exit", `[${target.name}] ${end.detail}\n${end.logs.join("\n")}`);
    assert.is(end.exitCode, 0, `[${target.name}] exit status\n${end.detail}\n${end.logs.join("\n")}`);
    assert.not.ok(end.logs.some((l) => /^ERR|agent failed/.test(l)), end.logs.join("\n"));
    return { target, ms: Date.now() - wall };
  } finally {
    await target?.dispose();
    await host.close();
  }
}

test("native runtime: activation, sign-in, swiped sale with PIN approved by the host, slip printed, ledger has it", async () => {
  if (noCompiler) {
    console.log(`  SKIPPED: ${noCompiler}; the native half of the sale test did not run`);
    return;
  }
  const { target, ms } = await runOn(() => startNative());
  const link = target.link!;
  // The devices really went over the link and the ptys: PED operations, a swipe, a PIN entry, the slip's bytes.
  const s = link.devices.stats;
  assert.is(s.connections, 1);
  assert.equal(s.hello, { board: "linux", version: 1 });
  assert.ok(s.requests >= 8, `requests ${s.requests}`);
  assert.is(s.errors, 0, "no request the devices refused");
  assert.ok(target.ped.calls.some((c) => c.op === "mac" && c.ok), "MACs computed in the PED over the link");
  assert.ok(link.bridges.printer!.stats.toDevice > 500, `printer bytes ${link.bridges.printer!.stats.toDevice}`);
  assert.ok(target.modem.stats.socketsOpened >= 3, `sockets ${target.modem.stats.socketsOpened}`);
  console.log(
    `    native: ${ms} ms real; device link ${s.requests} requests, ${s.notices} notices, ${s.events} events; ptys modem ${link.bridges.modem!.stats.toDevice}/${link.bridges.modem!.stats.toFirmware} B, printer ${link.bridges.printer!.stats.toDevice} B, debug ${link.bridges.debug!.stats.toDevice}/${link.bridges.debug!.stats.toFirmware} B (to device / to firmware)`,
  );
});

test("sim target: the same scenario in the embedded engine with the same devices", async () => {
  const { ms } = await runOn(() => startSim());
  console.log(`    sim: ${ms} ms real`);
});

test("both targets: the same outcome (sale, ledger, PED keys, slip)", () => {
  if (noCompiler) {
    console.log(`  SKIPPED: ${noCompiler}; nothing to compare the sim target with`);
    return;
  }
  assert.ok(outcomes.native && outcomes.sim, "both targets ran");
  const { tmkKcv: _a, ...native } = outcomes.native!;
  const { tmkKcv: _b, ...sim } = outcomes.sim!;
  assert.equal(native, sim);
  assert.is(outcomes.native!.tmkKcv, outcomes.sim!.tmkKcv, "the factory TMK is the same on both");
});

test("both targets: a wrong PIN typed on the PED is declined by the host (55), nothing printed", async () => {
  const targets = noCompiler ? [startSim] : [() => startNative(), startSim];
  if (noCompiler) console.log(`  SKIPPED (native half): ${noCompiler}`);
  for (const start of targets) {
    const host = await createAcquirerHost();
    let target: SaleTarget | undefined;
    try {
      target = await start();
      await runScenario(target, host, WRONG_PIN_SCENARIO);
      const ledger = host.ledger.entries({});
      assert.equal(ledger.map((e) => [e.kind, e.state, e.responseCode]), [["sale", "declined", "55"]], `[${target.name}]`);
      assert.is(host.accounts.get(TEST_CARDS.debit.pan)!.balance, TEST_CARDS.debit.balance, `[${target.name}] nothing debited`);
      assert.equal(target.printer.text(), [], `[${target.name}] no slip for a decline`);
      const end = await target.exit();
      assert.is(end.exitCode, 0, `[${target.name}] ${end.detail}`);
    } finally {
      await target?.dispose();
      await host.close();
    }
  }
});

test.run();
