/**
 * The benchmark harness, without timing assertions: the clock loop on a virtual clock, the standalone
 * dist/bench/bench.js in QuickJS (one well-formed line per workload), and the comparison suite on Node and
 * inside the engine (every implementation agrees with ours; a disagreeing one is caught).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../../build/board.ts";
import { benchImage, buildImage } from "../../../build/build.ts";
import { runPrintScript } from "../../../boards/sim/print-runner.ts";
import { calibrate, compare, median, opsPerSecond } from "../../bench/measure.ts";
import { WORKLOAD_NAMES } from "../../bench/inputs.ts";
import { runSuite, parseEventLine, eventLine, type SuiteEvent } from "../../bench/suite.ts";
import { OUR_8583_VARIANTS, OUR_WORKLOADS, type Implementation } from "../../bench/workloads.ts";
import { NPM_COMPETITORS } from "../../bench/npm-workloads.ts";
import { NODE_CRYPTO } from "../../bench/node-workloads.ts";
import { buildCompareBundle, runTimed } from "../../bench/engine.ts";

/** A clock that only moves when an operation says so. */
function virtualClock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

test("measure: ops/s on a virtual clock; interleaved medians keep the ratio", () => {
  const c = virtualClock();
  assert.is(opsPerSecond(() => c.advance(0.5), 100, c.now), 2000);
  const batch = calibrate(() => c.advance(0.001), c.now);
  assert.ok(batch * 0.001 >= 10 && batch * 0.001 < 80, `batch ${batch}`);
  const [slow, fast] = compare([() => c.advance(1), () => c.advance(0.25)], { rounds: 3, roundMs: 50, now: c.now });
  assert.is(slow, 1000);
  assert.is(fast, 4000);
  assert.is(median([3, 1, 2]), 2);
  assert.is(median([4, 1, 3, 2]), 2.5);
});

test("ours: every workload passes its known-answer check on Node", () => {
  assert.equal(
    OUR_WORKLOADS.map((w) => w.name),
    [...WORKLOAD_NAMES],
  );
  for (const w of OUR_WORKLOADS) assert.is(w.make().verify(), "", w.name);
});

test("dist/bench/bench.js builds and runs in QuickJS: one `bench <workload> <ops/s>` line per workload", async () => {
  const report = await buildImage(benchImage());
  assert.is(report.outfile, "dist/bench/bench.js");
  const run = await runPrintScript(readFileSync(join(ROOT, report.outfile), "utf8"), { memoryLimitBytes: 1 << 20, extraGlobals: { benchBudgetMs: () => 5 } });
  assert.is(run.error, undefined, run.error);
  const lines = run.lines.filter((l) => l.startsWith("bench "));
  assert.equal(
    lines.map((l) => l.split(" ")[1]),
    [...WORKLOAD_NAMES],
  );
  for (const l of lines) {
    const m = /^bench (\S+) (\d+)$/.exec(l);
    assert.ok(m, `well-formed: ${l}`);
    assert.ok(Number(m![2]) > 0, l);
  }
  assert.is(run.lines[run.lines.length - 1], `bench-summary ${WORKLOAD_NAMES.length} ok, 0 failed`);
  assert.not.ok(run.lines.some((l) => l.startsWith("bench-fail")));
});

test("suite on Node: node:crypto, the npm libraries and our variants all agree with ours", () => {
  const events: SuiteEvent[] = [];
  runSuite([...NODE_CRYPTO, ...OUR_8583_VARIANTS, ...NPM_COMPETITORS], { rounds: 1, roundMs: 1, now: () => Date.now() }, (e) => events.push(e));
  const fails = events.filter((e) => e.kind === "fail");
  assert.equal(fails, []);
  for (const w of WORKLOAD_NAMES) {
    const impls = events.filter((e) => e.workload === w).map((e) => e.impl);
    assert.ok(impls.includes("ours"), w);
    assert.ok(
      impls.some((i) => NPM_COMPETITORS.some((c) => c.impl === i)),
      `${w} has an npm competitor`,
    );
  }
  for (const e of events) assert.equal(parseEventLine(eventLine(e)), e);
});

test("suite: an implementation whose result differs is reported and not timed", () => {
  const wrong: Implementation = {
    workload: "3des-ecb-block",
    impl: "wrong",
    make: () => ({ op() {}, result: () => "0000000000000000" }),
  };
  const events: SuiteEvent[] = [];
  runSuite([wrong], { rounds: 1, roundMs: 1, now: () => Date.now(), select: (n) => n === "3des-ecb-block" }, (e) => events.push(e));
  assert.equal(
    events.map((e) => [e.kind, e.impl]),
    [
      ["fail", "wrong"],
      ["ops", "ours"],
    ],
  );
});

test("suite inside the engine (dist/bench/compare.js with the buffer polyfill): every library runs and agrees", async () => {
  const source = await buildCompareBundle();
  const lines: string[] = [];
  const error = await runTimed(source, { benchRounds: 1, benchRoundMs: 1 }, (l) => lines.push(l));
  assert.is(error, undefined, error);
  assert.is(lines[lines.length - 1], "cmp-end");
  const events = lines.map(parseEventLine).filter((e): e is SuiteEvent => e !== undefined);
  assert.equal(
    events.filter((e) => e.kind === "fail"),
    [],
  );
  const impls = (w: string) => events.filter((e) => e.workload === w).map((e) => e.impl);
  assert.equal(impls("3des-ecb-block"), ["ours", "des.js", "crypto-js"]);
  assert.equal(impls("sm4-block"), ["ours", "sm-crypto"]);
  assert.equal(impls("tlv-parse-f55"), ["ours", "ber-tlv", "tlv", "node-tlv"]);
  assert.ok(impls("iso8583-unpack-sale").includes("iso_8583"));
});

test.run();
