/** The test agent is compiled only into images of boards with "agent": true; a production image carries none. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, loadBoard } from "../../build/board.ts";
import { AGENT_MARKERS, BuildError, buildImage } from "../../build/build.ts";

const sim = loadBoard("sim");
const production = { ...sim, name: "sim", agent: false };

test("the sim board carries the agent, the linux board (production-style) does not", () => {
  assert.is(sim.agent, true);
  assert.is(loadBoard("linux").agent, false);
});

test("firmware/main.ts built for a production board has no agent code; for the sim board it has", async () => {
  await buildImage({ board: production, entry: "firmware/main.ts", outfile: "dist/test/prod-firmware.js", globals: ["__natives"] });
  await buildImage({ board: sim, entry: "firmware/main.ts", outfile: "dist/test/hil-firmware.js", globals: ["__natives"] });
  const prod = readFileSync(join(ROOT, "dist/test/prod-firmware.js"), "utf8");
  const hil = readFileSync(join(ROOT, "dist/test/hil-firmware.js"), "utf8");
  for (const m of [...AGENT_MARKERS, "E_AGENT_KEY", "E_AGENT_CARD", "journal offset/limit"]) {
    assert.not.ok(prod.includes(m), `production image contains ${m}`);
    assert.ok(hil.includes(m), `sim image lacks ${m}`);
  }
  // The app itself is in both.
  assert.ok(prod.includes("银联POS") && hil.includes("银联POS"));
  assert.ok(hil.length - prod.length > 3000, `agent costs ${hil.length - prod.length} B`);
});

test("the build refuses a production image that pulls the agent in anyway", async () => {
  mkdirSync(join(ROOT, "dist/test"), { recursive: true });
  writeFileSync(join(ROOT, "dist/test/agent-entry.ts"), 'import { startAgent } from "../../firmware/agent/agent";\n(globalThis as any).x = startAgent;\n');
  try {
    await buildImage({ board: production, entry: "dist/test/agent-entry.ts", outfile: "dist/test/agent-entry.js", globals: ["__natives"] });
    assert.unreachable("built");
  } catch (e) {
    assert.instance(e, BuildError);
    assert.match((e as Error).message, /production board/);
  }
});

test.run();
