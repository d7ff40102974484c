/**
 * The China bank-card sales slip (签购单), both copies, printed by the ESC/POS driver inside the engine
 * onto the virtual printer: exact text (Chinese included), the PNG image (size, glyph dots where the
 * Chinese characters are, a QR code that a real decoder reads), and what went over the wire.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import iconv from "iconv-lite";
import jsQR from "jsqr";
import { PNG } from "pngjs";
import { ROOT } from "../../build/board.ts";
import { printerGlyph } from "../../boards/sim/devices/printer/font.ts";
import { CUT_MARK, PAPER_DOTS, type Band } from "../../boards/sim/devices/printer.ts";
import { EXPECTED_SLIP, JOB_LINES, countBytes, runWithPrinter, type PrinterRun } from "./fixtures/printer-expected.ts";

const PNG_PATH = join(ROOT, "dist/test/printer-slip.png");
let run: PrinterRun;

test.before(async () => {
  run = await runWithPrinter("test/engine/fixtures/printer-slip.ts");
  if (process.env.ENGINE_LOG) console.log(`  printer-slip: ${run.wallMs.toFixed(0)} ms, peak heap ${run.memory.peakHeapBytes} B`);
});

test("the engine prints the whole job and exits cleanly", () => {
  assert.is(run.status, "exit", run.error ?? run.logs.join("\n"));
  assert.is(run.exitCode, 0, run.logs.join("\n"));
  assert.ok(run.logs.includes(`DONE printed=${JOB_LINES} stray=0`), run.logs.join("\n"));
  assert.ok(run.memory.peakHeapBytes < run.memory.heapLimitBytes, `peak heap ${run.memory.peakHeapBytes} B`);
  assert.equal(run.printer.unsupported, []);
});

test("the slip renders to exactly the expected text, Chinese included", () => {
  assert.equal(run.printer.text(), EXPECTED_SLIP);
});

test("the wire carries GB18030 bytes, one ack request per line, and status only at job start", () => {
  const rx = run.printer.received;
  // Chinese mode on, and the title's hanzi as GB two-byte codes (from iconv-lite, not from our table).
  assert.ok(countBytes(rx, [0x1c, 0x26]) >= 1);
  assert.is(countBytes(rx, iconv.encode("签购单", "gb18030")), 2);
  assert.is(countBytes(rx, iconv.encode("本人确认以上交易，", "gb18030")), 2);
  assert.is(countBytes(rx, [0x1d, 0x72, 0x01]), JOB_LINES);
  assert.is(countBytes(rx, [0x10, 0x04, 0x01]), 1);
  assert.is(countBytes(rx, [0x1d, 0x56, 0x01]), 2);
  // Both copies' QR codes: store (pL = data + 3) and print.
  assert.is(countBytes(rx, [0x1d, 0x28, 0x6b, 47 + 3, 0, 0x31, 0x50, 0x30]), 2);
  assert.is(countBytes(rx, [0x1d, 0x28, 0x6b, 3, 0, 0x31, 0x51, 0x30]), 2);
});

function ink(dots: Uint8Array, x0: number, y0: number, x1: number, y1: number): number {
  let n = 0;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) n += dots[y * PAPER_DOTS + x]!;
  return n;
}

test("the PNG is 384 dots wide, as tall as its rows, and saved for a person to look at", () => {
  const png = run.printer.png();
  mkdirSync(join(ROOT, "dist/test"), { recursive: true });
  writeFileSync(PNG_PATH, png);
  const img = PNG.sync.read(readFileSync(PNG_PATH));
  assert.is(img.width, 384);
  const bands = run.printer.paper.bands();
  assert.is(bands.length, EXPECTED_SLIP.length);
  // Heights from the expected text: 30-dot rows, 54 for the three double-height lines, 24 for a cut.
  const tall = new Set(["       POS签购单", "  消费(SALE)", "            RMB 128.00"]);
  let height = 0;
  EXPECTED_SLIP.forEach((line, i) => {
    const h = line === CUT_MARK ? 24 : line.startsWith("[QR]") ? bands[i]!.row.height : tall.has(line) ? 54 : 30;
    assert.is(bands[i]!.row.height, h, `row ${i} "${line}"`);
    height += h;
  });
  assert.is(img.height, height);
  // Black and white only.
  for (let i = 0; i < img.data.length; i += 4) assert.ok(img.data[i] === 0 || img.data[i] === 255);
});

test("Chinese glyph dots sit in the right rows and columns", () => {
  const { dots } = run.printer.paper.dots();
  const bands = run.printer.paper.bands();
  const band = (i: number): Band => bands[i]!;
  // Row 1, "     商户存根 MERCHANT COPY": centred, 264 dots wide, so 商 occupies x 60..83, y baseline-24..baseline.
  const b1 = band(1);
  const base = b1.y1 - 6;
  const glyph = printerGlyph("商", 2);
  let same = 0;
  for (let y = 0; y < 24; y++) for (let x = 0; x < 24; x++) same += dots[(base - 24 + y) * PAPER_DOTS + 60 + x] === glyph.dots[y * 24 + x] ? 1 : 0;
  assert.is(same, 24 * 24, "商 cell differs from the font glyph");
  const inkShang = ink(dots, 60, base - 24, 84, base);
  assert.ok(inkShang > 40, `商 has ${inkShang} dots`);
  // Nothing left of the centred text, nothing in the line spacing, nothing in feed rows.
  assert.is(ink(dots, 0, b1.y0, 60, b1.y1), 0);
  assert.is(ink(dots, 0, base, PAPER_DOTS, b1.y1), 0);
  const feeds = bands.filter((b) => b.row.kind === "feed");
  assert.is(feeds.length, 10);
  for (const f of feeds) assert.is(ink(dots, 0, f.y0, PAPER_DOTS, f.y1), 0);
  // 商 and 户 are different glyphs (not a font's missing-glyph box twice).
  assert.not.equal(Array.from(printerGlyph("户", 2).dots), Array.from(glyph.dots));
  // Row 0, the double-size bold title: 签 is 48 x 48 dots at x 84 + 3*24 = 156, with ink over ~40 rows.
  const b0 = band(0);
  let rows = 0;
  for (let y = b0.y0; y < b0.y1; y++) if (ink(dots, 156, y, 204, y + 1) > 0) rows++;
  assert.ok(rows >= 40, `double-height title spans ${rows} dot rows`);
  // Every text row with a hanzi has ink; the amount line is right-aligned to the paper's edge.
  EXPECTED_SLIP.forEach((line, i) => {
    if (/[\u4e00-\u9fa5]/.test(line)) assert.ok(ink(dots, 0, band(i).y0, PAPER_DOTS, band(i).y1) > 100, `row ${i} ${line}`);
  });
  const amount = band(EXPECTED_SLIP.indexOf("            RMB 128.00"));
  assert.is(ink(dots, 0, amount.y0, 144, amount.y1), 0);
  assert.ok(ink(dots, 360, amount.y0, 384, amount.y1) > 0);
});

test("the printed QR code decodes (jsQR) to the data the driver sent", () => {
  const { dots } = run.printer.paper.dots();
  const qrBands = run.printer.paper.bands().filter((b) => b.row.kind === "qr");
  assert.is(qrBands.length, 2);
  for (const b of qrBands) {
    const h = b.y1 - b.y0 + 40;
    const rgba = new Uint8ClampedArray(PAPER_DOTS * h * 4).fill(255);
    for (let y = 0; y < b.y1 - b.y0; y++)
      for (let x = 0; x < PAPER_DOTS; x++) if (dots[(b.y0 + y) * PAPER_DOTS + x]) rgba.fill(0, ((y + 20) * PAPER_DOTS + x) * 4, ((y + 20) * PAPER_DOTS + x) * 4 + 3);
    const code = jsQR(rgba, PAPER_DOTS, h);
    assert.ok(code, "jsQR found no QR code");
    assert.is(code!.data, "https://pos.example.cn/e/898310154110001/000123");
    assert.is(b.row.kind === "qr" && b.row.size, 17 + 4 * code!.version);
  }
});

test.run();
