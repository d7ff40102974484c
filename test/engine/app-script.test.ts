/**
 * `npm start -- --config examples/terminal-config.json --script examples/script.json`: the firmware image in the
 * engine against the built-in host, driven by the example script (the test); a failing step exits non-zero;
 * and the same run in-process with the host's ledger compared to the terminal's journal.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../build/board.ts";
import { ensureBuilt } from "./build-once.ts";
import { loadJson, startSession, wrapTmk, type TerminalConfig } from "../../boards/sim/script/session.ts";
import { runScript, type Step } from "../../boards/sim/script/runner.ts";
import { createCipheriv } from "node:crypto";

test.before(ensureBuilt);

const cli = (...args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "boards/sim/cli.ts"), ...args], { cwd: ROOT, encoding: "utf8", timeout: 120000 });

test("the example config and script run against the built-in host and exit 0", () => {
  const r = cli("--config", "examples/terminal-config.json", "--script", "examples/script.json");
  assert.is(r.status, 0, r.stdout + r.stderr);
  const steps = loadJson<{ steps: Step[] }>(join(ROOT, "examples/script.json")).steps;
  const ok = r.stdout.split("\n").filter((l) => l.startsWith("ok   "));
  assert.is(ok.length, steps.length, r.stdout);
  assert.match(r.stdout, /script passed: 7 steps/);
  assert.match(r.stdout, /settle: batch 1 -> 2, balanced=true/);
});

test("a failing step exits non-zero and stops the script there", () => {
  mkdirSync(join(ROOT, "dist/test"), { recursive: true });
  const path = join(ROOT, "dist/test/failing-script.json");
  // 10.00 available on lowBalance: a 500.00 sale answers 51, the script expects an approval.
  writeFileSync(path, JSON.stringify({ steps: [{ do: "signIn" }, { do: "sale", card: "lowBalance", amount: 50000 }, { do: "settle" }] }));
  const r = cli("--config", "examples/terminal-config.json", "--script", path);
  assert.is(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /FAIL 2\. sale: declined 51/);
  assert.not.match(r.stdout, /3\. settle/);
  assert.match(r.stdout, /script FAILED at step 2 of 3/);
});

test("--host with nobody listening: the sign-in step fails with a link error and the exit status is 1", () => {
  const r = cli("--host", "127.0.0.1:1", "--config", "examples/terminal-config.json", "--script", "examples/script.json");
  assert.is(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /FAIL 1\. signIn: E_/);
});

test("in-process: the PED holds the config's test TMK (KCV) and the host's ledger matches the journal", async () => {
  const config = loadJson<TerminalConfig>(join(ROOT, "examples/terminal-config.json"));
  const s = await startSession({ config });
  try {
    // The TMK went in under the transport key: its KCV in the PED is the clear test key's (node:crypto).
    const k = Buffer.from(config.testTmkHex, "hex");
    const c = createCipheriv("des-ede", k, null).setAutoPadding(false);
    assert.is(s.world.ped.keyInfo(1)!.kcv, Buffer.concat([c.update(Buffer.alloc(8)), c.final()]).subarray(0, 4).toString("hex").toUpperCase());
    assert.equal(wrapTmk(config.testTmkHex).kcv.toString("hex").toUpperCase(), s.world.ped.keyInfo(1)!.kcv);
    const steps: Step[] = [{ do: "signIn" }, { do: "sale", card: "debit", amount: 4321, save: "a" }, { do: "sale", card: "credit", amount: 1000, save: "b" }, { do: "void", of: "b" }];
    const res = await runScript(s, steps);
    assert.ok(res.every((r) => r.ok), JSON.stringify(res.map((r) => r.summary)));
    const j = await s.world.agent.call("journal", { limit: 20 });
    const ledger = s.builtIn!.ledger.entries({ terminalId: config.terminalId });
    assert.is(j.total, 3);
    assert.is(ledger.length, j.total);
    for (const rec of j.records) {
      const l = ledger.find((e) => Number(e.stan) === rec.stan);
      assert.ok(l, `ledger has STAN ${rec.stan}`);
      assert.is(l!.amount, rec.amount);
      assert.is(l!.rrn, rec.rrn);
    }
  } finally {
    const r = await s.close();
    assert.is(r.status, "exit", r.error);
  }
});

test.run();
