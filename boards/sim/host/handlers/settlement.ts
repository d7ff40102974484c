/**
 * Settlement 0500/0510 (spec/cup-8583.md §6.10) and batch upload 0320/0330 (§6.11), per docs/cup-profile.md:
 * the host computes its own totals of the batch (debit = sales, completions, offline sales; credit = voids,
 * refunds, completion voids; reversed and declined excluded), compares them with field 48 half by half, and
 * answers the terminal's totals with the result digits (1 balanced, 2 not balanced). The batch is then closed
 * and the next one opens. After an unbalanced settlement the terminal uploads its detail (60.3 201) and ends the
 * upload (202, or 207); the host then reconciles the uploaded detail against the terminal's totals and answers
 * the batch end with field 48 carrying the new result digits. A settlement of that batch sent again after an
 * upload end that balanced compares the terminal's totals with the uploaded detail (the reconciled batch).
 */
import { finalCryptogram } from "./financial.ts";
import type { Fields } from "../codec.ts";
import { addTo, compareTotals, emptyTotals, formatField48, parseField48, sideOf, type UploadDetail } from "../ledger.ts";
import { nextBatch } from "../terminals.ts";
import type { Answer, HostState, Request } from "../state.ts";
import { FINANCIAL_TYPES, panOf } from "./financial.ts";

function base(s: HostState, req: Request): Fields {
  return { 11: req.f(11), 12: req.time, 13: req.date, 15: req.date, 32: s.config.acquirerId, 39: "00", 41: req.f(41), 42: req.f(42), 60: req.f(60) };
}

export function settlement(s: HostState, req: Request): Answer {
  const t = req.terminal!;
  const batch = req.m.f60.batch ?? "";
  const fields: Fields = { ...base(s, req), 49: req.f(49) ?? "156" };
  const mak = req.m.mac ? t.keys?.mak : undefined;
  const answer = (code: string, note: string, extra: Fields = {}): Answer => ({ mti: "0510", fields: { ...fields, 39: code, ...extra }, mak, note });
  if (req.scripted) return answer(req.scripted, "scripted answer");
  const again = batch === t.lastSettledBatch && batch !== t.openBatch;
  if (batch !== t.openBatch && !again) return answer("77", `batch ${batch} is not the open batch ${t.openBatch}`);
  const terminalTotals = parseField48(req.f(48) ?? "");
  if (!terminalTotals) return answer("30", "field 48 must be 62 (or 31) digits");
  const hostTotals = s.ledger.totals(t.terminalId, batch);
  const rec = s.ledger.batch(t.terminalId, batch);
  // The settlement again after a batch upload: the uploaded detail, once it matched the terminal's totals, is what
  // the acquirer reconciles the batch with (the differences with its ledger stay recorded for inspection).
  const ended = again ? rec.upload.ended : undefined;
  const reconciled = ended !== undefined && ended.result[0] === "1" && ended.result[1] === "1";
  const result = compareTotals(reconciled ? ended.uploadedTotals : hostTotals, terminalTotals);
  const count = s.ledger.entries({ terminalId: t.terminalId, batch }).filter((e) => e.state !== "declined" && e.state !== "reversed" && sideOf(e.kind) !== "none").length;
  rec.settlement = { terminalTotals, hostTotals, result, at: req.now, count, reconciledByUpload: reconciled || undefined };
  if (!again) {
    t.lastSettledBatch = batch;
    t.openBatch = nextBatch(batch);
  }
  return answer("00", `settlement of batch ${batch}: ${result[0] === "1" && result[1] === "1" ? "balanced" : "NOT balanced"} (domestic ${result[0]}, foreign ${result[1]})${again ? " (again)" : ""}${reconciled ? " after the batch upload" : ""}; next batch ${t.openBatch}`, {
    48: formatField48(terminalTotals, result),
  });
}

export function batchUpload(s: HostState, req: Request): Answer {
  const t = req.terminal!;
  const f60 = req.m.f60;
  const batch = f60.batch ?? "";
  const mak = req.m.mac ? t.keys?.mak : undefined;
  const fields = base(s, req);
  const answer = (code: string, note: string, extra: Fields = {}): Answer => ({ mti: "0330", fields: { ...fields, 39: code, ...extra }, mak, note });
  if (req.scripted) return answer(req.scripted, "scripted answer");
  if (batch !== t.lastSettledBatch) return answer("77", `batch ${batch} is not the settled batch ${t.lastSettledBatch ?? "(none)"}`);
  const rec = s.ledger.batch(t.terminalId, batch);
  const network = f60.network ?? "";
  if (network === "201") {
    const stan = req.f(11) ?? "";
    const entry = s.ledger.byStan(t.terminalId, batch, stan);
    const pan = panOf(req.f);
    const type = f60.type && f60.type !== "00" ? FINANCIAL_TYPES[f60.type] : undefined;
    const pc = req.f(3) ?? "";
    const side: UploadDetail["side"] = type ? sideOf(type.kind) : entry ? sideOf(entry.kind) : pc === "000000" ? "debit" : pc === "200000" ? "credit" : "none";
    const acc = pan && pan !== "mismatch" ? s.accounts.get(pan) : undefined;
    const detail: UploadDetail = {
      stan,
      processingCode: pc,
      typeCode: f60.type ?? "",
      amount: Number(req.f(4) ?? "0"),
      pan: pan === "mismatch" ? undefined : pan,
      rrn: req.f(37),
      authCode: req.f(38),
      entryId: entry?.id,
      side,
      foreign: acc ? acc.foreign : (entry?.foreign ?? false),
    };
    rec.upload.details.set(stan, detail);
    // A chip transaction's final cryptogram (TC) from the detail's field 55, kept with its ledger entry.
    const tc = finalCryptogram(req, detail.pan ?? entry?.pan);
    if (tc && entry) entry.emv = { ...entry.emv, ...tc };
    return answer("00", `batch ${batch} detail trace ${stan} (${side})${entry ? "" : ": no host entry with that trace"}`);
  }
  if (s.config.batchEndCodes.includes(network)) {
    const uploaded = emptyTotals();
    for (const d of rec.upload.details.values()) addTo(uploaded, d.side, d.foreign, d.amount);
    const declared = req.f(48) !== undefined ? Number(req.f(48)) : undefined;
    const countOk = declared === undefined || declared === rec.upload.details.size;
    const settled = rec.settlement;
    const result: [string, string] = !settled ? ["3", "3"] : countOk ? compareTotals(uploaded, settled.terminalTotals) : ["2", "2"];
    const counted = s.ledger.entries({ terminalId: t.terminalId, batch }).filter((e) => e.state !== "declined" && e.state !== "reversed" && sideOf(e.kind) !== "none");
    const unknown = [...rec.upload.details.values()].filter((d) => d.side !== "none" && !counted.some((e) => e.stan === d.stan)).map((d) => d.stan);
    const missing = counted.filter((e) => !rec.upload.details.has(e.stan)).map((e) => e.stan);
    rec.upload.ended = { code: network, declaredCount: declared ?? rec.upload.details.size, uploadedTotals: uploaded, result, unknown, missing, at: req.now };
    const balanced = result[0] === "1" && result[1] === "1";
    return answer("00", `batch ${batch} upload end (${network}): ${rec.upload.details.size} details${countOk ? "" : `, ${declared} declared`}, ${balanced ? "balanced" : "NOT balanced"}`, {
      48: formatField48(settled ? settled.terminalTotals : uploaded, result),
    });
  }
  return answer("40", `batch upload 60.3 ${network} not supported`);
}
