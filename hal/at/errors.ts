/** Typed errors of the AT command engine. */
import { HalError } from "../errors";

/**
 * E_AT_TIMEOUT (no final result in time), E_AT_ERROR (`ERROR`), E_CME_ERROR / E_CMS_ERROR (with the
 * number in `cme`), E_MODEM_RESET (`RDY` or `POWERED DOWN` while the command was in flight),
 * E_AT_CLOSED (the engine or its port closed), E_NO_CARRIER, E_BUSY, E_NO_DIALTONE, E_NO_ANSWER (dial
 * results), or a code a command declared for one of its own final results (E_SEND_FAIL ...).
 */
export class AtError extends HalError {
  constructor(
    code: string,
    message: string,
    /** The command line that failed (without CR). */
    readonly command: string,
    /** The final result text the module sent, when there was one. */
    readonly final?: string,
    /** The number of `+CME ERROR: n` / `+CMS ERROR: n` (NaN when the module sent text: `final` has it). */
    readonly cme?: number,
  ) {
    super(code, message);
    this.name = "AtError";
  }
}
