/**
 * The PIN pad in the embedded engine against the simulator's PED: keys loaded by ciphertext and KCV,
 * MACs and encryption equal to the published vectors, the core and node:crypto, PIN blocks that
 * decrypt (node:crypto 3DES) to the ISO 9564 format-0 blocks of spec/vectors.md.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createCipheriv, createDecipheriv } from "node:crypto";
import { runEntry, results } from "./harness.ts";
import { SimPed, SIM_TRANSPORT_KEY_HEX } from "../../boards/sim/devices/ped.ts";
import { SimKeypad } from "../../boards/sim/devices/ui.ts";
import { computeMac } from "../../firmware/core/mac.ts";
import { TMK, PIK, MAK_DES, MAK_X919, TDK, PAN, SLOT } from "./fixtures/ped-vectors.ts";

/** Clear keys (the engine only ever sees the ciphertexts in ped-vectors.ts). */
const CLEAR = {
  tmk: "A1B2C3D4E5F60718293A4B5C6D7E8F90",
  pik: "1C2D3E4F5A6B7C8D9EAFB0C1D2E3F405",
  makDes: "5CBE7E38A146FD5C",
  makX919: "41414141414141414242424242424242",
  tdk: "0123456789ABCDEFFEDCBA9876543210",
};

const H = (s: string) => Buffer.from(s, "hex");
/** 2-key 3DES (single DES as K||K: OpenSSL 3 has no plain DES by default). */
function tdes(mode: "ecb" | "cbc", dir: "enc" | "dec", keyHex: string, data: Buffer, iv?: Buffer): string {
  let k = H(keyHex);
  if (k.length === 8) k = Buffer.concat([k, k]);
  const name = mode === "ecb" ? "des-ede-ecb" : "des-ede-cbc";
  const c = dir === "enc" ? createCipheriv(name, k, mode === "ecb" ? null : iv!) : createDecipheriv(name, k, mode === "ecb" ? null : iv!);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]).toString("hex").toUpperCase();
}
/** ISO 9564 format 0, written here from the standard (not the core's code). */
function iso0(pin: string, pan: string): string {
  const pinField = ("0" + pin.length.toString(16) + pin).padEnd(16, "F");
  const panField = "0000" + pan.slice(-13, -1);
  let out = "";
  for (let i = 0; i < 16; i++) out += (parseInt(pinField[i]!, 16) ^ parseInt(panField[i]!, 16)).toString(16);
  return out.toUpperCase();
}


let run: Awaited<ReturnType<typeof runEntry>>;
let ped: SimPed;
let r: Record<string, any>;

test.before(async () => {
  ped = new SimPed();
  const keypad = new SimKeypad({ ped });
  run = await runEntry("test/engine/fixtures/ped-entry.ts", {
    extras: [ped, keypad],
    onLog: (_l, m) => {
      if (m === "STEP pin-ok") ped.type("1234");
      else if (m === "STEP pin-keypad") keypad.press("5", "6", "7", "8", "enter");
      else if (m === "STEP pin-cancel") ["1", "2", "cancel"].forEach((k) => ped.press(k));
      else if (m === "STEP pin-bypass") ped.press("enter");
      else if (m === "STEP pin-no-bypass") ped.press("enter");
      else if (m === "STEP pin-clear") ["1", "2", "enter", "clear", "9", "8", "7", "6", "5", "enter"].forEach((k) => ped.press(k));
      else if (m === "STEP pin-max") ped.type("1234567890123");
    },
  });
  r = results(run.logs);
});

test("the entry ran to its end", () => {
  assert.is(run.status, "exit", run.error + "\n" + run.logs.join("\n"));
  assert.is(run.exitCode, 0, run.logs.join("\n"));
  assert.ok(run.logs.includes("done"));
});

test("the fixture's ciphertexts and KCVs are the clear keys under the transport key / TMK (node:crypto)", () => {
  assert.is(tdes("ecb", "enc", SIM_TRANSPORT_KEY_HEX, H(CLEAR.tmk)), TMK.cipher);
  for (const [name, v] of [["pik", PIK], ["makDes", MAK_DES], ["makX919", MAK_X919], ["tdk", TDK]] as const) {
    assert.is(tdes("ecb", "enc", CLEAR.tmk, H(CLEAR[name])), v.cipher, name);
    assert.is(tdes("ecb", "enc", CLEAR[name], Buffer.alloc(8)).slice(0, 8), v.kcv, name);
  }
  assert.is(TDK.kcv.slice(0, 6), "08D7B4"); // spec/vectors.md
});

test("TMK and working keys load; the PED returns their 4-byte KCVs", () => {
  assert.is(r.tmk, TMK.kcv);
  assert.is(r.pik, PIK.kcv);
  assert.is(r.makDes, MAK_DES.kcv);
  assert.is(r.makX919, MAK_X919.kcv);
  assert.is(r.tdk, TDK.kcv);
  assert.is(r.kcvOfTdk, TDK.kcv);
  assert.equal(ped.keyInfo(SLOT.tmk), { usage: "tmk", algorithm: "3des", kcv: TMK.kcv });
});

