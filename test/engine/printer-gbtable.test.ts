/**
 * The GB code table in flash, looked up by the driver's GbCodeTable inside the engine for all 20,902
 * CJK Unified Ideographs (U+4E00..U+9FA5) and the symbol blocks, checked on Node against iconv-lite:
 * every pair found must be iconv-lite's GB18030 code, every GB2312 hanzi (all 6763) must be found,
 * and nothing the table does not hold may be invented.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import iconv from "iconv-lite";
import { codeTableEntries } from "../../build/resources.ts";
import { runWithPrinter, type PrinterRun } from "./fixtures/printer-expected.ts";

let run: PrinterRun;
const found = new Map<number, number>();

test.before(async () => {
  run = await runWithPrinter("test/engine/fixtures/printer-gbtable.ts");
  for (const line of run.logs) {
    if (!line.startsWith("PAIRS ")) continue;
    const hex = line.slice(6);
    for (let i = 0; i < hex.length; i += 8) found.set(parseInt(hex.slice(i, i + 4), 16), parseInt(hex.slice(i + 4, i + 8), 16));
  }
  if (process.env.ENGINE_LOG) console.log(`  gbtable: ${run.wallMs.toFixed(0)} ms wall for the engine run`);
});

test("the engine run looked up every code point of the ranges", () => {
  assert.is(run.status, "exit", run.error ?? run.logs.join("\n"));
  assert.is(run.exitCode, 0, run.logs.join("\n"));
  const summary = run.logs.find((l) => l.startsWith("LOOKED "));
  assert.ok(run.logs.includes(`SCRAMBLED ${found.size} mismatches=0`), run.logs.join("\n"));
  assert.is(summary, `LOOKED ${0x4ff - 0xa0 + 1 + 0x26ff - 0x2000 + 1 + 0x33ff - 0x3000 + 1 + 0x9fa5 - 0x4e00 + 1 + 0xffef - 0xfe30 + 1} FOUND ${found.size}`);
});

test("every GB2312 hanzi (B0A1..F7FE, 6763) is found with iconv-lite's code", () => {
  let n = 0;
  for (let lead = 0xb0; lead <= 0xf7; lead++)
    for (let trail = 0xa1; trail <= 0xfe; trail++) {
      if (lead === 0xd7 && trail >= 0xfa) continue; // the five empty cells of row 55
      const ch = iconv.decode(Buffer.from([lead, trail]), "gb18030");
      assert.is(found.get(ch.charCodeAt(0)), (lead << 8) | trail, `${ch} U+${ch.charCodeAt(0).toString(16)}`);
      n++;
    }
  assert.is(n, 6763);
});

test("every pair the engine found is iconv-lite's GB18030 encoding of that character", () => {
  assert.ok(found.size > 7400, `${found.size} pairs`);
  for (const [cp, gb] of found) {
    const b = iconv.encode(String.fromCharCode(cp), "gb18030");
    assert.is(b.length, 2, `U+${cp.toString(16)}`);
    assert.is((b[0]! << 8) | b[1]!, gb, `U+${cp.toString(16)}`);
  }
});

test("what the engine did not find is not in the table (no false negatives from the search)", () => {
  const inRanges = codeTableEntries().filter(([cp]) => (cp >= 0xa0 && cp <= 0x4ff) || (cp >= 0x2000 && cp <= 0x26ff) || (cp >= 0x3000 && cp <= 0x33ff) || (cp >= 0x4e00 && cp <= 0x9fa5) || (cp >= 0xfe30 && cp <= 0xffef));
  assert.is(found.size, inRanges.length);
  // GBK-only hanzi outside the chosen name list stay unknown: 丂 (GBK 8140), 丄 (8141).
  assert.is(found.get(0x4e02), undefined);
  assert.is(found.get(0x4e04), undefined);
  // The GBK name hanzi that were added are found: 喆 (86B4), 堃 (88D2).
  assert.is(found.get(0x5586), 0x86b4);
  assert.is(found.get(0x5803), 0x88d2);
});

test.run();
