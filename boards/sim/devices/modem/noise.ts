/**
 * Line noise for the virtual module's UART output, reproducible from a seed: garbage bytes inserted
 * between frames (a realistic UART: noise at power-up, glitches between bursts) or anywhere (inside
 * lines: commands then time out or answers do not parse), and splitting of the byte stream at random
 * boundaries so the firmware receives lines in pieces.
 */

/** mulberry32: a small seeded PRNG (tests replay a failing round from its seed). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface NoiseOptions {
  /**
   * Garbage: with "between", the probability that 1..8 random bytes precede a frame; with "anywhere",
   * the probability per output byte that a random byte is inserted before it.
   */
  garbage?: number;
  garbageWhere?: "between" | "anywhere";
  /** Split the output into random pieces of 1..`splitMax` bytes, each delivered on its own turn. */
  split?: boolean;
  splitMax?: number;
}

/** Applies the noise options to frames; returns the pieces to deliver in order. */
export function shape(frames: Uint8Array[], noise: NoiseOptions | undefined, rnd: () => number): Uint8Array[] {
  const g = noise?.garbage ?? 0;
  const where = noise?.garbageWhere ?? "between";
  const parts: number[] = [];
  const garbage = (n: number) => {
    for (let k = 0; k < n; k++) parts.push(Math.floor(rnd() * 256));
  };
  for (const f of frames) {
    if (g > 0 && where === "between" && rnd() < g) garbage(1 + Math.floor(rnd() * 8));
    for (let i = 0; i < f.length; i++) {
      if (g > 0 && where === "anywhere" && rnd() < g) garbage(1);
      parts.push(f[i]!);
    }
  }
  const all = Uint8Array.from(parts);
  if (!noise?.split) return all.length ? [all] : [];
  const max = Math.max(1, noise.splitMax ?? 12);
  const out: Uint8Array[] = [];
  for (let i = 0; i < all.length; ) {
    const n = 1 + Math.floor(rnd() * max);
    out.push(all.subarray(i, Math.min(all.length, i + n)));
    i += n;
  }
  return out;
}
