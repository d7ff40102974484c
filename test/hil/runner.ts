/**
 * Plays a declarative HIL scenario (scenarios/*.json, format below) on a target (target.ts). The scenario is data:
 * the same file runs unchanged on `sim` and `serial`; the runner owns the acquirer host (a fresh one per scenario,
 * on 127.0.0.1) and reacts to the terminal as a bench would (swipes the presented card when the terminal asks, types
 * its PIN on the PED at the PIN prompt, cuts the power when told to).
 *
 * Scenario: { name, title, from?: "new" | "activated" | "signedIn" (default), needs?: ["rig" | "chip" | "tap"],
 *             pending?: "why it does not run yet", steps: Step[] }
 * A step does one thing:
 *   {op, args}            an agent request (args may use templates)       {keys: [..]}  key presses on the keypad
 *   {wait: "ready"}       the board powered on and its agent said ready   {wait: {screen: RE}} / {wait: {event: {...}}}
 *   {rig: "powerCut" | "paperOut" | "paperIn" | "remove"} / {rig: {insert|tap: catalog name}}
 *   {host: {rule: RuleInput} | {clear: true} | {outage: true|false} | {forget: STAN}}   host control
 *   {check: "ledger" | "reversals" | "printed" | "events", stan?, kind?}            host / rig / event checks
 * and may say, around it:
 *   card: test card name (boards/sim/host/factory.ts) presented during the step: swiped when the terminal asks (agent
 *         {ev:"swipe"}, or a screen saying 请刷卡), its PIN typed at the PED prompt; pin: digits typed instead
 *   cutOn: "sent" | "connect" | ...   the rig cuts the power when the terminal reports that transaction event
 *   expect: {"dotted.path": value | {re} | {gte} | {lte} | {not} | {exists}}   on the result / checked object
 *   error: "E_CODE"       the request must fail with this code       screen: RE   a screen (new after the step) to wait for
 *   poll: true            repeat the request until `expect` holds (up to the step's time)
 *   save: name            keep the result (templates "$name.path" in later args/expect; "$timing.x", "$host.port")
 */
import * as assert from "uvu/assert";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createAcquirerHost, type AcquirerHost } from "../../boards/sim/host/host.ts";
import { DEFAULT_ACTIVATION_CODE, DEFAULT_TERMINAL_ID, TEST_CARDS } from "../../boards/sim/host/factory.ts";
import type { RuleInput } from "../../boards/sim/host/script.ts";
import { within, type AgentEvent, type HilTarget, type PresentedCard } from "./target.ts";

export type Want = unknown;

export interface Step {
  note?: string;
  op?: string;
  args?: Record<string, unknown>;
  keys?: string[];
  wait?: "ready" | { screen?: string; event?: Record<string, unknown> };
  rig?: "powerCut" | "paperOut" | "paperIn" | "remove" | { insert?: string; tap?: string };
  host?: { rule?: RuleInput; clear?: boolean; outage?: boolean; forget?: unknown };
  check?: "ledger" | "reversals" | "printed" | "events";
  stan?: unknown;
  kind?: string;
  card?: string;
  pin?: string;
  cutOn?: string;
  expect?: Record<string, Want> | string;
  error?: string;
  screen?: string;
  poll?: boolean;
  save?: string;
  /** Prelude only: skipped when the terminal is already activated. */
  unlessActivated?: boolean;
}

export interface Scenario {
  name: string;
  title: string;
  from?: "new" | "activated" | "signedIn";
  needs?: string[];
  pending?: string;
  steps: Step[];
  file?: string;
}

export interface ScenarioResult {
  name: string;
  status: "passed" | "failed" | "skipped";
  reason?: string;
  ms: number;
  steps: number;
}

export const SCENARIO_DIR = join(import.meta.dirname, "scenarios");

export function loadScenarios(dir = SCENARIO_DIR): Scenario[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => ({ ...(JSON.parse(readFileSync(join(dir, f), "utf8")) as Scenario), file: f }));
}

/** What a scenario needs of a target: the rig for cards, PIN, power, paper and factory resets. */
export function needsOf(s: Scenario): string[] {
  const n = new Set(s.needs ?? []);
  if (s.from === "new") n.add("rig"); // a board fresh from the factory
  for (const st of s.steps) if (st.card || st.rig || st.cutOn || st.check === "printed") n.add("rig");
  return [...n];
}

