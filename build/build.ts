/**
 * The build: esbuild compiles an entry for a board into one minified IIFE script plus a source map,
 * for JerryScript 3.0 (es.next): ES2021 with the features the engine or its snapshots lack marked
 * unsupported, esbuild's quiet rewrites turned into errors, any warning fatal, the output checked by
 * the engine-compat pass, and its size held to the board's budget.
 *
 *   npm run build                     every board's image, the on-target tests and the bench bundle
 *   npm run build -- --board sim      one board
 */
import * as esbuild from "esbuild";
import { mkdirSync, writeFileSync, readFileSync } from "node:fs";
import { join, relative, dirname } from "node:path";
import { gzipSync } from "node:zlib";
import { ROOT, loadBoard, listBoards, type BoardJson } from "./board.ts";
import { checkEngineCompat } from "./engine-compat.ts";

export const VERSION: string = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;

/** What JerryScript 3.0 es.next (and its snapshots) cannot take, beyond the ES2021 target. */
export const UNSUPPORTED: Record<string, false> = {
  "class-static-blocks": false,
  "regexp-named-capture-groups": false,
  "regexp-lookbehind-assertions": false,
  "regexp-match-indices": false,
  "regexp-unicode-property-escapes": false,
  "regexp-set-notation": false,
  "top-level-await": false,
  "dynamic-import": false,
  "import-meta": false,
  decorators: false,
  bigint: false,
  // ES2021, but whether JerryScript 3.0 parses it is unconfirmed: esbuild lowers it at no cost.
  "logical-assignment": false,
};

/** Strings only the test agent (firmware/agent/agent.ts) carries: a production image must contain none. */
export const AGENT_MARKERS = ["E_AGENT_OP", "E_AGENT_REQUEST"];

export class BuildError extends Error {
  constructor(readonly code: "E_BUILD" | "E_BUNDLE_TOO_BIG", message: string) {
    super(message);
  }
}

export interface ImageSpec {
  board: BoardJson;
  entry: string;
  outfile: string;
  /** Globals the image may use beyond the engine's (the natives, print). */
  globals: string[];
  /** Size budget in bytes (the board's for firmware images). */
  budget?: number;
  minify?: boolean;
}

export interface ImageReport {
  outfile: string;
  bytes: number;
  gzipBytes: number;
  budget?: number;
  /** Bytes in the output by source area (firmware/core, firmware/app, hal, ...). */
  areas: Record<string, number>;
}

/** Source area of an input path, for the size breakdown. */
function areaOf(input: string): string {
  const p = input.replace(/\\/g, "/");
  if (p.includes("node_modules/")) return "node_modules/" + p.split("node_modules/")[1]!.split("/")[0];
  const parts = p.split("/");
  if (parts[0] === "firmware" && parts.length > 2) return `firmware/${parts[1]}`;
  return parts.length > 1 ? parts[0]! : p;
}

export async function buildImage(spec: ImageSpec): Promise<ImageReport> {
  const outfile = join(ROOT, spec.outfile);
  let result: esbuild.BuildResult & { metafile: esbuild.Metafile };
  try {
    result = await esbuild.build({
      absWorkingDir: ROOT,
      entryPoints: [spec.entry],
      outfile,
      bundle: true,
      format: "iife",
      platform: "neutral",
      mainFields: ["module", "main"],
      target: "es2021",
      supported: UNSUPPORTED,
      minify: spec.minify ?? true,
      sourcemap: "external",
      charset: "utf8",
      legalComments: "none",
      metafile: true,
      write: false,
      logLevel: "silent",
      // esbuild rewrites a RegExp the target lacks into `new RegExp()` with only a debug log: it would
      // throw on the device. Make it (and everything else it would only mention) fail the build.
      logOverride: { "unsupported-regexp": "error", "unsupported-dynamic-import": "error" },
      define: {
        __BOARD__: JSON.stringify(spec.board),
        __VERSION__: JSON.stringify(VERSION),
        // The HIL/test agent (firmware/agent) only where board.json says "agent": true; production images drop it.
        __AGENT__: JSON.stringify(spec.board.agent === true),
      },
    });
  } catch (e) {
    const errors = (e as { errors?: esbuild.Message[] }).errors;
    if (errors?.length) throw new BuildError("E_BUILD", (await esbuild.formatMessages(errors, { kind: "error" })).join("\n"));
    throw e;
  }
  if (result.warnings.length) {
    const text = await esbuild.formatMessages(result.warnings, { kind: "warning" });
    throw new BuildError("E_BUILD", `warnings are errors for the engine build:\n${text.join("\n")}`);
  }
  const js = result.outputFiles!.find((f) => f.path === outfile)!;
  checkEngineCompat(js.text, relative(ROOT, outfile), spec.globals);
  if (spec.board.agent !== true && AGENT_MARKERS.some((m) => js.text.includes(m)))
    throw new BuildError("E_BUILD", `${relative(ROOT, outfile)}: board ${spec.board.name} is a production board ("agent" is not true) but the image contains test-agent code`);
  mkdirSync(dirname(outfile), { recursive: true });
  for (const f of result.outputFiles!) writeFileSync(f.path, f.contents);

  const areas: Record<string, number> = {};
  const out = result.metafile.outputs[relative(ROOT, outfile).replace(/\\/g, "/")];
  for (const [input, info] of Object.entries(out?.inputs ?? {})) {
    const a = areaOf(input);
    areas[a] = (areas[a] ?? 0) + info.bytesInOutput;
  }
  const report: ImageReport = { outfile: relative(ROOT, outfile), bytes: js.contents.length, gzipBytes: gzipSync(js.contents).length, budget: spec.budget, areas };
  if (spec.budget !== undefined && report.bytes > spec.budget)
    throw new BuildError("E_BUNDLE_TOO_BIG", `${report.outfile} is ${report.bytes} B, over the budget of ${spec.budget} B`);
  return report;
}

/** The images a board produces: its firmware, or for the on-target board the test bundle. */
export function imagesFor(boardName: string): ImageSpec[] {
  const board = loadBoard(boardName);
  if (boardName === "ontarget")
    return [{ board, entry: "test/ontarget/main.ts", outfile: "dist/ontarget/tests.js", globals: ["print"], budget: board.budgets.bundleBytes }];
  return [{ board, entry: "firmware/main.ts", outfile: `dist/${boardName}/firmware.js`, globals: ["__natives"], budget: board.budgets.bundleBytes }];
}

export function formatReport(r: ImageReport): string {
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  const budget = r.budget ? ` of ${kb(r.budget)} budget (${((100 * r.bytes) / r.budget).toFixed(1)}%)` : "";
  const areas = Object.entries(r.areas)
    .sort((a, b) => b[1] - a[1])
    .map(([a, n]) => `${a} ${n} B`)
    .join(", ");
  return `${r.outfile}: ${r.bytes} B (${kb(r.bytes)})${budget}, gzip ${r.gzipBytes} B\n    by area: ${areas}`;
}

/** The standalone benchmark bundle (test/bench/main.ts): needs only a global print (and the engine's Date). */
export function benchImage(): ImageSpec {
  return { board: loadBoard("ontarget"), entry: "test/bench/main.ts", outfile: "dist/bench/bench.js", globals: ["print"] };
}

/** Every image `npm run build` makes. */
export function allImages(): ImageSpec[] {
  return [...listBoards().flatMap(imagesFor), benchImage()];
}
