/**
 * The power-fail-safe store under thousands of power cuts: after every cut and remount, each key holds
 * either what it held before the interrupted change or what the change wrote (all keys of a multi-key
 * commit together), and every change that completed is still there.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { SimFlash } from "../../../boards/sim/devices/flash.ts";
import { FlashLog, StoreError } from "../../../firmware/store/flash-log.ts";
import { crc32 } from "../../../firmware/core/crc32.ts";
import { crc32 as zlibCrc32 } from "node:zlib";
import { rng } from "../../support.ts";

class PowerCut extends Error {}

/** SimFlash as the natives see it, throwing when a scheduled cut tears an operation. */
function nativeFlash(sim: SimFlash): Natives.Flash {
  return {
    sectorSize: sim.sectorSize,
    sectorCount: sim.sectorCount,
    read: (o, n, into) => {
      const b = sim.read(o, n);
      if (into) {
        into.set(b);
        return into;
      }
      return b;
    },
    program: (o, d) => {
      sim.program(o, d);
      if (sim.takePowerCut()) throw new PowerCut();
    },
    erase: (s) => {
      sim.erase(s);
      if (sim.takePowerCut()) throw new PowerCut();
    },
  };
}


const hex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString("hex") : "-");

test("crc32 matches zlib's", () => {
  const r = rng(7);
  for (let i = 0; i < 200; i++) {
    const b = new Uint8Array(Math.floor(r() * 300)).map(() => Math.floor(r() * 256));
    assert.is(crc32(b), zlibCrc32(b) >>> 0);
    const cut = Math.floor(r() * b.length);
    assert.is(crc32(b, cut, b.length - cut, crc32(b, 0, cut)), zlibCrc32(b) >>> 0, "chained");
  }
  assert.is(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
});

test("put, get, delete, multi-key commit and remount", () => {
  const sim = new SimFlash(4096, 8);
  const f = nativeFlash(sim);
  const log = new FlashLog(f, 2, 4);
  log.put(1, new Uint8Array([1, 2, 3]));
  log.put(2, new Uint8Array([9]));
  log.commit([
    { key: 1, value: new Uint8Array([4]) },
    { key: 3, value: new Uint8Array(100).fill(7) },
    { key: 2, value: undefined },
  ]);
  const again = new FlashLog(f, 2, 4);
  assert.equal(again.keys(), [1, 3]);
  assert.is(hex(again.get(1)), "04");
  assert.is(again.get(3)!.length, 100);
  assert.is(again.get(2), undefined);
  // Sectors outside the partition are untouched.
  assert.ok(sim.bytes.subarray(0, 2 * 4096).every((b) => b === 0xff));
  assert.ok(sim.bytes.subarray(6 * 4096).every((b) => b === 0xff));
});

test("compaction keeps live data through many rewrites; full store gives E_STORE_FULL", () => {
  const f = nativeFlash(new SimFlash(4096, 4));
  const log = new FlashLog(f, 0, 4);
  for (let i = 0; i < 3000; i++) log.put(i % 20, new Uint8Array(40).fill(i & 0xff));
  assert.ok(log.stats().compactions > 10, `compactions ${log.stats().compactions}`);
  const again = new FlashLog(f, 0, 4);
  for (let k = 0; k < 20; k++) assert.is(again.get(k)![0], (2980 + k) & 0xff);
  let err: unknown;
  try {
    for (let k = 100; k < 1000; k++) again.put(k, new Uint8Array(200));
  } catch (e) {
    err = e;
  }
  assert.instance(err, StoreError);
  assert.is((err as StoreError).code, "E_STORE_FULL");
  // What was stored before the store filled up is intact.
  const third = new FlashLog(f, 0, 4);
  for (let k = 0; k < 20; k++) assert.is(third.get(k)![0], (2980 + k) & 0xff);
});

test("a record too big for a sector and a bad key are typed errors", () => {
  const log = new FlashLog(nativeFlash(new SimFlash(4096, 2)), 0, 2);
  assert.throws(() => log.put(1, new Uint8Array(5000)), (e: StoreError) => e.code === "E_STORE_RECORD_TOO_BIG");
  assert.throws(() => log.put(-1, new Uint8Array(1)), (e: StoreError) => e.code === "E_STORE_KEY");
  assert.throws(() => log.put(70000, new Uint8Array(1)), (e: StoreError) => e.code === "E_STORE_KEY");
});

test("power cuts at random points: every change is all-or-nothing, completed ones survive", () => {
  const CUTS = Number(process.env.STORE_CUTS ?? 3000);
  const r = rng(20261122);
  const sim = new SimFlash(1024, 8);
  const f = nativeFlash(sim);
  let log = new FlashLog(f, 1, 6);
  const model = new Map<number, string>();
  let cuts = 0;
  let ops = 0;
  while (cuts < CUTS) {
    // One change: 1-3 keys, puts or deletes, values of 0-150 bytes.
    const n = 1 + Math.floor(r() * 3);
    const changes = [];
    for (let i = 0; i < n; i++) {
      const key = Math.floor(r() * 12);
      const value = r() < 0.15 ? undefined : new Uint8Array(Math.floor(r() * 150)).map(() => Math.floor(r() * 256));
      changes.push({ key, value });
    }
    const after = new Map(model);
    for (const c of changes) if (c.value) after.set(c.key, hex(c.value));
    else after.delete(c.key);
    if (r() < 0.3) sim.scheduleCut({ atOperation: 1 + Math.floor(r() * 3), landedBytes: Math.floor(r() * 200) });
    try {
      log.commit(changes);
      ops++;
      for (const [k, v] of after) model.set(k, v);
      for (const k of [...model.keys()]) if (!after.has(k)) model.delete(k);
      sim.scheduleCut({ atOperation: 1e12 });
    } catch (e) {
      if (!(e instanceof PowerCut)) throw e;
      cuts++;
      // Mounting writes too (it marks torn records dead): cut that sometimes as well.
      for (;;) {
        if (r() < 0.2) sim.scheduleCut({ atOperation: 1, landedBytes: Math.floor(r() * 4) });
        try {
          log = new FlashLog(f, 1, 6);
          sim.scheduleCut({ atOperation: 1e12 });
          break;
        } catch (m) {
          if (!(m instanceof PowerCut)) throw m;
          cuts++;
        }
      }
      const got = new Map(log.keys().map((k) => [k, hex(log.get(k))]));
      const same = (m: Map<number, string>) => m.size === got.size && [...m].every(([k, v]) => got.get(k) === v);
      if (same(after)) {
        for (const [k, v] of after) model.set(k, v);
        for (const k of [...model.keys()]) if (!after.has(k)) model.delete(k);
      } else assert.ok(same(model), `cut ${cuts}: state is neither before nor after the change`);
    }
  }
  console.log(`    store: ${cuts} power cuts survived over ${ops} completed changes`);
});

test.run();
