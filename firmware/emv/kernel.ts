/**
 * The contact EMV transaction, end to end (EMV 4.x Book 3 §10 order): application selection, initiate
 * application processing (GPO, re-selection on 6985), read application data, offline data
 * authentication (CDA > DDA > SDA by AIP and terminal capabilities), processing restrictions,
 * cardholder verification, terminal risk management, terminal action analysis, first GENERATE AC,
 * online authorisation through the callback, issuer authentication and scripts, second GENERATE AC.
 */
import { CoreError } from "../core/errors";
import { EmvContext } from "./context";
import { buildCandidateList, finalSelection } from "./selection";
import { absorbFci, getProcessingOptions, readApplicationData } from "./read";
import { performDda, recoverIccKey, recoverIssuerKey, verifySda, type RecoveredKey } from "./oda";
import { processingRestrictions, terminalRiskManagement } from "./risk";
import { cardholderVerification } from "./cvm";
import { completeTransaction, type Completion } from "./completion";
import { buildField55, FIELD55_FINAL_TAGS, FIELD55_SCRIPT_TAGS } from "./field55";
import type { CardChannel, KernelCallbacks, KernelOutcome, TerminalConfig, TransactionInput } from "./types";

/**
 * Offline data authentication (Book 3 §10.3). Returns the ICC key when CDA is selected (the GENERATE
 * AC answers are checked with it).
 */
export async function offlineDataAuthentication(ctx: EmvContext): Promise<RecoveredKey | undefined> {
  const d = ctx.data;
  const aip = d.get(0x82)!;
  const caps = d.get(0x9f33)?.[2] ?? 0;
  const status = { missing: false };
  let icc: RecoveredKey | undefined;
  if ((aip[0]! & 0x01) !== 0 && (caps & 0x08) !== 0) {
    ctx.odaMethod = "cda";
    const issuer = recoverIssuerKey(ctx, status);
    icc = issuer ? recoverIccKey(ctx, issuer, status) : undefined;
    if (!icc) d.setTvr("cdaFailed");
  } else if ((aip[0]! & 0x20) !== 0 && (caps & 0x40) !== 0) {
    ctx.odaMethod = "dda";
    const issuer = recoverIssuerKey(ctx, status);
    const key = issuer ? recoverIccKey(ctx, issuer, status) : undefined;
    if (!key || !(await performDda(ctx, key, status))) d.setTvr("ddaFailed");
  } else if ((aip[0]! & 0x40) !== 0 && (caps & 0x80) !== 0) {
    ctx.odaMethod = "sda";
    d.setTvr("sdaSelected");
    if (!verifySda(ctx, status)) d.setTvr("sdaFailed");
  } else {
    ctx.odaMethod = "none";
    d.setTvr("odaNotPerformed");
    return undefined;
  }
  if (status.missing) d.setTvr("iccDataMissing");
  d.setTsi("odaPerformed");
  return icc;
}

/** Selection, GPO and reading: shared by the full transaction and by a card-reading-only flow. */
export async function selectAndRead(ctx: EmvContext): Promise<void> {
  ctx.initTerminalData();
  const list = await buildCandidateList(ctx);
  for (;;) {
    const sel = await finalSelection(ctx, list);
    ctx.setAidData(sel.candidate.config);
    absorbFci(ctx, sel.fci, sel.candidate.aid);
    ctx.label = sel.candidate.label;
    try {
      await getProcessingOptions(ctx);
      break;
    } catch (e) {
      if ((e as { code?: string }).code !== "E_EMV_GPO_CONDITIONS") throw e;
      // The application refuses this transaction: drop it and select again with fresh data.
      list.candidates = list.candidates.filter((c) => c !== sel.candidate);
      ctx.data.clear();
      ctx.initTerminalData();
    }
  }
  ctx.cb.onEvent?.("selected");
  await readApplicationData(ctx);
  ctx.cb.onEvent?.("read");
}

/** Builds the outcome from a completed context. */
export function outcomeOf(ctx: EmvContext, c: Completion): KernelOutcome {
  const d = ctx.data;
  const t2 = d.digits(0x57);
  const f = t2.indexOf("F");
  const psn = d.digits(0x5f34);
  return {
    result: c.result,
    online: c.online,
    reversalRequired: c.reversalRequired,
    unableToGoOnline: c.unableToGoOnline,
    reason: c.reason,
    cryptogram: c.cryptogram,
    signatureRequired: ctx.signatureRequired && c.result === "approved",
    pinBlock: ctx.pinBlock,
    requestField55: c.requestField55,
    finalField55: buildField55(d, FIELD55_FINAL_TAGS),
    scriptResults: Uint8Array.from(ctx.scriptResults),
    scriptField55: ctx.scriptResults.length ? buildField55(d, FIELD55_SCRIPT_TAGS) : new Uint8Array(0),
    tvr: d.tvr.slice(),
    tsi: d.tsi.slice(),
    aid: (d.get(0x84) ?? d.get(0x4f) ?? new Uint8Array(0)).slice(),
    pan: ctx.pan(),
    panSequence: psn ? psn.slice(-2) : undefined,
    expiry: d.digits(0x5f24).slice(0, 4),
    track2: t2 ? (f >= 0 ? t2.slice(0, f) : t2).replace("D", "=") : undefined,
    label: ctx.label,
    interface: ctx.iface,
    response: c.response,
  };
}

/** Runs a whole contact transaction on a powered card. Throws CoreError E_EMV_* (see fallback.ts). */
export async function performContactTransaction(card: CardChannel, config: TerminalConfig, tx: TransactionInput, cb: KernelCallbacks): Promise<KernelOutcome> {
  const ctx = new EmvContext(card, config, tx, cb, "contact");
  await selectAndRead(ctx);
  if (!ctx.data.has(0x5a)) throw new CoreError("E_EMV_DATA", "no PAN");
  const icc = await offlineDataAuthentication(ctx);
  processingRestrictions(ctx);
  ctx.cb.onEvent?.("cvm");
  await cardholderVerification(ctx);
  if ((ctx.data.get(0x82)![0]! & 0x08) !== 0) await terminalRiskManagement(ctx);
  const c = await completeTransaction(ctx, icc);
  ctx.cb.onEvent?.("completed");
  return outcomeOf(ctx, c);
}
