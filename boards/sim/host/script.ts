/**
 * Scripted behaviour: rules matched against each request (message type, processing code, 60.1, 60.3, PAN, amount,
 * terminal, nth occurrence) that make the host answer any response code (unknown ones too: "Z9", "B7", "5X"), delay
 * the answer, drop it, corrupt its MAC, answer with another STAN, send garbage or a partial frame, answer twice, or
 * disconnect before or after processing the request. Rules are added and removed while the host runs, or loaded
 * from JSON (an array of rules, or { "rules": [...] }).
 *
 * The first rule whose criteria all match acts; `times` limits how often it fires (default: always; 1 with `nth`).
 * What the host does with the request: `respond` other than "00" declines without processing (the ledger gets a
 * declined entry); `disconnect: "before"` drops the connection without processing; every other fault processes the
 * request (the ledger changes as for a normal answer) and then misbehaves on the way out. `disconnect: "accept"`
 * closes a new connection before reading anything (criteria other than `nth` do not apply to it). A scripted
 * answer to a reversal is not stored as the host's answer: the terminal's retry is processed.
 */
import { readFileSync } from "node:fs";
import type { ParsedMessage } from "./codec.ts";

type OneOrMany = string | string[];

export interface RuleMatch {
  /** Request MTI(s): "0200", ["0100", "0200"]. */
  mti?: OneOrMany;
  /** Field 3. */
  processingCode?: OneOrMany;
  /** 60.1 transaction type code ("22" sale, "23" void ...). */
  type?: OneOrMany;
  /** 60.3 network management code ("003" sign-in, "360" activation ...). */
  network?: OneOrMany;
  /** Card number (field 2, else the PAN of track 2). */
  pan?: OneOrMany;
  /** Field 4 in fen: exact, or a range. */
  amount?: number | { min?: number; max?: number };
  /** Field 41. */
  terminal?: OneOrMany;
  /** Only the nth request (1-based) matching the other criteria. */
  nth?: number;
}

export interface RuleAction {
  /** Field 39 to answer with, without processing (any 2 characters). "00" = process normally. */
  respond?: string;
  /** Send the answer this many ms late. */
  delayMs?: number;
  /** Never answer (the connection stays open until the peer closes it). */
  drop?: boolean;
  /** Answer with a wrong MAC (a valid hex text, not the MAC of the message). */
  corruptMac?: boolean;
  /** "accept": close a new connection at once; "before": close on the request, unprocessed; "after": process, then close without answering. */
  disconnect?: "accept" | "before" | "after";
  /** Answer with another STAN: true = the request's + 1, or the 6 digits given. */
  wrongStan?: boolean | string;
  /** Send garbage instead of the answer: that many random bytes, or the bytes of a hex string. */
  garbage?: number | string;
  /** Send only the first n bytes of the answer, then close. */
  partial?: number;
  /** Send only the first n bytes of the answer, then nothing more (the connection stays open: silence). */
  partialHold?: number;
  /** Alter that many bytes of the answer's body (after TPDU and header; length kept): corrupted on the line. */
  corruptBytes?: number;
  /** Send the answer twice. */
  twice?: boolean;
  /** Close the connection after the answer. */
  close?: boolean;
}

export interface RuleInput {
  id?: string;
  comment?: string;
  match?: RuleMatch;
  action: RuleAction;
  /** Fires at most this many times (default: unlimited; 1 when match.nth is set). */
  times?: number;
}

export interface Rule extends RuleInput {
  id: string;
  match: RuleMatch;
  /** Requests that met the criteria (nth counts these), and times the rule acted. */
  matched: number;
  fired: number;
}

/** What the host knows of a request when matching. */
export interface MatchInput {
  message: ParsedMessage;
  pan?: string;
}

const MATCH_KEYS = new Set(["mti", "processingCode", "type", "network", "pan", "amount", "terminal", "nth"]);
const ACTION_KEYS = new Set(["respond", "delayMs", "drop", "corruptMac", "disconnect", "wrongStan", "garbage", "partial", "partialHold", "corruptBytes", "twice", "close"]);
const RULE_KEYS = new Set(["id", "comment", "match", "action", "times"]);

function bad(message: string): never {
  throw new Error(`E_HOST_RULE: ${message}`);
}

