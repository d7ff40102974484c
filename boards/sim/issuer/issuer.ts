/**
 * The issuer's EMV side for the simulated acquirer host (Node): checks the ARQC in an authorisation
 * request's field 55, answers with the issuer authentication data (91: ARPC method 1 = ARPC || ARC, or
 * method 2 = ARPC || CSU) and issuer scripts (71 before / 72 after the final GENERATE AC) whose commands
 * carry secure-messaging MACs, and checks the final TC/AAC of a batch upload or advice.
 *
 * Keys: issuer master keys IMK-AC, IMK-SMI, IMK-SMC; ICC master keys by option A (EMV Book 2 A1.4.1); AC
 * session key by the common session key derivation with R = ATC || 00*6, script MAC key with R = ARQC
 * (A1.3.1). Cryptogram data (the set the simulator's cards use, EMV Book 2 §8.1.1 recommended minimum
 * plus the card verification results): 9F02 9F03 9F1A 95 5F2A 9A 9C 9F37 82 9F36 and the CVR (4 bytes of
 * 9F10 from offset 3). PBOC's own CVN 01 session key derivation may differ: UNVERIFIED, the EMV common
 * derivation is used throughout (cards and issuer agree).
 */
import { H, hex, acDiversifier, applicationCryptogram, arpcMethod1, arpcMethod2, buildScriptCommand, deriveCommonSessionKey, deriveIccMasterKeyA } from "./crypto.ts";
import { encode, flatten, parse } from "./tlv.ts";

export interface IssuerMasterKeys {
  ac: Uint8Array;
  smi: Uint8Array;
  smc: Uint8Array;
}

/** The simulator issuer's master keys (test values; the cards of the catalog are personalised from them). */
export const TEST_IMK: IssuerMasterKeys = {
  ac: H("0123456789ABCDEFFEDCBA9876543210"),
  smi: H("4C3B2A1908F7E6D5C4B3A29180F1E2D3"),
  smc: H("1F2E3D4C5B6A79880F1E2D3C4B5A6978"),
};

export interface CardKeys {
  mkAc: Uint8Array;
  mkSmi: Uint8Array;
  mkSmc: Uint8Array;
}

/** A card's master keys from the issuer's (option A on PAN and PAN sequence number). */
export function cardKeys(pan: string, psn = "00", imk: IssuerMasterKeys = TEST_IMK): CardKeys {
  return { mkAc: deriveIccMasterKeyA(imk.ac, pan, psn), mkSmi: deriveIccMasterKeyA(imk.smi, pan, psn), mkSmc: deriveIccMasterKeyA(imk.smc, pan, psn) };
}

/** Tags of the cryptogram input, in order, with their lengths. */
export const AC_DATA_TAGS: ReadonlyArray<readonly [number, number]> = [
  [0x9f02, 6],
  [0x9f03, 6],
  [0x9f1a, 2],
  [0x95, 5],
  [0x5f2a, 2],
  [0x9a, 3],
  [0x9c, 1],
  [0x9f37, 4],
  [0x82, 2],
  [0x9f36, 2],
];

/** The cryptogram input from a tag source (the card uses its CDOL data, the issuer field 55). */
export function acInput(get: (tag: number) => Uint8Array | undefined): Uint8Array {
  const parts: number[] = [];
  for (const [tag, len] of AC_DATA_TAGS) {
    const v = get(tag) ?? new Uint8Array(len);
    if (v.length !== len) throw new Error(`E_AC_DATA: ${tag.toString(16)} has ${v.length} bytes, ${len} expected`);
    parts.push(...v);
  }
  const iad = get(0x9f10);
  const cvr = iad && iad.length >= 7 ? iad.subarray(3, 7) : new Uint8Array(4);
  parts.push(...cvr);
  return Uint8Array.from(parts);
}

/** ARQC/TC/AAC of a card from the data it covers. */
export function computeCryptogram(mkAc: Uint8Array, atc: number, data: Uint8Array): Uint8Array {
  return applicationCryptogram(deriveCommonSessionKey(mkAc, acDiversifier(atc)), data);
}

/** One issuer script command to send. */
export type ScriptCommand =
  | { kind: "application-block" }
  | { kind: "application-unblock" }
  | { kind: "put-data"; tag: number; value: Uint8Array }
  | { kind: "raw"; apdu: Uint8Array };

export interface IssuerScript {
  /** 71 (before the final GENERATE AC) or 72 (after it). */
  template: 0x71 | 0x72;
  /** Script identifier 9F18 (4 bytes hex), optional. */
  id?: string;
  commands: ScriptCommand[];
}

export interface AuthorizationRequest {
  pan: string;
  /** PAN sequence number (two digits); default from 5F34 in field 55, else 00. */
  psn?: string;
  /** Field 55 of the request (BER-TLV). */
  field55: Uint8Array;
  /** The answer (field 39): its two characters become the ARC (8A) in ARPC method 1. */
  responseCode: string;
  scripts?: IssuerScript[];
  arpcMethod?: 1 | 2;
  /** ARPC method 2 card status update (4 bytes); default: approved (80 00 00 00) or declined (00 00 00 00). */
  csu?: Uint8Array;
  /** Deliberately corrupt the ARPC (to test issuer authentication failure). */
  corruptArpc?: boolean;
}

