/**
 * A virtual EMV card answering command APDUs from a card image (image.ts): SELECT (PSE, PPSE, AID,
 * partial and next occurrence), READ RECORD, GET PROCESSING OPTIONS, GET DATA, VERIFY (plaintext
 * offline PIN with a try counter), GENERATE AC (real cryptograms and CDA for applications personalised
 * with keys, see emv-app.ts; a placeholder for the others; `card.cryptogram` replaces either), INTERNAL
 * AUTHENTICATE (DDA), EXTERNAL AUTHENTICATE (ARPC), issuer script commands with secure messaging
 * (APPLICATION BLOCK/UNBLOCK, PUT DATA), the qPBOC GPO that answers with the cryptogram, and the
 * transports around it: T=0 (61xx, 6Cxx, case-4 warning, Le withheld on case 4, the answers a real T=0
 * card gives) and T=1 / ISO 14443-4 (APDUs as they are).
 */
import { createHash } from "node:crypto";
import { asciiHex, hex, tlv, unhex, type AppImage, type CardImage, type Interface } from "./image.ts";
import { CardTransaction, cdaAnswer, checkArpc, checkScriptMac, dolValues, generateCryptogram, internalAuthenticate, qpbocGpo } from "./emv-app.ts";

export interface CardAnswer {
  data: Uint8Array;
  sw: number;
}

export interface CryptogramRequest {
  type: "AAC" | "TC" | "ARQC";
  cda: boolean;
  cdolData: Uint8Array;
  atc: number;
  aid: string;
  /** First or second GENERATE AC of the transaction. */
  second: boolean;
}
export interface CryptogramAnswer {
  /** Cryptogram information data (9F27): 00 AAC, 40 TC, 80 ARQC. */
  cid: number;
  /** Application cryptogram (9F26), 8 bytes. */
  ac: Uint8Array;
  /** Issuer application data (9F10). */
  iad: Uint8Array;
}
export type CryptogramHook = (request: CryptogramRequest, card: VirtualCard) => CryptogramAnswer;

const PSE_NAME = asciiHex("1PAY.SYS.DDF01");
const PPSE_NAME = asciiHex("2PAY.SYS.DDF01");
const EMPTY: Uint8Array = new Uint8Array(0);

/**
 * Real cryptograms for applications personalised with keys (AppImage.crypto, see emv-app.ts); the
 * placeholder for the others.
 */
export const emvCryptogram: CryptogramHook = (r, card) => card.realCryptogram(r) ?? placeholderCryptogram(r, card);

/**
 * The placeholder for applications without keys: the card goes online (ARQC) when asked
 * for TC or ARQC, approves (TC) on the second GENERATE AC when asked, and its "cryptogram" is a hash of
 * the CDOL data and ATC, NOT an EMV cryptogram. Replace `card.cryptogram` to compute real ones.
 */
export const placeholderCryptogram: CryptogramHook = (r) => {
  const type = r.type === "AAC" ? "AAC" : r.second ? r.type : "ARQC";
  const cid = type === "AAC" ? 0x00 : type === "TC" ? 0x40 : 0x80;
  const h = createHash("sha256").update("placeholder-ac").update(r.cdolData).update(String(r.atc)).digest();
  return { cid, ac: Uint8Array.from(h.subarray(0, 8)), iad: unhex("07010103A00000") };
};

interface Dol {
  tag: number;
  length: number;
}

/** Parses a DOL (tag, length list). */
export function parseDol(bytes: Uint8Array): Dol[] {
  const out: Dol[] = [];
  let p = 0;
  while (p < bytes.length) {
    let tag = bytes[p++]!;
    if ((tag & 0x1f) === 0x1f) {
      do tag = (tag << 8) | bytes[p++]!;
      while (p < bytes.length && bytes[p - 1]! & 0x80);
    }
    if (p >= bytes.length) throw new Error("DOL truncated");
    out.push({ tag, length: bytes[p++]! });
  }
  return out;
}

