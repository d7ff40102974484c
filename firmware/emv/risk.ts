/**
 * Processing restrictions (EMV 4.x Book 3 §10.4) and terminal risk management (§10.6, Book 4 §6.3.5):
 * application versions, application usage control, effective and expiry dates; exception file, floor
 * limit, random transaction selection, velocity checking (9F14/9F23 against ATC and the last online
 * ATC register), merchant-forced online.
 */
import { commands } from "../../hal/card/index";
import type { EmvContext } from "./context";

/** YYMMDD -> comparable number with EMV's century rule (YY 50..99 = 19YY). */
export function dateValue(yymmdd: string): number {
  const yy = Number(yymmdd.slice(0, 2));
  return (yy < 50 ? 2000 + yy : 1900 + yy) * 10000 + Number(yymmdd.slice(2, 6));
}

/** Terminal types 14, 15, 16: financial institution, unattended (an ATM). */
function isAtm(terminalType: number): boolean {
  return terminalType === 0x14 || terminalType === 0x15 || terminalType === 0x16;
}

export function processingRestrictions(ctx: EmvContext): void {
  const d = ctx.data;
  // Application version numbers.
  const card = d.get(0x9f08);
  const term = d.get(0x9f09);
  if (card && term && (card.length !== term.length || card.some((b, i) => b !== term[i]))) d.setTvr("differentVersions");
  // Application usage control.
  const auc = d.get(0x9f07);
  if (auc && auc.length >= 2) {
    let ok = true;
    const atm = isAtm(ctx.config.terminalType);
    if (atm ? (auc[0]! & 0x02) === 0 : (auc[0]! & 0x01) === 0) ok = false;
    const issuerCountry = d.digits(0x5f28);
    if (issuerCountry) {
      const domestic = issuerCountry === d.digits(0x9f1a);
      const type = ctx.tx.type;
      if (type === 0x01) {
        if ((auc[0]! & (domestic ? 0x80 : 0x40)) === 0) ok = false;
      } else if (type === 0x00 || type === 0x09) {
        if ((auc[0]! & (domestic ? 0x28 : 0x14)) === 0) ok = false;
        if (type === 0x09 && (auc[1]! & (domestic ? 0x80 : 0x40)) === 0) ok = false;
      }
    }
    if (!ok) d.setTvr("serviceNotAllowed");
  }
  // Dates.
  const today = dateValue(ctx.tx.date);
  const eff = d.digits(0x5f25);
  if (eff.length === 6 && dateValue(eff) > today) d.setTvr("notYetEffective");
  const exp = d.digits(0x5f24);
  if (exp.length === 6 && dateValue(exp) < today) d.setTvr("expired");
}

export async function terminalRiskManagement(ctx: EmvContext): Promise<void> {
  const d = ctx.data;
  const aid = ctx.aid!;
  const amount = ctx.tx.amount;
  const pan = ctx.pan();
  const hot = ctx.config.exceptionFile;
  if (hot && hot.indexOf(pan) >= 0) d.setTvr("exceptionFile");
  if (amount >= aid.floorLimit) d.setTvr("floorLimitExceeded");
  else {
    // Random transaction selection (Book 4 §6.3.5.2).
    let target = -1;
    if (amount < aid.randomThreshold) target = aid.targetPercent;
    else if (aid.floorLimit > aid.randomThreshold) target = aid.targetPercent + ((aid.maxTargetPercent - aid.targetPercent) * (amount - aid.randomThreshold)) / (aid.floorLimit - aid.randomThreshold);
    if (target > 0 && ctx.random99() <= target) d.setTvr("randomlySelected");
  }
  // Velocity checking.
  const lcol = d.uint(0x9f14);
  const ucol = d.uint(0x9f23);
  if (lcol >= 0 && ucol >= 0) {
    const atcR = await ctx.transmit(commands.getData(0x9f36));
    const loR = await ctx.transmit(commands.getData(0x9f13));
    const atc = atcR.sw === 0x9000 ? tlvValue(atcR.data, 0x9f36) : -1;
    const lo = loR.sw === 0x9000 ? tlvValue(loR.data, 0x9f13) : -1;
    if (atc >= 0) d.set(0x9f36, Uint8Array.of(atc >> 8, atc & 0xff));
    if (atc < 0 || lo < 0) {
      d.setTvr("lowerOfflineLimitExceeded");
      d.setTvr("upperOfflineLimitExceeded");
    } else {
      d.set(0x9f13, Uint8Array.of(lo >> 8, lo & 0xff));
      if (lo === 0) d.setTvr("newCard");
      if (atc - lo > lcol) d.setTvr("lowerOfflineLimitExceeded");
      if (atc - lo > ucol) d.setTvr("upperOfflineLimitExceeded");
    }
  }
  if (ctx.tx.forceOnline) d.setTvr("merchantForcedOnline");
  d.setTsi("terminalRiskManagementPerformed");
}

/** Value of a 2-byte GET DATA answer (tag, 02, value) as a number, or -1. */
function tlvValue(b: Uint8Array, tag: number): number {
  if (b.length !== 5 || ((b[0]! << 8) | b[1]!) !== tag || b[2] !== 2) return -1;
  return (b[3]! << 8) | b[4]!;
}
