/**
 * The PAN vault (firmware/txn/pan-vault.ts): CTR with the PED's forward cipher checked against node:crypto
 * (AES-128-CTR, and a 3DES ECB keystream), a sealed PAN checked end to end against the key the PED must hold
 * (D_TMK(random seed), recomputed here with OpenSSL), the key kept across sign-out (erase-all) and reboot, a changed
 * key reported as E_PAN_KEY_CHANGED (and a void then asks for the card), the sensitive fields of a stored field
 * map sealed, and journal records of format 1 (clear PAN) migrated.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createCipheriv, createDecipheriv, randomFillSync } from "node:crypto";
import { SimFlash } from "../../../boards/sim/devices/flash.ts";
import { CuttingFlash } from "./node-terminal.ts";
import { SIM_TRANSPORT_KEY_HEX } from "../../../boards/sim/devices/ped.ts";
import { FlashLog } from "../../../firmware/store/flash-log.ts";
import { PinPad } from "../../../hal/ped/pinpad.ts";
import { SoftPed } from "../../ontarget/txn-peers.ts";
import { KEY_PAN_VAULT, PAN_KEY_SLOT, PanVault, ctrApply, maskedPan } from "../../../firmware/txn/pan-vault.ts";
import { Journal, blankRecord, decodeRecord } from "../../../firmware/txn/journal.ts";
import { ReversalStore } from "../../../firmware/txn/reversal.ts";
import { RecordReader, RecordWriter } from "../../../firmware/txn/record-codec.ts";
import { KEY_JOURNAL_BASE, KEY_REVERSAL } from "../../../firmware/terminal/storage.ts";
import { buildSale } from "../../../firmware/cup/messages.ts";
import { H, hex } from "../../support.ts";

const TMK = H("0123456789ABCDEFFEDCBA9876543210");
const PAN = "6214837391562808900";

function rig(o: { ped?: SoftPed; flash?: SimFlash; algorithms?: Array<"aes" | "3des"> } = {}) {
  const ped = o.ped ?? new SoftPed(H(SIM_TRANSPORT_KEY_HEX), (fn) => void setTimeout(fn, 0));
  if (!o.ped) ped.inject(1, "tmk", "3des", hex(TMK));
  const flash = o.flash ?? new SimFlash(4096, 16);
  const store = new FlashLog(new CuttingFlash(flash) as unknown as Natives.Flash, 0, 8);
  const timers = { set: () => 0, repeat: () => 0, clear: () => undefined } as unknown as Natives.Timers;
  const pinpad = new PinPad(ped, timers);
  const seeds: Uint8Array[] = [];
  const random = (b: Uint8Array) => {
    randomFillSync(b);
    if (b.length === 16) seeds.push(b.slice());
  };
  const vault = new PanVault(store, pinpad, random, o.algorithms ? { algorithms: o.algorithms } : {});
  return { ped, flash, store, pinpad, vault, seeds };
}

/** The key the PED derived: D_TMK(seed), 3DES ECB (OpenSSL). */
function derived(seed: Uint8Array): Buffer {
  const d = createDecipheriv("des-ede-ecb", Buffer.from(TMK), null).setAutoPadding(false);
  return Buffer.concat([d.update(seed), d.final()]);
}

test("CTR over the forward cipher = node:crypto aes-128-ctr (IV nonce || 0^8), and a manual 3DES ECB keystream", () => {
  for (const n of [0, 1, 15, 16, 17, 100, 255]) {
    const key = randomFillSync(Buffer.alloc(16));
    const nonce = randomFillSync(new Uint8Array(8));
    const data = randomFillSync(new Uint8Array(n));
    const ecb = (b: Uint8Array) => {
      const c = createCipheriv("aes-128-ecb", key, null).setAutoPadding(false);
      return new Uint8Array(Buffer.concat([c.update(b), c.final()]));
    };
    const got = ctrApply(ecb, 16, nonce, data.slice());
    const ref = createCipheriv("aes-128-ctr", key, Buffer.concat([Buffer.from(nonce), Buffer.alloc(8)]));
    assert.is(hex(got), hex(new Uint8Array(Buffer.concat([ref.update(data), ref.final()]))), `AES-CTR, ${n} bytes`);
    assert.is(hex(ctrApply(ecb, 16, nonce, got.slice())), hex(data), "the same call decrypts");
    // 3DES (8-byte blocks): counter block = nonce[0..6] || i (16 bits); keystream by OpenSSL ECB.
    const k3 = randomFillSync(Buffer.alloc(16));
    const ecb3 = (b: Uint8Array) => {
      const c = createCipheriv("des-ede-ecb", k3, null).setAutoPadding(false);
      return new Uint8Array(Buffer.concat([c.update(b), c.final()]));
    };
    const blocks = Math.ceil(n / 8);
    const ctr = Buffer.alloc(blocks * 8);
    for (let i = 0; i < blocks; i++) {
      Buffer.from(nonce.subarray(0, 6)).copy(ctr, i * 8);
      ctr.writeUInt16BE(i, i * 8 + 6);
    }
    const ks = ecb3(ctr);
    const want = data.map((v, i) => v ^ ks[i]!);
    assert.is(hex(ctrApply(ecb3, 8, nonce, data.slice())), hex(want), `3DES-CTR, ${n} bytes`);
  }
});

