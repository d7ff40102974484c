/**
 * Card personalisation for the simulator (Node): gives an application image its ICC master keys
 * (option A from the simulator issuer's IMKs) and its offline data authentication objects, computed
 * over its own records with the test PKI (boards/sim/issuer/pki.ts):
 * - 8F CA key index, 90 issuer certificate (+ 92 remainder, 9F32 exponent) in `certRecord`;
 * - SDA: 93 signed static application data (+ 9F45 data authentication code is inside it);
 * - DDA/CDA/fDDA: 9F46 ICC certificate (+ 9F48 remainder, 9F47 exponent) and 9F49 DDOL in `iccRecord`.
 * The static data to be authenticated is read from the records the AFL marks (EMV Book 3 §10.3: the
 * value inside the 70 template for SFI 1..10, the whole record for SFI 11..30) plus the AIP when 9F4A
 * lists it.
 */
import { cardKeys } from "../../issuer/issuer.ts";
import { iccCertificate, issuerCertificate, signedStaticData, testKey } from "../../issuer/pki.ts";
import { hex, tlv, unhex, type AppCrypto, type AppImage } from "./image.ts";
import { findTag } from "./virtual-card.ts";

export interface PersonaliseOptions {
  pan: string;
  /** PAN sequence number, two digits. */
  psn: string;
  /** Issuer key name of the test PKI (issuerA, issuerB). */
  issuerKey: string;
  /** CA public key index (8F); the test CA is 80. */
  caIndex?: number;
  /** Record ("SFI:n") that receives 8F/90/92/9F32 (and 93 for SDA unless ssadRecord). */
  certRecord: string;
  /** Record for 93 when it does not fit with the certificate. */
  ssadRecord?: string;
  /** ODA the card offers: SDA adds 93; DDA (also CDA and fDDA) adds the ICC certificate. */
  oda: "none" | "sda" | "dda";
  /** Record that receives 9F46/9F47/9F48/9F49 (DDA). */
  iccRecord?: string;
  /** ICC key name (icc1..icc8) for DDA. */
  iccKey?: string;
  /** DDOL (9F49), hex; default 9F3704. */
  ddol?: string;
  /** Certificates' expiry MMYY (default 1230). */
  certExpiry?: string;
  /** Card behaviour: see AppCrypto. */
  behaviour?: Partial<Pick<AppCrypto, "firstAc" | "issuerAuthRequired" | "qpboc" | "ddaKey">>;
}

/** The value inside a record's 70 template. */
function inner(record: string): string {
  const b = unhex(record);
  if (b[0] !== 0x70) throw new Error("record is not a 70 template");
  let p = 1;
  let len = b[p++]!;
  if (len & 0x80) {
    const k = len & 0x7f;
    len = 0;
    for (let i = 0; i < k; i++) len = len * 256 + b[p++]!;
  }
  return hex(b.subarray(p, p + len));
}

function append(records: Record<string, string>, key: string, ...tlvs: string[]): void {
  records[key] = tlv("70", records[key] ? inner(records[key]!) : "", ...tlvs);
}

/** Static data to be authenticated of an image (records marked by the AFL, + AIP when 9F4A names 82). */
export function staticDataOf(app: AppImage): Uint8Array {
  const afl = unhex(app.afl);
  let out = "";
  let aipListed = false;
  for (let e = 0; e + 4 <= afl.length; e += 4) {
    const sfi = afl[e]! >> 3;
    const first = afl[e + 1]!;
    for (let r = first; r <= afl[e + 2]!; r++) {
      const rec = app.records[`${sfi}:${r}`];
      if (rec === undefined) continue;
      if (r < first + afl[e + 3]!) out += sfi <= 10 ? inner(rec) : rec;
      // The SDA tag list counts only when the terminal reads it (a record the AFL names).
      const list = findTag(unhex(rec), 0x9f4a);
      if (list && hex(list) === "82") aipListed = true;
    }
  }
  if (aipListed) out += app.aip;
  return unhex(out);
}

/** Returns the image with keys and ODA objects (the image passed in is not changed). */
export function personalise(app: AppImage, o: PersonaliseOptions): AppImage {
  const records = { ...app.records };
  const ca = testKey("ca80");
  const issuer = testKey(o.issuerKey);
  const expiry = o.certExpiry ?? "1230";
  const staticData = staticDataOf({ ...app, records });
  const ic = issuerCertificate(ca, issuer, { issuerId: o.pan.slice(0, 6), expiry });
  const certTlvs = [tlv("8F", (o.caIndex ?? 0x80).toString(16).padStart(2, "0")), tlv("9F32", hex(ic.exponent)), ic.remainder.length ? tlv("92", hex(ic.remainder)) : "", tlv("90", hex(ic.certificate))];
  append(records, o.certRecord, ...certTlvs);
  if (o.oda === "sda") append(records, o.ssadRecord ?? o.certRecord, tlv("93", hex(signedStaticData(issuer, unhex("DAC1"), staticData))));
  if (o.oda === "dda") {
    if (!o.iccKey || !o.iccRecord) throw new Error("DDA needs iccKey and iccRecord");
    const cc = iccCertificate(issuer, testKey(o.iccKey), { pan: o.pan, expiry, staticData });
    append(records, o.iccRecord, tlv("9F47", hex(cc.exponent)), cc.remainder.length ? tlv("9F48", hex(cc.remainder)) : "", tlv("9F46", hex(cc.certificate)), tlv("9F49", o.ddol ?? "9F3704"));
  }
  for (const [k, v] of Object.entries(records)) if (unhex(v).length > 256) throw new Error(`record ${k} of ${unhex(v).length} bytes: a READ RECORD answers 256 at most`);
  const keys = cardKeys(o.pan, o.psn);
  const crypto: AppCrypto = { mkAc: hex(keys.mkAc), mkSmi: hex(keys.mkSmi), mkSmc: hex(keys.mkSmc), dki: 0x01, cvn: 0x01, iccKey: o.oda === "dda" ? o.iccKey : undefined, ...o.behaviour };
  return { ...app, records, crypto };
}
