/**
 * A virtual eUICC in the 4G module's SIM slot (the `Uicc` of modem/uicc.ts): several operator
 * profiles, one enabled at a time, answering SGP.22 ES10 on a logical channel to the ISD-R the way
 * devices.md §2.1-2.2 describes (AT+CCHO / AT+CGLA / AT+CCHC reach it through Modem4G):
 *
 * - STORE DATA `80 E2 P1 P2 Lc data` (CLA `80`, or with the channel bits of ETSI TS 102 221: `8x` for
 *   channels 1-3, `Cx` for 4-19), P1 `11` more / `91` last, P2 the block number (a block out of
 *   sequence: 6A86), blocks reassembled into one BER-TLV request.
 * - Answers: with `getResponse: "host"` the card says `61xx` and the host fetches the data with GET
 *   RESPONSE (`C0`, 256 bytes at most per call); with `"modem"` the module has run GET RESPONSE itself,
 *   so the data comes at once with 9000 (both occur: devices.md §2.2).
 * - ES10: GetEuiccData (BF3E, EID), GetProfilesInfo (BF2D, with the 5C tag list and the A0 filter),
 *   EnableProfile (BF31) / DisableProfile (BF32) by ICCID (5A, nibble-swapped) or ISD-P AID (4F), with
 *   their result codes: 1 not found, 2 wrong state, 3 policy (`policyLocked`), 5 catBusy (`catBusy`
 *   counts the answers to give). Other requests: SW 6A88.
 * - A profile change takes effect for the module only when it re-reads the card: AT+CFUN=0 then 1,
 *   or AT+CFUN=1,1 (seen through a Modem4G command hook, see `insertInto`). Until then the module
 *   keeps the profile it read: its ICCID, IMSI and network outcome.
 *
 * The ES10 BER-TLV here is written and read by this file's own small codec, independent of the
 * firmware's core TLV, so tests of the firmware against this card cross-check two implementations.
 */
import { CmeError, type SimProfile, type Uicc } from "./modem/uicc.ts";
import type { Modem4G } from "./modem4g.ts";

export interface EuiccProfile extends SimProfile {
  /** ISD-P AID, hex (16 bytes for GSMA profiles). */
  aid: string;
  /** Service provider name (tag 91), UTF-8 on the card. */
  provider: string;
  /** Profile name (tag 92). */
  name: string;
  nickname?: string;
  /** 0 test, 1 provisioning, 2 operational (default). */
  profileClass?: number;
  /** EnableProfile / DisableProfile of this profile answer 3 (disallowedByPolicy). */
  policyLocked?: boolean;
}

export interface EuiccOptions {
  /** 32 digits (default a valid example EID from Infineon's EID page: mod 97 = 1). */
  eid?: string;
  profiles?: EuiccProfile[];
  /** ICCID of the profile enabled at the start (default the first). */
  enabled?: string;
  getResponse?: "host" | "modem";
  /** How many EnableProfile requests answer catBusy (5) before they work. */
  catBusy?: number;
  /** The ISD-R AID the card answers (default the GSMA one). */
  isdrAid?: string;
  /** First +CCHO session id handed out (default 1; modems differ). */
  sidBase?: number;
  /** Fuzzing: rewrites each ES10 response before it is sent. */
  mutate?: (response: Uint8Array, request: string) => Uint8Array;
  lock?: "none" | "pin" | "puk";
}

export const ISD_R_AID = "A0000005591010FFFFFFFF8900000100";
/** Example EID with valid check digits (89044011112233441122334411223321 mod 97 = 1). */
export const EXAMPLE_EID = "89044011112233441122334411223321";

