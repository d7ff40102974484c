/**
 * The simulator's cards. PANs are test numbers with valid Luhn check digits; the chip data mirrors
 * the stripe (tag 57 = track 2). Chip applications are personalised (personalise.ts) with ICC master
 * keys derived from the simulator issuer's IMKs (boards/sim/issuer) and real RSA certificates of the
 * test PKI: their cryptograms verify at the issuer, their SDA/DDA/CDA data at the terminal.
 *
 * - unionpayDebit: UnionPay debit A000000333010101, T=0 contact + contactless (PPSE), PSE, PDOL,
 *   GPO format 2, DDA (ICC key icc1), online PIN; stripe service code 620 (national, chip) — chip first.
 * - unionpayCredit: UnionPay credit A000000333010102, T=0 contact + contactless, PSE, no PDOL, GPO
 *   format 1, SDA, velocity limits (9F14/9F23); plus a blocked electronic-cash application (SELECT
 *   answers 6283 with its FCI); stripe service code 220.
 * - magstripeOnly: stripe only (service code 120); mute in the chip slot, not contactless.
 * - chipStripe2xx: international chip card whose stripe says 201 (chip where feasible): T=1 contact
 *   only, no PSE (the terminal selects from its AID list), DDA (issuer key with e = 65537).
 * EMV test cards (each with its expected outcome, test/engine/emv-*.test.ts):
 * - unionpayExpired: expired application (5F24 in the past) -> online, the issuer answers 54 -> AAC.
 * - unionpayBlockedApp: its only application is blocked (SELECT 6283) -> no application, terminated.
 * - unionpayDdaFail: the card signs DDA with a key its certificate does not name -> DDA failed, its
 *   IAC-Denial lists DDA failure -> AAC, declined offline.
 * - unionpayPinLocked: offline plaintext PIN, PIN try counter 0 -> PIN try limit exceeded, CVM failed,
 *   IAC-Denial -> declined offline.
 * - unionpayDualApp: debit and credit applications both needing confirmation -> the cardholder chooses;
 *   the credit one offers CDA only and takes the ARPC in CDOL2 (no EXTERNAL AUTHENTICATE), signature CVM.
 * - quickPass: contactless-only qPBOC card (TTQ in the PDOL, cryptogram in the GPO answer, fDDA for an
 *   offline approval within its electronic-cash balance 9F79).
 *
 * The debit/credit AID mapping follows the terminal codebases cited in spec/devices.md §4.6 (UNVERIFIED
 * there: confirm with the acquirer's parameters).
 */
import { asciiHex, atrWithTck, cn, luhnDigit, n, tlv, track2Equivalent, type AppImage, type CardImage } from "./image.ts";
import { personalise, type PersonaliseOptions } from "./personalise.ts";

const CDOL1 = "9F02069F03069F1A0295055F2A029A039C019F37049F21039F4E14";
const CDOL2 = "8A029F02069F03069F1A0295055F2A029A039C019F3704";
/** CDOL2 carrying the issuer authentication data (91): issuer authentication in the second GENERATE AC. */
const CDOL2_WITH_91 = "910A" + CDOL2;
/** X = Y = 0; enciphered PIN online if supported (else next), signature if supported, no CVM required. */
const CVM_LIST = "00000000" + "00000000" + "4203" + "1E03" + "1F00";
/** Offline plaintext PIN, always, fail CVM processing when it fails. */
const CVM_OFFLINE_PIN = "00000000" + "00000000" + "0100";
/** Signature if the terminal supports it, else no CVM required. */
const CVM_SIGNATURE = "00000000" + "00000000" + "5E03" + "1F00";
/** Issuer action codes: Default, Denial, Online (UnionPay-style values). */
const IAC = { default: "D84004A800", denial: "0010980000", online: "D84004F800" };

