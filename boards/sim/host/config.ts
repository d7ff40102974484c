/**
 * The host's configuration: JSON-able settings (examples/host-config.json; `npm start -- --config FILE`) plus
 * Node-only hooks (clock, randomness, an event sink). Every field is optional; defaults are this project's
 * profile (docs/cup-profile.md).
 */
import { readFileSync } from "node:fs";
import { ACQUIRER_ID, COMPLETION_TOLERANCE_PERCENT, ISSUER_ID, PIN_TRY_LIMIT, type FactoryDevice } from "./factory.ts";
import type { AccountInput } from "./accounts.ts";
import type { TerminalInput } from "./terminals.ts";
import type { RuleInput } from "./script.ts";
import type { RandomSource } from "./keys.ts";
import type { HostEvent } from "./events.ts";

export interface HostConfig {
  /** Listen address and port (default 127.0.0.1, 0 = any free port). */
  host?: string;
  port?: number;
  /** Load the factory devices and test cards of factory.ts (default true). */
  factory?: boolean;
  /** More devices (activation), terminals known without activation, accounts, script rules. */
  devices?: FactoryDevice[];
  terminals?: TerminalInput[];
  accounts?: AccountInput[];
  rules?: RuleInput[];
  /** Application header of the answers (hex, 6 bytes); default: the request's header sent back. */
  headerHex?: string;
  /** Field 32 and the issuer part of field 44. */
  acquirerId?: string;
  issuerId?: string;
  /** Wrong PINs before 75 (default 3: the third wrong PIN answers 75). */
  pinTryLimit?: number;
  /** A completion may be at most this % above its pre-auth (default 15). */
  completionTolerancePercent?: number;
  /** Field 39 for a reversal of a transaction the host never saw (default "25"; "00" is the other usual answer). */
  unknownReversalCode?: string;
  /** 60.3 values that end a batch upload (default ["202", "207"]). */
  batchEndCodes?: string[];
  /** MTIs that must carry field 64 (default 0100, 0200, 0220, 0400); a missing MAC answers A0. */
  macRequired?: string[];
  /** Largest frame accepted (LEN value); a bigger announced length closes the connection (default 8192). */
  maxFrameBytes?: number;
  /** A connection silent this long is closed (a partial frame is logged as truncated). Default 120000. */
  idleTimeoutMs?: number;
  /** Close the connection after every answer (default false: the terminal may send several exchanges). */
  closeAfterResponse?: boolean;
  /** Issue a new random TMK at every activation even when the device has a factory TMK (default false). */
  randomTmk?: boolean;
  /** `host:port` sent in activation tag DF13 (none by default). */
  advertisedAddress?: string;
  /** Answer 90 to everything (cut-off / maintenance). */
  maintenance?: boolean;
  /** Events kept (default 10000). */
  eventLimit?: number;
  /** Node-only: the host's clock (fields 12, 13, 15; card expiry), randomness (keys, garbage), event sink. */
  clock?: () => Date;
  random?: RandomSource;
  onEvent?: (e: HostEvent) => void;
}

export interface ResolvedConfig extends Required<Omit<HostConfig, "headerHex" | "advertisedAddress" | "clock" | "random" | "onEvent" | "devices" | "terminals" | "accounts" | "rules">> {
  headerHex?: string;
  advertisedAddress?: string;
}

export function resolveConfig(c: HostConfig = {}): ResolvedConfig {
  return {
    host: c.host ?? "127.0.0.1",
    port: c.port ?? 0,
    factory: c.factory ?? true,
    headerHex: c.headerHex,
    acquirerId: c.acquirerId ?? ACQUIRER_ID,
    issuerId: c.issuerId ?? ISSUER_ID,
    pinTryLimit: c.pinTryLimit ?? PIN_TRY_LIMIT,
    completionTolerancePercent: c.completionTolerancePercent ?? COMPLETION_TOLERANCE_PERCENT,
    unknownReversalCode: c.unknownReversalCode ?? "25",
    batchEndCodes: c.batchEndCodes ?? ["202", "207"],
    macRequired: c.macRequired ?? ["0100", "0200", "0220", "0400"],
    maxFrameBytes: c.maxFrameBytes ?? 8192,
    idleTimeoutMs: c.idleTimeoutMs ?? 120000,
    closeAfterResponse: c.closeAfterResponse ?? false,
    randomTmk: c.randomTmk ?? false,
    advertisedAddress: c.advertisedAddress,
    maintenance: c.maintenance ?? false,
    eventLimit: c.eventLimit ?? 10000,
  };
}

/** Reads a JSON host configuration (examples/host-config.json). Keys starting with "//" or "$" are comments. */
export function loadHostConfig(path: string): HostConfig {
  const v = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  for (const k of Object.keys(v)) if (k.startsWith("//") || k.startsWith("$")) delete v[k];
  return v as HostConfig;
}
