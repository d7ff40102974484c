/** What the message handlers share: configuration, registries, ledger, clock and randomness. */
import type { ResolvedConfig } from "./config.ts";
import type { AccountBook } from "./accounts.ts";
import type { TerminalRegistry, Terminal } from "./terminals.ts";
import type { Ledger } from "./ledger.ts";
import type { EventLog } from "./events.ts";
import type { RandomSource } from "./keys.ts";
import type { Fields, ParsedMessage } from "./codec.ts";

export interface HostState {
  config: ResolvedConfig;
  terminals: TerminalRegistry;
  accounts: AccountBook;
  ledger: Ledger;
  events: EventLog;
  clock: () => Date;
  random: RandomSource;
}

/** The host's answer to one request, before packing. */
export interface Answer {
  mti: string;
  fields: Fields;
  /** The MAK to compute field 64 with (the answer carries a MAC). */
  mak?: Uint8Array;
  /** For events. */
  note?: string;
}

/** One request in the hands of a handler. */
export interface Request {
  m: ParsedMessage;
  /** Field value or undefined. */
  f(n: number): string | undefined;
  /** Host date and time of this request. */
  date: string;
  time: string;
  yymm: string;
  now: number;
  /** A scripted field 39 (not "00"): decline without processing. */
  scripted?: string;
  /** The terminal (financial, reversal, settlement, upload: checked before the handler runs). */
  terminal?: Terminal;
}

export function responseMti(mti: string): string {
  return mti.substring(0, 2) + String((Number(mti[2]) + 1) % 10) + mti[3];
}

export function two(n: number): string {
  return n < 10 ? "0" + n : String(n);
}
