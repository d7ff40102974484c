/**
 * Reversal 0400/0410 (spec/cup-8583.md §6.7): the original is found by terminal, batch (60.2), trace (11) and
 * type (60.1) and undone exactly once. A re-sent reversal gets the stored answer again (processor.ts); a reversal
 * of a transaction the host never saw answers `unknownReversalCode` (default 25) and changes nothing; one of a
 * declined transaction answers 00 and changes nothing.
 */
import type { Fields } from "../codec.ts";
import type { LedgerEntry, ReversalRecord } from "../ledger.ts";
import type { Answer, HostState, Request } from "../state.ts";

export function reversal(s: HostState, req: Request): Answer {
  const t = req.terminal!;
  const f60 = req.m.f60;
  const batch = f60.batch ?? "";
  const stan = req.f(11) ?? "";
  const reason = req.f(39) ?? "";
  const base: Fields = {
    2: req.f(2),
    3: req.f(3),
    4: req.f(4),
    11: req.f(11),
    12: req.time,
    13: req.date,
    25: req.f(25),
    32: s.config.acquirerId,
    39: "00",
    41: req.f(41),
    42: req.f(42),
    49: req.f(49) ?? "156",
    60: req.f(60),
  };
  const record = (outcome: ReversalRecord["outcome"], code: string, e?: LedgerEntry): Answer => {
    s.ledger.reversals.push({ terminalId: t.terminalId, batch, stan, typeCode: f60.type ?? "", reason, outcome, responseCode: code, entryId: e?.id, at: req.now });
    const fields: Fields = { ...base, 39: code };
    if (e) fields[37] = e.rrn;
    return { mti: "0410", fields, mak: t.keys?.mak, note: `reversal (reason ${reason || "-"}) ${outcome}${e ? ` #${e.id} ${e.kind}` : ""}` };
  };
  if (req.scripted) return record("refused", req.scripted);
  const orig = s.ledger.byStan(t.terminalId, batch, stan);
  if (!orig || (f60.type && orig.typeCode !== f60.type) || orig.mti === "0220") return record("unknown", s.config.unknownReversalCode);
  if (orig.state === "declined") return record("nothing", "00", orig);
  if (req.f(4) !== undefined && Number(req.f(4)) !== orig.amount && orig.kind !== "balance") return record("refused", "64", orig);
  const acc = orig.pan ? s.accounts.get(orig.pan) : undefined;
  const pre = orig.originalId ? s.ledger.get(orig.originalId) : undefined;
  switch (orig.kind) {
    case "sale":
      if (orig.state !== "approved" || orig.refundedAmount > 0) return record("refused", "12", orig);
      if (acc) acc.balance += orig.amount;
      break;
    case "void":
      if (orig.state !== "approved" || !pre || pre.state !== "voided") return record("refused", "12", orig);
      pre.state = "approved";
      if (acc) acc.balance -= orig.amount;
      break;
    case "preauth":
      if (orig.state !== "approved") return record("refused", "12", orig);
      if (acc) acc.held -= orig.amount;
      break;
    case "preauth-cancel":
      if (orig.state !== "approved" || !pre || pre.state !== "voided") return record("refused", "12", orig);
      pre.state = "approved";
      if (acc) acc.held += pre.amount;
      break;
    case "completion":
      if (orig.state !== "approved" || !pre || pre.state !== "completed") return record("refused", "12", orig);
      pre.state = "approved";
      if (acc) {
        acc.balance += orig.amount;
        acc.held += pre.amount;
      }
      break;
    case "completion-void": {
      const comp = pre;
      const preauth = comp?.originalId ? s.ledger.get(comp.originalId) : undefined;
      if (orig.state !== "approved" || !comp || comp.state !== "voided" || !preauth || preauth.state !== "approved") return record("refused", "12", orig);
      comp.state = "approved";
      preauth.state = "completed";
      if (acc) {
        acc.balance -= comp.amount;
        acc.held -= preauth.amount;
      }
      break;
    }
    default:
      return record("refused", "12", orig); // balance inquiries, refunds and advices are not reversed
  }
  orig.state = "reversed";
  orig.reversal = { reason, at: req.now };
  return record("applied", "00", orig);
}
