/**
 * Contact chip cards in the embedded engine: the real reader driver (hal/card) against virtual T=0
 * and T=1 cards (boards/sim/devices/card.ts). Checks the driver's T=0 transport on the wire the card
 * sees (case 4 without Le, 61xx -> GET RESPONSE, 6Cxx -> re-send with Le, warning -> GET RESPONSE) and
 * that what the engine got equals the card image.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runEntry, results } from "./harness.ts";
import { SimCardReader, type ExchangeRecord } from "../../boards/sim/devices/card.ts";
import { unionpayCredit, unionpayDebit, chipStripe2xx } from "../../boards/sim/devices/cards/catalog.ts";
import { VirtualCard, findTag } from "../../boards/sim/devices/cards/virtual-card.ts";
import { unhex } from "../../boards/sim/devices/cards/image.ts";

const ENTRY = "test/engine/fixtures/card-chip.ts";


/** Commands of one slot as the card saw them, paired with its answers. */
function wire(log: ExchangeRecord[]): Array<[string, string]> {
  return log.filter((e) => e.slot === "contact" && e.command !== "atr").map((e) => [e.command, e.response]);
}

let run: Awaited<ReturnType<typeof runEntry>>;
let reader: SimCardReader;
let debit: VirtualCard;
let intl: VirtualCard;
let debitLog: ExchangeRecord[] = [];

test.before(async () => {
  reader = new SimCardReader();
  debit = new VirtualCard(unionpayDebit);
  intl = new VirtualCard(chipStripe2xx);
  let removals = 0;
  run = await runEntry(ENTRY, {
    extras: [reader],
    onLog: (_l, m) => {
      if (m === "STEP debit") reader.insert(debit);
      if (m === "STEP remove") {
        if (removals++ === 0) debitLog = reader.log.slice();
        reader.remove();
      }
      if (m === "STEP intl") reader.insert(intl);
      if (m === "STEP credit") reader.insert(unionpayCredit);
    },
  });
});

test("the entry ran to its end", () => {
  assert.is(run.status, "exit", run.error + "\n" + run.logs.join("\n"));
  assert.is(run.exitCode, 0, run.logs.join("\n"));
  assert.ok(run.logs.includes("done"));
});

test("ATR of the T=0 card parsed: direct convention, T=0, historical bytes, no TCK", () => {
  const r = results(run.logs);
  assert.equal(r["debit.atr"], { raw: unionpayDebit.contact!.atr, protocol: 0, protocols: [0], historical: Buffer.from("UPCOS-DEBIT1").toString("hex").toUpperCase(), convention: "direct", tck: null });
});

test("ATR of the T=1 card parsed with its TCK", () => {
  const a = results(run.logs)["intl.atr"];
  assert.is(a.protocol, 1);
  assert.equal(a.protocols, [1]);
  assert.is(a.raw, chipStripe2xx.contact!.atr);
  assert.is(a.historical, Buffer.from("UPINTL201").toString("hex").toUpperCase());
  assert.is(a.tck, parseInt(chipStripe2xx.contact!.atr.slice(-2), 16));
});

test("T=0: SELECT PSE goes out as case 3 (no Le), the card answers 61xx, the driver fetches with GET RESPONSE", () => {
  const w = wire(debitLog);
  const [cmd, resp] = w[0]!;
  assert.is(cmd, "00A404000E315041592E5359532E4444463031");
  assert.match(resp, /^61[0-9A-F]{2}$/);
  const la = resp.slice(2);
  assert.is(w[1]![0], "00C00000" + la);
  const r = results(run.logs)["debit.pse"];
  assert.is(r.sw, "9000");
  assert.is(w[1]![1], r.data + "9000");
  assert.is(r.data.length / 2, parseInt(la, 16));
  // The FCI names the directory SFI of the image.
  assert.equal(Array.from(findTag(unhex(r.data), 0x88)!), [unionpayDebit.pseSfi]);
});

test("T=0: READ RECORD with Le 00 gets 6Cxx and is re-sent with Le = xx", () => {
  const w = wire(debitLog);
  const i = w.findIndex(([c]) => c === "00B2015C00");
  assert.ok(i > 0, JSON.stringify(w));
  assert.match(w[i]![1], /^6C[0-9A-F]{2}$/);
  assert.is(w[i + 1]![0], "00B2015C" + w[i]![1].slice(2));
  assert.ok(w[i + 1]![1].endsWith("9000"));
  const dir = results(run.logs);
  assert.is(dir["debit.dir1"].sw, "9000");
  assert.is(dir["debit.dir2"].sw, "6A83");
  assert.equal(dir["debit.aids"], ["A000000333010101"]);
});

