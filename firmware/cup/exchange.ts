/**
 * One request -> one response with the acquirer host over a NetSocket (spec §1, profile "Framing and link"):
 * connect, send the framed request, read frames (2-byte length, then TPDU + header + body) until the response
 * whose MTI is the request's + 10 and whose STAN (field 11) is the request's arrives; frames for another STAN
 * or message are discarded and the wait goes on until the response timeout. A response carrying field 64 is
 * checked with the MAC function (the PED's); a mismatch is E_MAC_MISMATCH with the response attached (the caller
 * decides about the reversal). The connection is closed after each exchange (the host may close it too).
 *
 * Every failure is an ExchangeError whose `sent` says whether the request may have reached the host (the
 * reversal rules of spec §6.7 depend on it):
 *   E_HOST_UNREACHABLE  connect failed (sent = false; `linkCode` = the link's own code)
 *   E_HOST_SEND         the request could not be written completely (sent = true: part of it may have left)
 *   E_HOST_TIMEOUT      no matching response within the response timeout
 *   E_HOST_CLOSED       the host closed the connection before answering
 *   E_RESPONSE_FORMAT   a frame that does not parse as a CUP message (the stream cannot be trusted after it)
 *   E_MAC_MISMATCH      the response's MAC is wrong
 */
import { CoreError } from "../core/errors";
import { constantTimeEqual } from "../core/bytes";
import type { Iso8583Message } from "../core/iso8583";
import type { NetConnector, NetSocket } from "../../hal/net/socket";
import { BODY_OFFSET, HEADER_BYTES, LEN_BYTES, TPDU_BYTES } from "./frame";
import { cupMessage, cupPacker, packRequest, readResponse, type CupRequest, type CupResponse, type Framing, type MacFunction } from "./messages";

export class ExchangeError extends CoreError {
  constructor(
    code: string,
    message: string,
    /** Whether the request may have reached the host. */
    readonly sent: boolean,
    /** The parsed response (E_MAC_MISMATCH). */
    readonly response?: CupResponse,
    /** The link's error code behind E_HOST_UNREACHABLE / E_HOST_SEND / E_HOST_CLOSED. */
    readonly linkCode?: string,
  ) {
    super(code, message);
    this.name = "ExchangeError";
  }
}

export interface ExchangeSettings {
  host: string;
  port: number;
  connectTimeoutMs: number;
  responseTimeoutMs: number;
  framing: Framing;
}

export interface ExchangeEvent {
  kind: "connect" | "sent" | "received" | "discarded" | "closed";
  mti?: string;
  stan?: string;
  detail?: string;
}

export interface ExchangeDeps {
  connector: NetConnector;
  monotonic(): number;
  /** Observes the exchange (logs, the UI's "connecting / sending / receiving" and the test agent). */
  onEvent?(e: ExchangeEvent): void;
}

/** Largest response frame accepted (LEN value); a longer announcement is garbage. */
export const MAX_RESPONSE_BYTES = 2048;

