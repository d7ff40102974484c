/**
 * Runs a script that needs only a global `print` (the on-target tests, the standalone bench) inside
 * QuickJS with a memory limit, as the stock `jerry` or `qjs` command-line tools would.
 */
import { quickjs } from "./engine-host.ts";

export interface PrintRun {
  lines: string[];
  error?: string;
  /** QuickJS memory above the empty context, peak sampled during the run (code included). */
  peakBytes: number;
  wallMs: number;
}

export async function runPrintScript(source: string, opts: { memoryLimitBytes?: number; onLine?: (line: string) => void; extraGlobals?: Record<string, () => number> } = {}): Promise<PrintRun> {
  const QJS = await quickjs();
  const rt = QJS.newRuntime();
  const ctx = rt.newContext();
  const lines: string[] = [];
  const used = () => Number(/memory used\s+\d+\s+(\d+)/.exec(rt.dumpMemoryUsage())?.[1] ?? 0);
  let peak = 0;
  const t0 = performance.now();
  try {
    const print = ctx.newFunction("print", (...args) => {
      const line = args.map((a) => String(ctx.dump(a))).join(" ");
      lines.push(line);
      opts.onLine?.(line);
    });
    ctx.setProp(ctx.global, "print", print);
    print.dispose();
    for (const [name, f] of Object.entries(opts.extraGlobals ?? {})) {
      const h = ctx.newFunction(name, () => ctx.newNumber(f()));
      ctx.setProp(ctx.global, name, h);
      h.dispose();
    }
    const base = used();
    // QuickJS's own limit counts 8 bytes per block in this WebAssembly build: enforce on sampled memory.
    let over = false;
    rt.setInterruptHandler(() => {
      peak = Math.max(peak, used() - base);
      over = opts.memoryLimitBytes !== undefined && peak > opts.memoryLimitBytes;
      return over;
    });
    const r = ctx.evalCode(source, "script.js");
    if (r.error) {
      const e = ctx.dump(r.error) as { message?: string; stack?: string };
      r.error.dispose();
      if (over) return { lines, error: `out of memory: ${peak} B above the empty engine, over the ${opts.memoryLimitBytes} B limit`, peakBytes: peak, wallMs: performance.now() - t0 };
      return { lines, error: `${e?.message ?? String(e)}\n${e?.stack ?? ""}`, peakBytes: peak, wallMs: performance.now() - t0 };
    }
    r.value.dispose();
    for (;;) {
      peak = Math.max(peak, used() - base);
      const jobs = rt.executePendingJobs();
      if (jobs.error) {
        const e = ctx.dump(jobs.error) as { message?: string };
        jobs.error.dispose();
        return { lines, error: e?.message ?? String(e), peakBytes: peak, wallMs: performance.now() - t0 };
      }
      if (jobs.value === 0) break;
    }
    peak = Math.max(peak, used() - base);
    if (opts.memoryLimitBytes !== undefined && peak > opts.memoryLimitBytes)
      return { lines, error: `out of memory: ${peak} B above the empty engine, over the ${opts.memoryLimitBytes} B limit`, peakBytes: peak, wallMs: performance.now() - t0 };
    return { lines, peakBytes: peak, wallMs: performance.now() - t0 };
  } finally {
    ctx.dispose();
    rt.dispose();
  }
}
