/**
 * Typed errors of the dial-up (Hayes) driver, with the evidence a diagnosis needs.
 *
 * Dial results (V.250 / Hayes result codes, devices.md §3): E_DIAL_NO_DIALTONE (`NO DIALTONE` /
 * `NO DIAL TONE`: the line is unplugged, cut, or suspended for arrears: an unpaid line in China gives
 * no dial tone or an operator announcement, which a modem cannot tell apart from a dead line, so the
 * evidence names both), E_DIAL_BUSY (`BUSY`), E_DIAL_NO_ANSWER (`NO ANSWER`, after `@`),
 * E_DIAL_NO_CARRIER (`NO CARRIER`: nobody answered with a modem, or the handshake failed),
 * E_DIAL_ERROR (`ERROR`: the modem refused the dial string or the line is in use), E_DIAL_TIMEOUT (no
 * result within the dial timeout; the dial was aborted).
 * Setup: E_DIAL_NOT_READY (no answer to AT, or an init command refused), E_DIAL_BAD_NUMBER,
 * E_DIAL_IN_CALL (a call is already up on this modem).
 * In a call: E_SOCKET_CLOSED (reason "carrier": the carrier was lost, `NO CARRIER`; "local": closed
 * here), E_SOCKET_TIMEOUT.
 */
import { HalError } from "../errors";

export interface DialEvidence {
  number?: string;
  command?: string;
  /** The result code text the modem sent (NO DIALTONE, BUSY, CONNECT 2400 ...). */
  final?: string;
  /** CONNECT rate (bps) when known. */
  rate?: number;
  waitedMs?: number;
  /** Why a call ended: carrier, local, hangup-failed. */
  reason?: string;
  /** What the result usually means on a POS line. */
  hint?: string;
}

export class DialupError extends HalError {
  constructor(
    code: string,
    message: string,
    readonly evidence: DialEvidence,
  ) {
    super(code, message);
    this.name = "DialupError";
  }
}