/** First value of `tag` anywhere in a BER-TLV blob (depth first), for reading the image's own records. */
export function findTag(bytes: Uint8Array, tag: number): Uint8Array | undefined {
  let p = 0;
  while (p < bytes.length) {
    if (bytes[p] === 0x00 || bytes[p] === 0xff) {
      p++;
      continue;
    }
    const first = bytes[p]!;
    let t = bytes[p++]!;
    if ((t & 0x1f) === 0x1f) {
      do t = (t << 8) | bytes[p++]!;
      while (bytes[p - 1]! & 0x80);
    }
    let len = bytes[p++]!;
    if (len & 0x80) {
      const k = len & 0x7f;
      len = 0;
      for (let i = 0; i < k; i++) len = (len << 8) | bytes[p++]!;
    }
    const v = bytes.subarray(p, p + len);
    if (t === tag) return v;
    if (first & 0x20) {
      const inner = findTag(v, tag);
      if (inner) return inner;
    }
    p += len;
  }
  return undefined;
}

function dolLength(dol: Dol[]): number {
  return dol.reduce((s, d) => s + d.length, 0);
}

export class VirtualCard {
  /** Offline PIN tries left (9F17). */
  pinTries: number;
  /** Application transaction counter (9F36). */
  atc: number;
  /** Computes the GENERATE AC answer: real for applications with keys, else a placeholder (emvCryptogram). */
  cryptogram: CryptogramHook = emvCryptogram;
  /** Electronic-cash (qPBOC offline) balance by AID, from 9F79 of the image, lowered by offline approvals. */
  readonly balances = new Map<string, number>();
  /** Applications blocked (from the image, or by an APPLICATION BLOCK script). */
  readonly blockedAids = new Set<string>();
  /** GET DATA objects by AID (a copy of the image's; PUT DATA scripts change them). */
  readonly appData = new Map<string, Record<string, string>>();
  /** Issuer script commands the card executed (INS and SW), for tests. */
  readonly scripts: Array<{ ins: number; sw: number }> = [];
  /** Every command the card processed (APDU level), for tests. */
  readonly commands: Array<{ iface: Interface; ins: number; p1: number; p2: number; data: string; sw: number }> = [];

  private selected: { kind: "pse" | "ppse" } | { kind: "app"; app: AppImage } | undefined;
  private gpoDone = false;
  private acCount = 0;
  private tx = new CardTransaction();

  constructor(readonly image: CardImage, options: { atc?: number; pinTries?: number } = {}) {
    this.pinTries = options.pinTries ?? image.pinTriesLeft ?? image.pinTryLimit ?? 3;
    this.atc = options.atc ?? 1;
    for (const a of image.applications) {
      if (a.blocked) this.blockedAids.add(a.aid);
      this.appData.set(a.aid, { ...(a.data ?? {}) });
      const ec = a.data?.["9F79"];
      if (ec !== undefined) this.balances.set(a.aid, Number(ec));
    }
  }

  /** Power-on / activation: nothing selected. */
  reset(): void {
    this.selected = undefined;
    this.gpoDone = false;
    this.acCount = 0;
    this.tx = new CardTransaction();
  }

  /** The current transaction's card state (tests read the issuer authentication result, scripts ...). */
  get transaction(): CardTransaction {
    return this.tx;
  }

  /** The real GENERATE AC answer of a personalised application, or undefined (no keys). */
  realCryptogram(r: CryptogramRequest): CryptogramAnswer | undefined {
    const app = this.image.applications.find((a) => a.aid === r.aid);
    if (!app?.crypto) return undefined;
    const dol = findInRecords(app, r.second ? 0x8d : 0x8c);
    const res = generateCryptogram({ app, tx: this.tx, requested: r.type, second: r.second, dolData: dolValues(dol, r.cdolData), atc: r.atc, pinTries: this.pinTries, blocked: this.blockedAids.has(app.aid) });
    return { cid: res.cid, ac: res.ac, iad: res.iad };
  }