/** 19 digits -> 20 with the Luhn check digit (ICCIDs carry one, E.118). */
export function withLuhn(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = body.charCodeAt(body.length - 1 - i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return body + String((10 - (sum % 10)) % 10);
}

/**
 * Three Chinese operator profiles: China Mobile 46000 (cmnet), China Unicom 46001 (3gnet), China
 * Telecom 46011 (ctnet); ICCIDs 898600 / 898601 / 898611 + Luhn. `network` per profile is the outcome
 * the network gives it.
 */
export function chinaProfiles(network: Array<SimProfile["network"]> = ["ok", "ok", "ok"]): EuiccProfile[] {
  return [
    {
      iccid: withLuhn("8986002012345678901"),
      imsi: "460001234567890",
      operator: { long: "CHINA MOBILE", short: "CMCC", numeric: "46000" },
      apns: ["cmnet", "cmiot"],
      network: network[0] ?? "ok",
      aid: "A0000005591010FFFFFFFF8900001000",
      provider: "中国移动",
      name: "China Mobile 4G",
    },
    {
      iccid: withLuhn("8986012012345678902"),
      imsi: "460012345678901",
      operator: { long: "CHN-UNICOM", short: "UNICOM", numeric: "46001" },
      apns: ["3gnet", "wonet"],
      network: network[1] ?? "ok",
      aid: "A0000005591010FFFFFFFF8900001100",
      provider: "中国联通",
      name: "China Unicom 4G",
    },
    {
      iccid: withLuhn("8986112012345678903"),
      imsi: "460113456789012",
      operator: { long: "CHN-CT", short: "CT", numeric: "46011" },
      apns: ["ctnet"],
      network: network[2] ?? "ok",
      aid: "A0000005591010FFFFFFFF8900001200",
      provider: "中国电信",
      name: "China Telecom 4G",
    },
  ];
}

// ---- a small BER-TLV codec of its own -------------------------------------------------------------

interface Tlv {
  tag: number;
  value: Buffer;
  /** Children, for constructed tags. */
  kids?: Tlv[];
}

/** Parses `buf` as a sequence of TLVs; throws on anything malformed. */
export function parseTlvs(buf: Buffer): Tlv[] {
  const out: Tlv[] = [];
  let i = 0;
  while (i < buf.length) {
    const first = buf[i++]!;
    let tag = first;
    if ((first & 0x1f) === 0x1f) {
      do {
        if (i >= buf.length) throw new Error("tag cut short");
        tag = tag * 256 + buf[i]!;
      } while (buf[i++]! & 0x80);
    }
    if (i >= buf.length) throw new Error("no length");
    let len = buf[i++]!;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n < 1 || n > 3 || i + n > buf.length) throw new Error("bad length");
      len = 0;
      for (let k = 0; k < n; k++) len = len * 256 + buf[i++]!;
    }
    if (i + len > buf.length) throw new Error("value cut short");
    const value = buf.subarray(i, i + len);
    i += len;
    const t: Tlv = { tag, value };
    if (first & 0x20) t.kids = parseTlvs(value);
    out.push(t);
  }
  return out;
}

function tagBytes(tag: number): Buffer {
  const b: number[] = [];
  for (let t = tag; t > 0; t = Math.floor(t / 256)) b.unshift(t % 256);
  return Buffer.from(b);
}

/** One TLV: tag (a number like 0xBF2D), value or children. */
export function tlv(tag: number, ...parts: Array<Buffer | Uint8Array>): Buffer {
  const value = Buffer.concat(parts.map((p) => Buffer.from(p)));
  const n = value.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([tagBytes(tag), len, value]);
}

/** ICCID digits -> 10 bytes, nibbles swapped, F-padded (SGP.22 Iccid). */
export function iccidBytes(iccid: string): Buffer {
  const d = iccid.padEnd(20, "F");
  const out = Buffer.alloc(10);
  for (let k = 0; k < 10; k++) out[k] = parseInt(d[2 * k + 1]! + d[2 * k]!, 16);
  return out;
}

// ---- the card ------------------------------------------------------------------------------------

const SW_OK = Buffer.from([0x90, 0x00]);
const sw = (a: number, b: number) => Buffer.from([a, b]);

export class Euicc implements Uicc {
  readonly present = true;
  lock: "none" | "pin" | "puk";
  readonly eid: string;
  readonly profiles: Array<EuiccProfile & { state: 0 | 1 }>;
  getResponse: "host" | "modem";
  catBusy: number;
  mutate: EuiccOptions["mutate"];
  /** The profile the module has read (changes when the module re-reads the card). */
  private selected: EuiccProfile | undefined;
  private readonly isdr: string;
  private readonly sidBase: number;
  private readonly channels = new Map<number, { blocks: Buffer[]; seq: number; pending: Buffer | undefined }>();

  /** Observations for tests. */
  readonly log: Array<{ fn: string; request: string; response: string }> = [];
  readonly apdus: string[] = [];
  readonly stats = { opens: 0, closes: 0, storeData: 0, getResponse: 0, refreshes: 0, enables: 0 };
  /** The refreshFlag of the last EnableProfile. */
  lastRefreshFlag: boolean | undefined;

  constructor(options: EuiccOptions = {}) {
    this.eid = options.eid ?? EXAMPLE_EID;
    const list = options.profiles ?? chinaProfiles();
    const first = options.enabled ?? list[0]?.iccid;
    this.profiles = list.map((p) => ({ ...p, state: p.iccid === first ? 1 : 0 }));
    this.selected = this.profiles.find((p) => p.state === 1);
    this.getResponse = options.getResponse ?? "host";
    this.catBusy = options.catBusy ?? 0;
    this.isdr = (options.isdrAid ?? ISD_R_AID).toUpperCase();
    this.sidBase = options.sidBase ?? 1;
    this.mutate = options.mutate;
    this.lock = options.lock ?? "none";
  }

