/**
 * The benchmark clock loop, engine code: runs on Node, in QuickJS, on jerry or a board's console with
 * nothing but `Date.now`. Calibrates a batch size so one batch spans a few clock ticks, then counts
 * whole batches until the time budget is spent.
 *
 * `compare` fights noise (a shared machine, a garbage collector, a host that throttles) the A/B way:
 * the candidates of one workload run in interleaved rounds (A B C, A B C, ...), so a slow spell hits
 * every candidate alike, and each candidate's figure is the median of its rounds.
 */
export interface Workload {
  name: string;
  /** One operation (one block, one MAC, one parse ...). */
  op(): void;
}

/** Smallest batch of `op` that takes at least `minMs` on `now` (doubling; x8 while under 2 ms). */
export function calibrate(op: () => void, now: () => number, minMs = 10): number {
  let batch = 1;
  for (;;) {
    const t0 = now();
    for (let i = 0; i < batch; i++) op();
    const dt = now() - t0;
    if (dt >= minMs || batch >= 1 << 24) return batch;
    batch *= dt < 2 ? 8 : 2;
  }
}

/** Runs whole batches of `op` for at least `budgetMs`; returns operations per second. */
export function runBatches(op: () => void, batch: number, budgetMs: number, now: () => number): number {
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

export function opsPerSecond(op: () => void, budgetMs: number, now: () => number): number {
  return runBatches(op, calibrate(op, now), budgetMs, now);
}

export function median(values: number[]): number {
  const v = values.slice().sort((a, b) => a - b);
  const n = v.length;
  if (n === 0) return NaN;
  return n & 1 ? v[n >> 1]! : (v[n / 2 - 1]! + v[n / 2]!) / 2;
}

export interface CompareOptions {
  /** Interleaved rounds (odd: the median is one of them). */
  rounds: number;
  /** Time per candidate per round. */
  roundMs: number;
  now: () => number;
}

/**
 * Ops/s of each candidate: `rounds` interleaved rounds of `roundMs` each, the median per candidate
 * (same order as `ops`). The batch sizes are calibrated once, up front.
 */
export function compare(ops: ReadonlyArray<() => void>, opts: CompareOptions): number[] {
  const batches: number[] = [];
  const samples: number[][] = [];
  for (let c = 0; c < ops.length; c++) {
    batches.push(calibrate(ops[c]!, opts.now));
    samples.push([]);
  }
  for (let r = 0; r < opts.rounds; r++) {
    // Alternate the order each round so no candidate always runs right after the same one.
    for (let k = 0; k < ops.length; k++) {
      const c = r & 1 ? ops.length - 1 - k : k;
      samples[c]!.push(runBatches(ops[c]!, batches[c]!, opts.roundMs, opts.now));
    }
  }
  return samples.map(median);
}