  get selectedAid(): string | undefined {
    return this.selected && this.selected.kind === "app" ? this.selected.app.aid : undefined;
  }

  /** Processes one command (header and body already separated by the transport). */
  process(cla: number, ins: number, p1: number, p2: number, data: Uint8Array, iface: Interface): CardAnswer {
    const r = this.dispatch(cla, ins, p1, p2, data, iface);
    this.commands.push({ iface, ins, p1, p2, data: hex(data), sw: r.sw });
    return r;
  }

  private apps(iface: Interface): AppImage[] {
    return this.image.applications.filter((a) => !a.interfaces || a.interfaces.includes(iface));
  }

  private dispatch(cla: number, ins: number, p1: number, p2: number, data: Uint8Array, iface: Interface): CardAnswer {
    if (cla === 0x84 || cla === 0x04) return this.script(cla, ins, p1, p2, data);
    if (cla !== 0x00 && cla !== 0x80) return sw(0x6e00);
    switch (ins) {
      case 0xa4:
        return this.select(p1, p2, data, iface);
      case 0xb2:
        return this.readRecord(p1, p2);
      case 0xa8:
        return this.gpo(cla, p1, p2, data);
      case 0xca:
        return this.getData(cla, p1, p2);
      case 0x20:
        return this.verify(p1, p2, data);
      case 0xae:
        return this.generateAc(cla, p1, p2, data);
      case 0x88:
        return this.internalAuthenticate(cla, p1, p2, data);
      case 0x82:
        return this.externalAuthenticate(cla, p1, p2, data);
      default:
        return sw(0x6d00);
    }
  }

  private select(p1: number, p2: number, name: Uint8Array, iface: Interface): CardAnswer {
    if (p1 !== 0x04) return sw(0x6a86);
    if (p2 !== 0x00 && p2 !== 0x02) return sw(0x6a86);
    const nameHex = hex(name);
    this.gpoDone = false;
    this.acCount = 0;
    this.tx = new CardTransaction();
    if (nameHex === PSE_NAME && iface === "contact" && this.image.pseSfi !== undefined && p2 === 0) {
      this.selected = { kind: "pse" };
      return ok(unhex(tlv("6F", tlv("84", nameHex), tlv("A5", tlv("88", this.image.pseSfi.toString(16).padStart(2, "0")), this.image.language ? tlv("5F2D", asciiHex(this.image.language)) : ""))));
    }
    if (nameHex === PPSE_NAME && iface === "contactless" && this.image.ppse && p2 === 0) {
      this.selected = { kind: "ppse" };
      const entries = this.apps(iface).map((a) => tlv("61", tlv("4F", a.aid), tlv("50", asciiHex(a.label)), a.priority !== undefined ? tlv("87", a.priority.toString(16).padStart(2, "0")) : ""));
      return ok(unhex(tlv("6F", tlv("84", nameHex), tlv("A5", tlv("BF0C", ...entries)))));
    }
    // Partial selection: the name may be a prefix of the AID; P2 02 moves to the next match.
    const matches = this.apps(iface).filter((a) => a.aid.toUpperCase().startsWith(nameHex));
    let app: AppImage | undefined;
    if (p2 === 0x00) app = matches[0];
    else {
      const cur = this.selected && this.selected.kind === "app" ? matches.indexOf(this.selected.app) : -1;
      app = cur >= 0 ? matches[cur + 1] : undefined;
    }
    if (!app) {
      this.selected = undefined;
      return sw(0x6a82);
    }
    this.selected = { kind: "app", app };
    const fci = unhex(
      tlv(
        "6F",
        tlv("84", app.aid),
        tlv(
          "A5",
          tlv("50", asciiHex(app.label)),
          app.priority !== undefined ? tlv("87", app.priority.toString(16).padStart(2, "0")) : "",
          app.pdol ? tlv("9F38", app.pdol) : "",
          this.image.language ? tlv("5F2D", asciiHex(this.image.language)) : "",
          app.codeTable !== undefined ? tlv("9F11", app.codeTable.toString(16).padStart(2, "0")) : "",
          app.preferredName ? tlv("9F12", asciiHex(app.preferredName)) : "",
          app.fciExtra ?? "",
        ),
      ),
    );
    return { data: fci, sw: this.blockedAids.has(app.aid) ? 0x6283 : 0x9000 };
  }

