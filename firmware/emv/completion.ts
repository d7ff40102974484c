/**
 * Terminal action analysis and everything after it (EMV 4.x Book 3 §10.7-10.11): the decision from the
 * TVR against the issuer (9F0D/9F0E/9F0F) and terminal action codes, the first GENERATE AC with the
 * CDOL1 data (CDA requested when selected), the online authorisation, issuer authentication (EXTERNAL
 * AUTHENTICATE when the AIP says so, else the ARPC in CDOL2), issuer scripts (71 before, 72 after the
 * final GENERATE AC, results in DF31), the second GENERATE AC with the CDOL2 data and the ARC (8A),
 * or the default action codes when the terminal cannot go online (ARC Z3).
 */
import { CoreError } from "../core/errors";
import { TlvMap } from "../core/tlv";
import { asciiToBytes } from "../core/bytes";
import { sha1 } from "../core/sha1";
import { buildApdu, swHex } from "../../hal/card/apdu";
import { commands } from "../../hal/card/index";
import type { EmvContext } from "./context";
import { verifyCda, type RecoveredKey } from "./oda";
import { buildField55 } from "./field55";
import type { CryptogramKind, OnlineRequest, OnlineResponse } from "./types";

const ZEROS = new Uint8Array(5);
const ONES = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff);

function matches(tvr: Uint8Array, a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 5; i++) if ((tvr[i]! & ((a[i] ?? 0) | (b[i] ?? 0))) !== 0) return true;
  return false;
}

/** Terminal type digit 2: 1/4 online only, 2/5 online with offline capability, 3/6 offline only. */
export function onlineCapability(terminalType: number): "online-only" | "online" | "offline-only" {
  const t = terminalType & 0x0f;
  return t === 1 || t === 4 ? "online-only" : t === 3 || t === 6 ? "offline-only" : "online";
}

/**
 * Terminal action analysis (§10.7). `stage` "first" before the first GENERATE AC; "default" when the
 * terminal could not go online (only the Default codes decide).
 */
export function terminalActionAnalysis(ctx: EmvContext, stage: "first" | "default"): CryptogramKind {
  const d = ctx.data;
  const aid = ctx.aid!;
  const tvr = d.tvr;
  const iacDefault = d.get(0x9f0d) ?? ONES;
  if (stage === "default") return matches(tvr, iacDefault, aid.tacDefault) ? "AAC" : "TC";
  if (matches(tvr, d.get(0x9f0e) ?? ZEROS, aid.tacDenial)) return "AAC";
  const cap = onlineCapability(ctx.config.terminalType);
  if (cap === "online-only") return "ARQC";
  if (cap === "online") return matches(tvr, d.get(0x9f0f) ?? ONES, aid.tacOnline) ? "ARQC" : "TC";
  return matches(tvr, iacDefault, aid.tacDefault) ? "AAC" : "TC";
}

function kindOf(cid: number): CryptogramKind | undefined {
  const t = cid & 0xc0;
  return t === 0x00 ? "AAC" : t === 0x40 ? "TC" : t === 0x80 ? "ARQC" : undefined;
}
const RANK: Record<CryptogramKind, number> = { AAC: 0, TC: 1, ARQC: 2 };

export interface AcAnswer {
  kind: CryptogramKind;
  /** CDA was requested and its signature failed. */
  cdaFailed: boolean;
}

/**
 * TC hash value (98) when the CDOL asks for it: SHA-1 of the TDOL data, with the card's TDOL (97) or
 * the terminal's default one (TVR "default TDOL used") — EMV Book 3 §5.4.
 */
function tcHash(ctx: EmvContext, cdol: Uint8Array | undefined): void {
  if (!ctx.dolHas(cdol, 0x98)) return;
  const d = ctx.data;
  let tdol = d.get(0x97);
  if (!tdol && ctx.aid?.defaultTdol) {
    tdol = ctx.aid.defaultTdol;
    d.setTvr("defaultTdolUsed");
  }
  d.set(0x98, sha1(ctx.dolData(tdol)));
}

