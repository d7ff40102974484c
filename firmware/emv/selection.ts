/**
 * Application selection (EMV 4.x Book 1 §12): the candidate list from the PSE directory (contact),
 * or from the terminal's AID list (SELECT by AID, exact or partial per the AID's application selection
 * indicator, with SELECT next occurrence), blocked applications (6283) left out, then the final
 * selection by priority or by the cardholder, with re-selection when the chosen one refuses.
 * Contactless uses the PPSE (Book B): the highest-priority mutually supported application, no choice.
 *
 * Errors (CoreError): E_EMV_CARD_BLOCKED (SELECT PSE answered 6A81), E_EMV_APP_BLOCKED (every
 * matching application is blocked), E_EMV_NO_APP (no mutually supported application), E_EMV_CANCELLED.
 */
import { CoreError } from "../core/errors";
import { TlvMap } from "../core/tlv";
import { bytesToAscii } from "../core/bytes";
import { commands } from "../../hal/card/index";
import type { EmvContext } from "./context";
import type { AidConfig, CandidateInfo } from "./types";

export interface Candidate extends CandidateInfo {
  config: AidConfig;
}

function startsWith(a: Uint8Array, prefix: Uint8Array): boolean {
  if (a.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (a[i] !== prefix[i]) return false;
  return true;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && startsWith(a, b);
}

/** The terminal AID an application matches (exact, or partial when the AID allows it). */
export function matchAid(aids: AidConfig[], cardAid: Uint8Array): AidConfig | undefined {
  for (let i = 0; i < aids.length; i++) if (equalBytes(aids[i]!.aid, cardAid)) return aids[i];
  for (let i = 0; i < aids.length; i++) if (aids[i]!.partialMatch && startsWith(cardAid, aids[i]!.aid)) return aids[i];
  return undefined;
}

/** Label for display: the preferred name (9F12) when present, else the label (50), else the AID. */
function labelOf(m: TlvMap, entry: number, aid: Uint8Array): string {
  const pick = (tag: number) => {
    const i = entry < 0 ? m.indexOf(tag) : childOf(m, entry, tag);
    return i >= 0 ? bytesToAscii(m.buffer, m.valueOffsetAt(i), m.valueLengthAt(i)) : "";
  };
  let s = pick(0x9f12);
  if (!s) s = pick(0x50);
  if (!s) for (let i = 0; i < aid.length; i++) s += (aid[i]! < 16 ? "0" : "") + aid[i]!.toString(16).toUpperCase();
  return s;
}

function childOf(m: TlvMap, parent: number, tag: number): number {
  for (let i = m.indexOf(tag); i >= 0; i = m.nextIndexOf(i)) {
    for (let p = m.parentAt(i); p >= 0; p = m.parentAt(p)) if (p === parent) return i;
  }
  return -1;
}

function priorityByte(m: TlvMap, entry: number): number {
  const i = entry < 0 ? m.indexOf(0x87) : childOf(m, entry, 0x87);
  return i >= 0 && m.valueLengthAt(i) >= 1 ? m.buffer[m.valueOffsetAt(i)]! : 0;
}

function candidate(aid: Uint8Array, config: AidConfig, label: string, api: number): Candidate {
  return { aid: aid.slice(), config, label, priority: api & 0x0f, confirmationRequired: (api & 0x80) !== 0 };
}

/** Applications listed by the directory entries (61) of a PSE/PPSE answer or record. */
function fromDirectory(ctx: EmvContext, m: TlvMap, out: Candidate[]): void {
  for (let e = m.indexOf(0x61); e >= 0; e = m.nextIndexOf(e)) {
    const ai = childOf(m, e, 0x4f);
    if (ai < 0) continue;
    const aid = m.valueAt(ai);
    const cfg = matchAid(ctx.config.aids, aid);
    if (cfg) out.push(candidate(aid, cfg, labelOf(m, e, aid), priorityByte(m, e)));
  }
}

export interface CandidateList {
  candidates: Candidate[];
  /** Matching applications left out because they are blocked. */
  blocked: number;
}

/** Contact: PSE first, then the list of AIDs (Book 1 §12.3). */
export async function buildCandidateList(ctx: EmvContext): Promise<CandidateList> {
  const out: Candidate[] = [];
  const pse = await ctx.transmit(commands.selectByName(commands.PSE));
  if (pse.sw === 0x6a81) throw new CoreError("E_EMV_CARD_BLOCKED", "the card is blocked (SELECT PSE 6A81)");
  if (pse.sw === 0x9000) {
    const fci = new TlvMap().parse(pse.data);
    const sfiI = fci.indexOf(0x88);
    if (sfiI >= 0 && fci.valueLengthAt(sfiI) === 1) {
      const sfi = fci.buffer[fci.valueOffsetAt(sfiI)]!;
      const m = new TlvMap();
      for (let rec = 1; rec <= 16 && sfi >= 1 && sfi <= 30; rec++) {
        const r = await ctx.transmit(commands.readRecord(rec, sfi));
        if (r.sw !== 0x9000 || r.data.length === 0 || r.data[0] !== 0x70) break;
        try {
          m.parse(r.data);
        } catch {
          break;
        }
        fromDirectory(ctx, m, out);
      }
    }
  }
  if (out.length > 0) return { candidates: out, blocked: 0 };
  return listOfAids(ctx);
}

/** SELECT by each terminal AID (and next occurrences for partial matches). */
async function listOfAids(ctx: EmvContext): Promise<CandidateList> {
  const out: Candidate[] = [];
  let blocked = 0;
  const m = new TlvMap();
  for (let i = 0; i < ctx.config.aids.length; i++) {
    const cfg = ctx.config.aids[i]!;
    let next = false;
    for (let guard = 0; guard < 16; guard++) {
      const r = await ctx.transmit(commands.selectByName(cfg.aid, next));
      if (r.sw !== 0x9000 && r.sw !== 0x6283) break;
      try {
        m.parse(r.data);
      } catch {
        break;
      }
      const dfI = m.indexOf(0x84);
      if (dfI < 0) break;
      const df = m.valueAt(dfI);
      const exact = equalBytes(df, cfg.aid);
      if (exact || (cfg.partialMatch && startsWith(df, cfg.aid))) {
        if (r.sw === 0x6283) blocked++;
        else if (!out.some((c) => equalBytes(c.aid, df))) out.push(candidate(df, cfg, labelOf(m, -1, df), priorityByte(m, -1)));
      }
      if (exact || !cfg.partialMatch) break;
      next = true;
    }
  }
  return { candidates: out, blocked };
}

/** Candidates in priority order (1 first, no priority last, stable). */
export function byPriority(list: Candidate[]): Candidate[] {
  const rank = (c: Candidate) => (c.priority === 0 ? 16 : c.priority);
  return list
    .map((c, i) => ({ c, i }))
    .sort((a, b) => rank(a.c) - rank(b.c) || a.i - b.i)
    .map((x) => x.c);
}

/**
 * Final selection (Book 1 §12.4): one candidate that needs no confirmation is taken as it is; otherwise
 * the cardholder chooses (or, without a choice callback, the best one needing no confirmation). The
 * chosen application is SELECTed; when it refuses (blocked, not found) it leaves the list and selection
 * starts again. Returns the FCI of the selected application.
 */
export async function finalSelection(ctx: EmvContext, list: CandidateList): Promise<{ candidate: Candidate; fci: TlvMap }> {
  let cands = byPriority(list.candidates);
  let blocked = list.blocked;
  for (;;) {
    if (cands.length === 0) {
      if (blocked > 0) throw new CoreError("E_EMV_APP_BLOCKED", "every matching application is blocked");
      throw new CoreError("E_EMV_NO_APP", "no application both the card and the terminal support");
    }
    let chosen: Candidate | undefined;
    if (cands.length === 1 && !cands[0]!.confirmationRequired) chosen = cands[0];
    else if (ctx.cb.chooseApplication) {
      const k = await ctx.cb.chooseApplication(cands.map((c) => ({ aid: c.aid, label: c.label, priority: c.priority, confirmationRequired: c.confirmationRequired })));
      if (k === undefined || !(k >= 0 && k < cands.length)) throw new CoreError("E_EMV_CANCELLED", "the cardholder cancelled the application choice");
      chosen = cands[k];
    } else {
      chosen = cands.find((c) => !c.confirmationRequired);
      if (!chosen) throw new CoreError("E_EMV_NO_APP", "every application needs the cardholder's confirmation and there is no way to ask");
    }
    const r = await ctx.transmit(commands.selectByName(chosen!.aid));
    if (r.sw === 0x9000) {
      const fci = new TlvMap().parse(r.data);
      const dfI = fci.indexOf(0x84);
      if (dfI >= 0 && equalBytes(fci.valueAt(dfI), chosen!.aid) && fci.find([0x6f, 0xa5]) >= 0) {
        return { candidate: chosen!, fci };
      }
    } else if (r.sw === 0x6283) blocked++;
    // Not selectable: remove it and select again.
    cands = cands.filter((c) => c !== chosen);
  }
}

/** Contactless: the PPSE directory, the highest-priority supported application, no choice (Book B §3.3). */
export async function selectContactless(ctx: EmvContext): Promise<{ candidate: Candidate; fci: TlvMap }> {
  const r = await ctx.transmit(commands.selectByName(commands.PPSE));
  if (r.sw !== 0x9000) throw new CoreError("E_EMV_NO_APP", `PPSE not available (SW ${r.sw.toString(16).toUpperCase()})`);
  const out: Candidate[] = [];
  fromDirectory(ctx, new TlvMap().parse(r.data), out);
  const cands = byPriority(out);
  for (let i = 0; i < cands.length; i++) {
    const s = await ctx.transmit(commands.selectByName(cands[i]!.aid));
    if (s.sw !== 0x9000) continue;
    const fci = new TlvMap().parse(s.data);
    const dfI = fci.indexOf(0x84);
    if (dfI >= 0 && equalBytes(fci.valueAt(dfI), cands[i]!.aid)) return { candidate: cands[i]!, fci };
  }
  throw new CoreError("E_EMV_NO_APP", "no contactless application both the card and the reader support");
}