function codeOf(e: unknown): string {
  const c = e !== null && typeof e === "object" ? (e as { code?: unknown }).code : undefined;
  return typeof c === "string" ? c : "E_UNKNOWN";
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The MTI of the answer to `mti` (0200 -> 0210). */
export function responseMti(mti: string): string {
  const d = mti.charCodeAt(2) - 48 + 1;
  return mti.substring(0, 2) + String(d) + mti.charAt(3);
}

export class CupExchange {
  /** Reused request buffer (grown when a message does not fit). */
  private out = new Uint8Array(512);
  /** Counters for diagnostics. */
  readonly stats = { exchanges: 0, discarded: 0, timeouts: 0, macErrors: 0 };

  constructor(private readonly deps: ExchangeDeps) {}

  /**
   * Packs `req` (MAC by `macOf` when the request has one), sends it and returns the matching response.
   * `macOf` also checks a response that carries field 64.
   */
  async exchange(req: CupRequest, settings: ExchangeSettings, macOf?: MacFunction): Promise<CupResponse> {
    const packer = cupPacker();
    let size: number;
    for (;;) {
      try {
        size = packRequest(packer, req, settings.framing, this.out, macOf);
        break;
      } catch (e) {
        if (codeOf(e) !== "E_8583_OVERFLOW" || this.out.length >= 8192) throw e;
        this.out = new Uint8Array(this.out.length * 2);
      }
    }
    const frame = this.out.subarray(0, size);
    const ev = this.deps.onEvent;
    this.stats.exchanges++;
    let sock: NetSocket;
    try {
      ev?.({ kind: "connect", mti: req.mti, stan: req.stan, detail: `${settings.host}:${settings.port}` });
      sock = await this.deps.connector.connect(settings.host, settings.port, { timeoutMs: settings.connectTimeoutMs });
    } catch (e) {
      throw new ExchangeError("E_HOST_UNREACHABLE", `cannot reach the host ${settings.host}:${settings.port}: ${messageOf(e)}`, false, undefined, codeOf(e));
    }
    try {
      try {
        await sock.write(frame);
      } catch (e) {
        throw new ExchangeError("E_HOST_SEND", `sending ${req.mti} failed: ${messageOf(e)}`, true, undefined, codeOf(e));
      }
      ev?.({ kind: "sent", mti: req.mti, stan: req.stan });
      return await this.awaitResponse(sock, req, settings, macOf);
    } finally {
      try {
        await sock.close();
      } catch {
        // closing is best effort: the socket is dropped either way
      }
      // The reused buffer held the request's card data (fields 2, 35, 55): wipe it once the exchange is over.
      frame.fill(0);
      ev?.({ kind: "closed", mti: req.mti, stan: req.stan });
    }
  }

  private async awaitResponse(sock: NetSocket, req: CupRequest, settings: ExchangeSettings, macOf?: MacFunction): Promise<CupResponse> {
    const deps = this.deps;
    const want = responseMti(req.mti);
    const deadline = deps.monotonic() + settings.responseTimeoutMs;
    const msg = cupMessage();
    for (;;) {
      const left = () => {
        const l = deadline - deps.monotonic();
        if (l <= 0) {
          this.stats.timeouts++;
          throw new ExchangeError("E_HOST_TIMEOUT", `no answer to ${req.mti} STAN ${req.stan} within ${settings.responseTimeoutMs} ms`, true);
        }
        return l;
      };
      const head = await this.read(sock, LEN_BYTES, left(), req);
      const len = (head[0]! << 8) | head[1]!;
      if (len < TPDU_BYTES + HEADER_BYTES + 10 || len > MAX_RESPONSE_BYTES)
        throw new ExchangeError("E_RESPONSE_FORMAT", `a response frame announcing ${len} bytes`, true);
      const body = await this.read(sock, len, left(), req);
      const bodyAt = BODY_OFFSET - LEN_BYTES;
      try {
        msg.parse(body, bodyAt, len - bodyAt);
      } catch (e) {
        throw new ExchangeError("E_RESPONSE_FORMAT", `a response that does not parse: ${messageOf(e)}`, true);
      }
      let stan = "";
      try {
        stan = msg.getString(11) ?? "";
      } catch {
        stan = "";
      }
      if (msg.mti !== want || stan !== req.stan) {
        this.stats.discarded++;
        deps.onEvent?.({ kind: "discarded", mti: msg.mti, stan, detail: `waiting for ${want} STAN ${req.stan}` });
        continue;
      }
      const resp = readResponse(msg);
      deps.onEvent?.({ kind: "received", mti: resp.mti, stan: resp.stan, detail: resp.code });
      if (resp.hasMac && macOf) this.checkMac(msg, resp, macOf);
      return resp;
    }
  }

  private checkMac(msg: Iso8583Message, resp: CupResponse, macOf: MacFunction): void {
    const got = msg.mac()!;
    let expected: Uint8Array;
    try {
      expected = macOf(msg.macInput());
    } catch (e) {
      throw new ExchangeError("E_MAC_MISMATCH", `the response MAC cannot be checked: ${messageOf(e)}`, true, resp, codeOf(e));
    }
    if (!constantTimeEqual(expected, got)) {
      this.stats.macErrors++;
      throw new ExchangeError("E_MAC_MISMATCH", `the MAC of ${resp.mti} STAN ${resp.stan} does not verify`, true, resp);
    }
  }

  private async read(sock: NetSocket, n: number, timeoutMs: number, req: CupRequest): Promise<Uint8Array> {
    try {
      return await sock.readExactly(n, timeoutMs);
    } catch (e) {
      const c = codeOf(e);
      if (c === "E_SOCKET_TIMEOUT" || c === "E_TIMEOUT") {
        this.stats.timeouts++;
        throw new ExchangeError("E_HOST_TIMEOUT", `no answer to ${req.mti} STAN ${req.stan} within the response timeout`, true, undefined, c);
      }
      throw new ExchangeError("E_HOST_CLOSED", `the connection ended before the answer to ${req.mti} STAN ${req.stan}: ${messageOf(e)}`, true, undefined, c);
    }
  }
}
