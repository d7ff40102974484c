/**
 * Typed errors from the printer driver in the engine: E_PRINTER_ENCODING before anything is printed,
 * E_PRINTER_COVER_OPEN, E_PRINTER_OVERHEAT, E_PRINTER_PAPER_OUT and E_PRINTER_TIMEOUT (printer off),
 * with the status flags the app shows. The fixture logs: its status read, a job with an emoji the GB
 * table lacks (unknownChar "error"), then a three-line job.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { countBytes, runWithPrinter } from "./fixtures/printer-expected.ts";
import type { VirtualPrinter, VirtualPrinterOptions } from "../../boards/sim/devices/printer.ts";

const FIXTURE = "test/engine/fixtures/printer-errors.ts";
const STEPS = ["STATUS", "PRINT1", "PRINT2"];
const JOB2 = ["第一行 line 1", "第二行 line 2", "第三行 line 3"];
const ACK_REQUEST = [0x1d, 0x72, 0x01];

async function outcomes(options: VirtualPrinterOptions, setup?: (p: VirtualPrinter) => void): Promise<{ printer: VirtualPrinter; steps: string[] }> {
  const r = await runWithPrinter(FIXTURE, options, undefined, setup);
  assert.is(r.status, "exit", r.error ?? r.logs.join("\n"));
  assert.is(r.exitCode, 0, r.logs.join("\n"));
  return { printer: r.printer, steps: r.logs.filter((l) => STEPS.some((s) => l.startsWith(s + " "))) };
}

test("healthy printer: an unknown character is E_PRINTER_ENCODING before any byte of its job goes out", async () => {
  const { printer, steps } = await outcomes({});
  assert.equal(steps, ["STATUS online=true paperOut=false nearEnd=false cover=false overheat=false", "PRINT1 E_PRINTER_ENCODING printed=0", "PRINT2 ok"]);
  // Job 1's valid first line was never sent; job 2 printed, one ack request per line.
  assert.equal(printer.text(), JOB2);
  assert.is(countBytes(printer.received, ACK_REQUEST), 3);
});

test("cover open before printing: the status shows it and print() is E_PRINTER_COVER_OPEN", async () => {
  const { printer, steps } = await outcomes({}, (p) => p.openCover());
  assert.equal(steps, ["STATUS online=false paperOut=false nearEnd=false cover=true overheat=false", "PRINT1 E_PRINTER_ENCODING printed=0", "PRINT2 E_PRINTER_COVER_OPEN printed=0"]);
  assert.equal(printer.text(), []);
  assert.is(countBytes(printer.received, ACK_REQUEST), 0);
});

test("cover opened after the first line: E_PRINTER_COVER_OPEN with that line unconfirmed (held by the printer)", async () => {
  const { printer, steps } = await outcomes({ coverOpenAfterLines: 1 });
  assert.equal(steps.slice(1), ["PRINT1 E_PRINTER_ENCODING printed=0", "PRINT2 E_PRINTER_COVER_OPEN printed=0"]);
  assert.equal(printer.text(), JOB2.slice(0, 1));
  assert.is(countBytes(printer.received, ACK_REQUEST), 1);
});

test("head overheated after two lines: E_PRINTER_OVERHEAT", async () => {
  const { printer, steps } = await outcomes({ overheatAfterLines: 2 });
  assert.equal(steps.slice(1), ["PRINT1 E_PRINTER_ENCODING printed=0", "PRINT2 E_PRINTER_OVERHEAT printed=1"]);
  assert.equal(printer.text(), JOB2.slice(0, 2));
});

test("overheated before printing: the status shows it", async () => {
  const { steps } = await outcomes({}, (p) => p.overheat());
  assert.equal(steps, ["STATUS online=false paperOut=false nearEnd=false cover=false overheat=true", "PRINT1 E_PRINTER_ENCODING printed=0", "PRINT2 E_PRINTER_OVERHEAT printed=0"]);
});

test("no paper at all: E_PRINTER_PAPER_OUT before any line is sent", async () => {
  const { printer, steps } = await outcomes({ paperLines: 0 });
  assert.equal(steps, ["STATUS online=true paperOut=true nearEnd=true cover=false overheat=false", "PRINT1 E_PRINTER_ENCODING printed=0", "PRINT2 E_PRINTER_PAPER_OUT printed=0"]);
  assert.is(countBytes(printer.received, ACK_REQUEST), 0);
});

test("a printer that answers nothing (switched off): E_PRINTER_TIMEOUT", async () => {
  const { steps } = await outcomes({ silent: true });
  assert.equal(steps, ["STATUS E_PRINTER_TIMEOUT printed=0", "PRINT1 E_PRINTER_ENCODING printed=0", "PRINT2 E_PRINTER_TIMEOUT printed=0"]);
});

test.run();
