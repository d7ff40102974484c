/**
 * The script runner: a JSON list of actions (examples/script.json) played against the terminal through its agent,
 * without a person. Each step is checked; the run stops at the first step that fails.
 *
 *   { "do": "signIn" }                                  sign-in (the operator of the config signs in first)
 *   { "do": "sale", "card": "debit", "amount": 12345, "save": "s1" }   a swiped sale with PIN (card by name or
 *                                                       {pan, track2, pin}); "save" names the result for later steps
 *   { "do": "void", "of": "s1" }                        void of a saved sale (supervisor password from the config)
 *   { "do": "balance", "card": "debit" }   { "do": "refund", "of": "s1", "amount": 100, "card": "debit" }
 *   { "do": "preAuth", ... } { "do": "completion", "of": "p1", "amount": 100 }   { "do": "echo" }
 *   { "do": "settle" }   { "do": "signOut" }
 * Chip and contactless (issue #7): "card": {"chip": "<catalog name>"} inserts the catalog card
 * (boards/sim/devices/cards/catalog.ts, e.g. "unionpayDebit") in the contact slot, {"tap": "<catalog name>"} holds it
 * in the contactless field; the agent reads it (card {chip: true} / {tap: true}), then the card is removed. The PIN
 * typed on the PED is the host account's for that PAN (factory TEST_CARDS), else the image's. "choose": index of the
 * application the cardholder picks on a multi-application card.
 * "expect": "approved" (default), "declined", a response code ("51"), "balanced", or "error:E_CODE".
 */
import { ALL_CARDS, EMV_TEST_CARDS } from "../devices/cards/catalog.ts";
import type { CardImage } from "../devices/cards/image.ts";
import { TEST_CARDS } from "../host/factory.ts";
import type { Session, CardSpec } from "./session.ts";
import { cardOf } from "./session.ts";

/** A catalog card to insert ({chip}) or tap ({tap}). */
export interface ChipCardSpec {
  chip?: string;
  tap?: string;
}

export function isChipCard(c: unknown): c is ChipCardSpec {
  return typeof c === "object" && c !== null && (typeof (c as ChipCardSpec).chip === "string" || typeof (c as ChipCardSpec).tap === "string");
}

/** The catalog card image by name, with the PIN the host expects for its PAN. */
export function catalogCard(name: string): { image: CardImage; spec: CardSpec } {
  const image = ({ ...ALL_CARDS, ...EMV_TEST_CARDS } as Record<string, CardImage>)[name];
  if (!image) throw Object.assign(new Error(`E_SCRIPT_CARD: no catalog card "${name}" (known: ${[...Object.keys(ALL_CARDS), ...Object.keys(EMV_TEST_CARDS)].join(", ")})`), { code: "E_SCRIPT_CARD" });
  const t2 = image.tracks?.track2;
  const pan = t2 ? t2.split(/[=D]/)[0]! : "";
  const acc = Object.values(TEST_CARDS).find((c) => c.pan === pan);
  return { image, spec: { name, pan, track2: t2, pin: acc?.pin ?? image.pin ?? "1234" } };
}

export interface Step {
  do: string;
  card?: string | CardSpec | ChipCardSpec;
  choose?: number;
  amount?: number;
  pin?: boolean;
  of?: string;
  save?: string;
  expect?: string;
  comment?: string;
}

export interface StepResult {
  index: number;
  step: Step;
  ok: boolean;
  summary: string;
  result?: any;
}

export interface ScriptOptions {
  operator?: { no: string; password: string };
  supervisorPassword?: string;
  onStep?: (r: StepResult) => void;
}

function outcomeOf(op: string, r: any): { status: string; code: string; text: string } {
  if (op === "settle") return { status: r.balanced ? "balanced" : "unbalanced", code: r.code, text: `batch ${r.batch} -> ${r.newBatch}, balanced=${r.balanced}, uploaded ${r.uploaded}` };
  if (op === "signOut" || op === "echo") return { status: r.code === "00" ? "approved" : "declined", code: r.code, text: `code ${r.code}` };
  const rec = r.record;
  const extra = rec ? ` STAN ${rec.stan} RRN ${rec.rrn} amount ${rec.amount}` : r.batch !== undefined ? ` batch ${r.batch}` : "";
  const bal = r.balance ? ` balance ${r.balance.amount}` : "";
  return { status: r.status, code: r.code, text: `${r.status} ${r.code} ${r.text ?? ""}${extra}${bal}`.trim() };
}

