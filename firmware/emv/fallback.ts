/**
 * Chip first, fallback only after a chip failure (spec/devices.md §4.1, EMV Book 4 §11.1): what to do
 * with a swiped card, and which chip errors allow a technical fallback to the stripe. The transaction
 * layer marks a fallback in field 22 (the acquirer's code for it is its own business).
 */

/** Service code digit 1 of 2 or 6: the card has a chip to use where feasible. */
export function chipCardByServiceCode(serviceCode: string): boolean {
  const c = serviceCode.charAt(0);
  return c === "2" || c === "6";
}

export type SwipeDecision =
  /** A chip card: ask for the chip (insert or tap). */
  | "use-chip"
  /** A chip card whose chip failed on this terminal just before: accept the stripe, flagged as fallback. */
  | "fallback"
  /** A stripe-only card: an ordinary swipe. */
  | "magstripe";

/**
 * What to do with a swipe. `chipFailed`: the chip of this card failed on this terminal in this
 * transaction (chipFailureAllowsFallback said so); `terminalHasChipReader`: false on a stripe-only device.
 */
export function swipeDecision(serviceCode: string, chipFailed: boolean, terminalHasChipReader = true): SwipeDecision {
  if (!chipCardByServiceCode(serviceCode) || !terminalHasChipReader) return "magstripe";
  return chipFailed ? "fallback" : "use-chip";
}

/**
 * Whether a chip failure allows the stripe: technical failures (no ATR, no answer, malformed answers,
 * card errors before the transaction started, no common application) do; a blocked card or
 * application, a cancel, a card pulled out and a decline do not.
 */
export function chipFailureAllowsFallback(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code !== "string") return false;
  switch (code) {
    case "E_CARD_MUTE":
    case "E_CARD_TIMEOUT":
    case "E_APDU":
    case "E_ATR_TS":
    case "E_ATR_TRUNCATED":
    case "E_ATR_LENGTH":
    case "E_ATR_TCK":
    case "E_EMV_NO_APP":
    case "E_EMV_CARD":
    case "E_EMV_DATA":
    case "E_TLV_TRUNCATED":
    case "E_TLV_BAD_LENGTH":
    case "E_TLV_BAD_TAG":
      return true;
    default:
      return false;
  }
}