  private readRecord(record: number, p2: number): CardAnswer {
    if ((p2 & 7) !== 4 || record === 0) return sw(0x6a86);
    const sfi = p2 >> 3;
    const sel = this.selected;
    if (!sel) return sw(0x6985);
    if (sel.kind === "pse") {
      if (sfi !== this.image.pseSfi) return sw(0x6a82);
      if (record !== 1) return sw(0x6a83);
      const entries = this.apps("contact").map((a) =>
        tlv("61", tlv("4F", a.aid), tlv("50", asciiHex(a.label)), a.preferredName ? tlv("9F12", asciiHex(a.preferredName)) : "", a.priority !== undefined ? tlv("87", a.priority.toString(16).padStart(2, "0")) : ""),
      );
      return ok(unhex(tlv("70", ...entries)));
    }
    if (sel.kind !== "app") return sw(0x6985);
    const recs = sel.app.records;
    const found = recs[`${sfi}:${record}`];
    if (found !== undefined) return ok(unhex(found));
    return Object.keys(recs).some((k) => k.startsWith(`${sfi}:`)) ? sw(0x6a83) : sw(0x6a82);
  }

  private gpo(cla: number, p1: number, p2: number, data: Uint8Array): CardAnswer {
    if (cla !== 0x80) return sw(0x6e00);
    if (p1 !== 0 || p2 !== 0) return sw(0x6a86);
    const sel = this.selected;
    if (!sel || sel.kind !== "app") return sw(0x6985);
    if (this.gpoDone) return sw(0x6985);
    const want = sel.app.pdol ? dolLength(parseDol(unhex(sel.app.pdol))) : 0;
    if (data.length < 2 || data[0] !== 0x83 || data[1] !== data.length - 2 || data[1] !== want) return sw(0x6700);
    this.gpoDone = true;
    this.atc = (this.atc + 1) & 0xffff;
    const app = sel.app;
    this.tx.pdolData = Uint8Array.from(data.subarray(2));
    if (app.crypto?.qpboc && app.pdol) {
      const pdol = dolValues(unhex(app.pdol), this.tx.pdolData);
      if (pdol.has(0x9f66)) {
        this.acCount = 2; // the cryptogram is made: no GENERATE AC follows
        const q = qpbocGpo({ app, tx: this.tx, pdol, atc: this.atc, pinTries: this.pinTries, balance: this.balances.get(app.aid), blocked: this.blockedAids.has(app.aid) });
        if (q.newBalance !== undefined) this.balances.set(app.aid, q.newBalance);
        return ok(q.answer);
      }
    }
    if ((app.gpoFormat ?? 2) === 1) return ok(unhex(tlv("80", app.aip, app.afl)));
    return ok(unhex(tlv("77", tlv("82", app.aip), tlv("94", app.afl))));
  }

  private getData(cla: number, p1: number, p2: number): CardAnswer {
    if (cla !== 0x80) return sw(0x6e00);
    const tag = (p1 << 8) | p2;
    if (tag === 0x9f17) return ok(unhex(tlv("9F17", this.pinTries.toString(16).padStart(2, "0"))));
    if (tag === 0x9f36) return ok(unhex(tlv("9F36", this.atc.toString(16).padStart(4, "0"))));
    const sel = this.selected;
    const key = tag.toString(16).toUpperCase();
    if (key === "9F79" && sel && sel.kind === "app" && this.balances.has(sel.app.aid)) return ok(unhex(tlv("9F79", String(this.balances.get(sel.app.aid)).padStart(12, "0"))));
    const v = sel && sel.kind === "app" ? this.appData.get(sel.app.aid)?.[key] : undefined;
    return v !== undefined ? ok(unhex(tlv(key, v))) : sw(0x6a88);
  }

