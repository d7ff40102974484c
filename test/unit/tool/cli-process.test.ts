/**
 * The desk tool as a real child process: stdout, stderr and exit status of `tsx boards/sim/tool/cli.ts`,
 * `batch` fed on stdin, and the `npm run -s tool` script.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "../../../build/board.ts";

function cli(args: string[], input = ""): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "boards/sim/tool/cli.ts"), ...args], { cwd: ROOT, input, encoding: "utf8", timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("a command prints one line of hex and exits 0", () => {
  const r = cli(["kcv", "--alg", "3des", "--key", "0123456789ABCDEFFEDCBA9876543210"]);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout, "08D7B4FB\n");
  assert.is(r.stderr, "");
});

test("a bad command line exits 2, nothing on stdout, the reason and the usage on stderr", () => {
  const r = cli(["mac", "--alg", "x9.19", "--key", "41zz", "--text", "hi"]);
  assert.is(r.status, 2);
  assert.is(r.stdout, "");
  assert.match(r.stderr, /tool mac: --key: "z" at position 3 is not a hex digit/);
  assert.match(r.stderr, /usage: tool mac --alg/);
});

test("input the core refuses exits 1 with its error code", () => {
  const r = cli(["encrypt", "--alg", "3des", "--key", "0123456789ABCDEF", "--data", "3132333435363738"]);
  assert.is(r.status, 1);
  assert.is(r.stdout, "");
  assert.match(r.stderr, /^tool encrypt: E_KEY_LENGTH: /);
});

test("batch reads commands on stdin and answers one line each", () => {
  const r = cli(["batch"], "kcv --alg des --key 0123456789ABCDEF\nmac --alg cup-ecb --key 5CBE7E38A146FD5C --data 010203\nkcv --alg aes --key 00\n");
  assert.is(r.status, 1, "one command failed");
  const lines = r.stdout.trimEnd().split("\n");
  assert.equal(lines.slice(0, 2), ["D5D44FF7", "4631314632433237"]);
  assert.match(lines[2]!, /^error: E_KEY_LENGTH: aes key of 1 bytes/);
  assert.is(lines.length, 3);
});

test("npm run -s tool -- ... runs the same tool (package.json script)", () => {
  const r = spawnSync("npm", ["run", "-s", "tool", "--", "encrypt", "--alg", "sm4", "--key", "0123456789ABCDEFFEDCBA9876543210", "--data", "0123456789ABCDEFFEDCBA9876543210"], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout, "681EDF34D206965E86B3E94F536E4246\n");
});

test.run();
