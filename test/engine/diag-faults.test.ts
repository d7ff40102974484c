/**
 * Issue #9's fault table: each fault injected for real in the simulator (the acquirer host's device and account
 * state and scripted answers, the 4G module's SIM / signal / eUICC profiles, the dial-up line, the PED, the
 * printer, the terminal's parameters), the operation run through the terminal's menu UI by key presses, and the
 * diagnosis checked three ways: the cause id and who fixes it (agent op "failure") and the Chinese cause text on
 * the terminal's screen. Prints the table it ran.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ensureBuilt } from "./build-once.ts";
import { TEST_CARDS } from "../../boards/sim/host/factory.ts";
import { NO_SIM, PlainSim, chinaMobileProfile } from "../../boards/sim/devices/modem4g.ts";
import { diagWorld, menuActivate, menuSale, menuSignIn, screenText, toIdle, TID, MID, type DiagWorld } from "./fixtures/diag-world.ts";

test.before(ensureBuilt);

const table: Array<{ fault: string; cause: string; fixer: string; shown: boolean }> = [];
/** Swiped cards without a chip (service code 101), so the swipe is accepted and the host decides. */
const stripe = (c: { pan: string; expiry: string }) => `${c.pan}=${c.expiry}1010000000000`;

/** Runs `run` (it ends on a failure screen), checks the diagnosis, records the row, back to idle. */
async function expectFault(w: DiagWorld, fault: string, cause: string, fixer: string, run: () => Promise<string[]>, shownText?: RegExp): Promise<void> {
  const lines = await run();
  const f = await w.world.agent.call("failure");
  assert.ok(f, `${fault}: no failure recorded; screen ${screenText(lines)}`);
  assert.is(f.cause, cause, `${fault}: cause ${f.cause} (${f.code}); screen ${screenText(lines)}; evidence ${f.evidence.join("|")}`);
  assert.is(f.fixer, fixer, `${fault}: fixer`);
  const text = screenText(lines);
  if (shownText) assert.match(text, shownText, `${fault}: screen ${text}`);
  else assert.ok(text.includes(f.zh), `${fault}: the screen shows "${f.zh}": ${text}`);
  table.push({ fault, cause, fixer, shown: true });
  await toIdle(w);
}

function profiles(w: DiagWorld): Array<{ network: string }> {
  return (w.world.euicc as unknown as { profiles: Array<{ network: string }> }).profiles;
}

test("no authorization code: not activated, code wrong / used, revoked, merchant not qualified, maintenance, no network; POS number unusable; keys missing", async () => {
  const w = await diagWorld({ provision: false });
  const host = w.host;
  const serial = "SIM00000001";
  try {
    await expectFault(w, "sign-in on a terminal never activated", "not-activated", "merchant", () => menuSignIn(w));
    await expectFault(w, "activation code mistyped (A1)", "activation-code-wrong", "merchant", () => menuActivate(w, "99999999"));
    await expectFault(w, "activation code of another device (A4)", "activation-code-used", "acquirer", () => menuActivate(w, "20250605"));
    host.terminals.setDeviceState(serial, "revoked");
    await expectFault(w, "device deregistered / activation revoked (A2)", "activation-revoked", "acquirer", () => menuActivate(w, "20250601"));
    host.terminals.setDeviceState(serial, "merchant-not-qualified");
    await expectFault(w, "merchant not qualified (A3)", "merchant-not-qualified", "acquirer", () => menuActivate(w, "20250601"));
    host.terminals.setDeviceState(serial, "maintenance");
    await expectFault(w, "acquirer in maintenance (90)", "host-maintenance", "wait", () => menuActivate(w, "20250601"));
    host.terminals.setDeviceState(serial, "new");
    // No network: no 4G signal at all and the landline unplugged.
    w.world.modem.rssi = 99;
    w.world.dialup.line = "no-dialtone";
    w.world.modem.reset();
    await expectFault(w, "activation with no network (CSQ 99, no dial tone)", "no-signal", "merchant", () => menuActivate(w, "20250601"));
    w.world.modem.rssi = 24;
    w.world.dialup.line = "ok";
    w.world.modem.reset();
    const ok = await menuActivate(w, "20250601");
    assert.match(screenText(ok), /激活成功/, screenText(ok));
    await toIdle(w);
    // POS number unusable: numbers of the wrong length (the screen says what is wrong).
    await expectFault(w, "terminal number of 7 digits", "terminal-id-format", "merchant", async () => {
      await w.world.agent.keys(["8"], /2终端号/);
      await w.world.agent.keys(["2"], /终端号\(8位\)/);
      return w.world.agent.keys([..."1234567".split(""), "enter"], /无效/);
    }, /终端号应为8位/);
    await expectFault(w, "merchant number of 14 digits", "merchant-id-format", "merchant", async () => {
      await w.world.agent.keys(["8"], /3商户号/);
      await w.world.agent.keys(["3"], /商户号\(15位\)/);
      return w.world.agent.keys([..."89810001234567".split(""), "enter"], /无效/);
    }, /商户号应为15位/);
    await expectFault(w, "sale before sign-in", "keys-missing", "merchant", async () => {
      await w.world.agent.call("operatorSignIn", { no: "01", password: "0000" });
      return menuSale(w, 500, stripe(TEST_CARDS.magstripe), TEST_CARDS.magstripe.pin);
    });
  } finally {
    const r = await w.close();
    assert.is(r.status, "exit", r.error);
  }
});

