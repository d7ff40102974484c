/**
 * One request in, one answer out (or none): dispatch by MTI and 60.3 / 60.1, with the checks every financial
 * message goes through first, in this order:
 *   terminal known (97) and its merchant (03) -> working keys present (22: sign in first) -> MAC: field 64 of
 *   the request under the MAK (missing where required or wrong: A0, no MAC on that answer, nothing changes) ->
 *   batch 60.2 = the host's open batch (77) -> duplicate STAN: the same request again gets the stored answer
 *   again (never a second ledger entry), another request with a STAN already used in the batch gets 94.
 * Answers to requests that carried a MAC carry one (computed under the terminal's current MAK).
 */
import { contentKey, type ParsedMessage } from "./codec.ts";
import { cupMacValid } from "./keys.ts";
import type { Answer, HostState, Request } from "./state.ts";
import { responseMti, two } from "./state.ts";
import { activation, signIn, signOutOrEcho } from "./handlers/network.ts";
import { FINANCIAL_TYPES, financial } from "./handlers/financial.ts";
import { reversal } from "./handlers/reversal.ts";
import { batchUpload, settlement } from "./handlers/settlement.ts";

const REQUEST_MTIS = new Set(["0100", "0200", "0220", "0320", "0400", "0500", "0800", "0820"]);

export function isRequestMti(mti: string): boolean {
  return REQUEST_MTIS.has(mti) || (mti.length === 4 && /^\d\d[0246]\d$/.test(mti));
}

export function makeRequest(s: HostState, m: ParsedMessage, scripted?: string): Request {
  const d = s.clock();
  // Fields 12/13/15 are the acquirer's local time: Beijing (UTC+8), whatever the machine's time zone.
  const b = new Date(d.getTime() + 8 * 3600 * 1000);
  const date = two(b.getUTCMonth() + 1) + two(b.getUTCDate());
  const time = two(b.getUTCHours()) + two(b.getUTCMinutes()) + two(b.getUTCSeconds());
  const yymm = two(b.getUTCFullYear() % 100) + two(b.getUTCMonth() + 1);
  return { m, f: (n) => m.fields.get(n), date, time, yymm, now: d.getTime(), scripted: scripted && scripted !== "00" ? scripted : undefined };
}

/** A minimal answer: the request's 11, 41, 42 echoed, 39 = code. */
function minimal(req: Request, code: string, note: string, mak?: Uint8Array): Answer {
  return { mti: responseMti(req.m.mti), fields: { 11: req.f(11), 12: req.time, 13: req.date, 39: code, 41: req.f(41), 42: req.f(42), 60: req.f(60) }, mak, note };
}

export function processRequest(s: HostState, m: ParsedMessage, scripted?: string): Answer | undefined {
  if (!isRequestMti(m.mti)) return undefined; // a response or notification from the peer: nothing to answer
  const req = makeRequest(s, m, scripted);
  if (s.config.maintenance) return minimal(req, "90", "host in maintenance");
  const network = m.f60.network ?? "";
  switch (m.mti) {
    case "0800":
      if (network === "360") return activation(s, req);
      if (network === "001" || network === "003" || network === "004") return signIn(s, req, network);
      return minimal(req, "40", `0800 with 60.3 ${network || "(none)"} not supported`);
    case "0820":
      if (network === "002" || network === "301") return signOutOrEcho(s, req, network);
      return minimal(req, "40", `0820 with 60.3 ${network || "(none)"} not supported`);
    case "0100":
    case "0200":
    case "0220":
    case "0400":
    case "0500":
    case "0320":
      return guarded(s, req);
    default:
      return minimal(req, "40", `MTI ${m.mti} not supported`);
  }
}

function guarded(s: HostState, req: Request): Answer {
  const m = req.m;
  const tid = req.f(41);
  if (!tid || !req.f(11) || !req.f(60)) return minimal(req, "30", "fields 11, 41 and 60 are required");
  const t = s.terminals.get(tid);
  if (!t || !s.terminals.usable(t)) return minimal(req, "97", `terminal ${tid} not registered or not active`);
  if (t.merchantId !== req.f(42)) return minimal(req, "03", `merchant ${req.f(42)} is not the terminal's (${t.merchantId})`);
  if (!t.keys) return minimal(req, "22", "terminal not signed in: no working keys");
  const mak = t.keys.mak;
  if (m.mac) {
    if (!cupMacValid(mak, m.macInput!, m.mac)) return minimal(req, "A0", "request MAC does not verify");
  } else if (s.config.macRequired.includes(m.mti)) return minimal(req, "A0", "request has no MAC (field 64)");
  req.terminal = t;
  const batch = m.f60.batch ?? "";
  const stan = req.f(11)!;

  if (m.mti === "0500") return settlement(s, req);
  if (m.mti === "0320") return batchUpload(s, req);

  // Re-sent reversal: the stored answer again, applied once.
  if (m.mti === "0400") {
    const key = `R|${tid}|${batch}|${stan}|${m.f60.type ?? ""}`;
    const stored = s.ledger.answer(key);
    if (stored) return { mti: stored.mti, fields: { ...stored.fields, 12: req.time, 13: req.date }, mak: stored.mac ? mak : undefined, note: "reversal re-sent: same answer, applied once" };
    const a = reversal(s, req);
    if (!m.mac) a.mak = undefined;
    // A scripted answer is not the host's word on the reversal: a retry is processed.
    if (!req.scripted) s.ledger.storeAnswer(key, { content: contentKey(m), mti: a.mti, fields: a.fields, mac: a.mak !== undefined });
    return a;
  }

  if (batch !== t.openBatch) return minimal(req, "77", `batch ${batch} is not the host's open batch ${t.openBatch}`, m.mac ? mak : undefined);
  const type = FINANCIAL_TYPES[m.f60.type ?? ""];
  if (!type || type.mti !== m.mti) return minimal(req, "40", `${m.mti} with 60.1 ${m.f60.type ?? "(none)"} not supported`, m.mac ? mak : undefined);
  if (req.f(3) !== type.processingCode) return minimal(req, "30", `60.1 ${m.f60.type} needs processing code ${type.processingCode}, got ${req.f(3)}`, m.mac ? mak : undefined);

  const key = `F|${tid}|${batch}|${stan}`;
  const content = contentKey(m);
  const stored = s.ledger.answer(key);
  if (stored) {
    if (stored.content === content) return { mti: stored.mti, fields: stored.fields, mak: stored.mac ? mak : undefined, note: "duplicate: same request, same answer again" };
    return minimal(req, "94", `trace ${stan} already used in batch ${batch} by another request`, m.mac ? mak : undefined);
  }
  const a = financial(s, req, type.kind);
  if (!m.mac) a.mak = undefined;
  s.ledger.storeAnswer(key, { content, mti: a.mti, fields: a.fields, mac: a.mak !== undefined });
  return a;
}
