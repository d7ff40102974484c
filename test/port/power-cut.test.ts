/**
 * A power cut injected by the port in the middle of a flash program or erase (the file keeps only part
 * of that operation, then the process dies) is recovered on the next start: the store mounts, the
 * interrupted multi-key commit is all or nothing, and every commit reported before the cut is there.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { join } from "node:path";
import { bundleForLinux, runPort, tempDir } from "./support.ts";

const ENTRY = "test/port/fixtures/cut-entry.ts";

function mounted(lines: string[]): { counter: number; consistent: boolean; torn: number } {
  const m = lines.map((l) => /^INF mounted counter=(-?\d+) twin=(-?\d+) torn=(\d+) (\w+)$/.exec(l)).find(Boolean);
  assert.ok(m, lines.join("\n"));
  return { counter: Number(m![1]), consistent: m![4] === "consistent", torn: Number(m![3]) };
}

function lastCommitted(lines: string[]): number {
  let n = 0;
  for (const l of lines) {
    const m = /^INF committed (\d+)$/.exec(l);
    if (m) n = Number(m[1]);
  }
  return n;
}

test("a cut at each of many points in the 2nd run is recovered by the 3rd (process restarts)", async () => {
  const script = await bundleForLinux(ENTRY);
  let tornSeen = 0;
  const kinds = new Set<string>();
  // Operation numbers spread over programs and erases: header stamps, records, commits, compaction.
  for (const cutAt of [2, 5, 9, 14, 27, 40, 66, 91, 118, 133, 142, 150]) {
    const dir = tempDir("cut");
    const flash = join(dir, "flash.bin");
    const first = await runPort(["--quiet", "--flash", flash, script]);
    assert.is(first.code, 0, first.stdout + first.stderr);
    const before = lastCommitted(first.lines);
    const cut = await runPort(["--quiet", "--flash", flash, "--power-cut", String(cutAt), script]);
    assert.is(cut.code, 3, `cut at ${cutAt}: ${cut.stdout}${cut.stderr}`);
    assert.match(cut.stderr, new RegExp(`power cut during flash (program|erase) #${cutAt} `));
    kinds.add(/power cut during flash (\w+)/.exec(cut.stderr)![1]!);
    const m1 = mounted(cut.lines);
    assert.ok(m1.consistent && m1.counter === before);
    const reported = lastCommitted(cut.lines);
    assert.not.ok(cut.lines.some((l) => l.startsWith("INF done")), "the cut stopped the script");
    const after = await runPort(["--quiet", "--flash", flash, script]);
    assert.is(after.code, 0, after.stdout + after.stderr);
    const m2 = mounted(after.lines);
    assert.ok(m2.consistent, `cut at ${cutAt}: ${after.lines[0]}`);
    // Everything reported committed survived; the torn commit is either wholly there or wholly not.
    const floor = reported || before;
    assert.ok(m2.counter === floor || m2.counter === floor + 1, `cut at ${cutAt}: reported ${floor}, mounted ${m2.counter}`);
    tornSeen += m2.torn;
    assert.ok(after.lines.some((l) => l.startsWith("INF done")));
  }
  assert.ok(tornSeen > 0, "some cuts tore a record that the mount then skipped");
  assert.equal([...kinds].sort(), ["erase", "program"], "cuts tore both programs and erases");
});

test("with --on-cut reboot the board reboots in-process and recovers in the same run", async () => {
  const script = await bundleForLinux(ENTRY);
  const dir = tempDir("cutreboot");
  const r = await runPort(["--flash", join(dir, "flash.bin"), "--power-cut", "33:7", "--on-cut", "reboot", script]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stderr, /power cut during flash \w+ #33 \(\d+ of \d+ bytes landed\)/);
  assert.match(r.stderr, /boot 1 ended \(power cut\)/);
  const mounts = r.lines.filter((l) => l.startsWith("INF mounted"));
  assert.is(mounts.length, 2);
  const second = mounted([mounts[1]!]);
  assert.ok(second.consistent);
  const reported = lastCommitted(r.lines.slice(0, r.lines.indexOf(mounts[1]!)));
  assert.ok(second.counter === reported || second.counter === reported + 1, `${reported} -> ${second.counter}`);
});

test.run();
