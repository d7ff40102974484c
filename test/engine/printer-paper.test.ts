/**
 * Interrupted print jobs resume without a line printed twice or lost: the rendered text must equal the
 * expected slip exactly. Paper runs out after N print operations (a text line, a feed line, a QR code);
 * the printer either holds what it could not print or discards it; the clerk refills when the app says
 * so (the app resume()s) or after a few status polls (the driver waits by itself). Cover open and head
 * overheat mid-job resume the same way. Each slip copy is 36 print operations (28 text lines, feed 2,
 * 2 text lines, QR, feed 3).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { EXPECTED_SLIP, JOB_LINES, countBytes, runWithPrinter, type PrinterRun } from "./fixtures/printer-expected.ts";
import type { VirtualPrinterOptions } from "../../boards/sim/devices/printer.ts";

const FEED2 = [0x1b, 0x64, 2, 0x1d, 0x72, 0x01];
const FEED3 = [0x1b, 0x64, 3, 0x1d, 0x72, 0x01];

/** The slip fixture; on its "WAIT <code>" log line the clerk fixes the printer. */
function runSlip(options: VirtualPrinterOptions): Promise<PrinterRun> {
  return runWithPrinter("test/engine/fixtures/printer-slip.ts", options, (message, printer) => {
    if (message.startsWith("WAIT E_PRINTER_PAPER_OUT")) printer.refill();
    if (message.startsWith("WAIT E_PRINTER_COVER_OPEN")) printer.closeCover();
    if (message.startsWith("WAIT E_PRINTER_OVERHEAT")) printer.cool();
  });
}

function assertWholeSlip(r: PrinterRun): void {
  assert.is(r.status, "exit", r.error ?? r.logs.join("\n"));
  assert.is(r.exitCode, 0, r.logs.join("\n"));
  assert.equal(r.printer.text(), EXPECTED_SLIP, r.logs.join("\n"));
  assert.ok(r.logs.includes(`DONE printed=${JOB_LINES} stray=0`), r.logs.join("\n"));
}

test("paper ends right after a text line: the driver stops before the next line, nothing in doubt", async () => {
  const r = await runSlip({ paperLines: 20 });
  assertWholeSlip(r);
  assert.equal(r.logs.filter((l) => l.startsWith("WAIT")), ["WAIT E_PRINTER_PAPER_OUT printed=20"]);
  assert.not.ok(r.logs.some((l) => l.includes("printed on recovery") || l.includes("was lost")));
});

test("paper ends in the middle of the second copy (after 40 operations, job line 38)", async () => {
  const r = await runSlip({ paperLines: 40, onPaperOut: "discard" });
  assertWholeSlip(r);
  assert.equal(r.logs.filter((l) => l.startsWith("WAIT")), ["WAIT E_PRINTER_PAPER_OUT printed=38"]);
});

test("paper ends inside a feed; a holding printer prints it on refill and it is not sent again", async () => {
  const r = await runSlip({ paperLines: 29, onPaperOut: "hold" });
  assertWholeSlip(r);
  assert.equal(r.logs.filter((l) => l.startsWith("WAIT")), ["WAIT E_PRINTER_PAPER_OUT printed=28"]);
  assert.ok(r.logs.some((l) => l.includes("line 29 of 68 was printed on recovery")), r.logs.join("\n"));
  assert.is(countBytes(r.printer.received, FEED2), 2); // once per copy: never resent
});

test("paper ends inside a feed; a discarding printer dropped it, so it is sent again, once", async () => {
  const r = await runSlip({ paperLines: 29, onPaperOut: "discard" });
  assertWholeSlip(r);
  assert.ok(r.logs.some((l) => l.includes("line 29 of 68 was lost: printing it again")), r.logs.join("\n"));
  assert.is(countBytes(r.printer.received, FEED2), 3); // copy 1 twice (dropped, resent), copy 2 once
});

test("paper ends inside the three-line feed before the cut (discard)", async () => {
  const r = await runSlip({ paperLines: 35, onPaperOut: "discard" });
  assertWholeSlip(r);
  assert.ok(r.logs.some((l) => l.includes("line 33 of 68 was lost: printing it again")), r.logs.join("\n"));
  assert.is(countBytes(r.printer.received, FEED3), 3);
});

test("the driver waits for the refill itself (recoverWaitMs) while the clerk refills after 3 polls", async () => {
  for (const onPaperOut of ["hold", "discard"] as const)
    for (const paperLines of [20, 29, 35, 36, 37, 67]) {
      const r = await runWithPrinter("test/engine/fixtures/printer-auto.ts", { paperLines, onPaperOut, refillAfterPolls: 3 });
      assert.is(r.status, "exit", `${onPaperOut} ${paperLines}: ${r.error ?? r.logs.join("\n")}`);
      assert.equal(r.printer.text(), EXPECTED_SLIP, `${onPaperOut} ${paperLines}\n${r.logs.join("\n")}`);
      assert.ok(r.logs.includes(`DONE printed=${JOB_LINES} stray=0`), r.logs.join("\n"));
      assert.ok(r.logs.some((l) => l.includes("E_PRINTER_PAPER_OUT") && l.includes("waiting up to 120000 ms")), r.logs.join("\n"));
    }
});

test("cover opened mid-job: E_PRINTER_COVER_OPEN, the held line prints when the cover closes", async () => {
  const r = await runSlip({ coverOpenAfterLines: 10 });
  assertWholeSlip(r);
  assert.equal(r.logs.filter((l) => l.startsWith("WAIT")), ["WAIT E_PRINTER_COVER_OPEN printed=9"]);
  assert.ok(r.logs.some((l) => l.includes("line 10 of 68 was printed on recovery")), r.logs.join("\n"));
});

test("head overheated mid-job: E_PRINTER_OVERHEAT, printing continues once cooled", async () => {
  const r = await runSlip({ overheatAfterLines: 50 });
  assertWholeSlip(r);
  assert.equal(r.logs.filter((l) => l.startsWith("WAIT")), ["WAIT E_PRINTER_OVERHEAT printed=47"]);
});

test("two interruptions in one job: paper out, then the cover", async () => {
  const r = await runSlip({ paperLines: 29, onPaperOut: "discard", coverOpenAfterLines: 55 });
  assertWholeSlip(r);
  assert.is(r.logs.filter((l) => l.startsWith("WAIT")).length, 2, r.logs.join("\n"));
});

test.run();