test("device serial not registered with the acquirer (97 at activation)", async () => {
  const w = await diagWorld({ provision: false, serialNumber: "SIM99999999" });
  try {
    await expectFault(w, "unregistered serial number (97)", "device-not-registered", "acquirer", () => menuActivate(w, "20250601"));
  } finally {
    const r = await w.close();
    assert.is(r.status, "exit", r.error);
  }
});

/** A provisioned, signed-in terminal (a fresh one per group: see the report about long menu sessions). */
async function signedIn(params?: Record<string, unknown>): Promise<DiagWorld> {
  const w = await diagWorld({ params });
  assert.match(screenText(await menuSignIn(w)), /签到成功/);
  await toIdle(w);
  return w;
}
const sale = (w: DiagWorld, track2: string, pin: string | undefined, amount = 1234) => () => menuSale(w, amount, track2, pin);

test("未鉴权 declines from the card and the cardholder: expired, frozen, lost, no funds, wrong PIN, PIN tries exceeded", async () => {
  const w = await signedIn();
  try {
    const m = TEST_CARDS.magstripe;
    await expectFault(w, "card expired (54)", "card-expired", "cardholder", sale(w, stripe(TEST_CARDS.expired), "1234"));
    await expectFault(w, "card frozen / restricted (62)", "card-frozen", "issuer", sale(w, stripe(TEST_CARDS.restricted), "1234"));
    await expectFault(w, "card reported lost (41)", "card-lost-stolen", "acquirer", sale(w, stripe(TEST_CARDS.lost), "1234"));
    await expectFault(w, "insufficient funds (51)", "insufficient-funds", "cardholder", sale(w, stripe(TEST_CARDS.lowBalance), "1234", 50000));
    await expectFault(w, "wrong PIN (55)", "pin-wrong", "cardholder", sale(w, stripe(m), "0000"));
    await sale(w, stripe(m), "0000")();
    await toIdle(w);
    await expectFault(w, "PIN tries exceeded (75, third wrong PIN)", "pin-tries-exceeded", "issuer", sale(w, stripe(m), "0000"));
  } finally {
    const r = await w.close();
    assert.is(r.status, "exit", r.error);
  }
});

test("issuer, risk control, merchant, host, version and unknown codes (the host's scripted answers)", async () => {
  const w = await signedIn();
  try {
    const c = TEST_CARDS.credit;
    const scripted: Array<[string, string, string, string]> = [
      ["61", "over the issuer's limit (61)", "over-limit", "issuer"],
      ["59", "risk control (59)", "risk-control", "acquirer"],
      ["91", "issuer down (91)", "issuer-unavailable", "wait"],
      ["90", "outside service hours, cut-off (90)", "outside-service-hours", "wait"],
      ["03", "blacklisted merchant (03)", "merchant-blocked", "acquirer"],
      ["30", "host interface changed: format error (30)", "host-interface-changed", "acquirer"],
      ["Z9", "unknown return code (Z9)", "unknown-response", "acquirer"],
      ["96", "system failure at the host (96)", "host-system-fault", "acquirer"],
    ];
    for (const [rc, fault, cause, fixer] of scripted) {
      w.host.rules.add({ match: { mti: "0200" }, action: { respond: rc }, times: 1 });
      await expectFault(w, fault, cause, fixer, sale(w, stripe(c), c.pin));
    }
  } finally {
    const r = await w.close();
    assert.is(r.status, "exit", r.error);
  }
});

