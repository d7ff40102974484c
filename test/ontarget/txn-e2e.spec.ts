/**
 * The transaction stack end to end on any engine (only `print` needed): the Terminal over the natives played in
 * the bundle (RAM flash, virtual timers), a software PED, and a scripted in-bundle host answering with frames
 * recorded from the simulator's acquirer host (MAC-correct under the keys it issued; see
 * test/unit/txn/e2e-recording.test.ts). Sign-in (keys unwrapped and KCV-checked in the PED), a swiped sale with
 * PIN, its void: every request the terminal sends must be byte for byte the recorded one (STANs, PIN block,
 * MACs), every answer must verify. Its output is fixed (runners compare lines across engines); time the bundle's run
 * to compare the flow's speed (test/engine/txn-measure.test.ts measures its heap step by step).
 */
import { test, equal, ok } from "./harness";
import { createFakeBoard } from "./fake-natives";
import { createHal } from "../../hal/index";
import { device } from "../../hal/device";
import { PinPad } from "../../hal/ped/pinpad";
import { Terminal } from "../../firmware/terminal/terminal";
import { openStore } from "../../firmware/terminal/storage";
import { SoftPed, ScriptedHost, unhex } from "./txn-peers";
import { E2E, prepareActivated } from "./txn-e2e-setup";
import { RECORDING } from "./txn-e2e-recording";

/** The simulator PED's factory transport key (boards/sim/devices/ped.ts). */
const TRANSPORT = "0123456789ABCDEFFEDCBA9876543210";

test("txn e2e: sign-in, swiped sale with PIN, void against the recorded host; identical requests, MACs verified", async () => {
  const board = createFakeBoard(device.flash.sectorSize, device.flash.sectorCount);
  const defer = (fn: () => void) => void board.natives.timers.set(fn, 0);
  const ped = new SoftPed(unhex(TRANSPORT), defer);
  const hal = createHal(board.natives, device);
  const store = openStore(hal);
  prepareActivated(store, ped);
  const host = new ScriptedHost(RECORDING, defer);
  const terminal = Terminal.open({ hal, pinpad: new PinPad(ped, board.natives.timers), connector: host, store, firmwareVersion: "e2e" });
  const flow = async () => {
    terminal.operatorSignIn(E2E.operator, E2E.operatorPassword);
    const si = await terminal.signIn();
    equal(si.status, "approved", "sign-in");
    ped.nextPin = E2E.pin;
    const sale = await terminal.sale({ amount: E2E.amount, card: { entryMode: "swipe", pan: E2E.pan, track2: E2E.track2 }, pin: true });
    equal(sale.status, "approved", "sale");
    equal(sale.record.rrn.length, 12, "RRN");
    const v = await terminal.voidSale(sale.record.stan, { supervisorPassword: E2E.supervisorPassword });
    equal(v.status, "approved", "void");
    return { sale, v };
  };
  const r = await board.settle(flow());
  equal(host.mismatches.length, 0, host.mismatches.join("; "));
  equal(host.remaining, 0, "every recorded answer used");
  equal(ped.macs, 4, "MACs by the PED: sale, its answer, void, its answer");
  const journal = terminal.journal();
  equal(journal.length, 2, "journal records");
  equal(journal[0]!.state, "voided", "the sale voided");
  equal(journal[1]!.state, "approved", "the void approved");
  ok(terminal.state().reversalPending === null, "no reversal left");
  equal(r.v.record.origStan, r.sale.record.stan, "void refers to the sale");
});
