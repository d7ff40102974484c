/**
 * The virtual ESC/POS printer (boards/sim/devices/printer.ts) against byte streams written here by
 * hand, and the driver's command writers and status decoder (hal/escpos/commands.ts) against the
 * spec's byte sequences (spec/devices.md §6.1) and the published status examples.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import iconv from "iconv-lite";
import jsQR from "jsqr";
import { VirtualPrinter, PAPER_DOTS, type VirtualPrinterOptions } from "../../boards/sim/devices/printer.ts";
import { decodeStatus, putQr, putStatusQuery, putStyle, statusError, isAckByte, isStatusByte } from "../../hal/escpos/commands.ts";

const gb = (s: string) => Array.from(iconv.encode(s, "gb18030"));
const ascii = (s: string) => Array.from(Buffer.from(s, "latin1"));

/** A slip head written byte by byte from the ESC/POS reference, not by the driver. */
const STREAM = [
  0x1b, 0x40, 0x1c, 0x26, // ESC @, FS &
  0x1b, 0x61, 0x01, 0x1b, 0x45, 0x01, 0x1d, 0x21, 0x11, ...gb("签购单"), 0x0a,
  0x10, 0x04, 0x04, // DLE EOT 4 in between
  0x1b, 0x61, 0x00, 0x1b, 0x45, 0x00, 0x1d, 0x21, 0x00, ...gb("商户名称："), ...ascii("ABC 123"), 0x0a,
  0x1d, 0x72, 0x01, // GS r 1
  0x1b, 0x64, 0x02, // ESC d 2
  0x1b, 0x61, 0x01,
  0x1d, 0x28, 0x6b, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00,
  0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x43, 0x04,
  0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x45, 0x31,
  0x1d, 0x28, 0x6b, 12 + 3, 0x00, 0x31, 0x50, 0x30, ...ascii("HELLO 123456"),
  0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x51, 0x30,
  0x1b, 0x61, 0x02, ...ascii("RMB 1.00"), 0x0a,
  0x1d, 0x56, 0x01,
];
const STREAM_TEXT = ["          签购单", "商户名称：ABC 123", "", "", "[QR] HELLO 123456", "                        RMB 1.00", "~~~~~~~~~~~~~~ cut ~~~~~~~~~~~~~"];

function feed(chunks: number[][], options: VirtualPrinterOptions = {}): { p: VirtualPrinter; answers: number[] } {
  const p = new VirtualPrinter(options);
  const answers: number[] = [];
  p.attach((b) => answers.push(...b));
  for (const c of chunks) p.receive(Uint8Array.from(c));
  return { p, answers };
}

async function settle(): Promise<void> {
  await new Promise((r) => setImmediate(r));
}

test("the stream renders the same whole, byte by byte, and in random pieces (commands split across writes)", async () => {
  const whole = feed([STREAM]);
  const bytewise = feed(STREAM.map((b) => [b]));
  let seed = 7;
  const pieces: number[][] = [];
  for (let i = 0; i < STREAM.length; ) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const n = 1 + (seed % 9);
    pieces.push(STREAM.slice(i, i + n));
    i += n;
  }
  const random = feed(pieces);
  await settle();
  for (const r of [whole, bytewise, random]) {
    assert.equal(r.p.text(), STREAM_TEXT);
    assert.equal(r.answers, [0x12, 0x00]); // DLE EOT 4 (paper fine), GS r 1 (paper fine)
    assert.equal(r.p.unsupported, []);
  }
  assert.equal(Array.from(bytewise.p.paper.dots().dots), Array.from(whole.p.paper.dots().dots));
  assert.equal(Array.from(random.p.paper.dots().dots), Array.from(whole.p.paper.dots().dots));
});

test("the QR code it prints decodes (jsQR) to the stored data", () => {
  const { p } = feed([STREAM]);
  const { width, height, dots } = p.paper.dots();
  const rgba = new Uint8ClampedArray(width * height * 4).fill(255);
  for (let i = 0; i < dots.length; i++) if (dots[i]) rgba.fill(0, i * 4, i * 4 + 3);
  const code = jsQR(rgba, width, height);
  assert.ok(code);
  assert.is(code!.data, "HELLO 123456");
  assert.is(width, PAPER_DOTS);
});

test("answers are never delivered inside the write call", async () => {
  const { answers } = feed([[0x10, 0x04, 0x01]]);
  assert.equal(answers, []);
  await settle();
  assert.equal(answers, [0x12]);
});