function checkRule(r: RuleInput): void {
  if (!r || typeof r !== "object") bad("a rule is an object");
  for (const k of Object.keys(r)) if (!RULE_KEYS.has(k)) bad(`unknown rule key "${k}"`);
  if (!r.action || typeof r.action !== "object") bad("a rule needs an action");
  for (const k of Object.keys(r.action)) if (!ACTION_KEYS.has(k)) bad(`unknown action "${k}"`);
  for (const k of Object.keys(r.match ?? {})) if (!MATCH_KEYS.has(k)) bad(`unknown match key "${k}"`);
  const a = r.action;
  if (a.respond !== undefined && (typeof a.respond !== "string" || a.respond.length !== 2 || !/^[\x20-\x7e]{2}$/.test(a.respond))) bad(`respond must be 2 printable characters: ${String(a.respond)}`);
  if (a.delayMs !== undefined && !(typeof a.delayMs === "number" && a.delayMs >= 0)) bad("delayMs must be a number >= 0");
  if (a.disconnect !== undefined && !["accept", "before", "after"].includes(a.disconnect)) bad(`disconnect must be accept, before or after`);
  if (typeof a.wrongStan === "string" && !/^\d{6}$/.test(a.wrongStan)) bad("wrongStan must be true or 6 digits");
  if (a.garbage !== undefined && !(typeof a.garbage === "number" ? a.garbage > 0 : /^([0-9a-fA-F]{2})+$/.test(a.garbage))) bad("garbage must be a byte count or hex");
  if (a.partial !== undefined && !(typeof a.partial === "number" && a.partial >= 0)) bad("partial must be a byte count");
  if (a.partialHold !== undefined && !(typeof a.partialHold === "number" && a.partialHold >= 0)) bad("partialHold must be a byte count");
  if (a.corruptBytes !== undefined && !(Number.isInteger(a.corruptBytes) && a.corruptBytes >= 1)) bad("corruptBytes must be an integer >= 1");
  const m = r.match ?? {};
  if (m.nth !== undefined && !(Number.isInteger(m.nth) && m.nth >= 1)) bad("nth must be an integer >= 1");
  if (r.times !== undefined && !(Number.isInteger(r.times) && r.times >= 1)) bad("times must be an integer >= 1");
}

function oneOf(want: OneOrMany | undefined, got: string | undefined): boolean {
  if (want === undefined) return true;
  if (got === undefined) return false;
  return Array.isArray(want) ? want.includes(got) : want === got;
}

export class ScriptRules {
  private readonly rules: Rule[] = [];
  private nextId = 1;

  constructor(initial: readonly RuleInput[] = []) {
    for (const r of initial) this.add(r);
  }

  /** Adds a rule at the end (or `first`: before the others); returns it (with its id). */
  add(input: RuleInput, first = false): Rule {
    checkRule(input);
    const id = input.id ?? `r${this.nextId++}`;
    if (this.rules.some((r) => r.id === id)) bad(`duplicate rule id "${id}"`);
    const rule: Rule = { ...input, id, match: { ...(input.match ?? {}) }, action: { ...input.action }, matched: 0, fired: 0 };
    if (rule.times === undefined && rule.match.nth !== undefined) rule.times = 1;
    if (first) this.rules.unshift(rule);
    else this.rules.push(rule);
    return rule;
  }

  remove(id: string): boolean {
    const i = this.rules.findIndex((r) => r.id === id);
    if (i < 0) return false;
    this.rules.splice(i, 1);
    return true;
  }

  clear(): void {
    this.rules.length = 0;
  }

  list(): Rule[] {
    return this.rules.slice();
  }

  get(id: string): Rule | undefined {
    return this.rules.find((r) => r.id === id);
  }

  /** Adds the rules of a JSON text or value: an array of rules, or { "rules": [...] }. Returns them. */
  load(json: string | readonly RuleInput[] | { rules: readonly RuleInput[] }): Rule[] {
    const v: unknown = typeof json === "string" ? JSON.parse(json) : json;
    const arr = Array.isArray(v) ? v : v && typeof v === "object" && Array.isArray((v as { rules?: unknown }).rules) ? (v as { rules: RuleInput[] }).rules : bad("expected an array of rules or { rules: [...] }");
    return (arr as RuleInput[]).map((r) => this.add(r));
  }

  loadFile(path: string): Rule[] {
    return this.load(readFileSync(path, "utf8"));
  }

  /** The rule that acts on a new connection (disconnect "accept"), counted. */
  onConnect(): Rule | undefined {
    for (const r of this.rules) {
      if (r.action.disconnect !== "accept") continue;
      if (r.times !== undefined && r.fired >= r.times) continue;
      r.matched++;
      if (r.match.nth !== undefined && r.matched !== r.match.nth) continue;
      r.fired++;
      return r;
    }
    return undefined;
  }

  /** The rule that acts on this request, counted (every rule whose criteria match counts the request for its nth). */
  onRequest(req: MatchInput): Rule | undefined {
    const m = req.message;
    let hit: Rule | undefined;
    for (const r of this.rules) {
      if (r.action.disconnect === "accept") continue;
      const c = r.match;
      if (!oneOf(c.mti, m.mti)) continue;
      if (!oneOf(c.processingCode, m.fields.get(3))) continue;
      if (!oneOf(c.type, m.f60.type)) continue;
      if (!oneOf(c.network, m.f60.network)) continue;
      if (!oneOf(c.pan, req.pan)) continue;
      if (!oneOf(c.terminal, m.fields.get(41))) continue;
      if (c.amount !== undefined) {
        const a = m.fields.has(4) ? Number(m.fields.get(4)) : undefined;
        if (a === undefined) continue;
        if (typeof c.amount === "number" ? a !== c.amount : (c.amount.min !== undefined && a < c.amount.min) || (c.amount.max !== undefined && a > c.amount.max)) continue;
      }
      if (r.times !== undefined && r.fired >= r.times) continue;
      r.matched++;
      if (c.nth !== undefined && r.matched !== c.nth) continue;
      if (!hit) {
        hit = r;
        r.fired++;
      }
    }
    return hit;
  }
}
