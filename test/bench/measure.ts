/**
 * The benchmark clock loop, engine code: runs on Node, in QuickJS, on jerry or a board's console with
 * nothing but `Date.now`. Calibrates a batch size so one batch spans a few clock ticks, then counts
 * whole batches until the time budget is spent.
 */
export interface Workload {
  name: string;
  /** One operation (one block, one MAC, one parse ...). */
  op(): void;
}

export function opsPerSecond(op: () => void, budgetMs: number, now: () => number): number {
  let batch = 1;
  for (;;) {
    const t0 = now();
    for (let i = 0; i < batch; i++) op();
    const dt = now() - t0;
    if (dt >= 10 || batch >= 1 << 24) break;
    batch *= dt < 2 ? 8 : 2;
  }
  let ops = 0;
  const start = now();
  let elapsed = 0;
  while (elapsed < budgetMs) {
    for (let i = 0; i < batch; i++) op();
    ops += batch;
    elapsed = now() - start;
  }
  return (ops * 1000) / Math.max(1, elapsed);
}
