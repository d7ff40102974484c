/**
 * Typed errors of the 4G modem driver, each with the evidence a diagnosis layer maps to a cause
 * (no SIM, arrears, no coverage, APN wrong, host down ...). Transport-level failures of the AT
 * channel itself stay AtErrors (E_AT_TIMEOUT, E_MODEM_RESET, E_AT_CLOSED).
 *
 * Codes: E_MODEM_NOT_READY, E_SIM_NOT_INSERTED, E_SIM_PIN_REQUIRED, E_SIM_PUK_REQUIRED, E_SIM_LOCKED,
 * E_SIM_FAILURE, E_SIM_WRONG, E_SIM_BUSY, E_SIM_PIN_WRONG, E_NO_SIGNAL, E_REG_DENIED, E_REG_TIMEOUT,
 * E_PDP_FAILED, E_SOCKET_CONNECT, E_SOCKET_SEND, E_SOCKET_CLOSED, E_SOCKET_TIMEOUT, E_SOCKET_READ,
 * E_SOCKET_BUSY (all 12 connect IDs in use), E_MODEM_PARSE (an answer that does not parse).
 */
import { HalError } from "../errors";

export interface ModemEvidence {
  /** The AT command that failed, its final result and +CME ERROR number. */
  command?: string;
  final?: string;
  cme?: number;
  /** `+CPIN:` answer. */
  cpin?: string;
  /** Last AT+CSQ: rssi (99 = unknown/no signal), ber, and dBm when known. */
  csq?: number;
  ber?: number;
  dbm?: number;
  /** Registration: the best `<stat>` seen, and per domain (EPS = +CEREG, CS = +CREG). */
  stat?: number;
  eps?: number;
  cs?: number;
  act?: number;
  /** PDP context and APN. */
  contextId?: number;
  apn?: string;
  /** Socket connect ID and the module's socket error (+QIOPEN: <id>,<err>: 566 connect failed ...). */
  socket?: number;
  socketError?: number;
  host?: string;
  port?: number;
  /** Why a socket closed: peer, pdpdeact, reset, local. */
  reason?: string;
  /** How long the operation waited (ms). */
  waitedMs?: number;
}

export class ModemError extends HalError {
  constructor(
    code: string,
    message: string,
    readonly evidence: ModemEvidence,
  ) {
    super(code, message);
    this.name = "ModemError";
  }
}