export interface RecordOptions {
  track1: string;
  track2: string;
  pan: string;
  name: string;
  expiry: string;
  effective: string;
  psn: string;
  sfi1: number;
  sfi2: number;
  issuerCountry?: string;
  cvmList?: string;
  iacDenial?: string;
  cdol1?: string;
  cdol2?: string;
  /** More objects for the ODA record (hex TLVs). */
  extra?: string;
}

/** The records of a UnionPay-style application: track data, the ODA record, versions/currency (certificates come from personalise). */
export function records(o: RecordOptions): Record<string, string> {
  const [, disc1] = o.track1.split("^").slice(1);
  return {
    [`${o.sfi1}:1`]: tlv("70", tlv("57", track2Equivalent(o.track2)), tlv("5F20", asciiHex(o.name)), tlv("9F1F", asciiHex(disc1!.slice(7)))),
    [`${o.sfi2}:1`]: tlv(
      "70",
      tlv("5A", cn(o.pan)),
      tlv("5F24", o.expiry),
      tlv("5F25", o.effective),
      tlv("5F28", o.issuerCountry ?? "0156"),
      tlv("5F34", o.psn),
      tlv("9F07", "FF00"),
      tlv("8E", o.cvmList ?? CVM_LIST),
      tlv("9F0D", IAC.default),
      tlv("9F0E", o.iacDenial ?? IAC.denial),
      tlv("9F0F", IAC.online),
      tlv("8C", o.cdol1 ?? CDOL1),
      tlv("8D", o.cdol2 ?? CDOL2),
      o.extra ?? "",
    ),
    [`${o.sfi2 + 1}:1`]: tlv("70", tlv("9F08", "0030"), tlv("9F42", "0156"), tlv("9F44", "02"), tlv("9F4A", "82")),
  };
}

/** Adds the PBOC card product identification (9F63, 16 bytes) to a record (outside the ODA data). */
function withCardProduct(recs: Record<string, string>, key: string): Record<string, string> {
  const r = recs[key]!;
  const len = parseInt(r.slice(2, 4), 16);
  if (len >= 0x80) throw new Error("record too long for withCardProduct");
  return { ...recs, [key]: tlv("70", r.slice(4), tlv("9F63", "0102030405060708090A0B0C0D0E0F10")) };
}

function dda(pan: string, psn: string, iccKey: string, sfi2: number, extra: Partial<PersonaliseOptions> = {}): PersonaliseOptions {
  return { pan, psn, issuerKey: "issuerA", certRecord: `${sfi2}:2`, oda: "dda", iccRecord: `${sfi2 + 1}:1`, iccKey, ...extra };
}

function t0Atr(historical: string): string {
  return "3B6" + (historical.length).toString(16).toUpperCase() + "0000" + asciiHex(historical);
}

const debitPan = "6214830012345678900";
const debitTrack2 = `${debitPan}=28126201234567890`;
const debitTrack1 = `B${debitPan}^ZHANG/SAN^28126201234567890000000`;

const debitApp: AppImage = personalise(
  {
    aid: "A000000333010101",
    label: "PBOC DEBIT",
    preferredName: "UnionPay Debit",
    codeTable: 1,
    priority: 1,
    pdol: "9F7A019F02065F2A02",
    aip: "7C00",
    afl: "08010100" + "10010201" + "18010100",
    gpoFormat: 2,
    records: withCardProduct(records({ track1: debitTrack1, track2: debitTrack2, pan: debitPan, name: "ZHANG/SAN", expiry: "281231", effective: "231201", psn: "01", sfi1: 1, sfi2: 2 }), "1:1"),
    data: { "9F13": "0000", "9F79": n("10000", 6) },
  },
  dda(debitPan, "01", "icc1", 2),
);

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
    personalise(
      {
        aid: "A000000333010102",
        label: "PBOC CREDIT",
        priority: 1,
        aip: "5C00",
        afl: "10010100" + "18010201",
        gpoFormat: 1,
        records: records({ track1: creditTrack1, track2: creditTrack2, pan: creditPan, name: "LI/SI", expiry: "300930", effective: "250901", psn: "00", sfi1: 2, sfi2: 3, extra: tlv("9F14", "05") + tlv("9F23", "0A") }),
        data: { "9F13": "0003" },
      },
      { pan: creditPan, psn: "00", issuerKey: "issuerB", certRecord: "3:2", ssadRecord: "2:1", oda: "sda" },
    ),
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
    personalise(
      {
        aid: "A000000333010101",
        label: "UnionPay Debit",
        priority: 1,
        pdol: "9F1A02",
        aip: "7C00",
        afl: "08010100" + "10010201" + "18010100",
        gpoFormat: 2,
        records: records({ track1: intlTrack1, track2: intlTrack2, pan: intlPan, name: "CHEN/LIU", expiry: "290630", effective: "240601", psn: "01", sfi1: 1, sfi2: 2, issuerCountry: "0344" }),
      },
      { ...dda(intlPan, "01", "icc3", 2), issuerKey: "issuerB" },
    ),
  ],
  pin: "4321",
};

