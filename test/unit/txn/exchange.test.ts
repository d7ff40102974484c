/**
 * firmware/cup/exchange.ts over real TCP on 127.0.0.1 against small scripted Node peers: STAN and MTI matching
 * (a late answer to another request is discarded, the right one taken), response MAC checked (E_MAC_MISMATCH with
 * the response), and each failure typed with whether the request may have reached the host: refused connection,
 * timeout, close before the answer, garbage, an absurd length.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { CupExchange, ExchangeError, responseMti } from "../../../firmware/cup/exchange.ts";
import { buildSale, cupPacker, packRequest, type CupRequest } from "../../../firmware/cup/messages.ts";
import { computeMac } from "../../../firmware/core/mac.ts";
import { hexToBytes } from "../../../firmware/core/bytes.ts";
import { nodeConnector } from "./node-terminal.ts";

const MAK = hexToBytes("3B5D7F9E1A2C4E6F");
const macOf = (d: Uint8Array) => computeMac("cup-ecb", MAK, d);
const framing = { tpdu: hexToBytes("6000030000"), header: hexToBytes("603100310001") };
const ID = { terminalId: "10000001", merchantId: "898100012345678" };
const sale = (stan: number): CupRequest => buildSale({ ...ID, stan, batch: 1 }, { amount: 100, card: { entryMode: "manual", pan: "6214830012345678900", expiry: "2812" } });

/** A response frame: MTI, STAN, code (+ MAC when `mac`). */
function answer(mti: string, stan: number, code: string, mac: "good" | "bad" | "none" = "good"): Buffer {
  const req: CupRequest = { mti, stan: String(stan).padStart(6, "0"), mac: mac !== "none", fields: { 11: String(stan).padStart(6, "0"), 37: "000000000001", 39: code, 41: ID.terminalId, 42: ID.merchantId } };
  const out = new Uint8Array(512);
  const n = packRequest(cupPacker(), req, framing, out, mac === "bad" ? () => new Uint8Array(Buffer.from("DEADBEEF", "ascii")) : macOf);
  return Buffer.from(out.subarray(0, n));
}

type Behaviour = (sock: Socket, request: Buffer) => void;
let server: Server;
let port = 0;
let behaviour: Behaviour = () => undefined;

test.before(async () => {
  server = createServer((s) => {
    let buf: Buffer = Buffer.alloc(0);
    s.on("error", () => undefined);
    s.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) behaviour(s, buf);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  port = (server.address() as AddressInfo).port;
});
test.after(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

const settings = (responseTimeoutMs = 400) => ({ host: "127.0.0.1", port, connectTimeoutMs: 2000, responseTimeoutMs, framing });

async function failure(p: Promise<unknown>): Promise<ExchangeError> {
  try {
    await p;
  } catch (e) {
    assert.instance(e, ExchangeError);
    return e as ExchangeError;
  }
  throw new Error("expected a failure");
}

test("responseMti: 0200 -> 0210, 0100 -> 0110, 0400 -> 0410, 0800 -> 0810, 0320 -> 0330", () => {
  assert.equal(["0200", "0100", "0400", "0800", "0320", "0220"].map(responseMti), ["0210", "0110", "0410", "0810", "0330", "0230"]);
});

test("a late answer to another STAN and an answer of another MTI are discarded; the right one is taken, MAC checked", async () => {
  behaviour = (s) => s.write(Buffer.concat([answer("0210", 41, "00"), answer("0810", 42, "00", "none"), answer("0210", 42, "00")]));
  const events: string[] = [];
  const ex = new CupExchange({ connector: nodeConnector, monotonic: () => performance.now(), onEvent: (e) => void events.push(`${e.kind}:${e.mti ?? ""}:${e.stan ?? ""}`) });
  const r = await ex.exchange(sale(42), settings(), macOf);
  assert.equal([r.mti, r.stan, r.code, r.rrn], ["0210", "000042", "00", "000000000001"]);
  assert.is(ex.stats.discarded, 2);
  assert.ok(events.includes("discarded:0210:000041") && events.includes("discarded:0810:000042"), events.join(" "));
});

test("a bad MAC: E_MAC_MISMATCH, sent, with the parsed response; no MAC at all is accepted (profile: checked when present)", async () => {
  behaviour = (s) => s.write(answer("0210", 43, "00", "bad"));
  const ex = new CupExchange({ connector: nodeConnector, monotonic: () => performance.now() });
  const e = await failure(ex.exchange(sale(43), settings(), macOf));
  assert.is(e.code, "E_MAC_MISMATCH");
  assert.is(e.sent, true);
  assert.is(e.response!.code, "00");
  behaviour = (s) => s.write(answer("0210", 44, "05", "none"));
  assert.is((await ex.exchange(sale(44), settings(), macOf)).code, "05");
});

test("failures are typed and say whether the request may have reached the host", async () => {
  const ex = new CupExchange({ connector: nodeConnector, monotonic: () => performance.now() });
  behaviour = () => undefined;
  const t = await failure(ex.exchange(sale(45), settings(300), macOf));
  assert.equal([t.code, t.sent], ["E_HOST_TIMEOUT", true]);
  behaviour = (s) => s.destroy();
  const c = await failure(ex.exchange(sale(46), settings(), macOf));
  assert.equal([c.code, c.sent], ["E_HOST_CLOSED", true]);
  behaviour = (s) => s.write(Buffer.from("0010" + "ff".repeat(16), "hex"));
  const g = await failure(ex.exchange(sale(47), settings(), macOf));
  assert.equal([g.code, g.sent], ["E_RESPONSE_FORMAT", true]);
  behaviour = (s) => s.write(Buffer.from("FFFF00", "hex"));
  const h = await failure(ex.exchange(sale(48), settings(), macOf));
  assert.is(h.code, "E_RESPONSE_FORMAT");
  const dead = createServer();
  await new Promise<void>((r) => dead.listen(0, "127.0.0.1", () => r()));
  const deadPort = (dead.address() as AddressInfo).port;
  await new Promise<void>((r) => dead.close(() => r()));
  const u = await failure(ex.exchange(sale(49), { ...settings(), port: deadPort }, macOf));
  assert.equal([u.code, u.sent, u.linkCode], ["E_HOST_UNREACHABLE", false, "E_SOCKET_CONNECT"]);
  assert.is(ex.stats.timeouts, 1);
});

test.run();
