/**
 * UnionPay QuickPass (qPBOC) fast path, as EMV Book C-3 (kernel 3) which qPBOC follows: reader limits
 * decide before the tap (over the contactless transaction limit: use another interface; at or over the
 * CVM limit: TTQ "CVM required"; over the floor limit: TTQ "online cryptogram required"), PPSE,
 * SELECT, GPO with the TTQ in the PDOL data, the cryptogram in the GPO answer (9F26/9F27/9F36/9F10,
 * CTQ 9F6C), the records, then: TC -> fDDA (and expiry) for an offline approval, ARQC -> CVM per the
 * CTQ and online authorisation (no second GENERATE AC: the card may have left), AAC -> decline.
 * qPBOC-specific byte meanings (CTQ, 9F69 layout) follow Book C-3 and are UNVERIFIED against JR/T 0025.12.
 */
import { CoreError } from "../core/errors";
import { EmvContext } from "./context";
import { selectContactless } from "./selection";
import { absorbFci, getProcessingOptions, readApplicationData } from "./read";
import { recoverIccKey, recoverIssuerKey, verifyFdda } from "./oda";
import { dateValue } from "./risk";
import { onlineRequest, type Completion } from "./completion";
import { outcomeOf } from "./kernel";
import type { AidConfig, CardChannel, KernelCallbacks, KernelOutcome, TerminalConfig, TransactionInput } from "./types";

export interface ContactlessPreprocessing {
  /** False: the amount is over the contactless limit of every AID: ask for the card by contact. */
  allowed: boolean;
  /** TTQ bits per AID, by index of `config.aids` (undefined for AIDs without contactless limits). */
  ttq: Array<Uint8Array | undefined>;
}

/** Book C-3 §3.2 pre-processing: per AID, TTQ with "online cryptogram required" / "CVM required". */
export function contactlessPreprocess(config: TerminalConfig, amount: number): ContactlessPreprocessing {
  const ttq: Array<Uint8Array | undefined> = [];
  let allowed = false;
  for (let i = 0; i < config.aids.length; i++) {
    const cl = config.aids[i]!.contactless;
    if (!cl || amount > cl.transactionLimit) {
      ttq.push(undefined);
      continue;
    }
    allowed = true;
    const t = cl.ttq.slice(0, 4);
    t[1] &= 0x3f;
    if (amount > cl.floorLimit) t[1] |= 0x80;
    if (amount >= cl.cvmLimit) t[1] |= 0x40;
    ttq.push(t);
  }
  return { allowed, ttq };
}

