/**
 * ES10 requests and responses (SGP.22 ES10a/b/c; ASN.1 AUTOMATIC TAGS: a CHOICE is wrapped as `A0`,
 * the BOOLEAN refreshFlag is `81`), built with the core's TlvWriter and read with its TlvCursor
 * (zero-copy: one pass over the response, values decoded from offsets).
 *
 *   GetEID           BF3E 03 5C 01 5A                       -> BF3E 12 5A 10 <EID>
 *   GetProfilesInfo  BF2D len [5C taglist]                  -> BF2D len A0 len {E3 len ...}* | BF2D 03 81 01 <err>
 *   EnableProfile    BF31 len A0 len {5A 0A ICCID | 4F AID} 81 01 <00|FF>  -> BF31 03 80 01 <result>
 *   DisableProfile   BF32, same layout                      -> BF32 03 80 01 <result>
 *
 * Every malformed response is an EsimError E_ESIM_PARSE (with the core's E_TLV_* code when the TLV
 * itself is broken), never another exception.
 */
import { CoreError } from "../../firmware/core/errors";
import { bytesToHex } from "../../firmware/core/bytes";
import { TlvCursor, TlvWriter } from "../../firmware/core/tlv";
import { EsimError } from "./errors";

export const TAG_GET_EID = 0xbf3e;
export const TAG_PROFILES_INFO = 0xbf2d;
export const TAG_ENABLE = 0xbf31;
export const TAG_DISABLE = 0xbf32;

/** ProfileInfo (E3) fields requested by default: no icon (94, up to 1 KB) on a 128 KB heap. */
export const PROFILE_TAGS = "5A4F9F7090919295";

export interface ProfileInfo {
  /** 19-20 digits (the nibble-swapped BCD decoded, F padding removed); "" when absent. */
  iccid: string;
  /** ISD-P AID, upper-case hex; "" when absent. */
  aid: string;
  /** 0 disabled, 1 enabled, -1 absent. */
  state: number;
  nickname: string;
  /** Service provider name (91), e.g. 中国移动 / China Mobile. */
  provider: string;
  /** Profile name (92). */
  name: string;
  /** 0 test, 1 provisioning, 2 operational, -1 absent. */
  profileClass: number;
}

export type ProfileRef = { iccid: string; aid?: undefined } | { aid: string; iccid?: undefined };

/** ICCID digits -> the 10-byte nibble-swapped BCD of tag 5A (`8986...` is stored `98 68 ...`), F-padded. */
export function encodeIccid(iccid: string, out: Uint8Array, off: number): void {
  if (!/^\d{10,20}$/.test(iccid)) throw new EsimError("E_ESIM_BAD_ICCID", `ICCID "${iccid}" is not 10-20 digits`, { iccid });
  for (let k = 0; k < 10; k++) {
    const a = 2 * k < iccid.length ? iccid.charCodeAt(2 * k) - 48 : 15;
    const b = 2 * k + 1 < iccid.length ? iccid.charCodeAt(2 * k + 1) - 48 : 15;
    out[off + k] = (b << 4) | a;
  }
}

/** Tag 5A value -> ICCID digits; E_ESIM_PARSE when a nibble is not a digit (F only as trailing padding). */
export function decodeIccid(buf: Uint8Array, off: number, len: number): string {
  let s = "";
  let padded = false;
  for (let k = 0; k < len; k++) {
    const v = buf[off + k]!;
    for (let h = 0; h < 2; h++) {
      const d = h === 0 ? v & 15 : v >> 4;
      if (d === 15) padded = true;
      else if (d > 9 || padded) throw new EsimError("E_ESIM_PARSE", `ICCID nibble ${d.toString(16)} at ${2 * k + h} is not a digit`, { response: bytesToHex(buf, off, len) });
      else s += String.fromCharCode(48 + d);
    }
  }
  return s;
}

/** SGP.29 EID check: 32 decimal digits whose value mod 97 is 1 (computed digit by digit: no BigInt). */
export function eidCheckDigitsOk(eid: string): boolean {
  if (!/^\d{32}$/.test(eid)) return false;
  let r = 0;
  for (let i = 0; i < 32; i++) r = (r * 10 + (eid.charCodeAt(i) - 48)) % 97;
  return r === 1;
}

