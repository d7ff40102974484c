/**
 * The network-fault matrix (network.ts), all cells, Node fast mode: 15 message types x 10 faults, each on a fresh
 * world; every applicable cell must end in the correct state. The table goes to the reliability report ("2-network").
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { FAULTS, MESSAGES, matrixTable, runMatrix, type Fault, type MessageType } from "./network.ts";
import { recordReliability } from "./report.ts";

test("every message type x every network fault ends in the correct state", async () => {
  const cells: Array<[MessageType, Fault]> = [];
  for (const m of MESSAGES) for (const f of FAULTS) cells.push([m, f]);
  const t0 = performance.now();
  const results = await runMatrix(cells, 6);
  const seconds = (performance.now() - t0) / 1000;
  const app = results.filter((r) => r.applicable);
  const passed = app.filter((r) => r.passed);
  const failed = app.filter((r) => !r.passed);
  const sale = results.filter((r) => r.message === "sale").map((r) => `${r.fault}: ${r.shown}`);
  recordReliability({
    part: "2-network",
    title: "Network-fault matrix (Node fast mode, every cell)",
    table: matrixTable(results),
    notes: [
      `${passed.length} / ${app.length} applicable cells passed (${results.length - app.length} n/a: "wrong MAC" on sign-in, echo and sign-out, whose answers carry no MAC), ${seconds.toFixed(1)} s, 6 cells at a time, each on its own host and terminal.`,
      "Faults: drop before send = the link refuses the connection that would carry the message; drop after send = the host processes it and never answers; delay = the answer 600 ms late against a read timeout scaled 1:20 (5 s -> 250 ms); partial frame, silence = 20 bytes of the answer, then nothing; corrupted bytes = 3 bytes of the answer's body inverted; wrong MAC; duplicated response; other STAN = the answer carries the next trace; disconnect mid-message = 20 bytes of the answer, then close; host restart = the host processes the message, then its listener closes for 300 ms (connections refused) and reopens with its ledger kept.",
      "Reversal cells: the sale's answer is lost and the fault hits the 0400; offline advice upload: an offline sale uploaded; batch upload: the host lost a sale from its totals, the fault hits the first 0320; sign-out / settlement via signOut() / settle().",
      "Each cell: fault on that message only -> what the operator saw -> network back -> recovery (sign-in when needed, recover(), an interrupted settlement finished) -> invariants (nothing pending; journal, reversal store, STAN and host ledger agree record by record and in totals; every reversal applied at most once; approvals seen still counted, failures seen not counted; a sale shown failed is reversed or declined at the host) -> the next sale approved (one retry after a sign-in request) -> invariants again.",
      `What the operator saw on the sale row: ${sale.join("; ")}.`,
      failed.length ? `FAILED: ${failed.map((r) => `${r.message} / ${r.fault}: ${r.problems.join("; ")}`).join(" | ")}` : "No cell failed.",
    ],
  });
  console.log(`    ${passed.length} / ${app.length} cells passed in ${seconds.toFixed(1)} s`);
  for (const r of failed) console.log(`    FAIL ${r.message} / ${r.fault} (${r.shown}): ${r.problems.join("; ")}`);
  assert.is(failed.length, 0);
  assert.ok(results.filter((r) => r.applicable).every((r) => r.fired), "every fault hit its message");
  // The operator never saw an approval where the answer was lost.
  for (const r of results.filter((r) => ["sale", "void", "pre-auth", "completion"].includes(r.message) && !["duplicated response"].includes(r.fault)))
    assert.ok(r.shown.startsWith("failed"), `${r.message} / ${r.fault} shown ${r.shown}`);
});

test.run();