// ---- EMV test cards ----------------------------------------------------------------------------

/** A single-application T=0 UnionPay debit card with PSE (the shape of the EMV test cards). */
function testCard(o: { name: string; historical: string; pan: string; holder: string; expiry: string; effective: string; service?: string; app: (r: RecordOptions) => AppImage; pin?: string; pinTriesLeft?: number }): CardImage {
  const yymm = o.expiry.slice(0, 4);
  const track2 = `${o.pan}=${yymm}${o.service ?? "620"}1000000000`;
  const track1 = `B${o.pan}^${o.holder}^${yymm}${o.service ?? "620"}1000000000000000`;
  const base: RecordOptions = { track1, track2, pan: o.pan, name: o.holder, expiry: o.expiry, effective: o.effective, psn: "01", sfi1: 1, sfi2: 2 };
  return {
    name: o.name,
    tracks: { track1, track2 },
    contact: { atr: t0Atr(o.historical), protocol: 0 },
    pseSfi: 11,
    language: "zhen",
    applications: [o.app(base)],
    pin: o.pin ?? "1234",
    pinTryLimit: 3,
    pinTriesLeft: o.pinTriesLeft,
  };
}

function luhn(body: string): string {
  return body + luhnDigit(body);
}

function debitLike(r: RecordOptions, iccKey: string, extra: Partial<AppImage> = {}, p: Partial<PersonaliseOptions> = {}): AppImage {
  return personalise(
    { aid: "A000000333010101", label: "PBOC DEBIT", priority: 1, pdol: "9F7A019F02065F2A02", aip: "7C00", afl: "08010100" + "10010201" + "18010100", gpoFormat: 2, records: records(r), data: { "9F13": "0000" }, ...extra },
    { ...dda(r.pan, r.psn, iccKey, r.sfi2), ...p },
  );
}

export const unionpayExpired: CardImage = testCard({
  name: "UnionPay debit, application expired 2023-12-31",
  historical: "UPCOS-EXPIRED",
  pan: luhn("621483000000001002"),
  holder: "ZHAO/LIU",
  expiry: "231231",
  effective: "201201",
  app: (r) => debitLike(r, "icc2"),
});

export const unionpayBlockedApp: CardImage = testCard({
  name: "UnionPay debit whose only application is blocked",
  historical: "UPCOS-BLOCKED",
  pan: luhn("621483000000002001"),
  holder: "QIAN/QI",
  expiry: "291231",
  effective: "231201",
  app: (r) => ({ ...debitLike(r, "icc4"), blocked: true }),
});

export const unionpayDdaFail: CardImage = testCard({
  name: "UnionPay debit whose DDA signature does not verify (signed with another key)",
  historical: "UPCOS-DDAFAIL",
  pan: luhn("621483000000002002"),
  holder: "SUN/BA",
  expiry: "291231",
  effective: "231201",
  app: (r) => debitLike({ ...r, iacDenial: "0810980000" }, "icc5", {}, { behaviour: { ddaKey: "icc8" } }),
});

