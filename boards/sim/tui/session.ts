/**
 * The interactive simulator's session: `npm start`'s session (boards/sim/script/session.ts: built-in host or
 * HOST:PORT, the terminal config's TMK into the PED as a test key) with two differences a person needs:
 *  - the engine runs on the wall clock ("real" mode of boards/sim/engine-host.ts), so the terminal's timeouts
 *    (60 s for a key, the host's response timeout, the PED's) pass in real time while the person looks;
 *  - nobody types the PIN or swipes on the person's behalf: the person does it in the TUI.
 */
import { startSession, type Session, type TerminalConfig } from "../script/session.ts";

export type InteractiveSession = Session;

export interface InteractiveOptions {
  config?: TerminalConfig;
  /** HOST:PORT of the acquirer's test host; default the built-in host. */
  host?: string;
  onLog?: (level: number, message: string) => void;
  /** The engine's clock: "real" (default) follows the wall clock; "virtual" jumps to the next timer when quiet. */
  clock?: "real" | "virtual";
}

export function startInteractiveSession(o: InteractiveOptions): Promise<InteractiveSession> {
  return startSession({ config: o.config, host: o.host, onLog: o.onLog, autoCard: false, engine: { clock: o.clock ?? "real" } });
}