/** GENERATE AC (first or second): sends the CDOL data, checks and stores the answer (9F27 9F36 9F26 9F10 ...). */
export async function generateAc(ctx: EmvContext, requested: CryptogramKind, second: boolean, icc: RecoveredKey | undefined): Promise<AcAnswer> {
  const d = ctx.data;
  const cdol = d.get(second ? 0x8d : 0x8c);
  tcHash(ctx, cdol);
  const data = ctx.dolData(cdol);
  if (second) ctx.cdol2Data = data;
  else ctx.cdol1Data = data;
  const cda = ctx.odaMethod === "cda" && !!icc && requested !== "AAC" && !d.tvrHas("cdaFailed");
  const r = await ctx.transmit(commands.generateAc(requested, data, cda));
  if (r.sw !== 0x9000) throw new CoreError("E_EMV_CARD", `GENERATE AC answered ${swHex(r.sw)}`);
  if (!second) d.setTsi("cardRiskManagementPerformed");
  d.delete(0x9f26);
  d.delete(0x9f4b);
  const a = r.data;
  if (a[0] === 0x80) {
    const m = new TlvMap().parse(a);
    const v = m.get(0x80)!;
    if (v.length < 11) throw new CoreError("E_EMV_DATA", "GENERATE AC format 1 too short");
    d.set(0x9f27, v, 0, 1);
    d.set(0x9f36, v, 1, 2);
    d.set(0x9f26, v, 3, 8);
    if (v.length > 11) d.set(0x9f10, v, 11);
  } else if (a[0] === 0x77) {
    d.absorb(a);
  } else throw new CoreError("E_EMV_DATA", "GENERATE AC answer is neither 80 nor 77");
  const cid = d.get(0x9f27);
  const atc = d.get(0x9f36);
  if (!cid || cid.length !== 1 || !atc || atc.length !== 2) throw new CoreError("E_EMV_DATA", "GENERATE AC answer without CID or ATC");
  const kind = kindOf(cid[0]!);
  if (!kind || RANK[kind] > RANK[requested]) throw new CoreError("E_EMV_DATA", `the card answered ${kind ?? "AAR"} to a ${requested} request`);
  let cdaFailed = false;
  if (cda && kind !== "AAC") {
    if (!verifyCda(ctx, icc!, a, second)) {
      cdaFailed = true;
      d.setTvr("cdaFailed");
    }
  } else if (!d.has(0x9f26)) throw new CoreError("E_EMV_DATA", "GENERATE AC answer without the cryptogram");
  return { kind, cdaFailed };
}

/** Runs the scripts of the templates (71 or 72) in order; results go to DF31 (§10.10, Book 4 A5). */
export async function issuerScripts(ctx: EmvContext, templates: Uint8Array[], afterFinal: boolean): Promise<void> {
  if (templates.length === 0) return;
  const d = ctx.data;
  const m = new TlvMap();
  for (let t = 0; t < templates.length; t++) {
    const raw = templates[t]!;
    const id = new Uint8Array(4);
    let result = 0x20;
    try {
      m.parse(raw, 0, raw.length);
    } catch {
      m.count = 0;
      result = 0x10;
    }
    let seq = 0;
    for (let i = 0; i < m.count && result === 0x20; i++) {
      const tag = m.tagAt(i);
      if (tag === 0x9f18 && m.valueLengthAt(i) === 4) m.copyValue(i, id, 0);
      if (tag !== 0x86) continue;
      seq++;
      let ok = false;
      try {
        const r = await ctx.transmit(m.valueAt(i));
        const sw1 = r.sw >> 8;
        ok = sw1 === 0x90 || sw1 === 0x62 || sw1 === 0x63;
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code === "E_CARD_REMOVED") throw e;
        ok = false;
      }
      if (!ok) result = 0x10 | (seq > 14 ? 0x0f : seq);
    }
    if (result !== 0x20) d.setTvr(afterFinal ? "scriptFailedAfter" : "scriptFailedBefore");
    ctx.scriptResults.push(result, id[0]!, id[1]!, id[2]!, id[3]!);
    d.setTsi("scriptProcessingPerformed");
  }
  d.set(0xdf31, Uint8Array.from(ctx.scriptResults));
}

/** Splits the issuer's answer (response field 55): 91, and the 71 and 72 templates as they are. */
export function issuerData(f55: Uint8Array | undefined): { iad?: Uint8Array; before: Uint8Array[]; after: Uint8Array[] } {
  const out: { iad?: Uint8Array; before: Uint8Array[]; after: Uint8Array[] } = { before: [], after: [] };
  if (!f55 || f55.length === 0) return out;
  const m = new TlvMap().parse(f55, 0, f55.length, false);
  for (let i = 0; i < m.count; i++) {
    const tag = m.tagAt(i);
    if (tag === 0x91) out.iad = m.valueAt(i).slice();
    else if (tag === 0x71) out.before.push(m.rawAt(i).slice());
    else if (tag === 0x72) out.after.push(m.rawAt(i).slice());
  }
  return out;
}