/** A contactless transaction on an activated card. E_EMV_USE_CONTACT when it must go by contact. */
export async function performContactlessTransaction(card: CardChannel, config: TerminalConfig, tx: TransactionInput, cb: KernelCallbacks): Promise<KernelOutcome> {
  const pre = contactlessPreprocess(config, tx.amount);
  if (!pre.allowed) throw new CoreError("E_EMV_USE_CONTACT", "amount over the contactless limit: insert the card");
  // Only the AIDs allowed for this amount take part.
  const aids: AidConfig[] = [];
  const ttqs: Uint8Array[] = [];
  for (let i = 0; i < config.aids.length; i++) {
    if (pre.ttq[i]) {
      aids.push(config.aids[i]!);
      ttqs.push(pre.ttq[i]!);
    }
  }
  const ctx = new EmvContext(card, { ...config, aids }, tx, cb, "contactless");
  ctx.initTerminalData();
  const sel = await selectContactless(ctx);
  const cfg = sel.candidate.config;
  const ttq = ttqs[aids.indexOf(cfg)]!;
  ctx.setAidData(cfg);
  absorbFci(ctx, sel.fci, sel.candidate.aid);
  ctx.label = sel.candidate.label;
  ctx.data.set(0x9f66, ttq);
  if (!ctx.dolHas(ctx.data.get(0x9f38), 0x9f66)) throw new CoreError("E_EMV_USE_CONTACT", "not a qPBOC application (no TTQ in its PDOL)");
  await getProcessingOptions(ctx);
  const d = ctx.data;
  if (!d.has(0x9f26)) throw new CoreError("E_EMV_USE_CONTACT", "the card answered the GPO without a cryptogram");
  if (!d.has(0x9f27)) d.set(0x9f27, Uint8Array.of(0x80));
  ctx.cb.onEvent?.("selected");
  await readApplicationData(ctx);
  ctx.cb.onEvent?.("card-read-done");
  if (!d.has(0x5a) && d.has(0x57)) {
    const t2 = d.digits(0x57);
    const pan = t2.slice(0, t2.indexOf("D"));
    d.setNumeric(0x5a, pan.length % 2 ? pan + "F" : pan, Math.ceil(pan.length / 2));
  }
  const cid = d.get(0x9f27)![0]! & 0xc0;
  const none = new Uint8Array(0);
  const done = (c: Completion): KernelOutcome => {
    ctx.cb.onEvent?.("completed");
    return outcomeOf(ctx, c);
  };
  // CVM from the CTQ (online PIN / signature), else none.
  const ctq = d.get(0x9f6c);
  if (cid === 0x40) {
    // Offline approval: the application must not have expired, and fDDA must verify.
    d.set(0x9f34, Uint8Array.of(0x3f, 0x00, 0x00));
    const exp = d.digits(0x5f24);
    if (exp.length !== 6 || dateValue(exp) < dateValue(tx.date)) {
      d.setTvr("expired");
      return done({ result: "declined", online: false, unableToGoOnline: false, reversalRequired: false, reason: "expired", cryptogram: "TC", requestField55: none });
    }
    const status = { missing: false };
    d.setTsi("odaPerformed");
    const issuer = recoverIssuerKey(ctx, status);
    const icc = issuer ? recoverIccKey(ctx, issuer, status) : undefined;
    if (!icc || !verifyFdda(ctx, icc)) {
      d.setTvr("ddaFailed");
      return done({ result: "declined", online: false, unableToGoOnline: false, reversalRequired: false, reason: "fdda-failed", cryptogram: "TC", requestField55: none });
    }
    if (ctq && (ctq[0]! & 0x40) !== 0 && (ttq[0]! & 0x02) !== 0) {
      ctx.signatureRequired = true;
      d.set(0x9f34, Uint8Array.of(0x1e, 0x00, 0x00));
    }
    return done({ result: "approved", online: false, unableToGoOnline: false, reversalRequired: false, reason: "offline", cryptogram: "TC", requestField55: none });
  }
  if (cid !== 0x80) return done({ result: "declined", online: false, unableToGoOnline: false, reversalRequired: false, reason: "card", cryptogram: "AAC", requestField55: none });
  // Online. The TVR went to the card in the PDOL data and the ARQC covers it: it stays as it was.
  d.set(0x9f34, Uint8Array.of(0x3f, 0x00, 0x00));
  const wantsPin = ctq ? (ctq[0]! & 0x80) !== 0 : (ttq[1]! & 0x40) !== 0;
  if (wantsPin && (ttq[0]! & 0x04) !== 0 && cb.onlinePin) {
    const r = await cb.onlinePin(ctx.pan());
    if (r.status === "ok") {
      ctx.pinBlock = r.pinBlock;
      d.set(0x9f34, Uint8Array.of(0x02, 0x00, 0x00));
      d.setTsi("cvmPerformed");
    }
  } else if (ctq && (ctq[0]! & 0x40) !== 0 && (ttq[0]! & 0x02) !== 0) {
    ctx.signatureRequired = true;
    d.set(0x9f34, Uint8Array.of(0x1e, 0x00, 0x00));
    d.setTsi("cvmPerformed");
  }
  const request = onlineRequest(ctx);
  ctx.cb.onEvent?.("online");
  let response;
  try {
    response = await cb.goOnline(request);
  } catch {
    response = undefined;
  }
  if (!response) return done({ result: "declined", online: false, unableToGoOnline: true, reversalRequired: false, reason: "unable-to-go-online", cryptogram: "ARQC", requestField55: request.field55 });
  d.set(0x8a, Uint8Array.of(response.responseCode.charCodeAt(0), response.responseCode.charCodeAt(1)));
  return done({ result: response.approved ? "approved" : "declined", online: true, unableToGoOnline: false, reversalRequired: false, reason: "issuer", cryptogram: "ARQC", requestField55: request.field55, response });
}
