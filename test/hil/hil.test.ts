/**
 * The HIL scenarios (test/hil/scenarios/*.json) on both targets: `sim` (the firmware image in the embedded engine in
 * this process, virtual time) and `serial` (the simulator playing a board behind a pseudo-terminal, its own process,
 * reached through the `serialport` package: the agent's CBOR frames over a real tty, the rig on a control socket,
 * real time). The same files, unchanged; each scenario gets a fresh host and a board fresh from the factory.
 * Scenarios marked pending are listed and skipped. HIL_ONLY=name,name runs a subset.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ensureBuilt } from "../engine/build-once.ts";
import { loadScenarios, runScenario, type ScenarioResult } from "./runner.ts";
import { startSimTarget } from "./targets/sim.ts";
import { startSerialTarget } from "./targets/serial.ts";
import type { HilTarget } from "./target.ts";

const only = process.env.HIL_ONLY ? process.env.HIL_ONLY.split(",") : undefined;
const scenarios = loadScenarios().filter((s) => !only || only.includes(s.name));
const results: Record<string, ScenarioResult[]> = { sim: [], serial: [] };

test.before(ensureBuilt);

test("at least 20 scenarios, each with a unique name, a title and steps", () => {
  const all = loadScenarios();
  assert.ok(all.length >= 20, `${all.length} scenarios`);
  assert.is(new Set(all.map((s) => s.name)).size, all.length, "unique names");
  for (const s of all) assert.ok(s.title && s.steps.length > 0, s.name);
});

for (const [name, start] of [
  ["sim", () => startSimTarget()],
  ["serial", () => startSerialTarget()],
] as Array<[string, () => Promise<HilTarget>]>) {
  test(`every scenario on the ${name} target`, async () => {
    const t0 = Date.now();
    const target = await start();
    const failures: string[] = [];
    try {
      for (const s of scenarios) {
        const r = await runScenario(target, s);
        results[name]!.push(r);
        console.log(`    ${name.padEnd(6)} ${r.status.padEnd(7)} ${s.name.padEnd(26)} ${r.status === "skipped" ? r.reason : `${r.ms} ms`}`);
        if (r.status === "failed") failures.push(r.reason!);
      }
    } finally {
      await target.close();
    }
    console.log(`    ${name}: ${results[name]!.filter((r) => r.status === "passed").length} passed, ${failures.length} failed, ${results[name]!.filter((r) => r.status === "skipped").length} skipped in ${Date.now() - t0} ms`);
    assert.equal(failures, [], failures.join("\n\n"));
  });
}

test("the two targets agree scenario by scenario", () => {
  const sim = results.sim!.map((r) => `${r.name}:${r.status}`);
  const serial = results.serial!.map((r) => `${r.name}:${r.status}`);
  assert.equal(serial, sim);
  assert.ok(results.sim!.filter((r) => r.status === "passed").length >= (only ? 1 : 20), "at least 20 scenarios passed");
});

test.run();