  private verify(p1: number, p2: number, data: Uint8Array): CardAnswer {
    if (p1 !== 0) return sw(0x6a86);
    if (p2 === 0x88) return sw(0x6a81); // enciphered PIN: not on this card (spec/devices.md §4.4 UNVERIFIED)
    if (p2 !== 0x80) return sw(0x6a86);
    if (this.image.pin === undefined) return sw(0x6a81);
    if (this.pinTries === 0) return sw(0x6983);
    const pin = parseFormat2(data);
    if (pin === undefined) return sw(0x6a80);
    this.tx.offlinePinPerformed = true;
    if (pin === this.image.pin) {
      this.pinTries = this.image.pinTryLimit ?? 3;
      this.tx.offlinePinFailed = false;
      return sw(0x9000);
    }
    this.tx.offlinePinFailed = true;
    this.pinTries--;
    return sw(0x63c0 | this.pinTries);
  }

  private generateAc(cla: number, p1: number, p2: number, data: Uint8Array): CardAnswer {
    if (cla !== 0x80) return sw(0x6e00);
    if (p2 !== 0) return sw(0x6a86);
    const sel = this.selected;
    if (!sel || sel.kind !== "app" || !this.gpoDone || this.acCount >= 2) return sw(0x6985);
    const second = this.acCount === 1;
    const dolHex = findInRecords(sel.app, second ? 0x8d : 0x8c);
    if (dolHex && data.length !== dolLength(parseDol(dolHex))) return sw(0x6700);
    const t = p1 & 0xc0;
    if (t === 0xc0) return sw(0x6a86);
    const type = t === 0x00 ? "AAC" : t === 0x40 ? "TC" : "ARQC";
    this.acCount++;
    const app = sel.app;
    const dolValuesNow = dolValues(dolHex, data);
    // Issuer authentication inside the second GENERATE AC: the ARPC travels in CDOL2 (tag 91).
    if (second && app.crypto && dolValuesNow.has(0x91)) checkArpc(app, this.tx, this.atc, dolValuesNow.get(0x91)!);
    const cda = (p1 & 0x10) !== 0;
    const a = this.cryptogram({ type, cda, cdolData: Uint8Array.from(data), atc: this.atc, aid: app.aid, second }, this);
    if (!second) this.tx.cdol1Data = Uint8Array.from(data);
    const signer = app.crypto?.ddaKey ?? app.crypto?.iccKey;
    if (cda && signer && (a.cid & 0xc0) !== 0x00) {
      return ok(cdaAnswer({ signingKey: signer, tx: this.tx, atc: this.atc, result: { type: (a.cid & 0xc0) === 0x40 ? "TC" : "ARQC", cid: a.cid, ac: a.ac, iad: a.iad }, cdolData: data, un: dolValuesNow.get(0x9f37) ?? new Uint8Array(4), second }));
    }
    return ok(
      unhex(
        tlv("77", tlv("9F27", a.cid.toString(16).padStart(2, "0")), tlv("9F36", this.atc.toString(16).padStart(4, "0")), tlv("9F26", hex(a.ac)), tlv("9F10", hex(a.iad))),
      ),
    );
  }

  /** INTERNAL AUTHENTICATE (DDA): the signed dynamic application data over the DDOL data, format 1 (80). */
  private internalAuthenticate(cla: number, p1: number, p2: number, data: Uint8Array): CardAnswer {
    if (cla !== 0x00) return sw(0x6e00);
    if (p1 !== 0 || p2 !== 0) return sw(0x6a86);
    const sel = this.selected;
    if (!sel || sel.kind !== "app" || !this.gpoDone) return sw(0x6985);
    const key = sel.app.crypto?.ddaKey ?? sel.app.crypto?.iccKey;
    if (!key) return sw(0x6d00);
    return ok(unhex(tlv("80", hex(internalAuthenticate(sel.app, this.tx, this.atc, data, key)))));
  }

