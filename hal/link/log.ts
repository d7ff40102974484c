/**
 * The link diagnostic log: a bounded ring of entries in RAM, one per step the link manager tried
 * (what, on which link, the outcome, the typed error code and its evidence, when). The app reads it
 * (`linkLog()`) for its diagnostics screen; a later issue persists it to flash.
 */

export interface LinkLogEntry {
  /** Sequence number (never reused, so a reader can tell what it has seen). */
  seq: number;
  /** Monotonic milliseconds. */
  t: number;
  /** cellular, dialup, or a native link's name. */
  link: string;
  /** The step: 4g.start, sim, iccid, signal, register, apn, pdp, tcp, esim.list, esim.enable, dial ... */
  step: string;
  outcome: "ok" | "fail" | "info";
  /** Typed error code (driver or diagnosis) when the step failed. */
  code?: string;
  /** Short evidence text (bounded). */
  detail: string;
}

const MAX_DETAIL = 160;

export class LinkLog {
  private readonly ring: Array<LinkLogEntry | undefined>;
  private next = 0;
  private seq = 0;

  constructor(readonly capacity = 64) {
    this.ring = new Array<LinkLogEntry | undefined>(capacity > 0 ? capacity : 1);
  }

  add(t: number, link: string, step: string, outcome: LinkLogEntry["outcome"], detail: string, code?: string): LinkLogEntry {
    const e: LinkLogEntry = { seq: ++this.seq, t, link, step, outcome, detail: detail.length > MAX_DETAIL ? detail.slice(0, MAX_DETAIL - 1) + "~" : detail };
    if (code !== undefined) e.code = code;
    this.ring[this.next] = e;
    this.next = (this.next + 1) % this.ring.length;
    return e;
  }

  /** Entries oldest first (copies). */
  entries(): LinkLogEntry[] {
    const out: LinkLogEntry[] = [];
    const n = this.ring.length;
    for (let k = 0; k < n; k++) {
      const e = this.ring[(this.next + k) % n];
      if (e) out.push({ ...e });
    }
    return out;
  }

  /** Entries after `seq` (what a reader has not seen yet). */
  since(seq: number): LinkLogEntry[] {
    return this.entries().filter((e) => e.seq > seq);
  }

  clear(): void {
    this.ring.fill(undefined);
    this.next = 0;
  }
}

/** One line per entry: `+12345 cellular register fail E_REG_DENIED stat=3 ...`. */
export function formatLinkLog(entries: LinkLogEntry[]): string[] {
  return entries.map((e) => `+${e.t} ${e.link} ${e.step} ${e.outcome}${e.code ? " " + e.code : ""}${e.detail ? " " + e.detail : ""}`);
}