test("T=0: no TPDU the driver sent disagrees with its P3 (case-4 Le withheld)", () => {
  for (const [c] of wire(debitLog)) {
    const b = unhex(c);
    assert.ok(b.length === 5 || b.length === 5 + b[4]!, `bad TPDU ${c}`);
  }
});

test("GPO with the PDOL data, AIP/AFL and every record equal the card image", () => {
  const r = results(run.logs);
  const app = unionpayDebit.applications[0]!;
  assert.is(r["debit.select"].sw, "9000");
  assert.is(r["debit.pdolData"], "01" + "000000012345" + "0156");
  assert.is(r["debit.gpo"].sw, "9000");
  assert.equal(r["debit.aipAfl"], { aip: app.aip, afl: app.afl });
  assert.equal(r["debit.records"], { "1:1": app.records["1:1"], "2:1": app.records["2:1"], "2:2": app.records["2:2"], "3:1": app.records["3:1"] });
  // A record over 127 bytes (long-form length) came through a 6Cxx with its exact size.
  assert.ok(app.records["2:2"]!.length / 2 > 127);
});

test("GET DATA, VERIFY try counter and GENERATE AC placeholder", () => {
  const r = results(run.logs);
  assert.equal(r["debit.getData"].ptc, { sw: "9000", data: "9F170103" });
  assert.is(r["debit.getData"].atc.data, "9F3602" + debit.atc.toString(16).padStart(4, "0").toUpperCase());
  assert.is(r["debit.getData"].missing.sw, "6A88");
  assert.equal(r["debit.verify"], { wrong: "63C2", right: "9000" });
  assert.is(debit.pinTries, 3);
  const ac = r["debit.genac"];
  assert.is(ac.sw, "9000");
  assert.is(ac.cdolLength, 52);
  const d = unhex(ac.data);
  assert.is(d[0], 0x77);
  assert.equal(Array.from(findTag(d, 0x9f27)!), [0x80]);
  assert.is(findTag(d, 0x9f26)!.length, 8);
  assert.equal(Array.from(findTag(d, 0x9f36)!), [debit.atc >> 8, debit.atc & 0xff]);
});

test("T=1: no PSE (6A82), the AID is selected with the APDU as it is (Le kept), GPO with its PDOL", () => {
  const r = results(run.logs);
  assert.is(r["intl.pse"].sw, "6A82");
  assert.is(r["intl.select"].sw, "9000");
  const w = wire(reader.log).map(([c]) => c);
  assert.ok(w.includes("00A4040008A00000033301010100"), w.join("\n"));
  assert.ok(w.includes("80A80000048302015600"));
  assert.is(r["intl.pdolData"], "0156");
  assert.equal(r["intl.records"]["1:1"], chipStripe2xx.applications[0]!.records["1:1"]);
  assert.equal(r["intl.verify"], { wrong: "63C2", right: "9000" });
  assert.is(r["intl.genac"].sw, "9000");
});

test("partial selection walks the matching AIDs with P2 02; a blocked application answers 6283 with its FCI", () => {
  const r = results(run.logs);
  assert.is(r["credit.next"].first.sw, "9000");
  assert.equal(Array.from(findTag(unhex(r["credit.next"].first.data), 0x84)!), Array.from(unhex("A000000333010102")));
  assert.is(r["credit.next"].second.sw, "6283");
  assert.equal(Array.from(findTag(unhex(r["credit.next"].second.data), 0x84)!), Array.from(unhex("A000000333010106")));
  assert.is(r["credit.next"].third.sw, "6A82");
  assert.is(r["credit.next"].third.data, "");
  const b = r["credit.blocked"];
  assert.is(b.sw, "6283");
  assert.equal(Array.from(findTag(unhex(b.data), 0x50)!), Array.from(Buffer.from("PBOC EC")));
  // On the wire: the warning alone, then GET RESPONSE 00 -> 6Cxx -> GET RESPONSE xx -> FCI + 9000.
  const w = wire(reader.log);
  const i = w.findIndex(([c]) => c === "00A4040008A000000333010106");
  assert.is(w[i]![1], "6283");
  assert.is(w[i + 1]![0], "00C0000000");
  assert.match(w[i + 1]![1], /^6C/);
  assert.is(w[i + 2]![0], "00C00000" + w[i + 1]![1].slice(2));
  assert.is(w[i + 2]![1], b.data + "9000");
});

test.run();
