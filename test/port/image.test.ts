/**
 * The native runtime builds from qjsc's QuickJS sources, and its images carry the engine and features
 * they were compiled for: the loader runs a matching image and refuses any other with a clear message.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { crc32 } from "node:zlib";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildPort } from "../../build/port.ts";
import { portBuild, readImageHeader, runPort, tempDir } from "./support.ts";

test("builds the QuickJS runtime and stamps the linux image; a second build compiles nothing", async () => {
  const b = await portBuild();
  const again = await buildPort({ board: "linux", engine: "quickjs" });
  assert.is(again.compiled, 0, "objects are cached");
  const info = await runPort(["--engine"]);
  assert.is(info.code, 0);
  assert.match(info.stdout, /^QuickJS 2021-03-27 quickjs-2021-03-27 kind 2 features 0x[0-9a-f]+/);
  const h = readImageHeader(b.image);
  assert.is(h.magic, "CUPIMG1");
  assert.is(h.kind, 2, "QuickJS bytecode");
  assert.is(h.engine, "quickjs-2021-03-27");
  assert.is(h.board, "linux");
  assert.is(`0x${h.features.toString(16)}`, /features (0x[0-9a-f]+)/.exec(info.stdout)![1]);
  // CRCs cross-checked with zlib's.
  assert.is(h.payloadLen, h.bytes.length - 64);
  assert.is(h.payloadCrc, crc32(h.bytes.subarray(64)) >>> 0);
  assert.is(h.headerCrc, crc32(h.bytes.subarray(0, 60)) >>> 0);
});

/** A copy of the image with header bytes changed (and the header CRC made valid again). */
function patched(image: string, edit: (b: Buffer) => void, fixCrc = true): string {
  const b = Buffer.from(readImageHeader(image).bytes);
  edit(b);
  if (fixCrc) b.writeUInt32LE(crc32(b.subarray(0, 60)) >>> 0, 60);
  const out = join(tempDir("img"), "firmware.img");
  writeFileSync(out, b);
  return out;
}

test("an image made for another engine is refused with a clear message, not run", async () => {
  const b = await portBuild();
  const img = patched(b.image, (x) => {
    x.fill(0, 16, 40);
    x.write("jerryscript-3.0", 16, "latin1");
    x.writeUInt32LE(3, 12);
  });
  const r = await runPort(["--quiet", img]);
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /refusing .*image mismatch: it holds JerryScript snapshot for jerryscript-3\.0 .* this runtime runs QuickJS bytecode for quickjs-2021-03-27/);
  assert.is(r.stdout, "", "nothing of the firmware ran");
});

test("an image with other features (a 32-bit build's bytecode) is refused", async () => {
  const b = await portBuild();
  const img = patched(b.image, (x) => x.writeUInt32LE(x.readUInt32LE(40) ^ 1, 40));
  const r = await runPort(["--quiet", img]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /image mismatch.*features/);
});

test("a corrupt payload or header is refused by its CRC", async () => {
  const b = await portBuild();
  const body = patched(b.image, (x) => (x[x.length - 5] ^= 0x40));
  const r1 = await runPort(["--quiet", body]);
  assert.is(r1.code, 2);
  assert.match(r1.stderr, /payload is corrupt/);
  const head = patched(b.image, (x) => (x[20] ^= 1), false);
  const r2 = await runPort(["--quiet", head]);
  assert.is(r2.code, 2);
  assert.match(r2.stderr, /header is corrupt/);
  const cut = patched(b.image, (x) => x.writeUInt32LE(x.readUInt32LE(44) + 1, 44));
  const r3 = await runPort(["--quiet", cut]);
  assert.is(r3.code, 2);
  assert.match(r3.stderr, /truncated/);
});

test("a source image (kind 1) runs on any engine", async () => {
  const dir = tempDir("src");
  const src = Buffer.from('print("hello from a source image", 6 * 7)');
  const head = Buffer.alloc(64);
  head.write("CUPIMG1", 0, "latin1");
  head.writeUInt16LE(64, 8);
  head.writeUInt16LE(1, 10);
  head.writeUInt32LE(1, 12);
  head.write("any", 16, "latin1");
  head.writeUInt32LE(src.length, 44);
  head.writeUInt32LE(crc32(src) >>> 0, 48);
  head.write("linux", 52, "latin1");
  head.writeUInt32LE(crc32(head.subarray(0, 60)) >>> 0, 60);
  const img = join(dir, "src.img");
  writeFileSync(img, Buffer.concat([head, src]));
  const r = await runPort(["--quiet", img]);
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.lines, ["hello from a source image 42"]);
});

test.run();
