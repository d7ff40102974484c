/**
 * What the host saw and answered, in order: connections, requests and responses (describe() text with the PAN
 * masked, tracks, PIN block, keys and MAC hidden), scripted faults, malformed input. Bounded (oldest dropped).
 */
export type HostEventKind = "listen" | "connect" | "close" | "request" | "response" | "fault" | "malformed" | "error" | "note";

export interface HostEvent {
  seq: number;
  /** ms since the host started. */
  at: number;
  /** Connection number (0 for host-wide events). */
  conn: number;
  kind: HostEventKind;
  mti?: string;
  stan?: string;
  terminalId?: string;
  /** Field 39 of a response. */
  code?: string;
  /** The scripted rule that acted. */
  rule?: string;
  /** describe() of the message. */
  text?: string;
  note?: string;
}

type Waiter = { pred: (e: HostEvent) => boolean; resolve: (e: HostEvent) => void };

export class EventLog {
  private readonly items: HostEvent[] = [];
  private seq = 0;
  private readonly start = Date.now();
  private readonly waiters = new Set<Waiter>();

  constructor(
    readonly limit = 10000,
    private readonly sink?: (e: HostEvent) => void,
  ) {}

  push(e: Omit<HostEvent, "seq" | "at">): HostEvent {
    const ev: HostEvent = { seq: ++this.seq, at: Date.now() - this.start, ...e };
    this.items.push(ev);
    if (this.items.length > this.limit) this.items.splice(0, this.items.length - this.limit);
    this.sink?.(ev);
    for (const w of [...this.waiters])
      if (w.pred(ev)) {
        this.waiters.delete(w);
        w.resolve(ev);
      }
    return ev;
  }

  list(filter?: Partial<Pick<HostEvent, "kind" | "mti" | "stan" | "terminalId" | "code" | "conn" | "rule">>): HostEvent[] {
    if (!filter) return this.items.slice();
    return this.items.filter((e) => Object.entries(filter).every(([k, v]) => v === undefined || (e as unknown as Record<string, unknown>)[k] === v));
  }

  clear(): void {
    this.items.length = 0;
  }

  /** The first event from now (or already logged, with `past`) satisfying `pred`; rejects after `timeoutMs`. */
  waitFor(pred: (e: HostEvent) => boolean, timeoutMs = 5000, past = false): Promise<HostEvent> {
    if (past) {
      const hit = this.items.find(pred);
      if (hit) return Promise.resolve(hit);
    }
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        pred,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        reject(new Error(`E_HOST_EVENT_TIMEOUT: no matching host event within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(w);
    });
  }

  /** One line per event (multi-line describe text indented), for logs. */
  format(events = this.items): string {
    return events
      .map((e) => {
        const head = `[${String(e.at).padStart(6)} ms] #${e.conn} ${e.kind}${e.mti ? " " + e.mti : ""}${e.stan ? " trace " + e.stan : ""}${e.code ? " rc " + e.code : ""}${e.rule ? " rule " + e.rule : ""}${e.note ? " — " + e.note : ""}`;
        return e.text ? head + "\n" + e.text.replace(/^/gm, "    ") : head;
      })
      .join("\n");
  }
}