test("a sealed PAN: AES-128-CTR under D_TMK(random seed) (the key only the PED holds), masked PAN first 6 / last 4", () => {
  const r = rig();
  const blob = r.vault.sealPan(PAN);
  assert.is(blob.length, 3 + 8 + 11, "tag 3 + nonce 8 + (count + 10 BCD bytes)");
  assert.is(r.seeds.length, 1, "one random seed made the key");
  const dek = derived(r.seeds[0]!);
  const kcv = createCipheriv("aes-128-ecb", dek, null).setAutoPadding(false).update(Buffer.alloc(16));
  assert.is(hex(blob.subarray(0, 3)), hex(new Uint8Array(kcv.subarray(0, 3))), "tag = KCV of D_TMK(seed) as AES-128");
  const dec = createCipheriv("aes-128-ctr", dek, Buffer.concat([Buffer.from(blob.subarray(3, 11)), Buffer.alloc(8)]));
  const plain = Buffer.concat([dec.update(blob.subarray(11)), dec.final()]);
  assert.is(plain.toString("hex").toUpperCase(), "13" + PAN + "F", "count 19, BCD digits, F pad");
  assert.is(Buffer.from(blob).indexOf(Buffer.from(PAN)), -1);
  assert.is(r.vault.openPan(blob), PAN);
  assert.is.not(hex(r.vault.sealPan(PAN)), hex(blob), "a fresh nonce each time");
  assert.is(maskedPan(PAN), "621483*********8900");
  // The key record in the store: slot, algorithm, 4-byte KCV.
  const meta = new RecordReader(r.store.get(KEY_PAN_VAULT)!);
  assert.equal([meta.u8(), meta.u8(), meta.str(), hex(meta.bytes())], [1, PAN_KEY_SLOT, "aes", hex(new Uint8Array(kcv.subarray(0, 4)))]);
  // A PED without AES: 3DES (8-byte blocks).
  const r3 = rig({ algorithms: ["3des"] });
  const b3 = r3.vault.sealPan("6228480402564890018");
  assert.is(r3.vault.openPan(b3), "6228480402564890018");
  assert.is(r3.vault.current!.algorithm, "3des");
});

test("the storage key survives sign-out (erase of every working key) and a reboot; a changed key -> E_PAN_KEY_CHANGED", () => {
  const r = rig();
  const blob = r.vault.sealPan(PAN);
  const kcv = hex(r.pinpad.kcv(PAN_KEY_SLOT));
  r.pinpad.erase(); // sign-out / key reset: PIK, MAK, TDK go
  assert.ok(r.ped.hasKey(PAN_KEY_SLOT) && r.ped.hasKey(1), "DEK and TMK kept");
  const again = new PanVault(new FlashLog(new CuttingFlash(r.flash) as unknown as Natives.Flash, 0, 8), r.pinpad, (b) => void randomFillSync(b));
  assert.is(again.status(), "ok", "after a reboot: the recorded KCV matches the PED's key");
  assert.is(again.openPan(blob), PAN);
  assert.is(hex(again.current!.kcv), kcv);
  // The PED lost its key (tamper wipe): the old blob is unreadable, typed; a new key seals the next ones.
  r.pinpad.erase(PAN_KEY_SLOT);
  const after = new PanVault(new FlashLog(new CuttingFlash(r.flash) as unknown as Natives.Flash, 0, 8), r.pinpad, (b) => void randomFillSync(b));
  assert.is(after.status(), "changed");
  assert.throws(() => after.openPan(blob), (e: { code?: string }) => e.code === "E_PAN_KEY_CHANGED");
  const fresh = after.sealPan(PAN);
  assert.is(after.openPan(fresh), PAN);
  assert.throws(() => after.openPan(blob), (e: { code?: string }) => e.code === "E_PAN_KEY_CHANGED", "still unreadable");
  assert.is.not(hex(after.current!.kcv), kcv, "a new key, a new check value");
  // No TMK: no key can be made.
  const bare = rig({ ped: new SoftPed(H(SIM_TRANSPORT_KEY_HEX), (fn) => void setTimeout(fn, 0)) });
  assert.throws(() => bare.vault.sealPan(PAN), (e: { code?: string }) => e.code === "E_PAN_KEY_MISSING");
});

