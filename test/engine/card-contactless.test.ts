/** Contactless in the embedded engine: tap + PPSE + GPO through the real driver, collision, removal, mute, empty field. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runEntry, results } from "./harness.ts";
import { SimCardReader } from "../../boards/sim/devices/card.ts";
import { magstripeOnly, unionpayCredit, unionpayDebit } from "../../boards/sim/devices/cards/catalog.ts";


let run: Awaited<ReturnType<typeof runEntry>>;
let reader: SimCardReader;
let r: Record<string, any>;

test.before(async () => {
  reader = new SimCardReader();
  run = await runEntry("test/engine/fixtures/card-contactless.ts", {
    extras: [reader],
    onLog: (_l, m) => {
      if (m === "STEP tap-credit") reader.tap(unionpayCredit);
      else if (m === "STEP leave") reader.leaveField();
      else if (m === "STEP tap-two") {
        reader.tap(unionpayDebit);
        reader.tap(unionpayCredit);
      } else if (m === "STEP tap-debit") reader.tap(unionpayDebit);
      else if (m === "STEP pull-at-next-command")
        reader.intercept = () => {
          reader.intercept = undefined;
          return "remove";
        };
      else if (m === "STEP tap-magstripe-only") reader.tap(magstripeOnly);
    },
  });
  r = results(run.logs);
});

test("the entry ran to its end", () => {
  assert.is(run.status, "exit", run.error + "\n" + run.logs.join("\n"));
  assert.is(run.exitCode, 0, run.logs.join("\n"));
  assert.ok(run.logs.includes("done"));
});

test("ATS parsed (TL, T0 with TA/TB/TC, FSCI 8 = 256 bytes, FWI, historical bytes)", () => {
  assert.equal(r["credit.ats"], { raw: unionpayCredit.contactless!.ats, fsci: 8, fsc: 256, ta: 0x80, tb: 0x70, tc: 0x02, fwi: 7, historical: Buffer.from("UPQPBOC2C").toString("hex").toUpperCase() });
});

test("SELECT PPSE lists the contactless applications only (the contact-only EC application is not there)", () => {
  assert.equal(r["credit.ppse"], { sw: "9000", apps: [{ aid: "A000000333010102", label: "PBOC CREDIT", priority: 1 }] });
  assert.equal(r["debit.ppse"], { sw: "9000", apps: [{ aid: "A000000333010101", label: "PBOC DEBIT", priority: 1 }] });
});

test("GPO format 1 (credit, no PDOL) and format 2 (debit, PDOL), first AFL record equals the image", () => {
  const c = unionpayCredit.applications[0]!;
  assert.equal(r["credit.gpo"], { select: "9000", sw: "9000", data: "80" + "0A" + c.aip + c.afl });
  assert.equal(r["credit.record"], { sw: "9000", data: c.records["2:1"] });
  const d = unionpayDebit.applications[0]!;
  assert.is(r["debit.gpo"].sw, "9000");
  assert.is(r["debit.gpo"].data, "77" + "12" + "8202" + d.aip + "940C" + d.afl);
  assert.equal(r["debit.record"], { sw: "9000", data: d.records["1:1"] });
  // Contactless APDUs go out whole, Le included.
  assert.ok(reader.log.some((e) => e.slot === "contactless" && e.command === "00A404000E325041592E5359532E444446303100"));
});

test("two cards in the field -> E_CARD_COLLISION", () => {
  assert.is(r.collision, "E_CARD_COLLISION");
});

test("card leaves the field mid-exchange -> E_CARD_REMOVED", () => {
  assert.is(r.pulled, "E_CARD_REMOVED");
  assert.is(r["after-pull"], "E_CARD_REMOVED");
});

test("a card without contactless -> E_CARD_MUTE; an empty field -> E_NO_CARD after the poll time", () => {
  assert.is(r["no-contactless"], "E_CARD_MUTE");
  assert.is(r["empty-field"], "E_NO_CARD");
  assert.ok(r["empty-field-elapsed"] >= 3000);
});

test.run();
