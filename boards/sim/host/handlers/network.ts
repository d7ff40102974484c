/**
 * Network management (0800/0810, 0820/0830): activation (60.3 360, docs/cup-profile.md), sign-in 001/003/004
 * (spec/cup-8583.md §6.2: fresh random PIK/MAK/TDK, encrypted under the TMK, with KCVs), sign-out 002, echo 301.
 */
import { TlvWriter, parseTlv } from "../../../../firmware/core/tlv.ts";
import { joinSubfields, FIELD60_LAYOUT } from "../../../../firmware/cup/fields.ts";
import { bytesToAscii, bytesToHex } from "../../../../firmware/core/bytes.ts";
import type { Fields } from "../codec.ts";
import { checkValue, randomKey, unhex, wrapKey } from "../keys.ts";
import type { Answer, HostState, Request } from "../state.ts";
import type { SignInMode } from "../terminals.ts";

function base(req: Request, code: string): Fields {
  return { 11: req.f(11), 12: req.time, 13: req.date, 39: code, 41: req.f(41), 42: req.f(42), 60: req.f(60) };
}

// ---- activation ---------------------------------------------------------------------------------

export function activation(s: HostState, req: Request): Answer {
  const fields = base(req, "00");
  const decline = (code: string, note: string): Answer => ({ mti: "0810", fields: { ...fields, 39: code }, note });
  if (req.scripted) return decline(req.scripted, "scripted answer");
  const f62 = req.m.fields.get(62);
  let serial: string | undefined;
  let code: string | undefined;
  let firmware: string | undefined;
  try {
    const tlv = parseTlv(unhex(f62 ?? ""));
    const v = (tag: number) => {
      const b = tlv.get(tag);
      return b ? bytesToAscii(b) : undefined;
    };
    serial = v(0xdf01);
    code = v(0xdf02);
    firmware = v(0xdf03);
  } catch {
    return decline("30", "field 62 is not BER-TLV");
  }
  if (!serial || !code) return decline("30", "activation needs DF01 serial number and DF02 code in field 62");
  if (s.config.maintenance) return decline("90", "host in maintenance");
  const dev = s.terminals.device(serial);
  if (!dev) return decline("97", `serial number ${serial} not registered`);
  if (dev.state === "revoked") return decline("A2", `${serial}: activation revoked`);
  if (dev.state === "merchant-not-qualified") return decline("A3", `${serial}: merchant ${dev.merchantId} not qualified`);
  if (dev.state === "maintenance") return decline("90", `${serial}: record in maintenance`);
  if (code !== dev.activationCode) {
    const owner = s.terminals.deviceByCode(code);
    if (owner && owner.serial !== serial && owner.state === "active") return decline("A4", `code belongs to active device ${owner.serial}`);
    return decline("A1", "wrong activation code");
  }
  const tmk = dev.tmkHex && !s.config.randomTmk ? unhex(dev.tmkHex) : randomKey(16, s.random);
  const t = s.terminals.activate(dev, tmk, req.now);
  const transport = unhex(dev.transportKeyHex);
  const w = new TlvWriter(128);
  w.put(0xdf10, wrapKey(transport, tmk));
  w.put(0xdf11, checkValue(tmk));
  w.put(0xdf12, new Uint8Array(Buffer.from(t.merchantName, "utf8")));
  if (s.config.advertisedAddress) w.putAscii(0xdf13, s.config.advertisedAddress);
  return {
    mti: "0810",
    fields: { ...fields, 41: t.terminalId, 42: t.merchantId, 62: bytesToHex(w.bytes()) },
    note: `activated ${serial} as terminal ${t.terminalId} merchant ${t.merchantId}${firmware ? ` (firmware ${firmware})` : ""}`,
  };
}

// ---- sign-in ------------------------------------------------------------------------------------

/**
 * Field 62 of a sign-in answer (spec §6.2), as hex: 001 = PIK ct 8 + KCV 4 + MAK ct 8 + KCV 4; 003 = PIK ct 16 +
 * KCV 4 + MAK ct 8 + 00×8 + KCV 4; 004 = 003 + TDK ct 16 + KCV 4. ct = ECB under the TMK, KCV = E_key(00×8)[0..4).
 */
export function signInKeyField(tmk: Uint8Array, mode: SignInMode, pik: Uint8Array, mak: Uint8Array, tdk?: Uint8Array): string {
  const parts: Uint8Array[] = [wrapKey(tmk, pik), checkValue(pik), wrapKey(tmk, mak)];
  if (mode !== "001") parts.push(new Uint8Array(8));
  parts.push(checkValue(mak));
  if (mode === "004") {
    if (!tdk) throw new Error("E_HOST_KEY: sign-in 004 needs a TDK");
    parts.push(wrapKey(tmk, tdk), checkValue(tdk));
  }
  return parts.map((p) => bytesToHex(p)).join("");
}

export function signIn(s: HostState, req: Request, mode: SignInMode): Answer {
  const t = s.terminals.get(req.f(41) ?? "");
  const fields: Fields = { ...base(req, "00"), 32: s.config.acquirerId, 37: s.ledger.newRrn(req.time) };
  const decline = (code: string, note: string): Answer => ({ mti: "0810", fields: { ...fields, 39: code }, note });
  if (!t) return decline("97", `terminal ${req.f(41)} not registered`);
  if (t.merchantId !== req.f(42)) return decline("03", `merchant ${req.f(42)} is not the terminal's (${t.merchantId})`);
  if (!s.terminals.usable(t)) return decline("97", "device not active");
  if (req.scripted) return decline(req.scripted, "scripted answer");
  const single = mode === "001";
  const pik = randomKey(single ? 8 : 16, s.random);
  const mak = randomKey(8, s.random);
  const tdk = mode === "004" ? randomKey(16, s.random) : undefined;
  t.keys = { mode, pik, mak, tdk, signedInAt: req.now };
  const f62 = signInKeyField(t.tmk, mode, pik, mak, tdk);
  const f60 = joinSubfields(60, FIELD60_LAYOUT, { type: "00", batch: t.openBatch, network: mode });
  return { mti: "0810", fields: { ...fields, 60: f60, 62: f62 }, note: `sign-in ${mode}: new working keys, batch ${t.openBatch}` };
}

// ---- sign-out, echo -------------------------------------------------------------------------------

export function signOutOrEcho(s: HostState, req: Request, network: string): Answer {
  const fields = base(req, "00");
  const t = s.terminals.get(req.f(41) ?? "");
  if (!t) return { mti: "0830", fields: { ...fields, 39: "97" }, note: "terminal not registered" };
  if (t.merchantId !== req.f(42)) return { mti: "0830", fields: { ...fields, 39: "03" }, note: "merchant mismatch" };
  if (req.scripted) return { mti: "0830", fields: { ...fields, 39: req.scripted }, note: "scripted answer" };
  if (network === "002") {
    t.keys = undefined;
    return { mti: "0830", fields, note: "signed out: working keys dropped" };
  }
  return { mti: "0830", fields, note: "echo" };
}