function matches(expect: string, o: { status: string; code: string }): boolean {
  if (expect === "approved") return o.status === "approved" || o.status === "balanced";
  if (expect === "balanced" || expect === "declined" || expect === "unbalanced") return o.status === expect;
  return o.code === expect;
}

export async function runScript(session: Session, steps: Step[], o: ScriptOptions = {}): Promise<StepResult[]> {
  const a = session.world.agent;
  const saved = new Map<string, any>();
  const results: StepResult[] = [];
  const operator = o.operator ?? { no: "01", password: "0000" };
  const supervisorPassword = o.supervisorPassword ?? "123456";
  let operatorIn = false;
  const original = (s: Step) => {
    const r = s.of ? saved.get(s.of) : undefined;
    if (!r?.record) throw Object.assign(new Error(`E_SCRIPT_REF: no saved transaction "${s.of}"`), { code: "E_SCRIPT_REF" });
    return r.record;
  };
  for (const [index, step] of steps.entries()) {
    const expect = step.expect ?? (step.do === "settle" ? "approved" : "approved");
    let res: StepResult;
    try {
      if (!operatorIn && step.do !== "echo") {
        await a.call("operatorSignIn", operator);
        operatorIn = true;
      }
      if (isChipCard(step.card) && (step.do === "sale" || step.do === "balance" || step.do === "preAuth")) {
        // Chip / tap: the runner puts the catalog card in the reader, the agent reads it, the card is removed.
        const tap = typeof step.card.tap === "string";
        const { image, spec } = catalogCard((tap ? step.card.tap : step.card.chip)!);
        session.useCard(spec);
        const w = session.world;
        if (tap) w.cards.tap(image);
        else w.cards.insert(image);
        let r: any;
        try {
          r = await a.call(step.do, { amount: step.amount, card: tap ? { tap: true } : { chip: true }, choose: step.choose });
        } finally {
          if (tap) w.cards.leaveField();
          else w.cards.remove();
        }
        const out = outcomeOf(step.do, r);
        if (step.save) saved.set(step.save, r);
        const ok = expect.startsWith("error:") ? false : matches(expect, out);
        res = { index, step, ok, summary: (ok ? out.text : `${out.text} (expected ${expect})`) + ` [${tap ? "tap" : "chip"} ${spec.name}${r.emv ? " " + r.emv.cryptogram + " TVR " + r.emv.tvr : ""}]`, result: r };
        results.push(res);
        o.onStep?.(res);
        if (!res.ok) break;
        continue;
      }
      const card = step.card !== undefined ? cardOf(step.card as string | CardSpec) : undefined;
      session.useCard(card);
      const cardArg = card ? (card.track2 ? { track2: card.track2 } : { pan: card.pan, expiry: card.expiry }) : undefined;
      const pin = step.pin ?? (card?.pin !== undefined);
      let r: any;
      switch (step.do) {
        case "signIn":
        case "signOut":
        case "echo":
          r = await a.call(step.do);
          break;
        case "sale":
        case "preAuth":
          r = await a.call(step.do, { amount: step.amount, card: cardArg, pin });
          break;
        case "balance":
          r = await a.call("balance", { card: cardArg, pin });
          break;
        case "void": {
          const rec = original(step);
          session.useCard(undefined);
          r = await a.call("void", { trace: rec.stan, supervisorPassword });
          break;
        }
        case "refund": {
          const rec = original(step);
          r = await a.call("refund", { amount: step.amount ?? rec.amount, card: cardArg ?? { pan: rec.pan, expiry: rec.expiry }, original: { rrn: rec.rrn, date: rec.hostDate }, supervisorPassword });
          break;
        }
        case "completion": {
          const rec = original(step);
          r = await a.call("completion", { trace: rec.stan, amount: step.amount ?? rec.amount });
          break;
        }
        case "settle":
          r = await a.call("settle", { supervisorPassword });
          break;
        default:
          throw Object.assign(new Error(`E_SCRIPT_STEP: unknown action "${step.do}"`), { code: "E_SCRIPT_STEP" });
      }
      const out = outcomeOf(step.do, r);
      if (step.save) saved.set(step.save, r);
      const ok = expect.startsWith("error:") ? false : matches(expect, out);
      res = { index, step, ok, summary: ok ? out.text : `${out.text} (expected ${expect})`, result: r };
    } catch (e) {
      const code = (e as { code?: string }).code ?? "E_UNKNOWN";
      const ok = expect === `error:${code}`;
      res = { index, step, ok, summary: `${code}: ${(e as Error).message}${ok ? "" : ` (expected ${expect})`}` };
    }
    results.push(res);
    o.onStep?.(res);
    if (!res.ok) break;
  }
  return results;
}