/** UTF-8 bytes -> string (profile names may be Chinese); malformed sequences become U+FFFD. */
export function utf8Decode(b: Uint8Array, off: number, len: number): string {
  let s = "";
  const end = off + len;
  let i = off;
  while (i < end) {
    const c = b[i++]!;
    let cp = 0xfffd;
    if (c < 0x80) cp = c;
    else {
      const n = c >= 0xf0 && c < 0xf5 ? 3 : c >= 0xe0 ? (c < 0xf0 ? 2 : 0) : c >= 0xc2 ? 1 : 0;
      if (n > 0 && i + n <= end) {
        let v = c & (0x3f >> n);
        let ok = true;
        for (let k = 0; k < n; k++) {
          const x = b[i + k]!;
          if ((x & 0xc0) !== 0x80) {
            ok = false;
            break;
          }
          v = (v << 6) | (x & 0x3f);
        }
        const min = n === 1 ? 0x80 : n === 2 ? 0x800 : 0x10000;
        if (ok && v >= min && v <= 0x10ffff && !(v >= 0xd800 && v <= 0xdfff)) {
          cp = v;
          i += n;
        }
      }
    }
    if (cp > 0xffff) {
      cp -= 0x10000;
      s += String.fromCharCode(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
    } else s += String.fromCharCode(cp);
  }
  return s;
}

/** String -> UTF-8 bytes. */
export function utf8Encode(s: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return Uint8Array.from(out);
}

// ---- requests ---------------------------------------------------------------------------------------

/** GetEuiccData with tag list 5A: `BF3E 03 5C 01 5A`. */
export function encodeGetEid(w: TlvWriter): Uint8Array {
  return w.reset().begin(TAG_GET_EID).putHex(0x5c, "5A").end().toBytes();
}

/** ProfileInfoListRequest: `BF2D 00`, or with a tag list (`5C`) of the E3 fields wanted. */
export function encodeGetProfilesInfo(w: TlvWriter, tagList: string | undefined = PROFILE_TAGS): Uint8Array {
  w.reset().begin(TAG_PROFILES_INFO);
  if (tagList) w.putHex(0x5c, tagList);
  return w.end().toBytes();
}

/** EnableProfile (BF31) / DisableProfile (BF32): `A0 {5A ICCID | 4F AID}` then `81 01 00|FF`. */
export function encodeProfileOperation(w: TlvWriter, tag: number, ref: ProfileRef, refresh: boolean): Uint8Array {
  w.reset().begin(tag).begin(0xa0);
  if (ref.iccid !== undefined) {
    const v = new Uint8Array(10);
    encodeIccid(ref.iccid, v, 0);
    w.put(0x5a, v);
  } else {
    const aid = ref.aid ?? "";
    if (!/^([0-9A-Fa-f]{2}){5,16}$/.test(aid)) throw new EsimError("E_ESIM_BAD_AID", `AID "${aid}" is not 5-16 bytes of hex`, { aid });
    w.putHex(0x4f, aid);
  }
  w.end();
  w.put(0x81, new Uint8Array([refresh ? 0xff : 0x00]));
  return w.end().toBytes();
}

// ---- responses --------------------------------------------------------------------------------------

function parseError(fn: string, message: string, resp: Uint8Array, tlv?: string): EsimError {
  return new EsimError("E_ESIM_PARSE", `${fn}: ${message}`, { fn, tlv, response: bytesToHex(resp, 0, Math.min(resp.length, 64)) });
}

/** Runs `body` and turns the core's TLV errors into E_ESIM_PARSE. */
function guarded<T>(fn: string, resp: Uint8Array, body: () => T): T {
  try {
    return body();
  } catch (e) {
    if (e instanceof EsimError) throw e;
    if (e instanceof CoreError) throw parseError(fn, e.message, resp, e.code);
    throw e;
  }
}

/** Enters the outer template `tag`; false if the response is something else. */
function enterOuter(c: TlvCursor, resp: Uint8Array, tag: number): boolean {
  c.reset(resp);
  if (!c.next() || c.tag !== tag || !c.constructed) return false;
  c.enter();
  return true;
}

function uintValue(c: TlvCursor, max: number): number {
  if (c.valueLength < 1 || c.valueLength > max) return -1;
  let v = 0;
  for (let k = 0; k < c.valueLength; k++) v = v * 256 + c.buffer[c.valueOffset + k]!;
  return v;
}

/** GetEuiccData response -> EID (32 digits, check digits verified: E_ESIM_BAD_EID). */
export function parseEid(resp: Uint8Array, c = new TlvCursor()): string {
  return guarded("GetEID", resp, () => {
    if (!enterOuter(c, resp, TAG_GET_EID)) throw parseError("GetEID", "not a BF3E response", resp);
    while (c.next()) {
      if (c.tag !== 0x5a) continue;
      if (c.valueLength !== 16) throw parseError("GetEID", `EID of ${c.valueLength} bytes`, resp);
      const eid = bytesToHex(c.buffer, c.valueOffset, 16);
      if (!eidCheckDigitsOk(eid)) throw new EsimError("E_ESIM_BAD_EID", `EID ${eid} fails its check digits (mod 97)`, { fn: "GetEID", response: eid });
      return eid;
    }
    throw parseError("GetEID", "no EID (5A) in the response", resp);
  });
}

function stringField(c: TlvCursor, max: number, resp: Uint8Array, what: string): string {
  if (c.valueLength > max) throw parseError("GetProfilesInfo", `${what} of ${c.valueLength} bytes (at most ${max})`, resp);
  return utf8Decode(c.buffer, c.valueOffset, c.valueLength);
}

/**
 * ProfileInfoListResponse -> profiles. `BF2D {81 err}` is E_ESIM_LIST_ERROR with the result; E3
 * fields the list does not know (icon type, notification config ...) are skipped; so are other
 * objects inside A0 (future extensions).
 */
export function parseProfilesInfo(resp: Uint8Array, c = new TlvCursor()): ProfileInfo[] {
  return guarded("GetProfilesInfo", resp, () => {
    if (!enterOuter(c, resp, TAG_PROFILES_INFO)) throw parseError("GetProfilesInfo", "not a BF2D response", resp);
    if (!c.next()) throw parseError("GetProfilesInfo", "empty BF2D", resp);
    if (c.tag === 0x81) {
      const err = uintValue(c, 2);
      throw new EsimError("E_ESIM_LIST_ERROR", `GetProfilesInfo refused (${err === 1 ? "incorrectInputValues" : err === 127 ? "undefinedError" : err})`, { fn: "GetProfilesInfo", result: err });
    }
    if (c.tag !== 0xa0 || !c.constructed) throw parseError("GetProfilesInfo", `unexpected tag ${c.tag.toString(16)} in BF2D`, resp);
    c.enter();
    const list: ProfileInfo[] = [];
    while (c.next()) {
      const tag: number = c.tag;
      if (tag !== 0xe3 || !c.constructed) continue;
      if (list.length >= 32) throw parseError("GetProfilesInfo", "more than 32 profiles", resp);
      const p: ProfileInfo = { iccid: "", aid: "", state: -1, nickname: "", provider: "", name: "", profileClass: -1 };
      c.enter();
      while (c.next()) {
        switch (c.tag as number) {
          case 0x5a:
            if (c.valueLength !== 10) throw parseError("GetProfilesInfo", `ICCID of ${c.valueLength} bytes`, resp);
            p.iccid = decodeIccid(c.buffer, c.valueOffset, 10);
            break;
          case 0x4f:
            if (c.valueLength < 5 || c.valueLength > 16) throw parseError("GetProfilesInfo", `AID of ${c.valueLength} bytes`, resp);
            p.aid = bytesToHex(c.buffer, c.valueOffset, c.valueLength);
            break;
          case 0x9f70:
            p.state = uintValue(c, 1);
            if (p.state < 0) throw parseError("GetProfilesInfo", "profileState is not one byte", resp);
            break;
          case 0x90:
            p.nickname = stringField(c, 64, resp, "nickname");
            break;
          case 0x91:
            p.provider = stringField(c, 32, resp, "service provider name");
            break;
          case 0x92:
            p.name = stringField(c, 64, resp, "profile name");
            break;
          case 0x95:
            p.profileClass = uintValue(c, 1);
            if (p.profileClass < 0) throw parseError("GetProfilesInfo", "profileClass is not one byte", resp);
            break;
        }
      }
      c.leave();
      list.push(p);
    }
    return list;
  });
}

/** `<tag> {80 01 <result>}` -> result (EnableProfile, DisableProfile, DeleteProfile). */
export function parseOperationResult(resp: Uint8Array, tag: number, fn: string, c = new TlvCursor()): number {
  return guarded(fn, resp, () => {
    if (!enterOuter(c, resp, tag)) throw parseError(fn, `not a ${tag.toString(16).toUpperCase()} response`, resp);
    while (c.next()) {
      if (c.tag !== 0x80) continue;
      const v = uintValue(c, 2);
      if (v < 0) throw parseError(fn, `result of ${c.valueLength} bytes`, resp);
      return v;
    }
    throw parseError(fn, "no result (80) in the response", resp);
  });
}

const ENABLE_RESULTS: { [r: number]: [string, string] | undefined } = {
  1: ["E_ESIM_PROFILE_NOT_FOUND", "iccidOrAidNotFound"],
  2: ["E_ESIM_NOT_DISABLED", "profileNotInDisabledState"],
  3: ["E_ESIM_POLICY", "disallowedByPolicy"],
  4: ["E_ESIM_WRONG_REENABLING", "wrongProfileReenabling"],
  5: ["E_ESIM_CAT_BUSY", "catBusy"],
  127: ["E_ESIM_UNDEFINED", "undefinedError"],
};
const DISABLE_RESULTS: { [r: number]: [string, string] | undefined } = {
  1: ["E_ESIM_PROFILE_NOT_FOUND", "iccidOrAidNotFound"],
  2: ["E_ESIM_NOT_ENABLED", "profileNotInEnabledState"],
  3: ["E_ESIM_POLICY", "disallowedByPolicy"],
  5: ["E_ESIM_CAT_BUSY", "catBusy"],
  127: ["E_ESIM_UNDEFINED", "undefinedError"],
};

/** An ES10 result as a typed error (undefined for 0 = ok). */
export function resultError(fn: "EnableProfile" | "DisableProfile", result: number, ref: ProfileRef): EsimError | undefined {
  if (result === 0) return undefined;
  const m = (fn === "EnableProfile" ? ENABLE_RESULTS : DISABLE_RESULTS)[result] ?? ["E_ESIM_UNDEFINED", `result ${result}`];
  return new EsimError(m[0], `${fn}: ${m[1]} (${result})`, { fn, result, iccid: ref.iccid, aid: ref.aid });
}