  /** Puts the card in `modem`'s slot and lets it see AT+CFUN (the module re-reads the card on 0 -> 1 and on 1,1). */
  insertInto(modem: Modem4G): this {
    modem.sim = this;
    let off = false;
    modem.extend((req) => {
      if (req.name !== "+CFUN" || req.kind !== "set") return false;
      const fun = req.args[0];
      if (fun === "0" || fun === "4") off = true;
      else if (fun === "1" && (off || req.args[1] === "1")) {
        off = false;
        this.refresh();
      }
      return false; // the module itself answers the command
    });
    return this;
  }

  /** The module re-reads the card: from now on it sees the enabled profile. */
  refresh(): void {
    this.stats.refreshes++;
    this.selected = this.profiles.find((p) => p.state === 1);
    this.channels.clear();
  }

  activeProfile(): SimProfile | undefined {
    return this.selected;
  }

  enabledProfile(): EuiccProfile | undefined {
    return this.profiles.find((p) => p.state === 1);
  }

  verifyPin(): boolean {
    return false;
  }

  openChannel(aid: Uint8Array): number {
    if (Buffer.from(aid).toString("hex").toUpperCase() !== this.isdr) throw new CmeError(3, "no such application");
    if (this.channels.size >= 3) throw new CmeError(3, "no free logical channel");
    // Session ids: the lowest free one from sidBase (a closed channel's id is used again).
    let sid = this.sidBase;
    while (this.channels.has(sid)) sid++;
    this.channels.set(sid, { blocks: [], seq: 0, pending: undefined });
    this.stats.opens++;
    return sid;
  }

  closeChannel(channel: number): void {
    if (!this.channels.delete(channel)) throw new CmeError(3, "no such channel");
    this.stats.closes++;
  }

  /** Channels left open (a driver that forgets AT+CCHC shows here). */
  get openChannels(): number {
    return this.channels.size;
  }

  transmit(channel: number, apdu: Uint8Array): Uint8Array {
    const a = Buffer.from(apdu);
    this.apdus.push(a.toString("hex").toUpperCase());
    return this.answer(channel, a);
  }

  private claOk(cla: number, channel: number, ins: number): boolean {
    const chanOk = (low: number, c: number) => low === 0 || low === c;
    if ((cla & 0xf0) === 0x80) return chanOk(cla & 0x0f, channel <= 3 ? channel : -1);
    if ((cla & 0xf0) === 0xc0) return (cla & 0x0f) === channel - 4;
    // GET RESPONSE also comes in the interindustry class (00 C0, as in the card vendor's trace [E6]).
    if (ins === 0xc0 && (cla & 0xf0) === 0x00) return chanOk(cla & 0x0f, channel <= 3 ? channel : -1);
    return false;
  }

  private answer(channel: number, a: Buffer): Buffer {
    const ch = this.channels.get(channel);
    if (!ch) return sw(0x68, 0x81); // logical channel not supported / not open
    if (a.length < 4) return sw(0x67, 0x00);
    const [cla, ins, p1, p2] = [a[0]!, a[1]!, a[2]!, a[3]!];
    if (!this.claOk(cla, channel, ins)) return sw(0x6e, 0x00);
    if (ins === 0xc0) {
      this.stats.getResponse++;
      const pending = ch.pending;
      if (!pending || p1 !== 0 || p2 !== 0) return sw(0x69, 0x85);
      const le = a.length >= 5 ? a[4]! || 256 : 256;
      const part = pending.subarray(0, le);
      const rest = pending.subarray(part.length);
      ch.pending = rest.length ? rest : undefined;
      return Buffer.concat([part, rest.length ? sw(0x61, Math.min(rest.length, 256) & 0xff) : SW_OK]);
    }
    if (ins !== 0xe2) return sw(0x6d, 0x00);
    this.stats.storeData++;
    if (a.length < 5) return sw(0x67, 0x00);
    const lc = a[4]!;
    if (a.length !== 5 + lc && a.length !== 6 + lc) return sw(0x67, 0x00);
    if ((p1 !== 0x11 && p1 !== 0x91) || p2 !== ch.seq) {
      ch.blocks = [];
      ch.seq = 0;
      return sw(0x6a, 0x86);
    }
    ch.blocks.push(a.subarray(5, 5 + lc));
    ch.seq++;
    if (p1 === 0x11) return SW_OK;
    const request = Buffer.concat(ch.blocks);
    ch.blocks = [];
    ch.seq = 0;
    ch.pending = undefined;
    let response = this.es10(request);
    if (!response) return sw(0x6a, 0x88);
    if (this.mutate) response = Buffer.from(this.mutate(Uint8Array.from(response), request.toString("hex").toUpperCase()));
    if (response.length === 0) return SW_OK;
    if (this.getResponse === "modem") return Buffer.concat([response, SW_OK]);
    ch.pending = response;
    return sw(0x61, Math.min(response.length, 256) & 0xff);
  }