test("network data corrupted (bad MAC, garbage), host timeout, damaged stripe, chip card swiped, printer head fault", async () => {
  // A dropped answer is waited for in real time (the module holds virtual time while its socket is open): 5 s.
  const w = await signedIn({ responseTimeoutMs: 5000 });
  const rules = w.host.rules;
  try {
    const c = TEST_CARDS.credit;
    const card = () => sale(w, stripe(c), c.pin);
    rules.add({ match: { mti: "0200" }, action: { corruptMac: true }, times: 1 });
    await expectFault(w, "network data corrupted: bad MAC on the answer", "data-corrupted", "wait", card());
    rules.add({ match: { mti: "0200" }, action: { garbage: 48 }, times: 1 });
    await expectFault(w, "network data corrupted: garbage instead of the answer", "data-corrupted", "wait", card());
    rules.add({ match: { mti: "0200" }, action: { drop: true }, times: 1 });
    await expectFault(w, "no answer from the host (timeout, good signal)", "host-timeout", "wait", card());
    await expectFault(w, "damaged stripe: track 2 unreadable", "card-read-error", "cardholder", () => menuSale(w, 100, stripe(c), c.pin, 2));
    await expectFault(w, "chip card swiped", "use-chip", "cardholder", sale(w, TEST_CARDS.debit.track2, TEST_CARDS.debit.pin));
    // An approved sale, then the printer's head/motor fails: the reprint names it.
    const okSale = await sale(w, stripe(c), c.pin, 2000)();
    assert.match(screenText(okSale), /交易成功/, screenText(okSale));
    await toIdle(w);
    w.world.printer.fault();
    await expectFault(w, "printer head / motor failure (reprint)", "printer-fault", "service", async () => {
      await w.world.agent.keys(["8"], /4重打印/);
      return w.world.agent.keys(["4"], /重打印失败/);
    });
  } finally {
    const r = await w.close();
    assert.is(r.status, "exit", r.error);
  }
});

test("sign-in communication failures: SIM missing / locked / arrears, weak signal, APN refused, landline dead / busy / no answer / unpaid, wrong keys, unknown terminal", async () => {
  const w = await diagWorld();
  const modem = w.world.modem;
  const dialup = w.world.dialup;
  try {
    dialup.line = "no-dialtone";
    modem.sim = NO_SIM;
    modem.reset();
    await expectFault(w, "SIM not inserted", "sim-missing", "merchant", () => menuSignIn(w));
    modem.sim = new PlainSim(chinaMobileProfile(), { locked: "puk" });
    modem.reset();
    await expectFault(w, "SIM blocked (PUK)", "sim-locked", "service", () => menuSignIn(w));
    modem.sim = w.world.euicc;
    for (const p of profiles(w)) p.network = "denied";
    modem.reset();
    await expectFault(w, "SIM in arrears: every operator profile denied", "sim-arrears", "merchant", () => menuSignIn(w));
    for (const p of profiles(w)) p.network = "no-service";
    modem.rssi = 5;
    modem.reset();
    await expectFault(w, "weak signal: not registered at CSQ 5", "weak-signal", "merchant", () => menuSignIn(w));
    for (const p of profiles(w)) p.network = "pdp-reject";
    modem.rssi = 24;
    modem.reset();
    await expectFault(w, "data context refused (APN / PDP)", "data-context-failed", "service", () => menuSignIn(w));
    // A landline terminal: the 4G link is down (no SIM), the sign-in goes over the phone line.
    modem.sim = NO_SIM;
    modem.reset();
    for (const [line, fault, cause, fixer] of [
      ["no-dialtone", "landline unplugged: no dial tone", "line-no-dialtone", "merchant"],
      ["busy", "line busy", "line-busy", "wait"],
      ["no-answer", "dialled number does not answer", "line-no-answer", "acquirer"],
      ["unpaid", "landline suspended for an unpaid bill", "line-no-dialtone", "merchant"],
    ] as const) {
      dialup.line = "ok";
      const ok = await menuSignIn(w);
      assert.match(screenText(ok), /签到成功/, `before ${line}: ${screenText(ok)}`);
      await toIdle(w);
      dialup.line = line;
      await expectFault(w, fault, cause, fixer, () => menuSignIn(w));
    }
    dialup.line = "ok";
    modem.sim = w.world.euicc;
    for (const p of profiles(w)) p.network = "ok";
    modem.reset();
    // Wrong keys: the acquirer holds another TMK for this terminal, so the working keys' check values differ.
    w.host.terminals.addTerminal({ terminalId: TID, merchantId: MID, tmkHex: "33333333333333334444444444444444" });
    await expectFault(w, "wrong keys: working keys' KCV mismatch", "keys-wrong", "acquirer", () => menuSignIn(w));
    // A terminal number the host does not know (valid format, wrong number).
    await w.world.agent.call("configure", { terminalId: "10000098" });
    await expectFault(w, "terminal number not registered at the host (97)", "terminal-not-registered", "acquirer", () => menuSignIn(w));
  } finally {
    const r = await w.close();
    assert.is(r.status, "exit", r.error);
  }
});

test("the table: at least 25 faults, at least 25 distinct causes, each shown on the screen", () => {
  const causes = new Set(table.map((r) => r.cause));
  console.log(`    ${table.length} faults injected, ${causes.size} distinct causes`);
  for (const r of table) console.log(`    ${r.cause.padEnd(24)} ${r.fixer.padEnd(10)} ${r.fault}`);
  assert.ok(table.length >= 25, `${table.length} faults`);
  assert.ok(causes.size >= 25, `${causes.size} causes`);
});

test.run();