  /** EXTERNAL AUTHENTICATE: the issuer authentication data (ARPC method 1 || ARC). 6300 when it fails. */
  private externalAuthenticate(cla: number, p1: number, p2: number, data: Uint8Array): CardAnswer {
    if (cla !== 0x00) return sw(0x6e00);
    if (p1 !== 0 || p2 !== 0) return sw(0x6a86);
    const sel = this.selected;
    if (!sel || sel.kind !== "app" || this.acCount !== 1 || !sel.app.crypto) return sw(0x6985);
    if (this.tx.issuerAuth !== "none") return sw(0x6985);
    if (data.length < 8 || data.length > 16) return sw(0x6700);
    return sw(checkArpc(sel.app, this.tx, this.atc, data) ? 0x9000 : 0x6300);
  }

  /**
   * Issuer script commands with secure messaging (CLA 84/04), MAC checked (6988 when wrong):
   * APPLICATION BLOCK (84 1E), APPLICATION UNBLOCK (84 18), PUT DATA (04 DA, P1-P2 = tag).
   */
  private script(cla: number, ins: number, p1: number, p2: number, data: Uint8Array): CardAnswer {
    const sel = this.selected;
    const done = (code: number): CardAnswer => {
      this.scripts.push({ ins, sw: code });
      if (code === 0x9000) this.tx.scriptsOk++;
      else this.tx.scriptsFailed++;
      return sw(code);
    };
    if (!sel || sel.kind !== "app" || !sel.app.crypto || this.acCount === 0) return done(0x6985);
    const plain = checkScriptMac(sel.app, this.tx, this.atc, cla, ins, p1, p2, data);
    if (!plain) return done(0x6988);
    const aid = sel.app.aid;
    if (cla === 0x84 && ins === 0x1e) {
      this.blockedAids.add(aid);
      return done(0x9000);
    }
    if (cla === 0x84 && ins === 0x18) {
      this.blockedAids.delete(aid);
      return done(0x9000);
    }
    if (cla === 0x04 && ins === 0xda) {
      const key = ((p1 << 8) | p2).toString(16).toUpperCase();
      if (key === "9F79") this.balances.set(aid, Number(hex(plain)));
      else this.appData.get(aid)![key] = hex(plain);
      return done(0x9000);
    }
    return done(0x6d00);
  }
}

function findInRecords(app: AppImage, tag: number): Uint8Array | undefined {
  for (const r of Object.values(app.records)) {
    const v = findTag(unhex(r), tag);
    if (v) return v;
  }
  return undefined;
}

/** Plaintext ISO 9564 format-2 block -> PIN digits, or undefined when malformed. */
function parseFormat2(b: Uint8Array): string | undefined {
  if (b.length !== 8) return undefined;
  const h = hex(b);
  if (h[0] !== "2") return undefined;
  const len = parseInt(h[1]!, 16);
  if (len < 4 || len > 12) return undefined;
  const pin = h.slice(2, 2 + len);
  if (!/^[0-9]+$/.test(pin) || !/^F*$/.test(h.slice(2 + len))) return undefined;
  return pin;
}

function sw(code: number): CardAnswer {
  return { data: EMPTY, sw: code };
}
function ok(data: Uint8Array): CardAnswer {
  return { data, sw: 0x9000 };
}

function withSw(data: Uint8Array, code: number): Uint8Array {
  const out = new Uint8Array(data.length + 2);
  out.set(data);
  out[data.length] = code >> 8;
  out[data.length + 1] = code & 0xff;
  return out;
}

/**
 * T=0 transport (ISO 7816-3 §10.3 and §12.2, EMV Book 1 §9.3.1): the card sees C-TPDUs. A command
 * that has data to return after a case-3 TPDU answers 61xx (or its warning) and keeps the data for
 * GET RESPONSE; a case-2 TPDU whose P3 differs from what the card has answers 6Cxx; a TPDU whose
 * length disagrees with P3 (for instance a case-4 APDU sent with its Le) answers 6700.
 */
