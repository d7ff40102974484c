/**
 * The fuzzing kit shared by the decoder fuzzers (issue #10): a seeded PRNG, structure-aware mutations of valid
 * inputs, one loop that classifies every outcome (a valid result, a typed error with an allowed code, or a
 * failure that names the input in hex so it can become a regression test), and the figures per decoder that go
 * into the reliability report (test/reliability/report.ts, part "3-fuzz").
 *
 * Time is measured, never asserted: the slowest input and its size are reported (a hang would show as a test
 * that never ends, a quadratic path as a slowest input far above the rest). Memory is bounded by assertions on
 * the output size derived from the input size, which each target states.
 *
 * FUZZ_SCALE (default 1) multiplies every iteration count for a long run.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../build/board.ts";
import { recordReliability, REPORT_DIR } from "../reliability/report.ts";

export const SCALE = Math.max(0.01, Number(process.env.FUZZ_SCALE ?? 1));
export const iterations = (base: number): number => Math.max(1, Math.round(base * SCALE));

/** xorshift32, seeded: a failing iteration replays from its seed. */
export class Rand {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  next(): number {
    let s = this.s;
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    this.s = s;
    return s / 0x100000000;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]!;
  }
  bytes(n: number, special = SPECIAL): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.int(4) === 0 ? this.pick(special) : this.int(256);
    return b;
  }
}

/** Bytes that hit boundaries: BER length forms, tag escapes, F padding, ASCII digits/separators, CR/LF, sync. */
export const SPECIAL = [0x00, 0x01, 0x7f, 0x80, 0x81, 0x82, 0x83, 0x84, 0xff, 0xfe, 0x1f, 0x3f, 0x5f, 0x9f, 0xbf, 0xdf, 0x30, 0x39, 0x3d, 0x44, 0x0d, 0x0a, 0x3e, 0x20, 0xa5, 0x5a, 0x70, 0x99, 0x9a];

export interface MutateOptions {
  /** Offsets of length fields in the seed (a BER length, a 2-byte frame length, an LLVAR prefix ...). */
  lengths?: number[];
}

/**
 * 1-4 mutations of `src`: bit flip, byte set (random or special), truncation, insertion, deletion, a run
 * duplicated, a length field pushed past the end / set huge, garbage appended, a nested header prefixed.
 */
export function mutate(r: Rand, src: Uint8Array, o: MutateOptions = {}): Uint8Array {
  let b = Array.from(src);
  const n = 1 + r.int(4);
  for (let k = 0; k < n; k++) {
    const at = b.length ? r.int(b.length) : 0;
    switch (r.int(11)) {
      case 0:
        if (b.length) b[at] = b[at]! ^ (1 << r.int(8));
        break;
      case 1:
        if (b.length) b[at] = r.pick(SPECIAL);
        break;
      case 2:
        if (b.length) b[at] = r.int(256);
        break;
      case 3:
        b = b.slice(0, at);
        break;
      case 4:
        b.splice(at, 0, ...r.bytes(1 + r.int(8)));
        break;
      case 5:
        b.splice(at, 1 + r.int(8));
        break;
      case 6: {
        const from = r.int(b.length + 1);
        b.splice(at, 0, ...b.slice(from, from + 1 + r.int(32)));
        break;
      }
      case 7:
      case 8: {
        // A length field: past the end, huge, zero, or one off.
        const ls = o.lengths && o.lengths.length ? o.lengths : [at];
        const i = r.pick(ls);
        if (i >= b.length) break;
        const v = b[i]!;
        b[i] = r.pick([0x00, 0xff, 0x7f, 0x80, 0x81, 0x82, 0x83, 0x84, (v + 1) & 255, (v - 1) & 255, (v + 16) & 255, 0x99]);
        break;
      }
      case 9:
        b.push(...r.bytes(1 + r.int(64)));
        break;
      default: {
        // Nested headers: the first bytes repeated in front (deep templates, frames in frames).
        const head = b.slice(0, 2 + r.int(3));
        const times = 1 + r.int(12);
        for (let t = 0; t < times; t++) b.unshift(...head);
      }
    }
  }
  return Uint8Array.from(b);
}

export interface FuzzRow {
  decoder: string;
  /** "node" or "engine (QuickJS)". */
  where: string;
  iterations: number;
  typed: number;
  valid: number;
  codes: Record<string, number>;
  slowestMs: number;
  slowestSize: number;
  totalMs: number;
}

export interface FuzzTarget<T> {
  name: string;
  iterations: number;
  seed: number;
  /** The input of iteration `it`. */
  input(r: Rand, it: number): T;
  /** Decodes; returns the output size (for the bound) or nothing. */
  run(input: T, r: Rand): number | void;
  /** Allowed error codes (exact, or prefixes ending in "*"). */
  codes: string[];
  /** Largest output size allowed for an input (memory bound); default: no bound checked. */
  bound?(input: T): number;
  /** For the failure message. */
  show?(input: T): string;
  /** Input size for the slowest-input figure. */
  size?(input: T): number;
}

export function codeAllowed(code: unknown, allowed: string[]): boolean {
  if (typeof code !== "string") return false;
  return allowed.some((a) => (a.endsWith("*") ? code.startsWith(a.slice(0, -1)) : code === a));
}

const hexOf = (b: unknown): string => (b instanceof Uint8Array ? Buffer.from(b).toString("hex") : JSON.stringify(b));