/** Why a scenario cannot run on a target (undefined: it can). */
export function skipReason(s: Scenario, t: HilTarget): string | undefined {
  if (s.pending) return `pending: ${s.pending}`;
  for (const n of needsOf(s)) if (n === "rig" && !t.rig) return "needs the HIL rig (card robot, PED presser, power relay), absent on this target";
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------

interface Ctx {
  target: HilTarget;
  host: AcquirerHost;
  saved: Record<string, any>;
}

function at(o: unknown, path: string): unknown {
  if (path === "" || path === ".") return o;
  let v: any = o;
  for (const k of path.split(".")) v = v == null ? undefined : v[k];
  return v;
}

/** "$name.path" -> the saved value; "$timing.x" -> the target's timing; "$host.port". Deep over objects/arrays. */
function resolve(v: unknown, c: Ctx): unknown {
  if (typeof v === "string" && v.startsWith("$")) {
    const [head, ...rest] = v.slice(1).split(".");
    const root = head === "timing" ? c.target.timing : head === "host" ? { port: c.host.port, address: c.host.address } : c.saved[head!];
    if (root === undefined) throw new Error(`template ${v}: nothing saved as "${head}"`);
    return at(root, rest.join("."));
  }
  if (Array.isArray(v)) return v.map((x) => resolve(x, c));
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x, c)]));
  return v;
}

/** Mismatches of `got` against the expectations (empty: it holds). */
function mismatches(got: unknown, expect: Record<string, Want> | string | undefined, c: Ctx): string[] {
  if (expect === undefined) return [];
  if (typeof expect === "string") return new RegExp(expect).test(String(got)) ? [] : [`text does not match /${expect}/`];
  const out: string[] = [];
  for (const [path, raw] of Object.entries(expect)) {
    const want = resolve(raw, c) as any;
    const v = at(got, path);
    const isOp = want && typeof want === "object" && !Array.isArray(want);
    let ok: boolean;
    if (isOp && "re" in want) ok = new RegExp(want.re).test(typeof v === "string" ? v : JSON.stringify(v));
    else if (isOp && "gte" in want) ok = typeof v === "number" && v >= want.gte;
    else if (isOp && "lte" in want) ok = typeof v === "number" && v <= want.lte;
    else if (isOp && "not" in want) ok = JSON.stringify(v) !== JSON.stringify(want.not);
    else if (isOp && "exists" in want) ok = (v !== undefined && v !== null) === want.exists;
    else ok = JSON.stringify(v) === JSON.stringify(want);
    if (!ok) out.push(`${path}: got ${JSON.stringify(v)}, want ${JSON.stringify(want)}`);
  }
  return out;
}

function cardNamed(name: string): PresentedCard {
  const t = (TEST_CARDS as Record<string, { track2: string; pin?: string }>)[name];
  if (!t) throw new Error(`no test card "${name}" (known: ${Object.keys(TEST_CARDS).join(", ")})`);
  return { name, track2: t.track2, pin: t.pin };
}

/** Resolves with the first event (after now) that `match` accepts. */
function nextEvent(t: HilTarget, match: (e: AgentEvent) => boolean): { promise: Promise<AgentEvent>; cancel(): void } {
  let l: ((e: AgentEvent) => void) | undefined;
  const cancel = () => {
    const i = l ? t.agent.listeners.indexOf(l) : -1;
    if (i >= 0) t.agent.listeners.splice(i, 1);
  };
  const promise = new Promise<AgentEvent>((resolve) => {
    l = (e) => {
      if (match(e)) {
        cancel();
        resolve(e);
      }
    };
    t.agent.listeners.push(l);
  });
  return { promise, cancel };
}

function eventMatches(e: AgentEvent, want: Record<string, unknown>): boolean {
  return Object.entries(want).every(([k, v]) => (k === "lines" ? new RegExp(String(v)).test((e.lines ?? []).join("\n")) : JSON.stringify(e[k]) === JSON.stringify(v)));
}

async function hostStep(h: NonNullable<Step["host"]>, c: Ctx): Promise<unknown> {
  const host = c.host;
  if (h.clear) host.rules.clear();
  if (h.rule) host.rules.add(resolve(h.rule, c) as RuleInput);
  if (h.outage === true) host.rules.add({ id: "outage", comment: "the host is unreachable: every connection closed at once", action: { disconnect: "accept" } });
  if (h.outage === false) host.rules.remove("outage");
  if (h.forget !== undefined) {
    // The host loses a transaction from its totals (a deliberate mismatch: the settlement needs the batch upload).
    const stan = Number(resolve(h.forget, c));
    const e = host.ledger.entries({ terminalId: DEFAULT_TERMINAL_ID }).find((x) => Number(x.stan) === stan);
    if (!e) throw new Error(`host: no ledger entry with STAN ${stan} to forget`);
    e.state = "declined";
  }
  return null;
}

