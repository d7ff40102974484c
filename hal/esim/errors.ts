/**
 * Typed errors of the eSIM (ES10 over AT) client, each with the evidence a diagnosis needs.
 *
 * Transport: E_ESIM_CHANNEL (AT+CCHO refused: no eUICC, the ISD-R AID unknown, the module's settings
 * [devices.md §2.1: +CME ERROR: 3]), E_ESIM_TRANSPORT (AT+CGLA refused or its answer does not parse),
 * E_ESIM_SW (a status word other than 61xx / 90xx), E_ESIM_PARSE (an ES10 response that is not the
 * BER-TLV it should be; `tlv` holds the core's E_TLV_* code when the TLV itself is broken),
 * E_ESIM_BAD_EID (not 32 digits, or the check digits fail: SGP.29 mod 97), E_ESIM_BAD_ICCID /
 * E_ESIM_BAD_AID (a target the caller gave that cannot be encoded).
 * ES10 results (SGP.22, devices.md §2.2): E_ESIM_PROFILE_NOT_FOUND (1), E_ESIM_NOT_DISABLED (Enable: 2),
 * E_ESIM_NOT_ENABLED (Disable: 2), E_ESIM_POLICY (3, disallowed by policy), E_ESIM_WRONG_REENABLING
 * (4), E_ESIM_CAT_BUSY (5), E_ESIM_UNDEFINED (127 or a value the spec does not define),
 * E_ESIM_LIST_ERROR (GetProfilesInfo refused: incorrectInputValues 1 / undefinedError 127).
 * Switching: E_ESIM_REFRESH (after the switch the module does not show the new ICCID).
 */
import { HalError } from "../errors";

export interface EsimEvidence {
  /** The ES10 function: GetEID, GetProfilesInfo, EnableProfile, DisableProfile, STORE DATA. */
  fn?: string;
  /** The AT command that failed, its final result and +CME ERROR number. */
  command?: string;
  final?: string;
  cme?: number;
  /** The status word, 4 hex digits. */
  sw?: string;
  /** The ES10 result code. */
  result?: number;
  /** The target profile. */
  iccid?: string;
  aid?: string;
  /** The core's TLV error code and the response (hex, cut to 64 bytes) that did not parse. */
  tlv?: string;
  response?: string;
  /** Verification after a switch: what was expected and what the module showed. */
  expected?: string;
  actual?: string;
  /** The operation was retried (catBusy -> reset -> again). */
  retried?: boolean;
  waitedMs?: number;
}

export class EsimError extends HalError {
  constructor(
    code: string,
    message: string,
    readonly evidence: EsimEvidence,
  ) {
    super(code, message);
    this.name = "EsimError";
  }
}
