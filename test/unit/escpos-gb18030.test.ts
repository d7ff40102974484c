/**
 * The GB code table: built from iconv-lite (build/resources.ts), provisioned into the sim flash's
 * resources partition, and read by the driver's GbCodeTable (engine code, run here on Node over the
 * same flash). Every GB2312 hanzi and symbol is looked up in random order and checked against
 * iconv-lite; damaged tables are refused; the encoder's bytes equal iconv-lite's.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import iconv from "iconv-lite";
import { loadBoard } from "../../build/board.ts";
import { buildCodeTable, buildResourcesImage, codeTableEntries, crc16 as nodeCrc16, provisionResources, GBK_NAME_HANZI } from "../../build/resources.ts";
import { SimFlash } from "../../boards/sim/devices/flash.ts";
import { GbCodeTable, crc16, encodeGb, textColumns } from "../../hal/escpos/gb18030.ts";

const board = loadBoard("sim");
const OFFSET = board.flash.partitions.resources!.first * board.flash.sectorSize;

/** The flash native over the simulator's NOR flash, as the prelude gives it to the engine. */
function nativeFlash(sim: SimFlash, reads?: { n: number }): Natives.Flash {
  return {
    sectorSize: sim.sectorSize,
    sectorCount: sim.sectorCount,
    read(offset, length, into) {
      if (reads) reads.n++;
      const d = sim.read(offset, length);
      if (into) {
        into.set(d);
        return into;
      }
      return d;
    },
    program: (o, d) => sim.program(o, d),
    erase: (s) => sim.erase(s),
  };
}

function provisioned(): SimFlash {
  const sim = new SimFlash(board.flash.sectorSize, board.flash.sectorCount);
  provisionResources(sim, board);
  return sim;
}

function code(s: string): number {
  const b = iconv.encode(s, "gb18030");
  return b.length === 2 ? (b[0]! << 8) | b[1]! : -1;
}

test("CRC-16/CCITT-FALSE check value 0x29B1 on both sides (Node build, engine driver)", () => {
  const v = new TextEncoder().encode("123456789");
  assert.is(nodeCrc16(v), 0x29b1);
  assert.is(crc16(v, 0, v.length, 0xffff), 0x29b1);
});

test("the table: GB2312 (6763 hanzi + symbols) and the GBK name hanzi, sorted, fits the partition", () => {
  const entries = codeTableEntries();
  assert.is(entries.filter(([, gb]) => gb >= 0xb0a1 && gb <= 0xf7fe && (gb & 0xff) >= 0xa1).length, 6763);
  for (let i = 1; i < entries.length; i++) assert.ok(entries[i]![0] > entries[i - 1]![0]);
  for (const ch of GBK_NAME_HANZI) assert.ok(entries.some(([cp, gb]) => cp === ch.charCodeAt(0) && gb === code(ch)), ch);
  const t = buildCodeTable(entries);
  assert.is(String.fromCharCode(...t.subarray(0, 4)), "U2GB");
  assert.is(new DataView(t.buffer).getUint32(8), entries.length);
  const { image, layout } = buildResourcesImage(board);
  assert.is(layout.codeTable.bytes, 16 + entries.length * 4);
  assert.ok(layout.codeTable.bytes <= image.length);
  assert.is(layout.partitionOffset, OFFSET);
});

test("provisioning writes the table at the start of the resources partition and nothing else", () => {
  const sim = provisioned();
  const t = buildCodeTable();
  assert.equal(sim.read(OFFSET, t.length), t);
  // Outside the table the flash stays erased.
  const rest = sim.read(OFFSET + t.length, 4096);
  assert.ok(rest.every((b) => b === 0xff));
  assert.ok(sim.read(0, OFFSET).every((b) => b === 0xff));
});

