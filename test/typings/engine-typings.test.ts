/**
 * The engine typings and the build must bite: code using what JerryScript lacks fails the type-check
 * or the build (or both), and a control fixture passes both, so the test can tell them apart.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, loadBoard } from "../../build/board.ts";
import { buildImage } from "../../build/build.ts";

const FIXTURES = join(ROOT, "test/typings/fixtures");

/** What must catch each fixture: "tsc", "build" or both. The control passes both. */
const EXPECT: Record<string, { tsc: boolean; build: boolean }> = {
  "set-timeout.ts": { tsc: false, build: false },
  "text-encoder.ts": { tsc: false, build: false },
  "intl.ts": { tsc: true, build: false },
  "console.ts": { tsc: false, build: false },
  "node-import.ts": { tsc: false, build: false },
  "regexp-named-group.ts": { tsc: true, build: false },
  "regexp-lookbehind.ts": { tsc: true, build: false },
  "bigint-literal.ts": { tsc: true, build: false },
  "bigint-call.ts": { tsc: true, build: false },
  // A runtime option the bundle cannot show; the es2021 lib refuses it in the type-check.
  "error-cause.ts": { tsc: false, build: true },
  "control-ok.ts": { tsc: true, build: true },
};

// One tsc run over every fixture with the engine's configuration; errors are grouped by file.
let tscErrors: Map<string, string[]>;
test.before(() => {
  const dir = mkdtempSync(join(tmpdir(), "typings-"));
  const cfg = join(dir, "tsconfig.json");
  writeFileSync(
    cfg,
    JSON.stringify({
      extends: join(ROOT, "tsconfig.base.json"),
      compilerOptions: { lib: ["es2021"], types: [], target: "es2021" },
      files: [join(ROOT, "hal/engine.d.ts"), ...Object.keys(EXPECT).map((f) => join(FIXTURES, f))],
    }),
  );
  const r = spawnSync(join(ROOT, "node_modules/.bin/tsc"), ["-p", cfg, "--pretty", "false"], { encoding: "utf8" });
  tscErrors = new Map();
  for (const line of (r.stdout + r.stderr).split("\n")) {
    const m = /([\w.-]+\.ts)\(\d+,\d+\): error (.*)/.exec(line);
    if (m) tscErrors.set(m[1]!, [...(tscErrors.get(m[1]!) ?? []), m[2]!]);
  }
});

test("every fixture has an expectation", () => {
  assert.equal(readdirSync(FIXTURES).sort(), Object.keys(EXPECT).sort());
});

for (const [file, expect] of Object.entries(EXPECT)) {
  test(`${file}: type-check ${expect.tsc ? "passes" : "fails"}`, () => {
    const errors = tscErrors.get(file) ?? [];
    assert.is(errors.length === 0, expect.tsc, errors.join("; ") || "no type errors");
  });
  test(`${file}: build ${expect.build ? "passes" : "fails"}`, async () => {
    let error = "";
    try {
      await buildImage({ board: loadBoard("sim"), entry: `test/typings/fixtures/${file}`, outfile: `dist/fixtures/${file.replace(/\.ts$/, ".js")}`, globals: ["__natives"] });
    } catch (e) {
      error = (e as Error).message;
    }
    assert.is(error === "", expect.build, error || "built");
  });
}

test("the natives global is read in exactly one file, the board data in exactly one", () => {
  const files = (dir: string): string[] =>
    readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
      .filter((d) => d.isFile() && d.name.endsWith(".ts") && !d.name.endsWith(".d.ts"))
      .map((d) => join(d.parentPath ?? (d as unknown as { path: string }).path, d.name));
  const all = [...files("firmware"), ...files("hal")];
  const readers = (name: string) => all.filter((f) => new RegExp(`\\b${name}\\b`).test(readFileSync(f, "utf8").replace(/\/\/.*|\/\*[\s\S]*?\*\//g, ""))).map((f) => f.slice(ROOT.length));
  assert.equal(readers("__natives"), ["hal/native.ts"]);
  assert.equal(readers("__BOARD__"), ["hal/device.ts"]);
});

test.run();
