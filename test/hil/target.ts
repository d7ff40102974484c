/**
 * The HIL target interface: what a scenario may do to a terminal, the same on every target.
 *
 *   agent   keys in, screen out, operations, events, logs: the test agent's CBOR frames on the debug UART
 *   rig     what a HIL bench does from outside (card robot, PED key presser, paper, power relay, printer camera);
 *           absent on a bare board reached only through its port: scenarios that need it are skipped there
 *   timing  per-target durations (virtual time on `sim`, real time behind a serial port)
 *
 * The acquirer host is not part of the target: the harness owns it (runner.ts), on 127.0.0.1.
 */

/** An agent event ({ev: "ready" | "screen" | "txn" | "printed" | "failure" | "swipe", ...}). */
export type AgentEvent = { ev: string; [k: string]: any };

export interface AgentLink {
  /** One request; resolves with the result or rejects with {code, message} (E_AGENT_GONE when the board went down). */
  call<T = any>(op: string, args?: Record<string, unknown>): Promise<T>;
  /** Every event pushed so far (this power-on and before). */
  readonly events: AgentEvent[];
  /** Called with each event as it arrives. */
  readonly listeners: Array<(e: AgentEvent) => void>;
  /** The panel as last pushed. */
  screen: string[];
  /** Resolves when the agent said "ready" (after a power-on). */
  whenReady(): Promise<void>;
}

export interface PresentedCard {
  /** Test card name (boards/sim/host/factory.ts TEST_CARDS). */
  name: string;
  track2: string;
  pin?: string;
}

export interface Rig {
  swipe(card: PresentedCard): Promise<boolean>;
  /** Types digits + ENTER on the PED (or cancels with "cancel"). */
  pin(digits: string | "cancel"): Promise<void>;
  /** A catalog card (boards/sim/devices/cards/catalog.ts) into the contact slot / the contactless field. */
  insert(catalogName: string): Promise<void>;
  tap(catalogName: string): Promise<void>;
  remove(): Promise<void>;
  paper(loaded: boolean): Promise<void>;
  /** Cuts the power and restores it; resolves when the board is powered again (not yet ready). */
  powerCut(): Promise<void>;
  /** A board fresh from the factory (erased flash, new PED); powered on. */
  factory(): Promise<void>;
  /** The printer's paper, one string per row, since the board left the factory. */
  printed(): Promise<string[]>;
  /** The firmware's log lines as the bench captured them (console UART). */
  logs(last?: number): Promise<string[]>;
}

export interface Timing {
  /** Response timeout configured into the terminal for the timeout scenarios (ms, the target's clock). */
  responseTimeoutMs: number;
  /** A host delay sure to pass that timeout (real ms: the host runs in real time). */
  hostDelayPastTimeoutMs: number;
  /** Real time one step may take before the runner gives up. */
  stepMs: number;
}

export interface HilTarget {
  readonly name: string;
  readonly agent: AgentLink;
  readonly rig: Rig | undefined;
  readonly timing: Timing;
  /**
   * Waits for `p` while the target's clock runs (on `sim` virtual time is otherwise held between requests so it does
   * not jump while the harness thinks).
   */
  during<T>(p: Promise<T>): Promise<T>;
  /** What went on, for a failure message. */
  diagnose(): Promise<string>;
  close(): Promise<void>;
}

/** Rejects after `ms` with a message; the timer is cleared when `p` settles. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<T>((_, reject) => (t = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)))]).finally(() => clearTimeout(t));
}

/** `p`, or a rejection as soon as `stopped()` names why the board stopped by itself (checked every 200 ms). */
export function unlessStopped<T>(p: Promise<T>, stopped: () => string | undefined): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const watch = new Promise<T>((_, reject) => {
    t = setInterval(() => {
      const why = stopped();
      if (why) reject(Object.assign(new Error(`E_BOARD_STOPPED: the board stopped: ${why}`), { code: "E_BOARD_STOPPED" }));
    }, 200);
  });
  return Promise.race([p, watch]).finally(() => clearInterval(t));
}
