/**
 * Decoders fuzzed INSIDE the embedded engine (test/fuzz/fixtures/engine-fuzz.ts in QuickJS with the board's heap
 * budget): CUP responses (8583), BER-TLV, AT lines, agent frames and CBOR. Every outcome must be a valid result or
 * an allowed typed error; the engine must end normally within its heap. Wall time per decoder is measured on the
 * Node side from the log lines (reported, not asserted). ES10 responses are fuzzed in the engine through the whole
 * modem path by test/engine/esim-fuzz.test.ts.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { bundleEntry } from "../engine/harness.ts";
import { EngineHost } from "../../boards/sim/engine-host.ts";
import { loadBoard } from "../../build/board.ts";
import { recordFuzzRows, SCALE, type FuzzRow } from "./kit.ts";

const ENTRY = "test/fuzz/fixtures/engine-fuzz.ts";
const NAMES: Record<string, string> = {
  "cup-response": "CUP response (frame, 8583, readResponse, 54/62)",
  tlv: "BER-TLV (TlvMap)",
  "at-lines": "AT lines (LineScanner + qirdLength)",
  "agent-frames": "agent frames (FrameDecoder) + CBOR of each frame",
  cbor: "CBOR (cborDecode)",
};

test("decoders inside the engine: only valid results or typed errors, within the heap budget", async () => {
  const bundle = (await bundleEntry(ENTRY)).split("__FUZZ_SCALE__").join(String(SCALE));
  const lines: Array<{ at: number; text: string }> = [];
  const t0 = Date.now();
  const host = new EngineHost({
    bundle,
    board: loadBoard("sim"),
    watchdogMs: 600_000, // one long script by design; a slow, shared machine must not trip it
    onLog: (_l, m) => lines.push({ at: Date.now(), text: m }),
  });
  const r = await host.run();
  assert.is(r.status, "exit", `${r.status} ${r.error}\n${lines.map((l) => l.text).join("\n")}`);
  assert.is(r.exitCode, 0);
  assert.ok(r.memory.peakHeapBytes <= r.memory.heapLimitBytes, `heap ${r.memory.peakHeapBytes} of ${r.memory.heapLimitBytes}`);
  const rows: FuzzRow[] = [];
  let prev = t0;
  for (const l of lines) {
    const m = /^R fuzz-(\S+) (.*)$/.exec(l.text);
    if (!m) continue;
    const t = JSON.parse(m[2]!) as { iterations: number; valid: number; typed: number; codes: Record<string, number>; untyped: string[]; largest: number };
    assert.equal(t.untyped, [], `${m[1]}: untyped outcomes in the engine:\n${t.untyped.join("\n")}`);
    assert.ok(t.iterations > 0 && t.valid + t.typed === t.iterations);
    const ms = l.at - prev;
    prev = l.at;
    // Per-input time is not measurable inside the engine without perturbing it: the average is reported, with the largest input.
    rows.push({ decoder: NAMES[m[1]!] ?? m[1]!, where: "engine (QuickJS)", iterations: t.iterations, typed: t.typed, valid: t.valid, codes: t.codes, slowestMs: ms / t.iterations, slowestSize: t.largest, totalMs: ms });
    console.log(`  engine fuzz ${m[1]}: ${t.iterations} in ${ms} ms, ${t.valid} valid, ${t.typed} typed ${JSON.stringify(t.codes)}`);
  }
  assert.is(rows.length, Object.keys(NAMES).length, lines.map((l) => l.text).join("\n"));
  console.log(`  engine heap peak ${r.memory.peakHeapBytes} B of ${r.memory.heapLimitBytes} B`);
  recordFuzzRows("engine", rows);
});

test.run();
