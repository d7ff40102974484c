/**
 * Luhn (ISO/IEC 7812-1 Annex B, "mod 10") check digits and PAN masking. Errors: E_LUHN_DIGITS for a
 * string that is not all decimal digits, E_PAN for a PAN that cannot be masked.
 */
import { CoreError } from "./errors";

function checkDigits(s: string, what: string): void {
  if (s.length === 0) throw new CoreError("E_LUHN_DIGITS", `${what}: empty`);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) throw new CoreError("E_LUHN_DIGITS", `${what}: not a digit at ${i}`);
  }
}

/** Luhn sum of `s` (all digits), doubling every second digit from the right, the rightmost one when `doubleRightmost`. */
function luhnSum(s: string, doubleRightmost: boolean): number {
  let sum = 0;
  let dbl = doubleRightmost;
  for (let i = s.length - 1; i >= 0; i--) {
    let d = s.charCodeAt(i) - 48;
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return sum;
}

/** The check digit (0-9) to append to `payload` (the PAN without its last digit). */
export function luhnCheckDigit(payload: string): number {
  checkDigits(payload, "luhnCheckDigit");
  return (10 - (luhnSum(payload, true) % 10)) % 10;
}

/** True when `digits` (a full PAN, check digit last) passes the Luhn check; false for non-digits or empty. */
export function luhnValid(digits: string): boolean {
  if (digits.length < 2) return false;
  for (let i = 0; i < digits.length; i++) {
    const c = digits.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return luhnSum(digits, false) % 10 === 0;
}

/**
 * A PAN for receipts, screens and logs: first 6 and last 4 digits kept, the rest masked
 * ("6222021234567890123" -> "622202*********0123"). PANs of 10 or fewer digits keep only their last 4.
 * Non-digits -> E_PAN.
 */
export function maskPan(pan: string, mask = "*"): string {
  const n = pan.length;
  if (n < 5) throw new CoreError("E_PAN", `PAN of ${n} digits`);
  for (let i = 0; i < n; i++) {
    const c = pan.charCodeAt(i);
    if (c < 48 || c > 57) throw new CoreError("E_PAN", `PAN has a non-digit at ${i}`);
  }
  const head = n > 10 ? 6 : 0;
  let s = pan.substring(0, head);
  for (let i = head; i < n - 4; i++) s += mask;
  return s + pan.substring(n - 4);
}