export const unionpayPinLocked: CardImage = testCard({
  name: "UnionPay debit with offline PIN, PIN try limit exceeded",
  historical: "UPCOS-PINLOCK",
  pan: luhn("621483000000002003"),
  holder: "LI/JIU",
  expiry: "291231",
  effective: "231201",
  pinTriesLeft: 0,
  app: (r) => debitLike({ ...r, cvmList: CVM_OFFLINE_PIN }, "icc6"),
});

const dualPan = luhn("625011000000002004");
const dualTrack2 = `${dualPan}=29122201000000000`;
const dualTrack1 = `B${dualPan}^ZHOU/SHI^29122201000000000000000`;
const dualBase: RecordOptions = { track1: dualTrack1, track2: dualTrack2, pan: dualPan, name: "ZHOU/SHI", expiry: "291231", effective: "231201", psn: "00", sfi1: 1, sfi2: 2 };
export const unionpayDualApp: CardImage = {
  name: "UnionPay card with debit and credit applications (cardholder confirmation), CDA credit",
  tracks: { track1: dualTrack1, track2: dualTrack2 },
  contact: { atr: t0Atr("UPCOS-DUAL"), protocol: 0 },
  pseSfi: 11,
  language: "zhen",
  applications: [
    personalise(
      { aid: "A000000333010101", label: "UP DEBIT", priority: 0x81, aip: "7C00", afl: "08010100" + "10010201" + "18010100", gpoFormat: 2, records: records(dualBase) },
      dda(dualPan, "00", "icc7", 2),
    ),
    personalise(
      {
        aid: "A000000333010102",
        label: "UP CREDIT",
        priority: 0x82,
        aip: "1900",
        afl: "20010100" + "28010201" + "30010100",
        gpoFormat: 1,
        records: records({ ...dualBase, psn: "01", sfi1: 4, sfi2: 5, cvmList: CVM_SIGNATURE, cdol2: CDOL2_WITH_91 }),
      },
      { ...dda(dualPan, "01", "icc7", 5), behaviour: { issuerAuthRequired: true } },
    ),
  ],
  pin: "2468",
  pinTryLimit: 3,
};

const qpPan = luhn("621483000000002005");
const qpTrack2 = `${qpPan}=29126201000000000`;
const qpTrack1 = `B${qpPan}^WU/SHI^29126201000000000000000`;
export const quickPass: CardImage = {
  name: "UnionPay QuickPass (qPBOC) contactless debit card",
  tracks: { track1: qpTrack1, track2: qpTrack2 },
  contactless: { ats: "0D78807002" + asciiHex("UPQPASS1") },
  ppse: true,
  language: "zhen",
  applications: [
    personalise(
      {
        aid: "A000000333010101",
        label: "QUICKPASS",
        priority: 1,
        pdol: "9F66049F02069F03069F1A0295055F2A029A039C019F3704",
        aip: "2000",
        afl: "08010100" + "10010201" + "18010100",
        records: records({ track1: qpTrack1, track2: qpTrack2, pan: qpPan, name: "WU/SHI", expiry: "291231", effective: "231201", psn: "01", sfi1: 1, sfi2: 2 }),
        data: { "9F79": n("50000", 6) },
        interfaces: ["contactless"],
      },
      { ...dda(qpPan, "01", "icc9", 2), behaviour: { qpboc: true } },
    ),
  ],
};

export const ALL_CARDS: Record<string, CardImage> = { unionpayDebit, unionpayCredit, magstripeOnly, chipStripe2xx };

/** The EMV test cards (stripes included: they follow the same image rules as ALL_CARDS). */
export const EMV_TEST_CARDS: Record<string, CardImage> = { unionpayExpired, unionpayBlockedApp, unionpayDdaFail, unionpayPinLocked, unionpayDualApp, quickPass };