test("journal: the record rests masked + sealed, revealPan opens it; a changed key -> E_PAN_KEY_CHANGED, nothing crashes", () => {
  const r = rig();
  const j = new Journal(r.store, 10, r.vault);
  const rec = j.create("sale");
  rec.stan = 7;
  rec.batch = 1;
  rec.pan = PAN;
  j.save(rec);
  assert.is(rec.pan, "621483*********8900", "the record in RAM is masked after the commit");
  const bytes = r.store.get(KEY_JOURNAL_BASE + rec.slot)!;
  assert.is(Buffer.from(bytes).indexOf(Buffer.from(PAN)), -1);
  assert.is(Buffer.from(bytes).indexOf(Buffer.from(PAN.substring(6, 15))), -1, "no middle digits");
  const back = j.get(rec.slot)!;
  assert.is(back.pan, "621483*********8900");
  assert.is(j.revealPan(back), PAN);
  r.pinpad.erase(PAN_KEY_SLOT);
  const j2 = new Journal(new FlashLog(new CuttingFlash(r.flash) as unknown as Natives.Flash, 0, 8), 10, new PanVault(new FlashLog(new CuttingFlash(r.flash) as unknown as Natives.Flash, 0, 8), r.pinpad, (b) => void randomFillSync(b)));
  const again = j2.get(rec.slot)!;
  assert.is(again.pan, "621483*********8900", "the masked PAN stays readable (slips, reports)");
  assert.throws(() => j2.revealPan(again), (e: { code?: string }) => e.code === "E_PAN_KEY_CHANGED");
  // Without a vault the PAN is kept truncated only.
  const j3 = new Journal(new FlashLog(new CuttingFlash(new SimFlash(4096, 16)) as unknown as Natives.Flash, 0, 8), 10);
  const t = j3.create("sale");
  t.pan = PAN;
  j3.save(t);
  assert.throws(() => j3.revealPan(j3.get(t.slot)!), (e: { code?: string }) => e.code === "E_PAN_NOT_STORED");
});

test("format 1 records (clear PAN) are migrated when the journal opens with a vault; the reversal's card fields sealed", () => {
  const r = rig();
  // A record as the format-1 firmware wrote it (clear PAN after the fixed head).
  const w = new RecordWriter(128).u8(1).u8(1).u8(1).u8(0).u32(5).u24(42).u24(1).u48(12345).u8(0).u48(Date.UTC(2026, 0, 1)).u24(0).u24(0);
  w.str(PAN);
  for (let i = 0; i < 15; i++) w.str(i === 0 ? "2812" : "");
  r.store.put(KEY_JOURNAL_BASE + 3, w.finish());
  assert.is(decodeRecord(r.store.get(KEY_JOURNAL_BASE + 3)!, 3).pan, PAN, "format 1 still reads");
  const j = new Journal(r.store, 10, r.vault);
  const b = r.store.get(KEY_JOURNAL_BASE + 3)!;
  assert.is(b[0], 2, "rewritten as format 2");
  assert.is(Buffer.from(b).indexOf(Buffer.from(PAN)), -1);
  const rec = j.get(3)!;
  assert.equal([rec.stan, rec.amount, rec.expiry, rec.pan], [42, 12345, "2812", "621483*********8900"]);
  assert.is(j.revealPan(rec), PAN);

  // The pending reversal: fields 2, 14, 35, 55 sealed in flash and out of RAM; the 0400 gets them back.
  const req = buildSale({ terminalId: "10000001", merchantId: "898100012345678", stan: 9, batch: 1 }, { amount: 100, card: { entryMode: "swipe", pan: PAN, track2: `${PAN}=28121010000000000`, expiry: "2812" } });
  const rs = new ReversalStore(r.store, r.vault);
  const { change, reversal } = rs.recordChange(req, 4, PAN);
  r.store.commit([change]);
  rs.recorded(reversal);
  const stored = r.store.get(KEY_REVERSAL)!;
  assert.is(Buffer.from(stored).indexOf(Buffer.from(PAN)), -1);
  assert.is(Buffer.from(stored).indexOf(Buffer.from(PAN.substring(6, 15))), -1);
  assert.is(rs.pending!.fields[2], undefined, "no clear PAN held in RAM while the reversal waits");
  const rs2 = new ReversalStore(new FlashLog(new CuttingFlash(r.flash) as unknown as Natives.Flash, 0, 8), r.vault);
  rs2.update("98", 1);
  const out = rs2.request();
  assert.is(out.fields[2], PAN);
  assert.is(out.fields[35], undefined, "a reversal carries no track data (REVERSAL_COPY)");
  assert.is(out.fields[11], "000009");
  // A changed key: the 0400 still goes, without the card fields, and says so.
  r.pinpad.erase(PAN_KEY_SLOT);
  const rs3 = new ReversalStore(new FlashLog(new CuttingFlash(r.flash) as unknown as Natives.Flash, 0, 8), new PanVault(new FlashLog(new CuttingFlash(r.flash) as unknown as Natives.Flash, 0, 8), r.pinpad, (b) => void randomFillSync(b)));
  const lost = rs3.request();
  assert.is(lost.fields[2], undefined);
  assert.is(lost.fields[11], "000009");
  assert.is(rs3.pending!.lost, "E_PAN_KEY_CHANGED");
});

test.run();