test("a wrong KCV is refused with E_KCV_MISMATCH and nothing is installed", () => {
  assert.is(r.badKcv, "E_KCV_MISMATCH");
  assert.is(r.badKcvInstalled, false);
  // Refused inside the PED itself (not only by the driver's own check afterwards).
  assert.equal(ped.calls.filter((c) => c.slot === SLOT.badKcv).map((c) => [c.op, c.ok, c.code]), [["loadKey", false, "E_KCV_MISMATCH"], ["hasKey", true, undefined]]);
  assert.is(ped.keyInfo(SLOT.badKcv), undefined);
  assert.is(r.badTmkKcv, "E_KCV_MISMATCH");
  assert.is(ped.keyInfo(SLOT.emptyTmk), undefined);
});

test("key errors: missing wrapping TMK, wrong key length, slot out of range, KCV of an empty slot", () => {
  assert.is(r.underEmptySlot, "E_KEY_MISSING");
  assert.is(r.wrongLength, "E_KEY_LENGTH");
  assert.is(r.badSlot, "E_KEY_SLOT");
  assert.is(r.kcvMissing, "E_KEY_MISSING");
});

test("MACs computed in the PED equal the published vectors and the core's computation", () => {
  // spec/vectors.md CUP ECB MAC seed: MAK 5CBE7E38A146FD5C, data 010203 -> "F11F2C27" as ASCII.
  assert.is(r.macCup, "4631314632433237");
  assert.is(r.macCup, Buffer.from(computeMac("cup-ecb", H(CLEAR.makDes), H("010203"))).toString("hex").toUpperCase());
  const body = Uint8Array.from({ length: 96 }, (_, i) => (i * 7 + 3) & 0xff);
  assert.is(r.macCupBody, Buffer.from(computeMac("cup-ecb", H(CLEAR.makDes), body)).toString("hex").toUpperCase());
  // spec/vectors.md ANSI X9.19 "hello world", pad 1.
  assert.is(r.macX919, "3DDE5C5511661CBF");
  assert.is(r.macWithPik, "E_KEY_USAGE");
});

test("data encryption in the PED: published TDES vector, CBC equal to node:crypto, odd length refused", () => {
  assert.is(r.encEcb, "41D2FFBA3CDC15FE");
  const body = Buffer.from(Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + 3) & 0xff));
  assert.is(r.encCbc, tdes("cbc", "enc", CLEAR.tdk, body, H("0102030405060708")));
  assert.is(r.encOdd, "E_BLOCK_LENGTH");
});

test("PIN 1234: the engine got only digit counts, and the block decrypts to ISO format 0 041261AAAAEDCBA9", () => {
  const p = r["pin-ok"];
  assert.is(p.status, "ok");
  assert.equal(p.counts, [1, 2, 3, 4]);
  assert.is(tdes("ecb", "dec", CLEAR.pik, H(p.pinBlock)), "041261AAAAEDCBA9");
  assert.is(iso0("1234", PAN), "041261AAAAEDCBA9");
});

test("keys pressed on the terminal keypad during PIN entry go to the PED", () => {
  const p = r["pin-keypad"];
  assert.is(p.status, "ok");
  assert.is(tdes("ecb", "dec", CLEAR.pik, H(p.pinBlock)), iso0("5678", PAN));
});

test("CANCEL -> E_PIN_CANCELLED; no key -> E_PIN_TIMEOUT at the PED's timeout", () => {
  assert.is(r["pin-cancel"].error, "E_PIN_CANCELLED");
  assert.equal(r["pin-cancel"].counts, [1, 2]);
  const t = r["pin-timeout"];
  assert.is(t.error, "E_PIN_TIMEOUT");
  assert.ok(t.elapsed >= 15000 && t.elapsed <= 16100, String(t.elapsed));
  assert.is(r["pin-no-bypass"].error, "E_PIN_TIMEOUT");
});

test("ENTER with no digits: bypass when allowed (no block)", () => {
  assert.equal(r["pin-bypass"].status, "bypass");
  assert.is(r["pin-bypass"].pinBlock, null);
});

test("too short ENTER is ignored, CLEAR restarts, max length caps the digits (12: 0C1261032D8226A9)", () => {
  const c = r["pin-clear"];
  assert.equal(c.counts, [1, 2, 0, 1, 2, 3, 4, 5]);
  assert.is(tdes("ecb", "dec", CLEAR.pik, H(c.pinBlock)), iso0("98765", PAN));
  const m = r["pin-max"];
  assert.equal(m.counts, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  assert.is(tdes("ecb", "dec", CLEAR.pik, H(m.pinBlock)), "0C1261032D8226A9");
});

test("one entry at a time; the app can cancel; bad PAN, lengths and key usage refused", () => {
  assert.is(r.busy, "E_PED_BUSY");
  assert.is(r["cancelled-by-app"], "E_PIN_CANCELLED");
  assert.is(r.badPan, "E_PAN");
  assert.is(r.badLengths, "E_PIN_OPTIONS");
  assert.is(r.pinWithMak, "E_KEY_USAGE");
  assert.equal(ped.entries.map((e) => e.status), ["ok", "ok", "cancel", "timeout", "bypass", "timeout", "ok", "ok", "cancel"]);
});

test("erasing the working keys keeps the TMK", () => {
  assert.equal(r.afterErase, { tmk: true, pik: false, mak: false, tdk: false });
});

test.run();
