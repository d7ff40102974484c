/**
 * The simulator's cards: images consistent with themselves (Luhn, track 2 = tag 57, PAN = 5A, expiry),
 * checked with the core's parsers; the virtual card's command handling and both transports in isolation.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ALL_CARDS, unionpayDebit, unionpayCredit } from "../../boards/sim/devices/cards/catalog.ts";
import { VirtualCard, T0Transport, apduExchange, findTag } from "../../boards/sim/devices/cards/virtual-card.ts";
import { unhex } from "../../boards/sim/devices/cards/image.ts";
import { parseTrack2, parseTrack2Bytes } from "../../firmware/core/track2.ts";
import { luhnValid } from "../../firmware/core/luhn.ts";
import { parseTrack1, parseSwipe } from "../../hal/card/magstripe.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex").toUpperCase();
const H = (s: string) => unhex(s);
const sw = (r: Uint8Array) => hex(r.subarray(r.length - 2));

test("every image: Luhn-valid PAN, track 1 and track 2 agree, chip data mirrors the stripe", () => {
  for (const [name, img] of Object.entries(ALL_CARDS)) {
    const t2 = parseTrack2(img.tracks!.track2!);
    assert.ok(luhnValid(t2.pan), name);
    const t1 = parseTrack1(img.tracks!.track1!);
    assert.is(t1.pan, t2.pan, name);
    assert.is(t1.expiry, t2.expiry, name);
    assert.is(t1.serviceCode, t2.serviceCode, name);
    for (const app of img.applications) {
      const all = Object.values(app.records).map(H);
      const t57 = all.map((r) => findTag(r, 0x57)).find(Boolean)!;
      const chip = parseTrack2Bytes(t57);
      assert.is(chip.pan, t2.pan, name);
      assert.is(chip.serviceCode, t2.serviceCode, name);
      const pan5a = all.map((r) => findTag(r, 0x5a)).find(Boolean);
      if (pan5a) assert.is(hex(pan5a).replace(/F$/, ""), t2.pan, name);
      const exp = all.map((r) => findTag(r, 0x5f24)).find(Boolean);
      if (exp) assert.is(hex(exp).slice(0, 4), t2.expiry, name);
    }
  }
  assert.is(parseTrack2(ALL_CARDS.magstripeOnly!.tracks!.track2!).serviceCode, "120");
  assert.is(parseTrack2(ALL_CARDS.chipStripe2xx!.tracks!.track2!).serviceCode, "201");
});

test("swipe parsing: track 1 name, chip flag, fallback to track 1, nothing readable", () => {
  const c = parseSwipe({ track1: unionpayDebit.tracks!.track1, track2: unionpayDebit.tracks!.track2, errors: 0 });
  assert.is(c.name, "ZHANG/SAN");
  assert.is(c.chipCapable, true);
  const f = parseSwipe({ track1: unionpayCredit.tracks!.track1, track2: "garbage", errors: 2 });
  assert.is(f.source, "track1");
  assert.is(f.serviceCode, "220");
  assert.throws(() => parseSwipe({ errors: 0 }), (e: { code: string }) => e.code === "E_SWIPE_READ");
  assert.throws(() => parseTrack1("A123^X^2512101"), (e: { code: string }) => e.code === "E_TRACK1_FORMAT");
  assert.is(parseTrack1("%B4111111111111111^DOE/JOHN^2512101?").pan, "4111111111111111");
});

test("T=0 card: case-4 APDU sent whole (Le appended) is refused 6700, as a real T=0 card would", () => {
  const card = new VirtualCard(unionpayDebit);
  const t0 = new T0Transport(card);
  assert.is(hex(t0.tpdu(H("00A404000E315041592E5359532E444446303100"))), "6700");
  const r = t0.tpdu(H("00A404000E315041592E5359532E4444463031"));
  assert.match(sw(r), /^61/);
});

test("T=0 card: GET RESPONSE in pieces (61xx for the rest), 6Cxx on a wrong Le, 6985 with nothing pending", () => {
  const t0 = new T0Transport(new VirtualCard(unionpayDebit));
  assert.is(hex(t0.tpdu(H("00C0000010"))), "6985");
  const la = parseInt(sw(t0.tpdu(H("00A404000E315041592E5359532E4444463031"))).slice(2), 16);
  const part = t0.tpdu(H("00C0000008"));
  assert.is(part.length, 10);
  assert.is(sw(part), "61" + (la - 8).toString(16).padStart(2, "0").toUpperCase());
  assert.is(sw(t0.tpdu(H("00C0000000"))), "6C" + (la - 8).toString(16).padStart(2, "0").toUpperCase());
  const rest = t0.tpdu(H("00C00000" + (la - 8).toString(16).padStart(2, "0")));
  assert.is(sw(rest), "9000");
  assert.is(rest.length - 2 + 8, la);
});

test("APDU transport (T=1, contactless): data only with Le, short Le -> 6Cxx", () => {
  const card = new VirtualCard(unionpayDebit);
  assert.is(hex(apduExchange(card, H("00A404000E315041592E5359532E4444463031"), "contact")), "6700");
  assert.is(hex(apduExchange(card, H("00A4040007A000000003101000"), "contact")), "6A82");
  assert.match(sw(apduExchange(card, H("00A404000E315041592E5359532E444446303105"), "contact")), /^6C/);
  assert.match(sw(apduExchange(card, H("00A404000E315041592E5359532E444446303100"), "contact")), /^9000$/);
});

test("VERIFY counts down 63C2, 63C1, 63C0, then 6983 even for the right PIN; enciphered PIN not supported", () => {
  const card = new VirtualCard(unionpayDebit);
  const verify = (pin: string) => {
    const f = ("2" + pin.length.toString(16) + pin).padEnd(16, "F");
    return card.process(0, 0x20, 0, 0x80, H(f), "contact").sw.toString(16).toUpperCase();
  };
  assert.equal([verify("0000"), verify("1111"), verify("2222"), verify("1234")], ["63C2", "63C1", "63C0", "6983"]);
  assert.is(card.process(0, 0x20, 0, 0x88, H("00"), "contact").sw, 0x6a81);
  assert.is(new VirtualCard(unionpayDebit).process(0, 0x20, 0, 0x80, H("3412345FFFFFFFFF"), "contact").sw, 0x6a80);
});

test("GPO and GENERATE AC: state and length checks, the cryptogram hook", () => {
  const card = new VirtualCard(unionpayDebit);
  const aid = H("A000000333010101");
  assert.is(card.process(0x80, 0xae, 0x80, 0, new Uint8Array(52), "contact").sw, 0x6985);
  card.process(0, 0xa4, 4, 0, aid, "contact");
  assert.is(card.process(0x80, 0xa8, 0, 0, H("8300"), "contact").sw, 0x6700);
  assert.is(card.process(0x80, 0xa8, 0, 0, H("8309" + "00".repeat(9)), "contact").sw, 0x9000);
  assert.is(card.process(0x80, 0xa8, 0, 0, H("8309" + "00".repeat(9)), "contact").sw, 0x6985);
  assert.is(card.process(0x80, 0xae, 0x80, 0, new Uint8Array(51), "contact").sw, 0x6700);
  card.cryptogram = (req) => ({ cid: req.type === "TC" ? 0x40 : 0x80, ac: H("0102030405060708"), iad: H("0A0B") });
  const first = card.process(0x80, 0xae, 0x80, 0, new Uint8Array(52), "contact");
  assert.is(hex(findTag(first.data, 0x9f26)!), "0102030405060708");
  assert.is(hex(findTag(first.data, 0x9f10)!), "0A0B");
  const second = card.process(0x80, 0xae, 0x40, 0, new Uint8Array(31), "contact");
  assert.is(hex(findTag(second.data, 0x9f27)!), "40");
  assert.is(card.process(0x80, 0xae, 0x40, 0, new Uint8Array(31), "contact").sw, 0x6985);
});

test.run();
