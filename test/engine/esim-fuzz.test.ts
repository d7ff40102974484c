/**
 * ES10 responses fuzzed through the whole path (virtual eUICC -> AT+CGLA in the virtual EC200U ->
 * the client inside the embedded engine): random and mutated BER-TLV give only typed E_ESIM_* errors
 * (or success when the mutation kept the meaning), the channel is closed after each, the AT channel
 * still answers, and the engine stays within its heap.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runEntry } from "./harness.ts";
import { Modem4G } from "../../boards/sim/devices/modem4g.ts";
import { Euicc } from "../../boards/sim/devices/euicc.ts";
import { rngInt as rng } from "../support.ts";

const ENTRY = "test/engine/fixtures/esim-fuzz.ts";
const TYPED = new Set([
  "ok",
  "E_ESIM_PARSE",
  "E_ESIM_LIST_ERROR",
  "E_ESIM_BAD_EID",
  "E_ESIM_PROFILE_NOT_FOUND",
  "E_ESIM_NOT_DISABLED",
  "E_ESIM_POLICY",
  "E_ESIM_WRONG_REENABLING",
  "E_ESIM_CAT_BUSY",
  "E_ESIM_UNDEFINED",
  "E_ESIM_SW",
  // A +CGLA line longer than the AT engine's line buffer (1024 B: the modem ran GET RESPONSE itself
  // on a response grown past ~500 bytes) is dropped, so OK comes without it: typed, and recovered.
  "E_ESIM_TRANSPORT",
]);


/** Mutations of a real response: byte flips, truncation, length bytes changed, garbage, random TLV. */
function mutator(seed: number) {
  const r = rng(seed);
  const stats: Record<string, number> = {};
  const fn = (resp: Uint8Array): Uint8Array => {
    const kind = r(7);
    const name = ["flip", "truncate", "length", "random", "extend", "tlv", "none"][kind]!;
    stats[name] = (stats[name] ?? 0) + 1;
    const b = Uint8Array.from(resp);
    switch (kind) {
      case 0:
        for (let k = 1 + r(4); k > 0; k--) b[r(b.length)] = r(256);
        return b;
      case 1:
        return b.subarray(0, r(b.length));
      case 2: {
        // A length byte (right after a tag) set to something else, incl. long forms.
        const i = 1 + r(Math.max(1, b.length - 1));
        b[i] = [0x00, 0x7f, 0x80, 0x81, 0x82, 0x83, 0x84, 0xff, r(256)][r(9)]!;
        return b;
      }
      case 3:
        return Uint8Array.from({ length: r(300) }, () => r(256));
      case 4: {
        const tail = Uint8Array.from({ length: 1 + r(400) }, () => r(256));
        const out = new Uint8Array(b.length + tail.length);
        out.set(b);
        out.set(tail, b.length);
        return out;
      }
      case 5: {
        // A well-formed outer tag around random children.
        const inner = Uint8Array.from({ length: r(120) }, () => r(256));
        return Uint8Array.from([b[0] ?? 0xbf, b[1] ?? 0x2d, 0x81, inner.length, ...inner]);
      }
      default:
        return b;
    }
  };
  return { fn, stats };
}

for (const [seed, mode] of [
  [1, "host"],
  [2, "modem"],
  [3, "host"],
] as const) {
  test(`seed ${seed}, GET RESPONSE by the ${mode}: only typed errors, channels closed, AT still answers`, async () => {
    const modem = new Modem4G({ seed });
    const m = mutator(seed * 7919);
    const euicc = new Euicc({ getResponse: mode, mutate: m.fn }).insertInto(modem);
    const r = await runEntry(ENTRY, { serial: { "sim:modem": modem } });
    assert.is(r.status, "exit", `${r.status} ${r.error}\n${r.logs.join("\n")}`);
    assert.is(r.exitCode, 0, r.logs.join("\n"));
    const counts = JSON.parse(r.logs.find((l) => l.startsWith("COUNTS "))!.slice(7)) as Record<string, number>;
    for (const code of Object.keys(counts)) assert.ok(TYPED.has(code), `untyped outcome ${code}: ${JSON.stringify(counts)}`);
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    assert.is(total, 120);
    assert.ok((counts.E_ESIM_PARSE ?? 0) > 20, JSON.stringify(counts));
    assert.ok((counts.ok ?? 0) > 5, JSON.stringify(counts));
    assert.is(euicc.openChannels, 0);
    assert.ok(r.memory.peakHeapBytes < r.memory.heapLimitBytes);
    console.log(`    seed ${seed}: ${JSON.stringify(counts)} mutations ${JSON.stringify(m.stats)}; ${r.elapsedMs} virtual ms`);
  });
}

test.run();
