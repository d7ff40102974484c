/**
 * The diagnostic export a support desk reads (`npm run diag -- FILE`): identity, the log ring, recent
 * diagnoses and link steps, as CBOR. Everything in it has passed `sanitize`: no PAN beyond first 6 /
 * last 4, no PIN block, no key.
 */
import { cborEncode, type CborValue } from "../core/cbor";
import type { LogRing } from "./log-ring";
import { sanitize } from "./log-ring";
import type { Diagnosis } from "./diagnose";

export const EXPORT_FORMAT = "cup-terminal-diag";
export const EXPORT_VERSION = 1;

export interface ExportInfo {
  serial: string;
  firmware: string;
  board: string;
  /** RTC at export, seconds since the epoch. */
  timeSec: number;
  /** Terminal and merchant numbers, when set. */
  terminalId?: string;
  merchantId?: string;
}

export function diagExport(info: ExportInfo, log: LogRing, diagnoses: Diagnosis[] = [], linkSteps: string[] = []): Uint8Array {
  const doc: { [k: string]: CborValue } = {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    serial: info.serial,
    firmware: info.firmware,
    board: info.board,
    time: info.timeSec,
    terminalId: info.terminalId ?? null,
    merchantId: info.merchantId ?? null,
    log: log.entries().map((e) => [e.seq, e.time, e.level, e.text]),
    diagnoses: diagnoses.map((d) => ({ cause: d.cause.id, code: sanitize(d.code), zh: d.cause.zh, next: d.cause.nextZh, fixer: d.cause.fixer, evidence: d.evidence.map(sanitize) })),
    link: linkSteps.map(sanitize),
  };
  return cborEncode(doc);
}
