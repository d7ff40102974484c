/**
 * Node-side helpers of the bench: the engine-side comparison bundle and a QuickJS runner for timing.
 */
import * as esbuild from "esbuild";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../build/board.ts";
import { quickjs } from "../../boards/sim/engine-host.ts";

export const COMPARE_JS = "dist/bench/compare.js";

/**
 * Builds dist/bench/compare.js (test/bench/npm-main.ts: ours and the npm libraries, with the `buffer`
 * polyfill injected for the libraries' global Buffer). Not a firmware image: no engine-compat pass, no
 * budget. Returns its source.
 */
export async function buildCompareBundle(): Promise<string> {
  const r = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: ["test/bench/npm-main.ts"],
    outfile: join(ROOT, COMPARE_JS),
    bundle: true,
    format: "iife",
    // "browser": the libraries' browser fields (crypto-js drops its require("crypto")).
    platform: "browser",
    target: "es2021",
    minify: true,
    inject: [join(ROOT, "test/bench/buffer-shim.ts")],
    logLevel: "silent",
    write: false,
  });
  const out = r.outputFiles[0]!;
  mkdirSync(join(ROOT, "dist/bench"), { recursive: true });
  writeFileSync(out.path, out.contents);
  return out.text;
}

/**
 * Runs a print-only script in QuickJS for timing, with `globals` (numbers or strings) set first. No memory
 * sampling in the interrupt handler: print-runner's sampling walks the whole heap every few thousand
 * instructions and slows a large heap several times over. Returns the script's error message, if any.
 */
export async function runTimed(source: string, globals: Record<string, number | string>, onLine: (line: string) => void, file = "script.js"): Promise<string | undefined> {
  const QJS = await quickjs();
  const rt = QJS.newRuntime();
  const ctx = rt.newContext();
  try {
    // The host function must return undefined (or a handle): quickjs-emscripten inspects what it returns.
    const print = ctx.newFunction("print", (...args) => {
      onLine(args.map((a) => String(ctx.dump(a))).join(" "));
    });
    ctx.setProp(ctx.global, "print", print);
    print.dispose();
    for (const [k, v] of Object.entries(globals)) {
      const h = typeof v === "number" ? ctx.newNumber(v) : ctx.newString(v);
      ctx.setProp(ctx.global, k, h);
      h.dispose();
    }
    const r = ctx.evalCode(source, file);
    if (r.error) {
      const e = ctx.dump(r.error) as { message?: string };
      r.error.dispose();
      return e?.message ?? String(e);
    }
    r.value.dispose();
    return undefined;
  } finally {
    ctx.dispose();
    rt.dispose();
  }
}

