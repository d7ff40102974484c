/**
 * ES10 transport over the AT engine (SGP.22 ES10 via 3GPP TS 27.007 +CCHO / +CGLA / +CCHC,
 * devices.md §2.1-2.2): a logical channel to the ISD-R, STORE DATA segmentation and the 61xx
 * GET RESPONSE loop.
 *
 * - AT+CCHO="<ISD-R AID>" answers `+CCHO: <sid>` (Quectel, lpac traces) or a bare `<sid>` (27.007 text).
 * - AT+CGLA=<sid>,<len>,"<hex>": `<len>` counts hex characters, not bytes; the answer is
 *   `+CGLA: <len>,"<R-APDU hex>SW1SW2"` with the same rule (checked).
 * - STORE DATA: `80 E2 P1 P2 Lc data`, blocks of at most 120 bytes (lpac's default segment), P1 `11`
 *   for more blocks and `91` for the last, P2 the block number from 00; no Le.
 * - CLA: the channel number goes into CLA as ETSI TS 102 221 §10.1.1 codes it (channels 1-3:
 *   `8x`, 4-19: `Cx`), as lpac does (euicc.c sets the low nibble; the lpac #143 trace shows `81E2`
 *   on +CCHO session 1). Modems that manage the channel bits themselves (devices.md §2.1, Telit)
 *   overwrite them, so this is right either way; `claChannelBits: false` sends plain `80`.
 * - `61xx`: GET RESPONSE `80 C0 00 00 xx` until `90xx`, whether the modem already ran it (then the
 *   answer carries the data and 9000) or not (then 61xx comes back): both work.
 * - Any other status word: E_ESIM_SW. The answer is bounded (maxResponse bytes, 64 GET RESPONSEs)
 *   so a card that keeps answering 61xx cannot exhaust the heap.
 */
import type { AtEngine, AtResponse } from "../at/engine";
import { AtError } from "../at/errors";
import { errorCode } from "../errors";
import { bytesToHex, hexToBytes } from "../../firmware/core/bytes";
import { EsimError, type EsimEvidence } from "./errors";

/** GSMA ISD-R AID (SGP.22; lpac euicc.c). */
export const ISD_R_AID = "A0000005591010FFFFFFFF8900000100";

export interface Es10TransportOptions {
  /** The ISD-R AID (some eUICCs use their own, e.g. 5ber). */
  aid?: string;
  /** STORE DATA block size, 1..255 (default 120, lpac's). */
  blockSize?: number;
  /** AT+CGLA timeout (default 10000 ms: eUICC operations outlast the usual 300 ms, devices.md §2.1). */
  timeoutMs?: number;
  /** Put the channel number into CLA (default true; see above). */
  claChannelBits?: boolean;
  /** Longest ES10 response accepted (default 4096 bytes). */
  maxResponse?: number;
}

export interface RApdu {
  data: Uint8Array;
  /** SW1 << 8 | SW2. */
  sw: number;
}

export function swHex(sw: number): string {
  return bytesToHex(new Uint8Array([sw >> 8, sw & 0xff]));
}

function atEvidence(e: unknown): EsimEvidence {
  return e instanceof AtError ? { command: e.command, final: e.final, cme: e.cme } : {};
}

/** CLA of an ES10 command on logical channel `sid` (ETSI TS 102 221 §10.1.1). */
export function claFor(sid: number, channelBits: boolean): number {
  if (!channelBits) return 0x80;
  if (sid >= 1 && sid <= 3) return 0x80 | sid;
  if (sid >= 4 && sid <= 19) return 0xc0 | (sid - 4);
  return 0x80;
}

export class Es10Transport {
  /** The open session (`+CCHO` answer), -1 when closed. */
  sid = -1;
  /** Counters for diagnostics and tests. */
  readonly stats = { opens: 0, apdus: 0, getResponses: 0, blocks: 0 };
  private readonly aid: string;
  private readonly blockSize: number;
  private readonly timeoutMs: number;
  private readonly channelBits: boolean;
  private readonly maxResponse: number;

  constructor(
    readonly at: AtEngine,
    options: Es10TransportOptions = {},
  ) {
    this.aid = (options.aid ?? ISD_R_AID).toUpperCase();
    const bs = options.blockSize ?? 120;
    this.blockSize = bs >= 1 && bs <= 255 ? bs : 120;
    this.timeoutMs = options.timeoutMs ?? 10000;
    this.channelBits = options.claChannelBits ?? true;
    this.maxResponse = options.maxResponse ?? 4096;
  }

  /** AT+CCHO: opens the logical channel to the ISD-R. E_ESIM_CHANNEL when refused. */
  async open(): Promise<number> {
    if (this.sid >= 0) return this.sid;
    const command = `AT+CCHO="${this.aid}"`;
    let r: AtResponse;
    try {
      r = await this.at.command(command, { expect: "", timeoutMs: this.timeoutMs });
    } catch (e) {
      const code = errorCode(e);
      if (code === "E_CME_ERROR" || code === "E_AT_ERROR" || code === "E_AT_TIMEOUT")
        throw new EsimError("E_ESIM_CHANNEL", `no channel to the ISD-R: ${(e as Error).message}`, atEvidence(e));
      throw e;
    }
    let sid = NaN;
    for (const l of r.lines) {
      const t = l.startsWith("+CCHO:") ? l.slice(6).trim() : l.trim();
      if (/^\d{1,9}$/.test(t)) {
        sid = parseInt(t, 10);
        break;
      }
    }
    if (Number.isNaN(sid)) throw new EsimError("E_ESIM_CHANNEL", `AT+CCHO answer does not parse (${r.lines.join("|")})`, { command });
    this.sid = sid;
    this.stats.opens++;
    return sid;
  }