export class T0Transport {
  private pending: Uint8Array | undefined;

  constructor(readonly card: VirtualCard) {}

  reset(): void {
    this.pending = undefined;
  }

  tpdu(c: Uint8Array): Uint8Array {
    if (c.length < 5) {
      this.pending = undefined;
      return withSw(EMPTY, 0x6700);
    }
    const [cla, ins, p1, p2, p3] = [c[0]!, c[1]!, c[2]!, c[3]!, c[4]!];
    if (ins === 0xc0 && cla === 0x00) {
      const data = this.pending;
      if (!data) return withSw(EMPTY, 0x6985);
      const le = p3 === 0 ? 256 : p3;
      if (c.length !== 5 || p1 !== 0 || p2 !== 0) return withSw(EMPTY, 0x6a86);
      if (le > data.length) return withSw(EMPTY, 0x6c00 | (data.length & 0xff));
      const out = data.subarray(0, le);
      const rest = data.subarray(le);
      if (rest.length > 0) {
        this.pending = rest;
        return withSw(out, 0x6100 | (rest.length >= 256 ? 0 : rest.length));
      }
      this.pending = undefined;
      return withSw(out, 0x9000);
    }
    this.pending = undefined;
    if (c.length === 5) {
      // Case 1 (P3 = 00, no data either way) or case 2 (P3 = Le, 00 = 256).
      const r = this.card.process(cla, ins, p1, p2, EMPTY, "contact");
      if (r.data.length === 0) return withSw(EMPTY, r.sw);
      const le = p3 === 0 ? 256 : p3;
      if (le !== r.data.length) return withSw(EMPTY, 0x6c00 | (r.data.length & 0xff));
      return withSw(r.data, r.sw);
    }
    // Case 3 TPDU: exactly P3 data bytes.
    if (c.length !== 5 + p3 || p3 === 0) return withSw(EMPTY, 0x6700);
    const r = this.card.process(cla, ins, p1, p2, c.subarray(5), "contact");
    if (r.data.length === 0) return withSw(EMPTY, r.sw);
    this.pending = r.data;
    if (r.sw === 0x9000) return withSw(EMPTY, 0x6100 | (r.data.length >= 256 ? 0 : r.data.length));
    // A warning with data (EMV Book 1 §9.3.1.3): the warning now, the data by GET RESPONSE.
    return withSw(EMPTY, r.sw);
  }
}

/**
 * APDU transport (T=1 and ISO 14443-4): the whole C-APDU arrives; data goes back only when the
 * command carried Le (no Le and data to return: 6700), and Le shorter than the data: 6Cxx.
 */
export function apduExchange(card: VirtualCard, c: Uint8Array, iface: Interface): Uint8Array {
  if (c.length < 4) return withSw(EMPTY, 0x6700);
  const [cla, ins, p1, p2] = [c[0]!, c[1]!, c[2]!, c[3]!];
  let data: Uint8Array = EMPTY;
  let le: number | undefined;
  if (c.length === 5) le = c[4] === 0 ? 256 : c[4];
  else if (c.length > 5) {
    const lc = c[4]!;
    if (lc === 0) return withSw(EMPTY, 0x6700);
    if (c.length === 5 + lc) data = c.subarray(5);
    else if (c.length === 6 + lc) {
      data = c.subarray(5, 5 + lc);
      le = c[5 + lc] === 0 ? 256 : c[5 + lc];
    } else return withSw(EMPTY, 0x6700);
  }
  const r = card.process(cla, ins, p1, p2, data, iface);
  if (r.data.length === 0) return withSw(EMPTY, r.sw);
  if (le === undefined) return withSw(EMPTY, 0x6700);
  if (le < r.data.length && le !== 256) return withSw(EMPTY, 0x6c00 | (r.data.length & 0xff));
  return withSw(r.data, r.sw);
}