async function checkStep(s: Step, c: Ctx): Promise<unknown> {
  const host = c.host;
  const stan = s.stan !== undefined ? Number(resolve(s.stan, c)) : undefined;
  switch (s.check) {
    case "ledger": {
      const all = host.ledger.entries({ terminalId: DEFAULT_TERMINAL_ID, ...(s.kind ? { kind: s.kind as never } : {}) });
      return stan === undefined ? all : all.find((e) => Number(e.stan) === stan);
    }
    case "reversals":
      return host.ledger.reversals.filter((r) => r.terminalId === DEFAULT_TERMINAL_ID && (stan === undefined || Number(r.stan) === stan));
    case "printed":
      return (await c.target.rig!.printed()).join("\n");
    case "events":
      return c.target.agent.events;
    default:
      throw new Error(`unknown check ${String(s.check)}`);
  }
}

function describeStep(s: Step): string {
  const what = s.op ? `op ${s.op}` : s.keys ? `keys ${s.keys.join(",")}` : s.wait ? `wait ${JSON.stringify(s.wait)}` : s.rig ? `rig ${JSON.stringify(s.rig)}` : s.host ? `host ${JSON.stringify(s.host)}` : s.check ? `check ${s.check}` : "?";
  return s.note ? `${what} (${s.note})` : what;
}

/** One step; throws with what differed. */
async function runStep(s: Step, c: Ctx): Promise<void> {
  const t = c.target;
  const ms = t.timing.stepMs;
  if (s.unlessActivated && (await within(t.during(t.agent.call("state")), ms, "state")).activated) return;
  // The bench around the step: the presented card, the PED, the power relay.
  const card = s.card ? cardNamed(s.card) : undefined;
  const pin = s.pin ?? card?.pin;
  let swiped = false;
  let cut: Promise<void> | undefined;
  const bench = (e: AgentEvent) => {
    if (card && !swiped && (e.ev === "swipe" || (e.ev === "screen" && /请刷卡/.test((e.lines ?? []).join("\n"))))) {
      swiped = true;
      setImmediate(() => void t.rig!.swipe(card));
    } else if (e.ev === "txn" && e.kind === "pin" && card) {
      setImmediate(() => void t.rig!.pin(pin ?? "cancel"));
    }
    if (s.cutOn && !cut && e.ev === "txn" && e.kind === s.cutOn) cut = t.rig!.powerCut();
  };
  t.agent.listeners.push(bench);
  const screenWait = s.screen ? nextEvent(t, (e) => e.ev === "screen" && new RegExp(s.screen!).test(e.lines.join("\n"))) : undefined;
  try {
    let result: unknown;
    if (s.op) {
      const call = async () => t.agent.call(s.op!, (resolve(s.args ?? {}, c) ?? {}) as Record<string, unknown>);
      if (s.error) {
        const e = await within(t.during(call().then((r) => ({ unexpected: r }), (err) => ({ err }))), ms, describeStep(s));
        if ("unexpected" in e) throw new Error(`expected error ${s.error}, got ${JSON.stringify(e.unexpected)}`);
        result = e.err;
        assert.is((e.err as { code?: string }).code, s.error, `error code (${(e.err as Error).message})`);
      } else if (s.poll) {
        const deadline = Date.now() + ms;
        for (;;) {
          result = await within(t.during(call()), ms, describeStep(s));
          const bad = mismatches(result, s.expect, c);
          if (!bad.length) break;
          if (Date.now() > deadline) throw new Error(`never held: ${bad.join("; ")}`);
          await t.during(new Promise((r) => setTimeout(r, 100)));
        }
      } else {
        result = await within(t.during(call()), ms, describeStep(s));
      }
    } else if (s.keys) {
      result = await within(t.during(t.agent.call("keys", { keys: s.keys })), ms, describeStep(s));
    } else if (s.wait === "ready") {
      await within(t.during(t.agent.whenReady()), ms, "the board to power on (agent ready)");
      result = await t.agent.call("hello");
    } else if (s.wait && s.wait.screen) {
      const re = new RegExp(s.wait.screen);
      if (!re.test(t.agent.screen.join("\n"))) {
        const w = nextEvent(t, (e) => e.ev === "screen" && re.test(e.lines.join("\n")));
        await within(t.during(w.promise), ms, `a screen matching /${s.wait.screen}/; last:\n${t.agent.screen.join("\n")}`).finally(w.cancel);
      }
      result = t.agent.screen.join("\n");
    } else if (s.wait && s.wait.event) {
      const want = resolve(s.wait.event, c) as Record<string, unknown>;
      const w = nextEvent(t, (e) => eventMatches(e, want));
      result = await within(t.during(w.promise), ms, `an event ${JSON.stringify(want)}`).finally(w.cancel);
    } else if (s.rig) {
      const r = t.rig!;
      if (s.rig === "powerCut") await r.powerCut();
      else if (s.rig === "paperOut") await r.paper(false);
      else if (s.rig === "paperIn") await r.paper(true);
      else if (s.rig === "remove") await r.remove();
      else if (s.rig.insert) await r.insert(s.rig.insert);
      else if (s.rig.tap) await r.tap(s.rig.tap);
    } else if (s.host) {
      result = await hostStep(s.host, c);
    } else if (s.check) {
      result = await checkStep(s, c);
    } else {
      throw new Error(`a step with nothing to do: ${JSON.stringify(s)}`);
    }
    if (screenWait) {
      const last = () => t.agent.screen.join("\n");
      if (!new RegExp(s.screen!).test(last()) || s.keys || s.op) await within(t.during(screenWait.promise), ms, `a screen matching /${s.screen}/ after ${describeStep(s)}; last:\n${last()}`);
      result = result ?? last();
    }
    if (cut) await cut;
    if (!s.poll && !s.error) {
      const bad = mismatches(result, s.expect, c);
      if (bad.length) throw new Error(`${bad.join("; ")}\n  in ${JSON.stringify(result)?.slice(0, 1500)}`);
    }
    if (s.save) c.saved[s.save] = result;
  } finally {
    screenWait?.cancel();
    const i = t.agent.listeners.indexOf(bench);
    if (i >= 0) t.agent.listeners.splice(i, 1);
  }
}