  /** One ES10 request -> its response, or undefined (SW 6A88) for what the card does not know. */
  private es10(request: Buffer): Buffer | undefined {
    let top: Tlv;
    try {
      const all = parseTlvs(request);
      if (all.length !== 1 || !all[0]!.kids) return undefined;
      top = all[0]!;
    } catch {
      return undefined;
    }
    const kids = top.kids!;
    const child = (tag: number) => kids.find((k) => k.tag === tag);
    let response: Buffer | undefined;
    let fn = top.tag.toString(16).toUpperCase();
    switch (top.tag) {
      case 0xbf3e: {
        fn = "GetEID";
        const list = child(0x5c);
        response = list && list.value.includes(0x5a) ? tlv(0xbf3e, tlv(0x5a, Buffer.from(this.eid, "hex"))) : tlv(0xbf3e);
        break;
      }
      case 0xbf2d:
        fn = "GetProfilesInfo";
        response = this.profilesInfo(child(0x5c), child(0xa0));
        break;
      case 0xbf31:
      case 0xbf32: {
        fn = top.tag === 0xbf31 ? "EnableProfile" : "DisableProfile";
        response = tlv(top.tag, tlv(0x80, Buffer.from([this.operation(top.tag === 0xbf31, kids)])));
        break;
      }
      default:
        response = undefined;
    }
    this.log.push({ fn, request: request.toString("hex").toUpperCase(), response: response?.toString("hex").toUpperCase() ?? "" });
    return response;
  }

  private profilesInfo(tagList: Tlv | undefined, filter: Tlv | undefined): Buffer {
    let wanted: number[] | undefined;
    if (tagList) {
      wanted = [];
      const v = tagList.value;
      for (let i = 0; i < v.length; ) {
        let t = v[i++]!;
        if ((t & 0x1f) === 0x1f) while (i < v.length) {
          const b = v[i++]!;
          t = t * 256 + b;
          if (!(b & 0x80)) break;
        }
        wanted.push(t);
      }
    }
    let list = this.profiles;
    if (filter) {
      const f = filter.kids?.[0];
      if (!f || filter.kids!.length !== 1) return tlv(0xbf2d, tlv(0x81, Buffer.from([1])));
      if (f.tag === 0x5a) list = list.filter((p) => iccidBytes(p.iccid).equals(f.value));
      else if (f.tag === 0x4f) list = list.filter((p) => Buffer.from(p.aid, "hex").equals(f.value));
      else if (f.tag === 0x95) list = list.filter((p) => (p.profileClass ?? 2) === f.value[0]);
      else return tlv(0xbf2d, tlv(0x81, Buffer.from([1])));
    }
    const want = (t: number) => !wanted || wanted.includes(t);
    const entries = list.map((p) => {
      const parts: Buffer[] = [];
      if (want(0x5a)) parts.push(tlv(0x5a, iccidBytes(p.iccid)));
      if (want(0x4f)) parts.push(tlv(0x4f, Buffer.from(p.aid, "hex")));
      if (want(0x9f70)) parts.push(tlv(0x9f70, Buffer.from([p.state])));
      if (want(0x90) && p.nickname !== undefined) parts.push(tlv(0x90, Buffer.from(p.nickname, "utf8")));
      if (want(0x91)) parts.push(tlv(0x91, Buffer.from(p.provider, "utf8")));
      if (want(0x92)) parts.push(tlv(0x92, Buffer.from(p.name, "utf8")));
      if (want(0x95)) parts.push(tlv(0x95, Buffer.from([p.profileClass ?? 2])));
      return tlv(0xe3, ...parts);
    });
    return tlv(0xbf2d, tlv(0xa0, ...entries));
  }

  /** EnableProfile / DisableProfile result code. */
  private operation(enable: boolean, kids: Tlv[]): number {
    const id = kids.find((k) => k.tag === 0xa0)?.kids?.[0];
    const refresh = kids.find((k) => k.tag === 0x81);
    if (!id || !refresh || refresh.value.length !== 1) return 127;
    const p =
      id.tag === 0x5a ? this.profiles.find((x) => iccidBytes(x.iccid).equals(id.value)) : id.tag === 0x4f ? this.profiles.find((x) => Buffer.from(x.aid, "hex").equals(id.value)) : undefined;
    if (!p) return 1;
    if (enable) {
      this.stats.enables++;
      if (this.catBusy > 0) {
        this.catBusy--;
        return 5;
      }
      if (p.state === 1) return 2;
      if (p.policyLocked) return 3;
      for (const x of this.profiles) x.state = 0;
      p.state = 1;
      this.lastRefreshFlag = refresh.value[0] !== 0;
      return 0;
    }
    if (p.state !== 1) return 2;
    if (p.policyLocked) return 3;
    p.state = 0;
    return 0;
  }
}
