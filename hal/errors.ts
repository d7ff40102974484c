/** Typed errors: every failure the HAL reports carries a stable code the app and diagnostics map. */
export class HalError extends Error {
  constructor(readonly code: string, message: string) {
    super(`${code}: ${message}`);
    this.name = "HalError";
  }
}

/** The code of any error: ours, a native's (`code` property) or a plain one (E_UNKNOWN). */
export function errorCode(e: unknown): string {
  const c = e !== null && typeof e === "object" ? (e as { code?: unknown }).code : undefined;
  return typeof c === "string" ? c : "E_UNKNOWN";
}
