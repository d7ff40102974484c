/**
 * The link manager's diagnosis: every driver failure (4G module, SIM, eSIM, dial-up, a native link)
 * mapped to one cause the app can show and act on, with the driver's code and evidence kept.
 *
 * E_LINK_NO_SIM, E_LINK_SIM_LOCKED (PIN/PUK), E_LINK_SIM_FAILURE, E_LINK_REG_DENIED (registration
 * denied: a SIM in arrears or barred, 欠费停机), E_LINK_NO_SIGNAL (CSQ 99), E_LINK_WEAK_SIGNAL (not
 * registered with a weak signal), E_LINK_NO_SERVICE (not registered although the signal is fine: the
 * operator has no service here), E_LINK_PDP_FAILED (APN refused, or arrears that still register),
 * E_LINK_HOST_UNREACHABLE (TCP connect refused / timed out / DNS), E_LINK_MODEM_FAILURE (the module or
 * modem does not answer, restarts, or talks nonsense), E_LINK_ESIM_FAILURE (the profile switch failed),
 * E_LINK_LINE_BUSY, E_LINK_NO_DIALTONE (line unplugged, cut or unpaid), E_LINK_NO_ANSWER,
 * E_LINK_NO_CARRIER, E_LINK_NOT_CONFIGURED (no link to try), E_LINK_FAILURE (anything else).
 */
import { HalError, errorCode } from "../errors";

export interface LinkDiagnosis {
  link: string;
  /** E_LINK_* cause. */
  code: string;
  /** The driver's error code (E_REG_DENIED, E_DIAL_BUSY ...). */
  cause: string;
  message: string;
  /** The driver's evidence (CSQ, stat, CME, final result, APN, number ...). */
  evidence: Record<string, unknown>;
  /** Profiles tried on the eUICC before giving up on the cellular link (ICCID: cause). */
  profiles?: string[];
}

export interface LinkEvidence {
  /** Every link tried, in order, with its diagnosis. */
  attempts: LinkDiagnosis[];
  host?: string;
  port?: number;
  waitedMs?: number;
}

export class LinkError extends HalError {
  constructor(
    code: string,
    message: string,
    readonly evidence: LinkEvidence,
  ) {
    super(code, message);
    this.name = "LinkError";
  }
}

const CAUSES: { [driverCode: string]: string } = {
  E_SIM_NOT_INSERTED: "E_LINK_NO_SIM",
  E_SIM_PIN_REQUIRED: "E_LINK_SIM_LOCKED",
  E_SIM_PUK_REQUIRED: "E_LINK_SIM_LOCKED",
  E_SIM_LOCKED: "E_LINK_SIM_LOCKED",
  E_SIM_PIN_WRONG: "E_LINK_SIM_LOCKED",
  E_SIM_FAILURE: "E_LINK_SIM_FAILURE",
  E_SIM_WRONG: "E_LINK_SIM_FAILURE",
  E_SIM_BUSY: "E_LINK_SIM_FAILURE",
  E_REG_DENIED: "E_LINK_REG_DENIED",
  E_NO_SIGNAL: "E_LINK_NO_SIGNAL",
  E_PDP_FAILED: "E_LINK_PDP_FAILED",
  E_SOCKET_CONNECT: "E_LINK_HOST_UNREACHABLE",
  E_SOCKET_BUSY: "E_LINK_MODEM_FAILURE",
  E_MODEM_NOT_READY: "E_LINK_MODEM_FAILURE",
  E_MODEM_RESET: "E_LINK_MODEM_FAILURE",
  E_MODEM_PARSE: "E_LINK_MODEM_FAILURE",
  E_AT_TIMEOUT: "E_LINK_MODEM_FAILURE",
  E_AT_CLOSED: "E_LINK_MODEM_FAILURE",
  E_AT_ERROR: "E_LINK_MODEM_FAILURE",
  E_CME_ERROR: "E_LINK_MODEM_FAILURE",
  E_DIAL_BUSY: "E_LINK_LINE_BUSY",
  E_DIAL_NO_DIALTONE: "E_LINK_NO_DIALTONE",
  E_DIAL_NO_ANSWER: "E_LINK_NO_ANSWER",
  E_DIAL_NO_CARRIER: "E_LINK_NO_CARRIER",
  E_DIAL_TIMEOUT: "E_LINK_NO_CARRIER",
  E_DIAL_NOT_READY: "E_LINK_MODEM_FAILURE",
  E_DIAL_ERROR: "E_LINK_MODEM_FAILURE",
  E_DIAL_IN_CALL: "E_LINK_MODEM_FAILURE",
  E_DIAL_BAD_NUMBER: "E_LINK_NOT_CONFIGURED",
  E_TIMEOUT: "E_LINK_HOST_UNREACHABLE",
  E_SOCKET_TIMEOUT: "E_LINK_HOST_UNREACHABLE",
  E_SOCKET_CLOSED: "E_LINK_HOST_UNREACHABLE",
};

/** Evidence of any typed error (ModemError, EsimError, DialupError, AtError ...) as a plain object. */
export function evidenceOf(e: unknown): Record<string, unknown> {
  if (e === null || typeof e !== "object") return {};
  const o = e as { evidence?: unknown; command?: unknown; final?: unknown; cme?: unknown };
  if (o.evidence && typeof o.evidence === "object") return o.evidence as Record<string, unknown>;
  const ev: Record<string, unknown> = {};
  if (o.command !== undefined) ev.command = o.command;
  if (o.final !== undefined) ev.final = o.final;
  if (o.cme !== undefined) ev.cme = o.cme;
  return ev;
}

/**
 * The cause of a link failure. A registration timeout is told apart by the signal: with CSQ at or
 * below `weakRssi` (default 9, about -95 dBm) it is weak signal, else the operator has no service.
 */
export function diagnose(link: string, e: unknown, weakRssi = 9): LinkDiagnosis {
  const cause = errorCode(e);
  const evidence = evidenceOf(e);
  let code = CAUSES[cause];
  if (!code) {
    if (cause === "E_REG_TIMEOUT") {
      const csq = typeof evidence.csq === "number" ? evidence.csq : 99;
      code = csq === 99 ? "E_LINK_NO_SIGNAL" : csq <= weakRssi ? "E_LINK_WEAK_SIGNAL" : "E_LINK_NO_SERVICE";
    } else if (cause.startsWith("E_ESIM_")) code = "E_LINK_ESIM_FAILURE";
    else if (cause.startsWith("E_LINK_")) code = cause;
    else code = "E_LINK_FAILURE";
  }
  return { link, code, cause, message: String((e as Error)?.message ?? e), evidence };
}