test("out of paper: DLE EOT 1, 2, 4 answer 1A, 32, 7E (spec §6.1 example); GS r waits until the refill", async () => {
  const { p, answers } = feed([[0x1b, 0x40, ...ascii("one"), 0x0a, ...ascii("two"), 0x0a, 0x1d, 0x72, 0x01]], { paperLines: 1 });
  await settle();
  assert.equal(p.text(), ["one"]);
  assert.not.ok(p.online);
  p.receive(Uint8Array.from([0x10, 0x04, 0x01, 0x10, 0x04, 0x02, 0x10, 0x04, 0x03, 0x10, 0x04, 0x04]));
  await settle();
  assert.equal(answers, [0x1a, 0x32, 0x12, 0x7e]);
  const s = decodeStatus(0x1a, 0x32, 0x12, 0x7e);
  assert.ok(s.paperOut && !s.online && s.paperNearEnd && !s.coverOpen && !s.overheat);
  assert.is(statusError(s, "")!.code, "E_PRINTER_PAPER_OUT");
  p.refill();
  await settle();
  assert.equal(p.text(), ["one", "two"]);
  assert.equal(answers.slice(4), [0x00]); // the held GS r 1, answered after the held line printed
});

test("a discarding printer drops the held line and its GS r", async () => {
  const { p, answers } = feed([[...ascii("one"), 0x0a, ...ascii("two"), 0x0a, 0x1d, 0x72, 0x01]], { paperLines: 1, onPaperOut: "discard" });
  p.receive(Uint8Array.from([...ascii("three"), 0x0a])); // received while stopped: dropped too
  p.refill();
  p.receive(Uint8Array.from([...ascii("four"), 0x0a, 0x1d, 0x72, 0x01]));
  await settle();
  assert.equal(p.text(), ["one", "four"]);
  assert.equal(answers, [0x00]);
});

test("the GS r answer reports near end and the end of the roll after its last line", async () => {
  const { answers } = feed([[...ascii("a"), 0x0a, 0x1d, 0x72, 0x01, ...ascii("b"), 0x0a, 0x1d, 0x72, 0x01, ...ascii("c"), 0x0a, 0x1d, 0x72, 0x01]], { paperLines: 3, nearEndLines: 1 });
  await settle();
  assert.equal(answers, [0x00, 0x03, 0x0f]);
  for (const a of answers) assert.ok(isAckByte(a) && !isStatusByte(a));
});

test("cover open and overheat: offline, status bits, held data printed after recovery", async () => {
  const q = [0x10, 0x04, 0x01, 0x10, 0x04, 0x02, 0x10, 0x04, 0x03, 0x10, 0x04, 0x04];
  const { p, answers } = feed([]);
  p.openCover();
  p.receive(Uint8Array.from([...ascii("held"), 0x0a, ...q]));
  await settle();
  assert.equal(answers, [0x1a, 0x16, 0x12, 0x12]);
  assert.is(statusError(decodeStatus(answers[0]!, answers[1]!, answers[2]!, answers[3]!), "")!.code, "E_PRINTER_COVER_OPEN");
  assert.equal(p.text(), []);
  p.closeCover();
  assert.equal(p.text(), ["held"]);
  p.overheat();
  p.receive(Uint8Array.from(q));
  await settle();
  assert.equal(answers.slice(4), [0x1a, 0x52, 0x52, 0x12]);
  const s = decodeStatus(0x1a, 0x52, 0x52, 0x12);
  assert.ok(s.overheat && s.error && !s.online);
  assert.is(statusError(s, "")!.code, "E_PRINTER_OVERHEAT");
  // escpos-rs's published example: offline cause 0b01011110 = cover open, feed button, error.
  const e = decodeStatus(0x12, 0x5e, 0x12, 0x12);
  assert.ok(e.coverOpen && e.error);
});

test("Chinese mode off (FS .) prints bytes above 0x7F as '?'; long lines wrap at 384 dots", () => {
  const { p } = feed([[0x1c, 0x2e, ...gb("中"), 0x0a, 0x1c, 0x26, ...ascii("x".repeat(40)), 0x0a, 0x1d, 0x21, 0x10, ...gb("一二三四五六七八九"), 0x0a]]);
  assert.equal(p.text(), ["??", "x".repeat(32), "x".repeat(8), "一二三四五六七八", "九"]);
});

test("the driver's command bytes are the spec's", () => {
  const out = new Uint8Array(64);
  let n = putStyle(out, 0, "center", true, true, true);
  assert.equal(Array.from(out.subarray(0, n)), [0x1b, 0x61, 0x01, 0x1b, 0x45, 0x01, 0x1d, 0x21, 0x11]);
  n = putStatusQuery(out, 0);
  assert.equal(Array.from(out.subarray(0, n)), [0x10, 0x04, 0x01, 0x10, 0x04, 0x02, 0x10, 0x04, 0x03, 0x10, 0x04, 0x04]);
  n = putQr(out, 0, "AB", 6, "H");
  assert.equal(Array.from(out.subarray(0, n)), [
    0x1d, 0x28, 0x6b, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00,
    0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x43, 0x06,
    0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x45, 0x33,
    0x1d, 0x28, 0x6b, 0x05, 0x00, 0x31, 0x50, 0x30, 0x41, 0x42,
    0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x51, 0x30,
  ]);
  try {
    putQr(out, 0, "中", 6, "M");
    assert.unreachable("no error");
  } catch (e) {
    assert.is((e as { code?: string }).code, "E_PRINTER_ENCODING");
  }
});

test.run();
