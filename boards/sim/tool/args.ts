/**
 * Argument handling of the desk tool: `--name value` / `--name=value` options, bare words, and input
 * checks that say exactly what is wrong (which option, which character). A UsageError means the command
 * line itself is wrong (exit status 2); errors from firmware/core (CoreError) mean the input was refused
 * by the core (exit status 1).
 */

export class UsageError extends Error {
  readonly code = "E_USAGE";
}

export interface ParsedArgs {
  /** Option values by name (without the dashes). */
  options: Map<string, string>;
  /** Flags given without a value (only those declared as flags). */
  flags: Set<string>;
  /** Words that are not options, in order. */
  words: string[];
}

/**
 * Parses `words` for a command that takes `valued` options (each needs a value) and `flagNames` (no value).
 * Unknown options, a missing value and an option given twice are UsageErrors.
 */
export function parseArgs(words: readonly string[], valued: readonly string[], flagNames: readonly string[] = []): ParsedArgs {
  const options = new Map<string, string>();
  const flags = new Set<string>();
  const rest: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (!w.startsWith("--") || w === "--") {
      rest.push(w);
      continue;
    }
    const eq = w.indexOf("=");
    const name = eq > 0 ? w.slice(2, eq) : w.slice(2);
    if (flagNames.includes(name)) {
      if (eq > 0) throw new UsageError(`--${name} takes no value`);
      flags.add(name);
      continue;
    }
    if (!valued.includes(name)) {
      const known = [...valued, ...flagNames].map((n) => `--${n}`).join(", ");
      throw new UsageError(`unknown option --${name} (this command takes ${known || "no options"})`);
    }
    let value: string;
    if (eq > 0) value = w.slice(eq + 1);
    else {
      const next = words[i + 1];
      if (next === undefined || (next.startsWith("--") && next.length > 2)) throw new UsageError(`--${name} needs a value`);
      value = next;
      i++;
    }
    if (options.has(name)) throw new UsageError(`--${name} given twice`);
    options.set(name, value);
  }
  return { options, flags, words: rest };
}

/** The value of a required option. */
export function required(a: ParsedArgs, name: string): string {
  const v = a.options.get(name);
  if (v === undefined) throw new UsageError(`--${name} is required`);
  return v;
}

/** One of `choices` (case-insensitive), or the default when absent (required when no default). */
export function choice<T extends string>(a: ParsedArgs, name: string, choices: readonly T[], fallback?: T): T {
  const v = a.options.get(name);
  if (v === undefined) {
    if (fallback !== undefined) return fallback;
    throw new UsageError(`--${name} is required: ${choices.join(", ")}`);
  }
  const hit = choices.find((c) => c.toLowerCase() === v.toLowerCase());
  if (!hit) throw new UsageError(`--${name} ${v}: not one of ${choices.join(", ")}`);
  return hit;
}

/**
 * Bytes of a hex string: pairs of hex digits; spaces and colons between bytes are allowed ("9F 02",
 * "9f:02"). Anything else, or an odd digit count, is a UsageError naming `what`.
 */
export function hexArg(value: string, what: string, allowEmpty = false): Uint8Array {
  const h = value.replace(/[\s:]/g, "");
  for (let i = 0; i < h.length; i++) {
    const c = h.charCodeAt(i);
    const ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
    if (!ok) throw new UsageError(`${what}: "${h[i]}" at position ${i + 1} is not a hex digit`);
  }
  if (h.length & 1) throw new UsageError(`${what}: odd number of hex digits (${h.length})`);
  if (!h.length && !allowEmpty) throw new UsageError(`${what}: no hex digits`);
  const out = new Uint8Array(h.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.substr(2 * i, 2), 16);
  return out;
}

/** A required hex option. */
export function hexOption(a: ParsedArgs, name: string, allowEmpty = false): Uint8Array {
  return hexArg(required(a, name), `--${name}`, allowEmpty);
}

/** A decimal digit string (PIN, PAN). */
export function digitsOption(a: ParsedArgs, name: string): string {
  const v = required(a, name);
  if (!/^[0-9]+$/.test(v)) throw new UsageError(`--${name} ${v}: digits only`);
  return v;
}

/** An integer option within [min, max], or the default when absent. */
export function intOption(a: ParsedArgs, name: string, min: number, max: number, fallback?: number): number | undefined {
  const v = a.options.get(name);
  if (v === undefined) return fallback;
  if (!/^[0-9]+$/.test(v) || Number(v) < min || Number(v) > max) throw new UsageError(`--${name} ${v}: a whole number from ${min} to ${max}`);
  return Number(v);
}

/** Refuses bare words for commands that take none. */
export function noWords(a: ParsedArgs): void {
  if (a.words.length) throw new UsageError(`unexpected argument "${a.words[0]}"`);
}

const HEX = "0123456789ABCDEF";
export function toHex(b: ArrayLike<number>): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += HEX[b[i]! >> 4]! + HEX[b[i]! & 15]!;
  return s;
}

/**
 * Splits a batch line into words: whitespace separates, double quotes group ("a b" is one word).
 * An unterminated quote is a UsageError.
 */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  let quoted = false;
  for (const ch of line) {
    if (quoted) {
      if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') {
      quoted = true;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quoted) throw new UsageError("unterminated quote");
  if (inWord) words.push(cur);
  return words;
}
