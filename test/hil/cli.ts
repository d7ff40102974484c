/**
 * npm run hil -- --target sim|serial [--port /dev/ttyUSB0] [--rig /path/rig.sock] [--baud 115200] [--verbose] [scenario ...]
 *
 * Plays the HIL scenarios (test/hil/scenarios/*.json; all, or those named) on a target:
 *   sim                      the firmware image in the embedded engine (virtual time)
 *   serial                   without --port: the simulator playing a board behind a pseudo-terminal
 *   serial --port DEV        a real board's debug UART (its HIL image, with the test agent); the acquirer host runs
 *                            here on 127.0.0.1, so the board must reach this machine (configure sends the address).
 *                            Without --rig (a bench's control socket) scenarios that need the rig are skipped.
 * Prints one line per scenario; exits 1 when one failed.
 */
import { ensureBuilt } from "../engine/build-once.ts";
import { loadScenarios, runScenario } from "./runner.ts";
import { startSimTarget } from "./targets/sim.ts";
import { startSerialTarget } from "./targets/serial.ts";

function usage(msg?: string): never {
  if (msg) console.error(msg);
  console.error("usage: npm run hil -- --target sim|serial [--port DEV] [--rig SOCKET] [--baud N] [--verbose] [scenario ...]");
  process.exit(2);
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  let target = "sim";
  let port: string | undefined;
  let rig: string | undefined;
  let baud = 115200;
  let verbose = false;
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = () => argv[++i] ?? usage(`${a} needs a value`);
    if (a === "--target") target = val();
    else if (a === "--port") port = val();
    else if (a === "--rig") rig = val();
    else if (a === "--baud") baud = Number(val());
    else if (a === "--verbose" || a === "-v") verbose = true;
    else if (a === "--help" || a === "-h") usage();
    else if (a.startsWith("-")) usage(`unknown option ${a}`);
    else names.push(a);
  }
  if (target !== "sim" && target !== "serial") usage(`--target must be sim or serial, got ${target}`);
  if (port && target !== "serial") usage("--port goes with --target serial");
  const all = loadScenarios();
  for (const n of names) if (!all.some((s) => s.name === n)) usage(`no scenario ${n} (known: ${all.map((s) => s.name).join(", ")})`);
  const scenarios = names.length ? all.filter((s) => names.includes(s.name)) : all;

  if (!port) await ensureBuilt();
  const t = target === "sim" ? await startSimTarget({ echoLogs: verbose }) : await startSerialTarget({ port, rig, baudRate: baud, echoLogs: verbose });
  console.log(`HIL on ${t.name}${port ? ` ${port}` : ""}${t.rig ? " with the rig" : " without a rig"}: ${scenarios.length} scenarios`);
  const counts = { passed: 0, failed: 0, skipped: 0 };
  try {
    for (const s of scenarios) {
      const r = await runScenario(t, s, { onStep: verbose ? (i, st, ms) => console.log(`      step ${i + 1} ${ms} ms ${st.op ?? st.keys?.join(",") ?? st.check ?? (st.wait ? "wait" : st.rig ? "rig" : "host")}`) : undefined });
      counts[r.status]++;
      const tail = r.status === "skipped" ? r.reason : r.status === "failed" ? `\n${r.reason}` : `${r.ms} ms`;
      console.log(`${r.status === "passed" ? "ok  " : r.status === "failed" ? "FAIL" : "skip"} ${s.name.padEnd(26)} ${tail}`);
    }
  } finally {
    await t.close();
  }
  console.log(`${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
  return counts.failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`hil: ${(e as Error).message}`);
    process.exit(1);
  },
);
