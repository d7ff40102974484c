/** Card reader faults in the embedded engine: removal mid-exchange, mute and garbled cards, bad ATR, no card. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runEntry, results } from "./harness.ts";
import { SimCardReader, type Interception } from "../../boards/sim/devices/card.ts";
import { magstripeOnly, unionpayCredit, unionpayDebit } from "../../boards/sim/devices/cards/catalog.ts";
import type { CardImage } from "../../boards/sim/devices/cards/image.ts";


const badTck: CardImage = {
  ...unionpayDebit,
  name: "T=1 ATR with a wrong TCK",
  contact: { atr: "3BE90000813 1FE45".replace(/ /g, "") + "55504241445443 4B3031".replace(/ /g, "") + "00", protocol: 1 },
};

let run: Awaited<ReturnType<typeof runEntry>>;
let reader: SimCardReader;
let r: Record<string, any>;

test.before(async () => {
  reader = new SimCardReader();
  const once = (what: Interception) => {
    reader.intercept = () => {
      reader.intercept = undefined;
      return what;
    };
  };
  run = await runEntry("test/engine/fixtures/card-faults.ts", {
    extras: [reader],
    onLog: (_l, m) => {
      if (m === "STEP debit") reader.insert(unionpayDebit);
      else if (m === "STEP pull-at-next-command") once("remove");
      else if (m === "STEP insert-credit") reader.insert(unionpayCredit);
      else if (m === "STEP mute-at-next-command") once("mute");
      else if (m === "STEP garbage-at-next-command") once({ answer: Uint8Array.of(0x90) });
      else if (m === "STEP remove") reader.remove();
      else if (m === "STEP insert-magstripe-only") reader.insert(magstripeOnly);
      else if (m === "STEP insert-bad-tck") reader.insert(badTck);
    },
  });
  r = results(run.logs);
});

test("the entry ran to its end", () => {
  assert.is(run.status, "exit", run.error + "\n" + run.logs.join("\n"));
  assert.is(run.exitCode, 0, run.logs.join("\n"));
  assert.ok(run.logs.includes("done"));
});

test("card pulled out mid-exchange -> E_CARD_REMOVED, and E_CARD_REMOVED again until a new card", () => {
  assert.is(r.before, "9000");
  assert.is(r.pulled, "E_CARD_REMOVED");
  assert.is(r["after-pull"], "E_CARD_REMOVED");
  assert.is(r["present-after-pull"], false);
  // The pulled command never got an answer on the wire.
  assert.ok(reader.log.some((e) => e.command === "00B2015C00" && e.response === ""));
});

test("the next card works: not powered until activated, then SELECT PSE 9000", () => {
  assert.is(r["not-powered"], "E_CARD_NOT_POWERED");
  assert.equal(r["next-card"], { historical: 13, pse: "9000" });
});

test("a card that stops answering -> E_CARD_TIMEOUT after the response timeout, deactivated, re-activation works", () => {
  assert.is(r.mute, "E_CARD_TIMEOUT");
  assert.ok(r["mute-elapsed"] >= 2000 && r["mute-elapsed"] < 2100, String(r["mute-elapsed"]));
  assert.is(r["after-mute"], "E_CARD_NOT_POWERED");
  assert.is(r.reactivated, "9000");
});

test("an answer without a status word -> E_APDU", () => {
  assert.is(r.garbage, "E_APDU");
});

test("a card without a chip -> E_CARD_MUTE after 3 activation attempts", () => {
  assert.is(r["no-chip"], "E_CARD_MUTE");
  assert.ok(r["no-chip-elapsed"] >= 1500, String(r["no-chip-elapsed"]));
  const atrs = reader.log.filter((e) => e.command === "atr");
  assert.is(atrs.slice(-6, -3).filter((e) => e.response === "").length, 3, JSON.stringify(atrs));
});

test("an ATR whose TCK does not check is refused (E_ATR_TCK) after the retries", () => {
  assert.is(r["bad-tck"], "E_ATR_TCK");
});

test("no card: E_NO_CARD at once for power-on, after the wait for waitForCard; closed reader", () => {
  assert.is(r["no-card-power"], "E_NO_CARD");
  assert.is(r["no-card-wait"], "E_NO_CARD");
  assert.ok(r["no-card-wait-elapsed"] >= 1500);
  assert.is(r.closed, "E_CARD_CLOSED");
});

test.run();