/** Runs a target; throws (failing the test) on an untyped error, a disallowed code or an output over its bound. */
export function fuzz<T>(t: FuzzTarget<T>): FuzzRow {
  const r = new Rand(t.seed);
  const row: FuzzRow = { decoder: t.name, where: "node", iterations: 0, typed: 0, valid: 0, codes: {}, slowestMs: 0, slowestSize: 0, totalMs: 0 };
  const show = t.show ?? hexOf;
  const size = t.size ?? ((x: T) => (x instanceof Uint8Array || typeof x === "string" ? x.length : 0));
  const t0 = performance.now();
  for (let it = 0; it < t.iterations; it++) {
    const input = t.input(r, it);
    const ts = performance.now();
    let out: number | void = undefined;
    try {
      out = t.run(input, r);
      row.valid++;
    } catch (e) {
      const code = (e as { code?: unknown } | undefined)?.code;
      if (!(e instanceof Error) || !codeAllowed(code, t.codes)) {
        throw new Error(`${t.name} (seed ${t.seed}) iteration ${it}: ${e instanceof Error ? e.stack : String(e)}\n  on input ${show(input)}`);
      }
      row.typed++;
      row.codes[code as string] = (row.codes[code as string] ?? 0) + 1;
    }
    const dt = performance.now() - ts;
    if (dt > row.slowestMs) {
      row.slowestMs = dt;
      row.slowestSize = size(input);
    }
    if (typeof out === "number" && t.bound) {
      const max = t.bound(input);
      if (out > max) throw new Error(`${t.name} iteration ${it}: output ${out} over its bound ${max} on input ${show(input)}`);
    }
    row.iterations++;
  }
  row.totalMs = performance.now() - t0;
  console.log(
    `  fuzz ${t.name}: ${row.iterations} in ${row.totalMs.toFixed(0)} ms, ${row.valid} valid, ${row.typed} typed ${JSON.stringify(row.codes)}, slowest ${row.slowestMs.toFixed(2)} ms (${row.slowestSize} B)`,
  );
  return row;
}

// ---- the report --------------------------------------------------------------------------------------------

const ROWS = join(REPORT_DIR, "reliability", "fuzz-rows");
const LONG = join(ROOT, "test", "fuzz", "long-run.json");

function codesText(c: Record<string, number>): string {
  const e = Object.entries(c).sort((a, b) => b[1] - a[1]);
  return e.length ? e.map(([k, v]) => `${k} ${v}`).join(", ") : "-";
}

/**
 * Records the rows of one fuzz file and rebuilds the "3-fuzz" section from every file's rows present (each test
 * file runs in its own uvu suite, so rows are kept per file). A long run (FUZZ_SCALE > 1) also keeps its rows in
 * test/fuzz/long-run.json, shown under the CI table.
 */
export function recordFuzzRows(file: string, rows: FuzzRow[]): void {
  mkdirSync(ROWS, { recursive: true });
  writeFileSync(join(ROWS, `${file}.rows`), JSON.stringify(rows));
  if (SCALE > 1) {
    let long: Record<string, { scale: number; at: string; rows: FuzzRow[] }> = {};
    try {
      long = JSON.parse(readFileSync(LONG, "utf8"));
    } catch {
      // first long run
    }
    long[file] = { scale: SCALE, at: new Date().toISOString(), rows };
    writeFileSync(LONG, JSON.stringify(long, null, 1) + "\n");
  }
  const all: FuzzRow[] = [];
  for (const n of readdirSync(ROWS).filter((x) => x.endsWith(".rows")).sort()) all.push(...(JSON.parse(readFileSync(join(ROWS, n), "utf8")) as FuzzRow[]));
  const head = ["decoder", "where", "iterations", "typed errors", "valid results", "slowest input", "codes seen"];
  const line = (x: FuzzRow) => [x.decoder, x.where, x.iterations, x.typed, x.valid, `${x.slowestMs.toFixed(2)} ms (${x.slowestSize} B)`, codesText(x.codes)];
  const table: Array<Array<string | number>> = [head, ...all.map(line)];
  const total = all.reduce((s, x) => s + x.iterations, 0);
  const ms = all.reduce((s, x) => s + x.totalMs, 0);
  const notes = [
    `This run: ${total} inputs over ${all.length} decoders in ${(ms / 1000).toFixed(1)} s of fuzz time (FUZZ_SCALE=${SCALE}); every input gave a valid result or a typed error with an allowed code (the test fails otherwise).`,
    "Inputs: seeded random bytes and structure-aware mutations of valid inputs (bit flips, byte sets, truncations, insertions, deletions, duplicated runs, length fields pushed past the end or set huge, nested headers).",
    "Time is reported, not asserted (slowest input and its size); memory is asserted per decoder as an output bound derived from the input size.",
  ];
  try {
    const long = JSON.parse(readFileSync(LONG, "utf8")) as Record<string, { scale: number; at: string; rows: FuzzRow[] }>;
    for (const [f, v] of Object.entries(long)) {
      notes.push(
        `Long run (FUZZ_SCALE=${v.scale}, ${v.at}, ${f}): ` +
          v.rows.map((x) => `${x.decoder} [${x.where}] ${x.iterations} (${x.typed} typed / ${x.valid} valid, slowest ${x.slowestMs.toFixed(1)} ms at ${x.slowestSize} B)`).join("; "),
      );
    }
  } catch {
    notes.push("No long run recorded (FUZZ_SCALE=10 writes test/fuzz/long-run.json).");
  }
  recordReliability({ part: "3-fuzz", title: "Fuzzing: every decoder of outside bytes", table, notes });
}
