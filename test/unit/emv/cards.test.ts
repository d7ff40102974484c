/**
 * The EMV test cards of the catalog: images consistent with themselves (Luhn, track 1 = track 2 = tag 57,
 * PAN = 5A, expiry), records a READ RECORD can carry, ICC master keys derived from the simulator issuer's
 * IMKs, and real cryptograms: a card's ARQC verifies at the issuer, a tampered input does not.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ALL_CARDS, EMV_TEST_CARDS } from "../../../boards/sim/devices/cards/catalog.ts";
import { VirtualCard, findTag } from "../../../boards/sim/devices/cards/virtual-card.ts";
import { unhex } from "../../../boards/sim/devices/cards/image.ts";
import { cardKeys, EmvIssuer } from "../../../boards/sim/issuer/issuer.ts";
import { H, hex } from "../../../boards/sim/issuer/crypto.ts";
import { encode } from "../../../boards/sim/issuer/tlv.ts";
import { parseTrack2, parseTrack2Bytes } from "../../../firmware/core/track2.ts";
import { luhnValid } from "../../../firmware/core/luhn.ts";
import { parseTrack1 } from "../../../hal/card/magstripe.ts";

const all = { ...ALL_CARDS, ...EMV_TEST_CARDS };

test("every card: Luhn PAN, tracks agree, chip data mirrors the stripe, records fit a READ RECORD", () => {
  for (const [name, img] of Object.entries(all)) {
    const t2 = parseTrack2(img.tracks!.track2!);
    assert.ok(luhnValid(t2.pan), name);
    assert.is(parseTrack1(img.tracks!.track1!).pan, t2.pan, name);
    for (const app of img.applications) {
      const recs = Object.values(app.records).map(unhex);
      for (const r of recs) assert.ok(r.length <= 256, `${name} record of ${r.length} bytes`);
      const chip = parseTrack2Bytes(recs.map((r) => findTag(r, 0x57)).find(Boolean)!);
      assert.is(chip.pan, t2.pan, name);
      const pan5a = recs.map((r) => findTag(r, 0x5a)).find(Boolean);
      if (pan5a) assert.is(hex(pan5a).replace(/F$/, ""), t2.pan, name);
      const exp = recs.map((r) => findTag(r, 0x5f24)).find(Boolean);
      if (exp) assert.is(hex(exp).slice(0, 4), t2.expiry, name);
    }
  }
});

test("personalised applications carry the option-A master keys of their PAN and PAN sequence number", () => {
  for (const [name, img] of Object.entries(all)) {
    for (const app of img.applications) {
      if (!app.crypto) continue;
      const recs = Object.values(app.records).map(unhex);
      const pan = hex(recs.map((r) => findTag(r, 0x5a)).find(Boolean)!).replace(/F$/, "");
      const psn = hex(recs.map((r) => findTag(r, 0x5f34)).find(Boolean)!);
      const k = cardKeys(pan, psn);
      assert.equal([app.crypto.mkAc, app.crypto.mkSmi, app.crypto.mkSmc], [hex(k.mkAc), hex(k.mkSmi), hex(k.mkSmc)], name);
    }
  }
});

test("a card's first GENERATE AC (ARQC) verifies at the issuer from field-55 style data; a changed amount does not", () => {
  const card = new VirtualCard(EMV_TEST_CARDS.unionpayExpired!);
  card.process(0, 0xa4, 4, 0, H("A000000333010101"), "contact");
  assert.is(card.process(0x80, 0xa8, 0, 0, H("8309" + "01000000002000" + "0156"), "contact").sw, 0x9000);
  const cdol = "000000002000" + "000000000000" + "0156" + "0000008000" + "0156" + "261122" + "00" + "CAFEBABE" + "000000" + "00".repeat(20);
  const r = card.process(0x80, 0xae, 0x80, 0, H(cdol), "contact");
  assert.is(r.sw, 0x9000);
  const f = (tag: number) => findTag(r.data, tag)!;
  const f55 = (amount: string) =>
    Uint8Array.from(Buffer.concat([encode(0x9f26, f(0x9f26)), encode(0x9f27, f(0x9f27)), encode(0x9f10, f(0x9f10)), encode(0x9f36, f(0x9f36)), encode(0x9f02, H(amount)), encode(0x9f03, H("000000000000")), encode(0x9f1a, H("0156")), encode(0x95, H("0000008000")), encode(0x5f2a, H("0156")), encode(0x9a, H("261122")), encode(0x9c, H("00")), encode(0x9f37, H("CAFEBABE")), encode(0x82, H("7C00"))]));
  const issuer = new EmvIssuer();
  const pan = "6214830000000010022";
  assert.ok(issuer.verifyCryptogram(pan, f55("000000002000"), "01").valid);
  assert.not.ok(issuer.verifyCryptogram(pan, f55("000000002001"), "01").valid);
  assert.is(hex(f(0x9f27)), "80");
});

test.run();
