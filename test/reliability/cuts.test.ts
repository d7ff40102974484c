/**
 * Power cuts, CI sample (Node fast mode): a fixed seeded campaign (cuts.ts) over the whole workload — every kind of
 * transaction, reversals, advice uploads, settlements with and without the batch upload, recovery itself — on a
 * flash log filled first so compaction runs all along. Every invariant must hold after every cut. The figures go
 * to the reliability report ("1-power-cuts"); the long mode (`npm run reliability -- --cuts 10000`, cli.ts) runs
 * the same code for as many cuts as asked.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { cutCampaign, phaseTable } from "./cuts.ts";
import { recordReliability } from "./report.ts";
import { readLongRun } from "./cli.ts";

const SAMPLE = [
  { seed: 20261, cuts: 300, fillStore: 0 },
  { seed: 20262, cuts: 300, fillStore: 2600 },
];

test("power cuts at seeded points of a seeded workload: every invariant holds after every cut", async () => {
  const runs = [];
  for (const s of SAMPLE) runs.push(await cutCampaign({ seed: s.seed, cuts: s.cuts, fillStore: s.fillStore }));
  const all = runs.reduce((a, c) => {
    for (const [k, p] of Object.entries(c.phases)) {
      const q = (a.phases[k] ??= { cuts: 0, torn: 0, survived: 0 });
      q.cuts += p.cuts;
      q.torn += p.torn;
      q.survived += p.survived;
    }
    a.cuts += c.cuts;
    a.torn += c.torn;
    a.survived += c.survived;
    a.ops += c.ops;
    a.settlements += c.settlements;
    a.uploads += c.uploads;
    a.seconds += c.seconds;
    a.violations.push(...c.violations);
    return a;
  });
  const long = readLongRun();
  const notes = [
    `CI sample, Node fast mode: seeds ${SAMPLE.map((s) => s.seed).join(", ")} (the second on a flash log filled first, so compaction runs all along): ${all.cuts} cuts over ${all.ops} operations, ${all.settlements} settlements (${all.uploads} with the batch upload), ${all.seconds.toFixed(1)} s.`,
    "A cut tears one flash program/erase: nothing of it lands, all of it, or a seeded-random part (\"tore a write\": part of it). After the cut the boot is dead (no further flash write), a new Terminal mounts the same flash, signs in when needed, recover(), finishes an interrupted settlement — recovery itself is cut now and then (row \"recovery\").",
    "Invariants after every recovery: no reversal / advice / offline sale / settlement left pending, no pending journal record; journal and host ledger agree record by record and in totals; every approval the operator saw is still counted, no failure shown is counted; one host entry per trace; no 94 (trace reused) from the host; the next STAN beyond every STAN the host saw; a closed batch's report has the journal's totals and the host balanced it.",
    "A cut is counted once per phase it hit (a sale's cut during compaction is in both rows); the last row counts each cut once.",
    all.violations.length ? `VIOLATIONS: ${all.violations.slice(0, 5).join(" | ")}` : "No violation.",
  ];
  if (long) notes.push(`Long mode (npm run reliability -- --cuts ${long.cuts}): ${long.cuts} cuts (${long.torn} tore a write), ${long.survived} survived, ${long.violations} violations, ${long.ops} operations, ${long.settlements} settlements, ${long.seconds.toFixed(0)} s, seeds ${long.seeds}, run ${long.at}.`);
  recordReliability({ part: "1-power-cuts", title: "Power cuts (Node fast mode, CI sample)", table: phaseTable(all), notes });
  console.log(`    ${all.cuts} cuts (${all.torn} tore a write), ${all.survived} survived, ${all.ops} ops, ${all.settlements} settlements / ${all.uploads} uploads, ${all.seconds.toFixed(1)} s`);
  assert.equal(all.violations, []);
  assert.is(all.survived, all.cuts);
  for (const p of ["sale", "void", "refund", "preAuth", "completion", "balance", "offlineSale", "settlement", "batch upload", "reversal", "advice upload", "compaction", "recovery"])
    assert.ok((all.phases[p]?.cuts ?? 0) > 0, `a cut hit ${p}`);
  assert.ok(all.torn > 50);
});

test.run();
