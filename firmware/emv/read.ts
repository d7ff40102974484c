/**
 * Initiate application processing and read application data (EMV 4.x Book 3 §10.1-10.2): the FCI's
 * data, GET PROCESSING OPTIONS with the PDOL data (83 template), the AIP and AFL from a format 1 (80)
 * or format 2 (77) answer, then READ RECORD for every record the AFL names, keeping the static data to
 * be authenticated for ODA (the value inside 70 for SFI 1..10, the whole record for SFI 11..30).
 *
 * Errors: E_EMV_GPO_CONDITIONS (6985: the application refuses this transaction, choose another),
 * E_EMV_CARD (other status words), E_EMV_DATA (malformed answer, bad AFL, missing or repeated data).
 */
import { CoreError } from "../core/errors";
import { TlvMap } from "../core/tlv";
import { commands } from "../../hal/card/index";
import { swHex } from "../../hal/card/apdu";
import type { EmvContext } from "./context";

/** Stores the selected application's FCI data (DF name 84, label, PDOL, language ...) and the AID. */
export function absorbFci(ctx: EmvContext, fci: TlvMap, aid: Uint8Array): void {
  ctx.data.absorb(fci.buffer, 0, fci.buffer.length);
  ctx.data.set(0x4f, aid);
  ctx.data.set(0x9f06, aid);
}

/** GET PROCESSING OPTIONS: stores 82 and 94 (and what else a format 2 answer carries). */
export async function getProcessingOptions(ctx: EmvContext): Promise<void> {
  const pdol = ctx.data.get(0x9f38);
  ctx.pdolData = ctx.dolData(pdol);
  const r = await ctx.transmit(commands.getProcessingOptions(ctx.pdolData));
  if (r.sw === 0x6985) throw new CoreError("E_EMV_GPO_CONDITIONS", "GET PROCESSING OPTIONS: conditions of use not satisfied");
  if (r.sw !== 0x9000) throw new CoreError("E_EMV_CARD", `GET PROCESSING OPTIONS answered ${swHex(r.sw)}`);
  const d = r.data;
  if (d.length < 2) throw new CoreError("E_EMV_DATA", "empty GPO answer");
  const m = new TlvMap().parse(d);
  if (d[0] === 0x80) {
    const v = m.get(0x80)!;
    if (v.length < 2 || (v.length - 2) % 4 !== 0) throw new CoreError("E_EMV_DATA", `GPO format 1 of ${v.length} bytes`);
    ctx.data.set(0x82, v, 0, 2);
    ctx.data.set(0x94, v, 2);
  } else if (d[0] === 0x77) {
    ctx.data.absorb(d);
    if (!ctx.data.has(0x82) || !ctx.data.has(0x94)) throw new CoreError("E_EMV_DATA", "GPO format 2 without AIP or AFL");
  } else throw new CoreError("E_EMV_DATA", `GPO answer template ${d[0]!.toString(16)}`);
  const afl = ctx.data.get(0x94)!;
  if (afl.length % 4 !== 0) throw new CoreError("E_EMV_DATA", "AFL length is not a multiple of 4");
}

/** READ RECORD per the AFL; records are stored (a tag repeated across records is E_EMV_DATA). */
export async function readApplicationData(ctx: EmvContext): Promise<void> {
  const afl = ctx.data.get(0x94)!;
  const seen = new Set<number>();
  ctx.staticData = [];
  ctx.odaRecordError = false;
  for (let e = 0; e + 4 <= afl.length; e += 4) {
    const sfi = afl[e]! >> 3;
    const first = afl[e + 1]!;
    const last = afl[e + 2]!;
    const oda = afl[e + 3]!;
    if (sfi < 1 || sfi > 30 || first === 0 || last < first || oda > last - first + 1) throw new CoreError("E_EMV_DATA", `bad AFL entry ${e / 4 + 1}`);
    for (let rec = first; rec <= last; rec++) {
      const r = await ctx.transmit(commands.readRecord(rec, sfi));
      if (r.sw !== 0x9000) throw new CoreError("E_EMV_DATA", `READ RECORD ${sfi}:${rec} answered ${swHex(r.sw)}`);
      const d = r.data;
      const isTemplate = d.length >= 2 && d[0] === 0x70;
      if (sfi <= 10 && !isTemplate) throw new CoreError("E_EMV_DATA", `record ${sfi}:${rec} is not a 70 template`);
      if (isTemplate) {
        const m = new TlvMap().parse(d, 0, d.length, false);
        if (m.count < 1 || m.tagAt(0) !== 0x70 || m.endAt(0) > d.length) throw new CoreError("E_EMV_DATA", `record ${sfi}:${rec} malformed`);
        if (rec < first + oda) {
          // SFI 1..10: the value inside the template; 11..30: the whole record.
          ctx.staticData.push(sfi <= 10 ? d.slice(m.valueOffsetAt(0), m.endAt(0)) : d.slice());
        }
        ctx.data.absorb(d, m.valueOffsetAt(0), m.valueLengthAt(0), seen);
      } else if (rec < first + oda) {
        ctx.odaRecordError = true;
      }
    }
  }
  // Mandatory data (Book 3 §7.2): expiry, PAN, CDOL1, CDOL2 (contact).
  const need = ctx.iface === "contact" ? [0x5f24, 0x5a, 0x8c, 0x8d] : [0x5f24];
  for (let i = 0; i < need.length; i++) {
    if (!ctx.data.has(need[i]!)) throw new CoreError("E_EMV_DATA", `mandatory data ${need[i]!.toString(16).toUpperCase()} missing`);
  }
}
