/**
 * A test terminal for the host tests: a HostClient plus the terminal's state (terminal/merchant numbers, batch,
 * trace counter, TMK and working keys). Keys are taken from the host's answers and decrypted here with
 * node:crypto (not the core), KCVs checked with node:crypto, MACs computed and checked with an independent
 * node:crypto implementation of the CUP ECB MAC, PIN blocks built by hand and encrypted with node:crypto: the
 * host's core-based cryptography is cross-checked on every exchange.
 */
import { createCipheriv, createDecipheriv } from "node:crypto";
import * as assert from "uvu/assert";
import { HostClient } from "../../boards/sim/host/client.ts";
import type { Fields, ParsedFrame } from "../../boards/sim/host/codec.ts";
import type { AcquirerHost } from "../../boards/sim/host/host.ts";
import { DEFAULT_MERCHANT_ID, DEFAULT_TERMINAL_ID, type TestCard } from "../../boards/sim/host/factory.ts";

export const H = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");
export const hex = (b: Uint8Array) => Buffer.from(b).toString("hex").toUpperCase();

/** ECB with node:crypto: single DES as des-ede with K1 = K2 (OpenSSL 3 keeps des-ecb in the legacy provider). */
export function ecb(encrypt: boolean, key: Uint8Array, data: Uint8Array): Buffer {
  const k = key.length === 8 ? Buffer.concat([key, key]) : Buffer.from(key);
  const c = encrypt ? createCipheriv("des-ede-ecb", k, null) : createDecipheriv("des-ede-ecb", k, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

export function nodeKcv(key: Uint8Array): string {
  return hex(ecb(true, key, Buffer.alloc(8)).subarray(0, 4));
}

/** CUP ECB MAC (spec §7.4), written out with node:crypto. */
export function nodeCupMac(mak: Uint8Array, data: Uint8Array): Buffer {
  const x = Buffer.alloc(8);
  for (let i = 0; i < data.length; i++) x[i % 8]! ^= data[i]!;
  const h = Buffer.from(x.toString("hex").toUpperCase(), "ascii");
  const a = ecb(true, mak, h.subarray(0, 8));
  for (let i = 0; i < 8; i++) a[i]! ^= h[8 + i]!;
  const b = ecb(true, mak, a);
  return Buffer.from(b.toString("hex").toUpperCase().substring(0, 8), "ascii");
}

/** ISO 9564 format 0 PIN block for `pin` and `pan`, encrypted with node:crypto under the PIK. */
export function nodePinBlock(pik: Uint8Array, pin: string, pan: string): string {
  const pinField = H(("0" + pin.length.toString(16) + pin).padEnd(16, "F"));
  const panField = H("0000" + pan.substring(pan.length - 13, pan.length - 1));
  for (let i = 0; i < 8; i++) pinField[i]! ^= panField[i]!;
  return hex(ecb(true, pik, pinField));
}

export interface Resp extends ParsedFrame {
  frame: Uint8Array;
  request: Uint8Array;
  code: string;
  f(n: number): string | undefined;
}

export class TestTerminal {
  stan = 0;
  batch = "000001";
  tmk?: Buffer;
  pik?: Buffer;
  mak?: Buffer;
  tdk?: Buffer;

  private constructor(
    readonly host: AcquirerHost,
    public client: HostClient,
    public tid: string,
    public mid: string,
  ) {}

  static async open(host: AcquirerHost, tid = DEFAULT_TERMINAL_ID, mid = DEFAULT_MERCHANT_ID): Promise<TestTerminal> {
    return new TestTerminal(host, await HostClient.connect(host.port), tid, mid);
  }

  /** A terminal known to the host with this TMK, signed in (003). */
  static async ready(host: AcquirerHost, tid = "20000001", mid = "898100099990001", tmkHex = "89ABCDEF012345670123456789ABCDEF"): Promise<TestTerminal> {
    host.terminals.addTerminal({ terminalId: tid, merchantId: mid, tmkHex });
    const t = await TestTerminal.open(host, tid, mid);
    t.tmk = H(tmkHex);
    const r = await t.signIn("003");
    assert.is(r.code, "00");
    return t;
  }

  nextStan(): string {
    this.stan = (this.stan % 999999) + 1;
    return String(this.stan).padStart(6, "0");
  }

  async reconnect(): Promise<void> {
    this.client.close();
    this.client = await HostClient.connect(this.host.port);
  }

  /** Sends; checks the answer's MAC (node:crypto) when the request had one and the answer carries 64. */
  async send(mti: string, fields: Fields, opts: { mac?: boolean; expectMac?: boolean; timeoutMs?: number } = {}): Promise<Resp> {
    const mac = opts.mac ?? ["0100", "0200", "0220", "0320", "0400", "0500"].includes(mti);
    const r = await this.client.exchange(mti, fields, { mak: mac ? this.mak : undefined, timeoutMs: opts.timeoutMs });
    // The request's MAC, recomputed independently.
    if (mac && this.mak) {
      const body = r.request.subarray(13);
      assert.is(hex(body.subarray(body.length - 8)), hex(nodeCupMac(this.mak, body.subarray(0, body.length - 8))), "request MAC (core) = node:crypto");
    }
    const m = r.message;
    if (m.mac) {
      assert.ok(this.mak, "an answer with a MAC to a terminal without MAK");
      assert.is(hex(m.mac), hex(nodeCupMac(this.mak!, m.macInput!)), `answer MAC of ${m.mti} verifies (node:crypto)`);
    } else if (opts.expectMac ?? (mac && m.fields.get(39) !== "A0" && m.fields.get(39) !== "22" && m.fields.get(39) !== "97" && m.fields.get(39) !== "03" && m.fields.get(39) !== "90")) {
      assert.unreachable(`answer ${m.mti} rc ${m.fields.get(39)} has no MAC`);
    }
    return { ...r, code: m.fields.get(39) ?? "", f: (n) => m.fields.get(n) };
  }

  f60(type: string, network = "000", batch = this.batch): string {
    return type + batch + network;
  }

  /** Activation (0800, 60.3 360): returns the answer; on 00 decrypts and checks the TMK (node:crypto). */
  async activate(serial: string, code: string, transportKeyHex: string, firmware = "1.0.0"): Promise<Resp> {
    const tlv = Buffer.concat([tlvOf(0xdf01, Buffer.from(serial)), tlvOf(0xdf02, Buffer.from(code)), tlvOf(0xdf03, Buffer.from(firmware))]);
    const r = await this.send("0800", { 11: this.nextStan(), 41: "00000000", 42: " ".repeat(15), 60: "00000000360", 62: hex(tlv) }, { mac: false });
    if (r.code === "00") {
      const items = readTlv(H(r.f(62)!));
      const ct = items.get(0xdf10)!;
      assert.is(ct.length, 16);
      this.tmk = ecb(false, H(transportKeyHex), ct);
      assert.is(hex(items.get(0xdf11)!), nodeKcv(this.tmk), "TMK KCV");
      this.tid = r.f(41)!;
      this.mid = r.f(42)!;
    }
    return r;
  }

  /** Sign-in; on 00 decrypts the working keys with node:crypto and checks every KCV (spec §6.2). */
  async signIn(mode: "001" | "003" | "004" = "003"): Promise<Resp> {
    const r = await this.send("0800", { 11: this.nextStan(), 41: this.tid, 42: this.mid, 60: "00" + this.batch + mode, 63: "001" }, { mac: false });
    if (r.code !== "00") return r;
    const f62 = H(r.f(62)!);
    const tmk = this.tmk!;
    if (mode === "001") {
      assert.is(f62.length, 24);
      this.pik = ecb(false, tmk, f62.subarray(0, 8));
      assert.is(hex(f62.subarray(8, 12)), nodeKcv(this.pik), "PIK KCV");
      this.mak = ecb(false, tmk, f62.subarray(12, 20));
      assert.is(hex(f62.subarray(20, 24)), nodeKcv(this.mak), "MAK KCV");
    } else {
      assert.is(f62.length, mode === "003" ? 40 : 60);
      this.pik = ecb(false, tmk, f62.subarray(0, 16));
      assert.is(hex(f62.subarray(16, 20)), nodeKcv(this.pik), "PIK KCV");
      this.mak = ecb(false, tmk, f62.subarray(20, 28));
      assert.is(hex(f62.subarray(28, 36)), "0000000000000000");
      assert.is(hex(f62.subarray(36, 40)), nodeKcv(this.mak), "MAK KCV");
      if (mode === "004") {
        this.tdk = ecb(false, tmk, f62.subarray(40, 56));
        assert.is(hex(f62.subarray(56, 60)), nodeKcv(this.tdk), "TDK KCV");
      }
    }
    this.batch = r.message.f60.batch!;
    return r;
  }

  /** Card fields: track 2 (magstripe, entry mode 021/022) and a PIN block when a PIN is given. */
  cardFields(card: Pick<TestCard, "pan" | "track2" | "expiry">, pin?: string): Fields {
    const f: Fields = { 14: card.expiry, 22: pin ? "021" : "022", 35: card.track2 };
    if (pin) {
      f[26] = "06";
      f[52] = nodePinBlock(this.pik!, pin, card.pan);
      f[53] = "2600000000000000";
    }
    return f;
  }

  /** A financial request of the spec §6 shape. */
  async financial(mti: string, type: string, processingCode: string, fields: Fields, opts: { stan?: string; condition?: string } = {}): Promise<Resp & { stan: string }> {
    const stan = opts.stan ?? this.nextStan();
    const r = await this.send(mti, {
      3: processingCode,
      11: stan,
      25: opts.condition ?? (["10", "11", "20", "21"].includes(type) ? "06" : "00"),
      41: this.tid,
      42: this.mid,
      49: "156",
      60: this.f60(type),
      ...fields,
    });
    return { ...r, stan };
  }

  sale(card: TestCard, amount: number, pin?: string, stan?: string) {
    return this.financial("0200", "22", "000000", { 4: amount, ...this.cardFields(card, pin) }, { stan });
  }
  balance(card: TestCard, pin?: string) {
    return this.financial("0200", "01", "310000", this.cardFields(card, pin));
  }
  voidSale(card: TestCard, orig: { stan: string; rrn: string; amount: number; auth?: string; batch?: string }) {
    return this.financial("0200", "23", "200000", { 4: orig.amount, 35: card.track2, 22: "022", 37: orig.rrn, 38: orig.auth, 61: (orig.batch ?? this.batch) + orig.stan });
  }
  refund(card: TestCard, amount: number, orig: { stan: string; rrn: string; batch: string; date: string }, stan?: string) {
    return this.financial("0220", "25", "200000", { 4: amount, 35: card.track2, 22: "022", 37: orig.rrn, 61: orig.batch + orig.stan + orig.date, 63: "001" }, { stan });
  }
  preAuth(card: TestCard, amount: number, pin?: string) {
    return this.financial("0100", "10", "030000", { 4: amount, ...this.cardFields(card, pin) });
  }
  preAuthCancel(card: TestCard, amount: number, auth: string, date: string) {
    return this.financial("0100", "11", "200000", { 4: amount, 35: card.track2, 22: "022", 38: auth, 61: "000000000000" + date });
  }
  completion(card: TestCard, amount: number, auth: string, date: string) {
    return this.financial("0200", "20", "000000", { 4: amount, 35: card.track2, 22: "022", 38: auth, 61: "000000000000" + date });
  }
  completionVoid(card: TestCard, orig: { stan: string; rrn: string; amount: number }) {
    return this.financial("0200", "21", "200000", { 4: orig.amount, 35: card.track2, 22: "022", 37: orig.rrn, 61: this.batch + orig.stan });
  }
  offlineSale(card: TestCard, amount: number, stan?: string) {
    return this.financial("0220", "30", "000000", { 2: card.pan, 4: amount, 14: card.expiry, 22: "012", 38: "OFF001" }, { stan });
  }
  /** Reversal of a stored original request (same 2, 3, 4, 11, 25, 60 ...), reason in 39. */
  reversal(original: Fields, reason = "98") {
    const f: Fields = {};
    for (const n of [2, 3, 4, 11, 14, 22, 23, 25, 38, 41, 42, 49, 60, 61]) if (original[n] !== undefined) f[n] = original[n];
    f[39] = reason;
    return this.send("0400", f);
  }
  settle(field48: string) {
    return this.send("0500", { 11: this.nextStan(), 41: this.tid, 42: this.mid, 48: field48, 49: "156", 60: this.f60("00", "201"), 63: "001" });
  }
  uploadDetail(d: { stan: string; processingCode: string; amount: number; pan: string; rrn?: string; auth?: string }) {
    return this.send("0320", { 2: d.pan, 3: d.processingCode, 4: d.amount, 11: d.stan, 22: "022", 37: d.rrn, 38: d.auth, 41: this.tid, 42: this.mid, 60: this.f60("00", "201") });
  }
  uploadEnd(count: number, code = "202") {
    return this.send("0320", { 11: this.nextStan(), 41: this.tid, 42: this.mid, 48: String(count).padStart(4, "0"), 60: this.f60("00", code) });
  }

  close(): void {
    this.client.close();
  }
}

function tlvOf(tag: number, v: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag >> 8, tag & 255, v.length]), v]);
}

/** Two-byte-tag, short-length TLV reader (independent of the core's). */
function readTlv(b: Buffer): Map<number, Buffer> {
  const m = new Map<number, Buffer>();
  let p = 0;
  while (p < b.length) {
    const tag = (b[p]! << 8) | b[p + 1]!;
    const len = b[p + 2]!;
    assert.ok(len < 0x80, "short-form length");
    m.set(tag, b.subarray(p + 3, p + 3 + len));
    p += 3 + len;
  }
  return m;
}

/** Field 48 of a 0500 from totals (domestic only unless foreign given). */
export function field48(d: { da: number; dc: number; ca: number; cc: number }, f = { da: 0, dc: 0, ca: 0, cc: 0 }): string {
  const half = (h: typeof d) => String(h.da).padStart(12, "0") + String(h.dc).padStart(3, "0") + String(h.ca).padStart(12, "0") + String(h.cc).padStart(3, "0") + "0";
  return half(d) + half(f);
}

/** Awaits a promise that must reject with an error whose message matches `re`. */
export async function rejects(p: Promise<unknown>, re: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.match(String((e as Error).message ?? e), re);
    return;
  }
  assert.unreachable(`expected a rejection matching ${re}`);
}
