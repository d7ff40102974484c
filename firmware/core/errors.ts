/**
 * Typed errors of the core. Codes are stable strings the app, the diagnostics and the tests match on
 * (E_HEX, E_BCD, E_KEY_LENGTH, E_TLV_TRUNCATED, E_8583_FIELD, E_MAC_MISMATCH, ...).
 */
export class CoreError extends Error {
  constructor(readonly code: string, message: string) {
    super(`${code}: ${message}`);
    this.name = "CoreError";
  }
}
