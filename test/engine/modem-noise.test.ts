/**
 * Seeded fault rounds against the driver in the engine: split lines, garbage between frames (must not
 * change any result), a module reset in the middle of a socket send's data or at a chosen command
 * (E_MODEM_RESET, then the module answers again), and garbage anywhere (any outcome, but always a
 * typed error within the step's timeout, never a hang, and the module answers again afterwards).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runEntry } from "./harness.ts";
import { Modem4G, type ModemActivity } from "../../boards/sim/devices/modem4g.ts";
import { seededRandom } from "../../boards/sim/devices/modem/noise.ts";
import { startPeers, type Peers } from "../../boards/sim/devices/modem/peers.ts";

let peers: Peers;
test.before(async () => {
  peers = await startPeers();
});
test.after(async () => {
  await peers.close();
});

const KINDS = ["split", "between", "reset-send", "reset-command", "anywhere"] as const;
type Kind = (typeof KINDS)[number];
/** Worst case of each step from the driver's timeouts (ms of engine time). */
const STEP_BOUND: Record<string, number> = { bringup: 200000, open: 90000, write: 60000, read: 15000, close: 25000 };
const RESET_AT = [/^AT\+QIOPEN=/, /^AT\+QIRD=/, /^AT\+QISEND=/, /^AT\+CSQ$/, /^AT\+QIACT=/, /^AT\+CPIN\?$/, /^AT\+QICLOSE=/];

test("100 seeded rounds of noise, splits and resets: typed errors only, never a hang, always recovers", async () => {
  const SEED = Number(process.env.MODEM_NOISE_SEED ?? 20261122);
  const modem = new Modem4G({ routes: peers.routes, seed: SEED });
  const plan = new Map<number, { kind: Kind; fired: boolean; detail: string }>();
  const onLog = (_level: number, message: string) => {
    const round = /^ROUND (\d+)$/.exec(message);
    if (round) {
      const i = Number(round[1]);
      const r = seededRandom(SEED + i);
      const kind = KINDS[i % KINDS.length]!;
      const p = { kind, fired: false, detail: "" };
      plan.set(i, p);
      modem.reseed(SEED * 31 + i);
      modem.noise = undefined;
      modem.resetWhen = undefined;
      if (kind === "split") modem.noise = { split: true, splitMax: 1 + Math.floor(r() * 8) };
      else if (kind === "between") modem.noise = { garbage: 0.35, garbageWhere: "between", split: r() < 0.7 };
      else if (kind === "anywhere") modem.noise = { garbage: 0.002 + r() * 0.004, garbageWhere: "anywhere", split: true };
      else if (kind === "reset-send") {
        const frac = r();
        p.detail = `after ${Math.round(frac * 100)}% of the data`;
        modem.resetWhen = (a: ModemActivity) => a.kind === "data" && a.received >= Math.max(1, Math.floor(frac * a.length)) && a.received < a.length && ((p.fired = true), true);
      } else {
        const re = RESET_AT[Math.floor(r() * RESET_AT.length)]!;
        p.detail = `at ${re.source}`;
        modem.resetWhen = (a: ModemActivity) => a.kind === "command" && re.test(a.line) && ((p.fired = true), true);
      }
      return;
    }
    const result = /^RESULT (\d+) /.exec(message);
    if (result) {
      // The round's fault ends with its result: recovery runs on a clean line.
      modem.noise = undefined;
      modem.resetWhen = undefined;
    }
  };
  const wall = Date.now();
  const r = await runEntry("test/engine/fixtures/modem-noise.ts", { serial: { "sim:modem": modem }, onLog });
  const wallMs = Date.now() - wall;
  assert.is(r.status, "exit", `${r.status} ${r.error}\n${r.logs.slice(-30).join("\n")}`);
  assert.is(r.exitCode, 0, r.logs.slice(-30).join("\n"));

  const tally: Record<string, Record<string, number>> = {};
  let mismatches = 0;
  for (let i = 0; i < 100; i++) {
    const p = plan.get(i)!;
    const line = r.logs.find((l) => l.startsWith(`RESULT ${i} `));
    assert.ok(line, `round ${i} (${p.kind}) reported a result`);
    const code = line!.split(" ")[2]!;
    (tally[p.kind] ??= {})[code] = (tally[p.kind]![code] ?? 0) + 1;
    const ctx = `round ${i} ${p.kind} ${p.detail} seed ${SEED}: ${line}`;
    if (code === "ok") {
      if (/MISMATCH/.test(line!)) mismatches++;
      // Only noise inside a received payload can change data; everything else must echo exactly.
      if (p.kind !== "anywhere") assert.match(line!, / ok same /, ctx);
      if (p.kind === "reset-send") assert.not.ok(p.fired, ctx);
    } else {
      assert.match(code, /^E_[A-Z0-9_]+$/, ctx);
      assert.is.not(code, "E_UNKNOWN", ctx);
      const [, step, stepT] = /step=(\w+) stepT=(\d+)/.exec(line!)!;
      assert.ok(Number(stepT) <= STEP_BOUND[step!]!, `${ctx}: ${stepT} ms > bound ${STEP_BOUND[step!]}`);
      if (p.kind === "split" || p.kind === "between") assert.unreachable(ctx);
      if (p.kind === "reset-send" || p.kind === "reset-command") {
        assert.ok(p.fired, ctx);
        assert.is(code, "E_MODEM_RESET", ctx);
        if (p.kind === "reset-send") assert.is(step, "write", ctx);
      }
      assert.ok(r.logs.includes(`RECOVER ${i} ok`), `${ctx}: no recovery\n${r.logs.filter((l) => l.includes(` ${i} `)).join("\n")}`);
    }
  }
  // The reset rounds really reset the module mid-send.
  assert.ok((tally["reset-send"]?.E_MODEM_RESET ?? 0) >= 15, JSON.stringify(tally));
  const stats = r.logs.find((l) => l.startsWith("STATS "));
  console.log(`    noise rounds (seed ${SEED}): ${JSON.stringify(tally)}; payload mismatches (garbage inside received data) ${mismatches}`);
  console.log(`    ${stats}; ${r.elapsedMs} virtual ms in ${wallMs} real ms; module: ${modem.stats.resets} resets, ${modem.stats.commands} commands`);
});

test.run();
