/**
 * The simulator's cards. PANs are test numbers with valid Luhn check digits; the chip data mirrors
 * the stripe (tag 57 = track 2). Certificates (90/92/9F46) are placeholder bytes, not RSA: offline data
 * authentication comes with the EMV issue, like real cryptograms (see virtual-card.ts).
 *
 * - unionpayDebit: UnionPay debit A000000333010101, T=0 contact + contactless (PPSE), PSE, PDOL,
 *   GPO format 2, stripe service code 620 (national, chip) — chip first.
 * - unionpayCredit: UnionPay credit A000000333010102, T=0 contact + contactless, PSE, no PDOL, GPO
 *   format 1, plus a blocked electronic-cash application (SELECT answers 6283 with its FCI),
 *   stripe service code 220.
 * - magstripeOnly: stripe only (service code 120); mute in the chip slot, not contactless.
 * - chipStripe2xx: international chip card whose stripe says 201 (chip where feasible): T=1 contact
 *   only, no PSE (the terminal selects from its AID list).
 *
 * The debit/credit AID mapping follows the terminal codebases cited in spec/devices.md §4.6 (UNVERIFIED
 * there: confirm with the acquirer's parameters).
 */
import { asciiHex, atrWithTck, cn, n, tlv, track2Equivalent, type AppImage, type CardImage } from "./image.ts";

const CDOL1 = "9F02069F03069F1A0295055F2A029A039C019F37049F21039F4E14";
const CDOL2 = "8A029F02069F03069F1A0295055F2A029A039C019F3704";
const CVM_LIST = "00000000" + "00000000" + "4203" + "1E03" + "1F00";
/** Placeholder issuer public key certificate bytes (not RSA; 112 bytes so the record needs the 81 length form). */
const CERT_PLACEHOLDER = "6A02" + "A5".repeat(108) + "BC" + "00";

function records(o: { track1: string; track2: string; pan: string; name: string; expiry: string; effective: string; psn: string; sfi1: number; sfi2: number }): Record<string, string> {
  const [, disc1] = o.track1.split("^").slice(1);
  return {
    [`${o.sfi1}:1`]: tlv("70", tlv("57", track2Equivalent(o.track2)), tlv("5F20", asciiHex(o.name)), tlv("9F1F", asciiHex(disc1!.slice(7)))),
    [`${o.sfi2}:1`]: tlv(
      "70",
      tlv("5A", cn(o.pan)),
      tlv("5F24", o.expiry),
      tlv("5F25", o.effective),
      tlv("5F28", "0156"),
      tlv("5F34", o.psn),
      tlv("9F07", "FF00"),
      tlv("8E", CVM_LIST),
      tlv("9F0D", "D84004A800"),
      tlv("9F0E", "0010980000"),
      tlv("9F0F", "D84004F800"),
      tlv("8C", CDOL1),
      tlv("8D", CDOL2),
    ),
    [`${o.sfi2}:2`]: tlv("70", tlv("8F", "80"), tlv("9F32", "03"), tlv("92", "1122334455667788"), tlv("90", CERT_PLACEHOLDER)),
    [`${o.sfi2 + 1}:1`]: tlv("70", tlv("9F08", "0030"), tlv("9F42", "0156"), tlv("9F44", "02"), tlv("9F4A", "82")),
  };
}

const debitPan = "6214830012345678900";
const debitTrack2 = `${debitPan}=28126201234567890`;
const debitTrack1 = `B${debitPan}^ZHANG/SAN^28126201234567890000000`;

const debitApp: AppImage = {
  aid: "A000000333010101",
  label: "PBOC DEBIT",
  preferredName: "UnionPay Debit",
  codeTable: 1,
  priority: 1,
  pdol: "9F7A019F02065F2A02",
  aip: "7C00",
  afl: "08010100" + "10010201" + "18010100",
  gpoFormat: 2,
  records: records({ track1: debitTrack1, track2: debitTrack2, pan: debitPan, name: "ZHANG/SAN", expiry: "281231", effective: "231201", psn: "01", sfi1: 1, sfi2: 2 }),
  data: { "9F13": "0000", "9F79": n("10000", 6) },
};

