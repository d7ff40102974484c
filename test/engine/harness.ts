/**
 * Runs an engine-code entry (a driver test program) inside the embedded engine against virtual
 * devices: the entry is bundled for the sim board like the firmware, gets the same natives, reports
 * through the log and ends with `system.exit(status)`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, loadBoard } from "../../build/board.ts";
import { buildImage } from "../../build/build.ts";
import { EngineHost, type EngineOptions, type RunResult } from "../../boards/sim/engine-host.ts";

const built = new Map<string, Promise<string>>();

/** Bundles `entry` (path from the repo root) for the sim board once per process; returns the script. */
export function bundleEntry(entry: string): Promise<string> {
  let p = built.get(entry);
  if (!p) {
    const outfile = join("dist/test", entry.replace(/[\\/]/g, "_").replace(/\.ts$/, ".js"));
    p = buildImage({ board: loadBoard("sim"), entry, outfile, globals: ["__natives"], minify: false }).then(() => readFileSync(join(ROOT, outfile), "utf8"));
    built.set(entry, p);
  }
  return p;
}

export interface EntryRun extends RunResult {
  logs: string[];
  host: EngineHost;
}

/** Runs `entry` in the engine with the given devices until it exits (or fails, or idles). */
export async function runEntry(entry: string, options: Partial<Omit<EngineOptions, "bundle" | "board">> = {}): Promise<EntryRun> {
  const bundle = await bundleEntry(entry);
  const logs: string[] = [];
  const host = new EngineHost({
    ...options,
    bundle,
    board: loadBoard("sim"),
    onLog: (level, message) => {
      logs.push(message);
      if (process.env.ENGINE_LOG) console.log(`  [${level}] ${message}`);
      options.onLog?.(level, message);
    },
  });
  const r = await host.run();
  return { ...r, logs, host };
}

/** The `R <name> <json>` result lines an entry logs, by name. */
export function results(logs: string[]): Record<string, any> {
  const out: Record<string, any> = {};
  for (const l of logs) {
    const m = /^R (\S+) (.*)$/.exec(l);
    if (m) out[m[1]!] = JSON.parse(m[2]!);
  }
  return out;
}