export interface Completion {
  result: "approved" | "declined";
  online: boolean;
  unableToGoOnline: boolean;
  reversalRequired: boolean;
  reason: string;
  cryptogram: CryptogramKind;
  requestField55: Uint8Array;
  response?: OnlineResponse;
}

/** The online request from the data (field 55 and the card's identity). */
export function onlineRequest(ctx: EmvContext): OnlineRequest {
  const d = ctx.data;
  const t2 = d.digits(0x57);
  const f = t2.indexOf("F");
  const psn = d.digits(0x5f34);
  return {
    field55: buildField55(d),
    pan: ctx.pan(),
    panSequence: psn ? psn.slice(-2) : undefined,
    track2: t2 ? (f >= 0 ? t2.slice(0, f) : t2).replace("D", "=") : undefined,
    expiry: d.digits(0x5f24).slice(0, 4),
    pinBlock: ctx.pinBlock,
  };
}

/** From terminal action analysis to the final cryptogram (contact). */
export async function completeTransaction(ctx: EmvContext, icc: RecoveredKey | undefined): Promise<Completion> {
  const d = ctx.data;
  const decision = terminalActionAnalysis(ctx, "first");
  const first = await generateAc(ctx, decision, false, icc);
  const none = new Uint8Array(0);
  if (first.cdaFailed) {
    // A CDA failure declines: a pending ARQC is closed with an AAC (Book 3 §10.8).
    if (first.kind === "ARQC") await generateAc(ctx, "AAC", true, icc);
    return { result: "declined", online: false, unableToGoOnline: false, reversalRequired: false, reason: "cda-failed", cryptogram: "AAC", requestField55: none };
  }
  if (first.kind === "TC") return { result: "approved", online: false, unableToGoOnline: false, reversalRequired: false, reason: "offline", cryptogram: "TC", requestField55: none };
  if (first.kind === "AAC") return { result: "declined", online: false, unableToGoOnline: false, reversalRequired: false, reason: decision === "AAC" ? "terminal-denial" : "card", cryptogram: "AAC", requestField55: none };

  // ARQC: online.
  const request = onlineRequest(ctx);
  ctx.cb.onEvent?.("online");
  let response: OnlineResponse | undefined;
  try {
    response = await ctx.cb.goOnline(request);
  } catch {
    response = undefined;
  }
  let requested: CryptogramKind;
  if (!response) {
    // Unable to go online: the Default action codes decide; ARC Y3 (offline approved) or Z3 (declined).
    d.delete(0x91);
    requested = terminalActionAnalysis(ctx, "default");
    d.set(0x8a, asciiToBytes(requested === "TC" ? "Y3" : "Z3"));
  } else {
    const rc = (response.responseCode + "  ").slice(0, 2);
    d.set(0x8a, asciiToBytes(rc));
    if (response.authCode) d.set(0x89, asciiToBytes((response.authCode + "      ").slice(0, 6)));
    const issuer = issuerData(response.field55);
    await issuerScripts(ctx, issuer.before, false);
    d.delete(0x91);
    if (issuer.iad) {
      d.set(0x91, issuer.iad);
      const aip = d.get(0x82)!;
      if ((aip[0]! & 0x04) !== 0) {
        const r = await ctx.transmit(buildApdu(0x00, 0x82, 0x00, 0x00, issuer.iad));
        if (r.sw !== 0x9000) d.setTvr("issuerAuthFailed");
        d.setTsi("issuerAuthPerformed");
      } else if (ctx.dolHas(d.get(0x8d), 0x91)) d.setTsi("issuerAuthPerformed");
    }
    requested = response.approved ? "TC" : "AAC";
  }
  const second = await generateAc(ctx, requested, true, icc);
  if (response) {
    const issuer = issuerData(response.field55);
    await issuerScripts(ctx, issuer.after, true);
  }
  const approved = second.kind === "TC" && !second.cdaFailed;
  let reason: string;
  if (!response) reason = approved ? "offline-after-unable" : "unable-to-go-online";
  else if (!response.approved) reason = "issuer";
  else reason = approved ? "issuer" : second.cdaFailed ? "cda-failed" : "card";
  return {
    result: approved ? "approved" : "declined",
    online: !!response,
    unableToGoOnline: !response,
    reversalRequired: !!response && response.approved && !approved,
    reason,
    cryptogram: approved ? "TC" : "AAC",
    requestField55: request.field55,
    response,
  };
}