  /** AT+CCHC; idempotent, never throws (a channel the module already dropped is closed). */
  async close(): Promise<void> {
    const sid = this.sid;
    if (sid < 0) return;
    this.sid = -1;
    try {
      await this.at.command(`AT+CCHC=${sid}`, { timeoutMs: this.timeoutMs });
    } catch {
      // Closing is best effort: after a reset or an error the module has no channel anyway.
    }
  }

  /** One C-APDU through AT+CGLA; the R-APDU split into data and status word. */
  async transmit(apdu: Uint8Array): Promise<RApdu> {
    if (this.sid < 0) throw new EsimError("E_ESIM_CHANNEL", "no open channel", {});
    const hex = bytesToHex(apdu);
    const command = `AT+CGLA=${this.sid},${hex.length},"${hex}"`;
    let r: AtResponse;
    this.stats.apdus++;
    try {
      r = await this.at.command(command, { expect: "+CGLA:", timeoutMs: this.timeoutMs });
    } catch (e) {
      const code = errorCode(e);
      if (code === "E_CME_ERROR" || code === "E_AT_ERROR" || code === "E_AT_TIMEOUT")
        throw new EsimError("E_ESIM_TRANSPORT", `AT+CGLA failed: ${(e as Error).message}`, atEvidence(e));
      throw e;
    }
    const line = r.lines[0] ?? "";
    const comma = line.indexOf(",");
    const lenText = comma > 6 ? line.slice(6, comma).trim() : "";
    let body = comma > 0 ? line.slice(comma + 1).trim() : "";
    if (body.length >= 2 && body.charCodeAt(0) === 0x22 && body.charCodeAt(body.length - 1) === 0x22) body = body.slice(1, -1);
    const len = /^\d{1,5}$/.test(lenText) ? parseInt(lenText, 10) : -1;
    if (len !== body.length || body.length < 4 || body.length & 1)
      throw new EsimError("E_ESIM_TRANSPORT", `+CGLA answer does not parse (${line.slice(0, 40)})`, { command: command.slice(0, 40), final: line.slice(0, 40) });
    let bytes: Uint8Array;
    try {
      bytes = hexToBytes(body);
    } catch {
      throw new EsimError("E_ESIM_TRANSPORT", `+CGLA answer is not hex`, { command: command.slice(0, 40), final: line.slice(0, 40) });
    }
    const n = bytes.length - 2;
    return { data: bytes.subarray(0, n), sw: (bytes[n]! << 8) | bytes[n + 1]! };
  }

  /**
   * One ES10 request (a BER-TLV) through STORE DATA, segmented into blocks; returns the response
   * data of all blocks concatenated (the eUICC answers with the last one), after the 61xx loop.
   */
  async storeData(request: Uint8Array, fn = "STORE DATA"): Promise<Uint8Array> {
    const cla = claFor(this.sid, this.channelBits);
    const bs = this.blockSize;
    const blocks = request.length === 0 ? 1 : Math.ceil(request.length / bs);
    if (blocks > 256) throw new EsimError("E_ESIM_TRANSPORT", `request of ${request.length} bytes needs more than 256 blocks`, { fn });
    let out = new Uint8Array(0);
    let fill = 0;
    const apdu = new Uint8Array(5 + Math.min(bs, request.length));
    const getResponse = new Uint8Array([cla, 0xc0, 0x00, 0x00, 0x00]);
    for (let b = 0; b < blocks; b++) {
      const off = b * bs;
      const n = Math.min(bs, request.length - off);
      const last = b === blocks - 1;
      apdu[0] = cla;
      apdu[1] = 0xe2;
      apdu[2] = last ? 0x91 : 0x11;
      apdu[3] = b;
      apdu[4] = n;
      apdu.set(request.subarray(off, off + n), 5);
      this.stats.blocks++;
      let r = await this.transmit(n + 5 === apdu.length ? apdu : apdu.subarray(0, n + 5));
      for (let rounds = 0; ; rounds++) {
        if (r.data.length) {
          if (fill + r.data.length > this.maxResponse)
            throw new EsimError("E_ESIM_PARSE", `${fn}: response longer than ${this.maxResponse} bytes`, { fn, sw: swHex(r.sw) });
          if (fill + r.data.length > out.length) {
            const grown = new Uint8Array(Math.max(out.length * 2, fill + r.data.length, 64));
            grown.set(out.subarray(0, fill));
            out = grown;
          }
          out.set(r.data, fill);
          fill += r.data.length;
        }
        const sw1 = r.sw >> 8;
        if (sw1 === 0x61) {
          if (rounds >= 64) throw new EsimError("E_ESIM_SW", `${fn}: GET RESPONSE does not end`, { fn, sw: swHex(r.sw) });
          getResponse[4] = r.sw & 0xff;
          this.stats.getResponses++;
          r = await this.transmit(getResponse);
          continue;
        }
        if ((sw1 & 0xf0) === 0x90) break;
        throw new EsimError("E_ESIM_SW", `${fn}: status ${swHex(r.sw)}`, { fn, sw: swHex(r.sw) });
      }
    }
    return out.subarray(0, fill);
  }
}
