/** Magstripe in the embedded engine: the real driver parses what the virtual head reads. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runEntry, results } from "./harness.ts";
import { SimCardReader } from "../../boards/sim/devices/card.ts";
import { chipStripe2xx, magstripeOnly, unionpayCredit, unionpayDebit } from "../../boards/sim/devices/cards/catalog.ts";


let run: Awaited<ReturnType<typeof runEntry>>;
let reader: SimCardReader;
let r: Record<string, any>;
let closedSwipeDelivered: boolean | undefined;

test.before(async () => {
  reader = new SimCardReader();
  run = await runEntry("test/engine/fixtures/card-swipe.ts", {
    extras: [reader],
    onLog: (_l, m) => {
      if (m === "STEP swipe-debit") reader.swipe(unionpayDebit);
      else if (m === "STEP swipe-credit") reader.swipe(unionpayCredit);
      else if (m === "STEP swipe-magstripe-only") reader.swipe(magstripeOnly);
      else if (m === "STEP swipe-intl") reader.swipe(chipStripe2xx);
      else if (m === "STEP swipe-track2-failed") reader.swipe(unionpayDebit, 2);
      else if (m === "STEP swipe-all-failed") reader.swipe(unionpayDebit, 3);
      else if (m === "STEP swipe-bad-service-code") reader.swipe({ track2: "6214830012345678900=2812" });
      else if (m === "STEP swipe-after-unsubscribe") reader.swipe(magstripeOnly);
      else if (m === "STEP swipe-closed") closedSwipeDelivered = reader.swipe(magstripeOnly);
    },
  });
  r = results(run.logs);
});

test("the entry ran to its end", () => {
  assert.is(run.status, "exit", run.error + "\n" + run.logs.join("\n"));
  assert.is(run.exitCode, 0, run.logs.join("\n"));
});

test("debit swipe: PAN, expiry, service code 620 (national, chip) flagged chip-capable, name from track 1", () => {
  const c = r["swipe-debit"];
  assert.is(c.pan, "6214830012345678900");
  assert.is(c.expiry, "2812");
  assert.is(c.serviceCode, "620");
  assert.is(c.chipCapable, true);
  assert.is(c.panLuhnValid, true);
  assert.is(c.name, "ZHANG/SAN");
  assert.is(c.source, "track2");
  assert.is(c.track2, unionpayDebit.tracks!.track2);
  assert.is(c.discretionary, "1234567890");
});

test("credit (220) and the international chip card (201) are chip-capable; the magstripe-only card (120) is not", () => {
  assert.is(r["swipe-credit"].serviceCode, "220");
  assert.is(r["swipe-credit"].chipCapable, true);
  assert.is(r["swipe-intl"].serviceCode, "201");
  assert.is(r["swipe-intl"].chipCapable, true);
  assert.is(r["swipe-intl"].name, "CHEN/LIU");
  const m = r["swipe-magstripe-only"];
  assert.is(m.serviceCode, "120");
  assert.is(m.chipCapable, false);
  assert.is(m.pan, "6222021001123456789");
  assert.is(m.expiry, "2712");
  assert.is(m.track3, magstripeOnly.tracks!.track3);
});

test("track 2 failed its LRC: the card comes from track 1; both failed: E_SWIPE_READ", () => {
  const c = r["swipe-track2-failed"];
  assert.is(c.source, "track1");
  assert.is(c.pan, "6214830012345678900");
  assert.is(c.serviceCode, "620");
  assert.is(c.track2, undefined);
  assert.equal(r["swipe-all-failed"], { error: "E_SWIPE_READ" });
});

test("a track 2 without a service code is refused by the core's track 2 parser", () => {
  assert.match(r["swipe-bad-service-code"].error, /^E_TRACK2_/);
});

test("the subscription saw every swipe until unsubscribed", () => {
  assert.is(r.subscribed, 7);
  assert.is(r["subscribed-after"], 7);
  assert.is(r["swipe-after-unsubscribe"].pan, "6222021001123456789");
});

test("no swipe -> E_SWIPE_TIMEOUT; a closed head takes no swipe", () => {
  assert.is(r.timeout, "E_SWIPE_TIMEOUT");
  assert.ok(r["timeout-elapsed"] >= 5000);
  assert.is(r.closed, "E_MAGSTRIPE_CLOSED");
  assert.is(closedSwipeDelivered, false);
});

test.run();