/** The steps that bring a fresh terminal to where a scenario starts. */
function prelude(from: Scenario["from"]): Step[] {
  const steps: Step[] = [{ op: "configure", args: { hostAddress: "127.0.0.1", hostPort: "$host.port" } }];
  if (from === "new") return steps;
  // (A board without a rig is not reset between scenarios: it activates only once.)
  steps.push({ op: "activate", args: { code: DEFAULT_ACTIVATION_CODE }, expect: { status: "approved" }, unlessActivated: true });
  if (from === "activated") return steps;
  steps.push({ op: "signIn", expect: { status: "approved" } }, { op: "operatorSignIn", args: { no: "01", password: "0000" } });
  return steps;
}

export interface RunOptions {
  onStep?: (index: number, step: Step, ms: number) => void;
}

/** Plays one scenario on a target with a fresh host (and, with a rig, a board fresh from the factory). */
export async function runScenario(target: HilTarget, s: Scenario, o: RunOptions = {}): Promise<ScenarioResult> {
  const t0 = Date.now();
  const skip = skipReason(s, target);
  if (skip) return { name: s.name, status: "skipped", reason: skip, ms: 0, steps: 0 };
  const host = await createAcquirerHost();
  const c: Ctx = { target, host, saved: {} };
  const steps: Array<Step & { prelude?: boolean }> = [...prelude(s.from ?? "signedIn").map((p) => ({ ...p, prelude: true })), ...s.steps];
  let i = 0;
  try {
    if (target.rig) {
      await target.rig.factory();
      await within(target.during(target.agent.whenReady()), target.timing.stepMs, "the factory-fresh board to say ready");
    }
    for (; i < steps.length; i++) {
      const ts = Date.now();
      await runStep(steps[i]!, c);
      o.onStep?.(i, steps[i]!, Date.now() - ts);
    }
    return { name: s.name, status: "passed", ms: Date.now() - t0, steps: steps.length };
  } catch (e) {
    const st = steps[i];
    const where = st ? `${st.prelude ? "prelude " : ""}step ${i + 1 - (st.prelude ? 0 : prelude(s.from ?? "signedIn").length)} ${describeStep(st)}` : "setup";
    const diag = await target.diagnose().catch(() => "");
    const hostEvents = host.events.format?.() ?? "";
    return {
      name: s.name,
      status: "failed",
      reason: `[${target.name}] ${s.name}: ${where}: ${(e as Error).message}\n--- screen\n${target.agent.screen.join("\n")}\n--- board\n${diag}\n--- host\n${String(hostEvents).split("\n").slice(-15).join("\n")}`,
      ms: Date.now() - t0,
      steps: i,
    };
  } finally {
    target.rig && (await target.rig.paper(true).catch(() => undefined));
    await host.close();
  }
}