export const unionpayDebit: CardImage = {
  name: "UnionPay debit (A000000333010101), T=0, dual interface",
  tracks: { track1: debitTrack1, track2: debitTrack2 },
  contact: { atr: "3B6C0000" + asciiHex("UPCOS-DEBIT1"), protocol: 0 },
  contactless: { ats: "0D78807002" + asciiHex("UPQPBOC1") },
  pseSfi: 11,
  ppse: true,
  language: "zhen",
  applications: [debitApp],
  pin: "1234",
  pinTryLimit: 3,
};

const creditPan = "6250110012345675";
const creditTrack2 = `${creditPan}=30092201000000000`;
const creditTrack1 = `B${creditPan}^LI/SI^30092201000000000000000`;

export const unionpayCredit: CardImage = {
  name: "UnionPay credit (A000000333010102), T=0, dual interface, blocked EC application",
  tracks: { track1: creditTrack1, track2: creditTrack2 },
  contact: { atr: "3B6D0000" + asciiHex("UPCOS-CREDIT1"), protocol: 0 },
  contactless: { ats: "0E78807002" + asciiHex("UPQPBOC2C") },
  pseSfi: 1,
  ppse: true,
  language: "zh",
  applications: [
    {
      aid: "A000000333010102",
      label: "PBOC CREDIT",
      priority: 1,
      aip: "5C00",
      afl: "10010100" + "18010201",
      gpoFormat: 1,
      records: records({ track1: creditTrack1, track2: creditTrack2, pan: creditPan, name: "LI/SI", expiry: "300930", effective: "250901", psn: "00", sfi1: 2, sfi2: 3 }),
    },
    {
      aid: "A000000333010106",
      label: "PBOC EC",
      priority: 2,
      aip: "5C00",
      afl: "08010100",
      records: { "1:1": tlv("70", tlv("57", track2Equivalent(creditTrack2))) },
      blocked: true,
      interfaces: ["contact"],
    },
  ],
  pin: "8888",
  pinTryLimit: 3,
};

const magPan = "6222021001123456789";
export const magstripeOnly: CardImage = {
  name: "magstripe-only UnionPay card (service code 120)",
  tracks: { track1: `B${magPan}^WANG/WU^27121200000000000000000`, track2: `${magPan}=2712120000000000`, track3: `99${magPan}=1560000000000000000000000000000000000000000000000000000000000000` },
  applications: [],
};

const intlPan = "6250940000000001";
const intlTrack2 = `${intlPan}=29062010000012300000`;
const intlTrack1 = `B${intlPan}^CHEN/LIU^29062010000012300000000`;
export const chipStripe2xx: CardImage = {
  name: "international UnionPay chip card, stripe service code 201, T=1 contact only, no PSE",
  tracks: { track1: intlTrack1, track2: intlTrack2 },
  contact: { atr: atrWithTck("3BE90000813 1FE45".replace(/\s/g, "") + asciiHex("UPINTL201")), protocol: 1 },
  language: "en",
  applications: [
    {
      aid: "A000000333010101",
      label: "UnionPay Debit",
      priority: 1,
      pdol: "9F1A02",
      aip: "7C00",
      afl: "08010100" + "10010201",
      gpoFormat: 2,
      records: records({ track1: intlTrack1, track2: intlTrack2, pan: intlPan, name: "CHEN/LIU", expiry: "290630", effective: "240601", psn: "01", sfi1: 1, sfi2: 2 }),
    },
  ],
  pin: "4321",
};

export const ALL_CARDS: Record<string, CardImage> = { unionpayDebit, unionpayCredit, magstripeOnly, chipStripe2xx };