export interface AuthorizationResult {
  /** The ARQC in field 55 equals the one the issuer computes. */
  arqcValid: boolean;
  /** 9F27's cryptogram type, "ARQC" expected. */
  cryptogramType: "AAC" | "TC" | "ARQC" | "AAR";
  atc: number;
  expectedArqc: Uint8Array;
  /** 91 value. */
  issuerAuthenticationData: Uint8Array;
  /** Field 55 of the response: 91, then the 71/72 templates. */
  field55: Uint8Array;
}

function cryptogramType(cid: number | undefined): AuthorizationResult["cryptogramType"] {
  const t = (cid ?? 0x80) & 0xc0;
  return t === 0x00 ? "AAC" : t === 0x40 ? "TC" : t === 0x80 ? "ARQC" : "AAR";
}

export class EmvIssuer {
  constructor(readonly imk: IssuerMasterKeys = TEST_IMK) {}

  private session(pan: string, psn: string, atc: number): { keys: CardKeys; sk: Uint8Array } {
    const keys = cardKeys(pan, psn, this.imk);
    return { keys, sk: deriveCommonSessionKey(keys.mkAc, acDiversifier(atc)) };
  }

  /** Checks the cryptogram of field 55 (ARQC of a request, TC/AAC of an upload): true when it matches. */
  verifyCryptogram(pan: string, field55: Uint8Array, psn?: string): { valid: boolean; type: AuthorizationResult["cryptogramType"]; atc: number; expected: Uint8Array } {
    const tags = flatten(parse(field55));
    const atcB = tags.get(0x9f36);
    const ac = tags.get(0x9f26);
    if (!atcB || atcB.length !== 2 || !ac) return { valid: false, type: cryptogramType(tags.get(0x9f27)?.[0]), atc: -1, expected: new Uint8Array(0) };
    const atc = (atcB[0]! << 8) | atcB[1]!;
    const s = psn ?? (tags.get(0x5f34) ? hex(tags.get(0x5f34)!) : "00");
    const { sk } = this.session(pan, s, atc);
    const expected = applicationCryptogram(sk, acInput((t) => tags.get(t)));
    return { valid: hex(expected) === hex(ac), type: cryptogramType(tags.get(0x9f27)?.[0]), atc, expected };
  }

  /** Verifies the ARQC and builds the response's field 55 (issuer authentication data, scripts). */
  authorize(req: AuthorizationRequest): AuthorizationResult {
    const tags = flatten(parse(req.field55));
    const v = this.verifyCryptogram(req.pan, req.field55, req.psn);
    const arqc = tags.get(0x9f26) ?? new Uint8Array(8);
    const atc = tags.get(0x9f36) ?? new Uint8Array(2);
    const psn = req.psn ?? (tags.get(0x5f34) ? hex(tags.get(0x5f34)!) : "00");
    const { keys, sk } = this.session(req.pan, psn, v.atc < 0 ? 0 : v.atc);
    if (!/^[\x20-\x7e]{2}$/.test(req.responseCode)) throw new Error("E_ARC: two printable characters expected");
    const arc = Uint8Array.from(Buffer.from(req.responseCode, "latin1"));
    let iad: Uint8Array;
    if ((req.arpcMethod ?? 1) === 1) {
      const arpc = arpcMethod1(sk, arqc, arc);
      if (req.corruptArpc) arpc[7]! ^= 0x01;
      iad = new Uint8Array(10);
      iad.set(arpc);
      iad.set(arc, 8);
    } else {
      const csu = req.csu ?? (req.responseCode === "00" ? H("80000000") : H("00000000"));
      const arpc = arpcMethod2(sk, arqc, csu);
      if (req.corruptArpc) arpc[3]! ^= 0x01;
      iad = new Uint8Array(8);
      iad.set(arpc);
      iad.set(csu, 4);
    }
    const parts: Uint8Array[] = [encode(0x91, iad)];
    if (req.scripts?.length) {
      const skSmi = deriveCommonSessionKey(keys.mkSmi, arqc);
      for (const s of req.scripts) {
        const cmds = s.commands.map((c) => encode(0x86, scriptApdu(c, skSmi, atc, arqc)));
        parts.push(encode(s.template, ...(s.id ? [encode(0x9f18, H(s.id))] : []), ...cmds));
      }
    }
    const field55 = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      field55.set(p, o);
      o += p.length;
    }
    return { arqcValid: v.valid, cryptogramType: v.type, atc: v.atc, expectedArqc: v.expected, issuerAuthenticationData: iad, field55 };
  }
}

function scriptApdu(c: ScriptCommand, skSmi: Uint8Array, atc: Uint8Array, arqc: Uint8Array): Uint8Array {
  switch (c.kind) {
    case "application-block":
      return buildScriptCommand(skSmi, 0x84, 0x1e, 0x00, 0x00, new Uint8Array(0), atc, arqc);
    case "application-unblock":
      return buildScriptCommand(skSmi, 0x84, 0x18, 0x00, 0x00, new Uint8Array(0), atc, arqc);
    case "put-data":
      return buildScriptCommand(skSmi, 0x04, 0xda, (c.tag >> 8) & 0xff, c.tag & 0xff, c.value, atc, arqc);
    case "raw":
      return c.apdu;
  }
}
