/**
 * A business day in the simulator (Node fast mode: the firmware's code against the real acquirer host over TCP):
 * 300+ mixed transactions — online sales with and without PIN on domestic and foreign cards, voids, refunds,
 * balance inquiries, pre-auths with completions, offline sales within the floor limit — with a reversal (bad
 * response MAC) and two link outages during which the merchant goes on with offline sales and online attempts fail
 * without being sent. When the link is back the offline sales are uploaded (store-and-forward), each reaching the
 * host once; the settlement then balances: the host ledger's totals equal the terminal journal's (both printed).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { rng } from "../../support.ts";
import { DEFAULT_TERMINAL_ID } from "../../../boards/sim/host/factory.ts";
import { batchTotals } from "../../../firmware/txn/settlement.ts";
import { FLAG_ADVICE } from "../../../firmware/txn/journal.ts";
import { batchWorld, CARDS, fmt, keyed, plain, swipe, type BatchWorld } from "./batch-world.ts";

let w: BatchWorld;
test.after(async () => {
  await w?.host.close();
});

test("a business day: 300+ transactions, a reversal, two outages, offline sales uploaded once; settlement balances", async () => {
  w = await batchWorld({ journalCapacity: 500, offlineFloorLimit: 30000 });
  const { host, link, t } = w;
  const term = t.terminal;
  for (const c of [CARDS.debit, CARDS.credit, CARDS.international, CARDS.foreignVisa, CARDS.magstripe]) host.accounts.setBalance(c.pan, 100_000_000);
  const next = rng(20261122);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(next() * a.length)]!;
  const online = [CARDS.debit, CARDS.credit, CARDS.international, CARDS.magstripe];
  const sales: Array<{ stan: number; rrn: string; date: string; amount: number; pan: string; refunded: boolean }> = [];
  const preAuths: number[] = [];
  const count: Record<string, number> = {};
  const bump = (k: string) => (count[k] = (count[k] ?? 0) + 1);
  let reversalDone = false;
  const outages = [
    [90, 115],
    [210, 240],
  ];
  const N = 330;
  for (let i = 0; i < N; i++) {
    const down = outages.some(([a, b]) => i >= a! && i < b!);
    if (link.up !== !down) {
      link.up = !down;
      bump(down ? "outage" : "link back");
      if (!down) {
        const r = await term.recover();
        assert.is(r.offline, 0, `offline sales uploaded when the link is back: ${JSON.stringify(r)}`);
      }
    }
    const amount = 100 + Math.floor(next() * 29900);
    if (down) {
      // During the outage: an online attempt now and then fails before anything is sent; offline sales go on.
      if (i % 10 === 0) {
        const c = pick(online);
        t.ped.nextPin = c.pin;
        try {
          await term.sale({ amount, card: swipe(c), pin: true });
          assert.unreachable("an online sale during the outage");
        } catch (e) {
          assert.is((e as { code: string }).code, "E_HOST_UNREACHABLE");
          assert.is((e as { reversal: string }).reversal, "none");
          bump("failed (outage)");
        }
      }
      const c = pick(online);
      const o = await term.offlineSale({ amount, card: swipe(c) });
      assert.is(o.status, "approved");
      bump("offline sale");
      continue;
    }
    const r = next();
    if (i === 150 && !reversalDone) {
      const rule = host.rules.add({ match: { mti: "0200", type: "22" }, action: { corruptMac: true }, times: 1 });
      t.ped.nextPin = CARDS.debit.pin;
      try {
        await term.sale({ amount, card: swipe(CARDS.debit), pin: true });
        assert.unreachable("sale with a bad answer MAC");
      } catch (e) {
        assert.is((e as { code: string }).code, "E_MAC_MISMATCH");
        assert.is((e as { reversal: string }).reversal, "sent");
      }
      host.rules.remove(rule.id);
      reversalDone = true;
      bump("reversed sale");
    } else if (r < 0.5) {
      const c = next() < 0.15 ? CARDS.foreignVisa : pick(online);
      const pin = c !== CARDS.foreignVisa && next() < 0.7;
      if (pin) t.ped.nextPin = c.pin;
      const s = await term.sale({ amount, card: c === CARDS.foreignVisa ? keyed(c) : swipe(c as typeof CARDS.debit), pin });
      assert.is(s.status, "approved", JSON.stringify(s));
      sales.push({ stan: s.record.stan, rrn: s.record.rrn, date: s.record.hostDate, amount, pan: c.pan, refunded: false });
      bump("sale");
    } else if (r < 0.6 && sales.length) {
      const s = sales.splice(Math.floor(next() * sales.length), 1)[0]!;
      if (s.refunded) continue;
      const v = await term.voidSale(s.stan, { supervisorPassword: "123456" });
      assert.is(v.status, "approved", JSON.stringify(v));
      bump("void");
    } else if (r < 0.68 && sales.length) {
      const s = sales[Math.floor(next() * sales.length)]!;
      if (s.refunded || s.pan === CARDS.foreignVisa.pan) continue;
      const c = online.find((x) => x.pan === s.pan)!;
      const f = await term.refund({ amount: Math.max(1, Math.floor(s.amount / 2)), card: swipe(c), original: { rrn: s.rrn, date: s.date }, supervisorPassword: "123456" });
      assert.is(f.status, "approved", JSON.stringify(f));
      s.refunded = true;
      bump("refund");
    } else if (r < 0.73) {
      const c = pick(online);
      t.ped.nextPin = c.pin;
      const b = await term.balance({ card: swipe(c), pin: true });
      assert.is(b.status, "approved");
      bump("balance");
    } else if (r < 0.8) {
      if (preAuths.length && next() < 0.6) {
        const stan = preAuths.shift()!;
        const c = await term.completion({ trace: stan, amount: 100 + Math.floor(next() * 5000) });
        assert.is(c.status, "approved", JSON.stringify(c));
        bump("completion");
      } else {
        t.ped.nextPin = CARDS.credit.pin;
        const p = await term.preAuth({ amount: 10000, card: swipe(CARDS.credit), pin: true });
        assert.is(p.status, "approved");
        preAuths.push(p.record.stan);
        bump("pre-auth");
      }
    } else {
      const o = await term.offlineSale({ amount: Math.min(amount, 30000), card: swipe(pick(online)) });
      assert.is(o.status, "approved");
      bump("offline sale");
    }
  }
  link.up = true;
  await term.recover();
  const journal = term.journal();
  const batch = term.state().batch;
  const b6 = String(batch).padStart(6, "0");
  const counted = journal.filter((j) => j.kind !== "balance" && (j.state === "approved" || j.state === "voided"));
  assert.ok(journal.length >= 300, `${journal.length} transactions in the journal`);
  assert.is(journal.filter((j) => j.flags & FLAG_ADVICE).length, 0, "nothing left to upload");
  // Every offline sale reached the host exactly once.
  const offline = journal.filter((j) => j.kind === "offlineSale");
  const ledgerOffline = host.ledger.entries({ terminalId: DEFAULT_TERMINAL_ID, batch: b6, kind: "offline-sale" });
  assert.is(ledgerOffline.length, offline.length, "one ledger entry per offline sale");
  for (const o of offline) assert.is(ledgerOffline.filter((l) => Number(l.stan) === o.stan).length, 1, `offline STAN ${o.stan} once`);
  const mine = plain(batchTotals(journal));
  const theirs = host.ledger.totals(DEFAULT_TERMINAL_ID, b6);
  console.log(`    day: ${journal.length} journal records (${counted.length} counted), ${JSON.stringify(count)}, ${link.refused} connects refused`);
  console.log(`    terminal journal: ${fmt(mine)}`);
  console.log(`    host ledger:      ${fmt(theirs)}`);
  assert.equal(mine, theirs, "host ledger = terminal journal");
  assert.ok((count["offline sale"] ?? 0) >= 40 && (count["void"] ?? 0) >= 5 && count["outage"] === 2 && count["reversed sale"] === 1, JSON.stringify(count));
  const st = await term.settle({ supervisorPassword: "123456" });
  assert.equal(st.result, [1, 1], JSON.stringify(st.result));
  assert.is(st.balanced, true);
  assert.is(st.uploaded, 0);
  assert.equal(plain(st.terminalTotals), theirs);
  const rec = host.ledger.batch(DEFAULT_TERMINAL_ID, b6);
  assert.equal(rec.settlement!.result, ["1", "1"]);
  assert.is(term.journal().length, 0, "the journal cleared after the host confirmed");
  assert.is(st.newBatch, batch + 1);
  assert.is(st.signOut, "00");
  assert.is(st.signIn && st.signIn.status, "approved", "signed in again (autoSignIn)");
  assert.is(term.state().batch, batch + 1);
  assert.is(term.lastSettlement()!.batch, batch);
});

test.run();