test("every GB2312 code (hanzi and symbols), looked up in random order, matches iconv-lite", () => {
  const reads = { n: 0 };
  const table = GbCodeTable.open(nativeFlash(provisioned(), reads), OFFSET);
  const afterOpen = reads.n;
  const codes: number[] = [];
  for (let lead = 0xa1; lead <= 0xf7; lead++) {
    if (lead >= 0xaa && lead <= 0xaf) continue;
    for (let trail = 0xa1; trail <= 0xfe; trail++) codes.push((lead << 8) | trail);
  }
  // Deterministic shuffle.
  let seed = 12345;
  for (let i = codes.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const j = seed % (i + 1);
    [codes[i], codes[j]] = [codes[j]!, codes[i]!];
  }
  let hanzi = 0;
  let checked = 0;
  for (const gb of codes) {
    const s = iconv.decode(Buffer.from([gb >> 8, gb & 0xff]), "gb18030");
    const cp = s.charCodeAt(0);
    if (s.length !== 1 || cp === 0xfffd || (cp >= 0xe000 && cp <= 0xf8ff)) continue; // user-defined / private use
    assert.is(table.lookup(cp), gb, `${s} U+${cp.toString(16)}`);
    checked++;
    if (gb >= 0xb0a1) hanzi++;
  }
  assert.is(hanzi, 6763);
  assert.ok(checked >= 7400, `${checked}`);
  // One flash read per lookup at most (the block buffer is reused).
  assert.ok(reads.n - afterOpen <= checked, `${reads.n - afterOpen} reads for ${checked} lookups`);
});

test("characters outside the table are -1: GBK-only, 4-byte GB18030, ASCII, outside the BMP", () => {
  const table = GbCodeTable.open(nativeFlash(provisioned()), OFFSET);
  for (const cp of [0x4e02, 0x4e04, 0x00a5, 0x0041, 0x0000, 0xffff, 0x20000 & 0xffff, 0xe000]) assert.is(table.lookup(cp), -1, cp.toString(16));
  assert.is(table.lookup(0x554a), 0xb0a1); // 啊, the first GB2312 hanzi
  assert.is(table.lookup(0x9f44), 0xf7fe); // 齄, the last
  assert.is(table.lookup(0x3000), 0xa1a1); // ideographic space
});

test("a missing or damaged table is refused with typed errors", () => {
  const throwsCode = (fn: () => unknown, c: string) => {
    try {
      fn();
    } catch (e) {
      assert.is((e as { code?: string }).code, c);
      return;
    }
    assert.unreachable(`expected ${c}`);
  };
  const erased = new SimFlash(board.flash.sectorSize, board.flash.sectorCount);
  throwsCode(() => GbCodeTable.open(nativeFlash(erased), OFFSET), "E_RESOURCE_MISSING");
  for (const at of [5, 9, 14, 16 + 4 * 1000 + 2, 16 + 4 * 7000]) {
    const sim = provisioned();
    sim.bytes[OFFSET + at] ^= 0x01; // one flipped bit, as a worn cell would
    throwsCode(() => GbCodeTable.open(nativeFlash(sim), OFFSET), "E_RESOURCE_CORRUPT");
  }
});

test("encodeGb gives iconv-lite's bytes; unknown characters become '?' or E_PRINTER_ENCODING", () => {
  const table = GbCodeTable.open(nativeFlash(provisioned()), OFFSET);
  const out = new Uint8Array(256);
  for (const s of ["本人确认以上交易，同意将其记入本卡账户", "金额(AMOUNT): RMB 128.00", "商户名称：上海浦东示范便利店", "￥1,234.56 — 喆堃"]) {
    const n = encodeGb(table, s, out, 0, "error");
    assert.equal(Array.from(out.subarray(0, n)), Array.from(iconv.encode(s, "gb18030")), s);
  }
  let n = encodeGb(table, "A丂B\u{1F600}C\tD", out, 0, "replace");
  assert.is(Buffer.from(out.subarray(0, n)).toString("latin1"), "A?B?C?D");
  n = encodeGb(table, "x", out, 10, "replace");
  assert.is(n, 11);
  try {
    encodeGb(table, "好丂", out, 0, "error");
    assert.unreachable("no error");
  } catch (e) {
    assert.is((e as { code?: string }).code, "E_PRINTER_ENCODING");
    assert.match((e as Error).message, "U+4E02");
  }
  assert.is(textColumns("POS签购单"), 9);
  assert.is(textColumns("a\u{1F600}"), 2);
});

test.run();
