/**
 * The eSIM client (hal/esim) inside the embedded engine against the virtual eUICC in the virtual
 * EC200U: GetEID, GetProfilesInfo and EnableProfile with the 61xx GET RESPONSE done by the host or by
 * the modem, the operator switch (enable -> AT+CFUN=0/1 -> ICCID and registration verified), result
 * codes as typed errors, STORE DATA segmentation, catBusy -> module reset -> retry once, channels
 * always closed.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runEntry } from "./harness.ts";
import { Modem4G } from "../../boards/sim/devices/modem4g.ts";
import { Euicc, EXAMPLE_EID, chinaProfiles, type EuiccOptions, type EuiccProfile } from "../../boards/sim/devices/euicc.ts";

const ENTRY = "test/engine/fixtures/esim-ops.ts";

async function run(opts: EuiccOptions) {
  const modem = new Modem4G({ seed: 5 });
  const euicc = new Euicc(opts).insertInto(modem);
  const r = await runEntry(ENTRY, { serial: { "sim:modem": modem } });
  assert.is(r.status, "exit", `${r.status} ${r.error}\n${r.logs.join("\n")}`);
  assert.is(r.exitCode, 0, r.logs.join("\n"));
  const line = (p: string) => r.logs.find((l) => l.startsWith(p + " ")) ?? `(no ${p} in)\n${r.logs.join("\n")}`;
  return { r, modem, euicc, line };
}

const CMCC = chinaProfiles()[0]!;
const CUCC = chinaProfiles()[1]!;
const CTCC = chinaProfiles()[2]!;

function checkCommon(x: Awaited<ReturnType<typeof run>>, sid = 1, cla = "81") {
  const { line, euicc, modem } = x;
  // GetEID: the request of devices.md §2.2 (BF3E035C015A) on channel 1; an EID whose check digits hold.
  assert.is(line("EID"), `EID ok ${EXAMPLE_EID}`);
  assert.ok(modem.history.includes(`AT+CGLA=${sid},22,"${cla}E2910006BF3E035C015A"`), modem.history.join("\n"));
  // GetProfilesInfo: ICCIDs decoded from nibble-swapped BCD, AIDs, states, UTF-8 names, class.
  const profiles = JSON.parse(line("PROFILES").slice(9)) as Array<Record<string, unknown>>;
  assert.equal(
    profiles.map((p) => [p.iccid, p.aid, p.state, p.provider, p.name, p.profileClass]),
    [
      [CMCC.iccid, CMCC.aid, 1, "中国移动", "China Mobile 4G", 2],
      [CUCC.iccid, CUCC.aid, 0, "中国联通", "China Unicom 4G", 2],
      [CTCC.iccid, CTCC.aid, 0, "中国电信", "China Telecom 4G", 2],
    ].concat(profiles.length > 3 ? [[profiles[3]!.iccid as string, profiles[3]!.aid as string, 0, "Test Operator", "Locked", 2]] : []),
  );
  // The switch: EnableProfile by ICCID, AT+CFUN=0 then 1, the module now reads the new ICCID and registers.
  assert.match(line("SWITCH"), new RegExp(`^SWITCH ok iccid=${CUCC.iccid} stat=1 t=\\d+$`));
  const enableReq = euicc.log.find((e) => e.fn === "EnableProfile")!.request;
  // BF31 11 A0 0C 5A 0A <ICCID nibble-swapped> 81 01 00 (refreshFlag false).
  assert.is(enableReq, "BF3111A00C5A0A" + Buffer.from(CUCC.iccid.replace(/(.)(.)/g, "$2$1"), "hex").toString("hex").toUpperCase() + "810100");
  const cfun = modem.history.filter((l) => l.startsWith("AT+CFUN"));
  assert.equal(cfun.slice(0, 2), ["AT+CFUN=0", "AT+CFUN=1"]);
  // By AID with refreshFlag TRUE (81 01 FF), then the re-read shows China Telecom.
  assert.is(line("ENABLE_AID"), `ENABLE_AID ok iccid=${CTCC.iccid}`);
  const byAid = euicc.log.filter((e) => e.fn === "EnableProfile").find((e) => e.request.includes("4F10"))!;
  assert.is(byAid.request, `BF3117A0124F10${CTCC.aid}8101FF`);
  assert.is(euicc.lastRefreshFlag, true);
  // Result codes as typed errors with the result in the evidence.
  assert.match(line("AGAIN"), /^AGAIN E_ESIM_NOT_DISABLED \{"fn":"EnableProfile","result":2,/);
  assert.match(line("UNKNOWN"), /^UNKNOWN E_ESIM_PROFILE_NOT_FOUND \{"fn":"EnableProfile","result":1,"iccid":"89860000000000000007"/);
  assert.match(line("DISABLE_DISABLED"), /^DISABLE_DISABLED E_ESIM_NOT_ENABLED \{"fn":"DisableProfile","result":2,/);
  assert.match(line("BAD_ICCID"), /^BAD_ICCID E_ESIM_BAD_ICCID /);
  // Segmentation: 300 bytes in blocks of 120/120/60, P1 11/11/91, P2 00/01/02; the card reassembled them.
  const blocks = euicc.apdus.filter((a) => /^[8C].E2/.test(a) && a.length >= 120);
  assert.equal(
    blocks.map((a) => a.slice(4, 10)),
    ["110078", "110178", "91023C"],
  );
  const big = line("BIGREQ").slice(7);
  assert.is(blocks.map((a) => a.slice(10)).join(""), big);
  assert.match(line("BIG"), /^BIG E_ESIM_SW \{"fn":"test","sw":"6A88"\}/);
  assert.match(line("LIST_AFTER"), new RegExp(`^LIST_AFTER ok ${CMCC.iccid}:0,${CUCC.iccid}:0,${CTCC.iccid}:1`));
  // Every channel was closed again (AT+CCHC also after the errors).
  assert.is(euicc.openChannels, 0);
  assert.is(euicc.stats.opens, euicc.stats.closes);
  assert.ok(modem.history.filter((l) => l.startsWith("AT+CCHO=")).length === modem.history.filter((l) => l.startsWith("AT+CCHC=")).length);
  // <len> of AT+CGLA counts hex characters (the module refuses anything else with +CME ERROR: 3).
  for (const l of modem.history.filter((h) => h.startsWith("AT+CGLA="))) {
    const m = /^AT\+CGLA=\d+,(\d+),"([0-9A-F]*)"$/.exec(l)!;
    assert.is(Number(m[1]), m[2]!.length, l);
  }
}

test("61xx answered to the host: the client sends GET RESPONSE (80 C0 00 00 xx) until 9000", async () => {
  const x = await run({ getResponse: "host" });
  checkCommon(x);
  const gr = x.modem.history.filter((l) => /^AT\+CGLA=\d+,10,"8.C00000[0-9A-F]{2}"$/.test(l));
  assert.ok(gr.length >= 8, `${gr.length} GET RESPONSE`);
  // GetEID: 61 15, then GET RESPONSE for 0x15 = 21 bytes (devices.md §2.2 example).
  assert.ok(x.modem.history.includes('AT+CGLA=1,10,"81C0000015"'));
  assert.match(x.line("STATS"), /"getResponses":([1-9]\d*)/);
});

test("the modem runs GET RESPONSE itself: data and 9000 at once, the client sends none", async () => {
  const x = await run({ getResponse: "modem" });
  checkCommon(x);
  assert.is(x.modem.history.filter((l) => /^AT\+CGLA=\d+,10,"8.C0/.test(l)).length, 0);
  assert.match(x.line("STATS"), /"getResponses":0/);
});

test("a policy-locked profile: E_ESIM_POLICY; session ids above 3 put the channel in CLA as Cx", async () => {
  const locked: EuiccProfile = { ...chinaProfiles()[0]!, iccid: "89860099999999999990", imsi: "460009999999999", aid: "A0000005591010FFFFFFFF8900001300", provider: "Test Operator", name: "Locked", policyLocked: true };
  const x = await run({ profiles: [...chinaProfiles(), locked], sidBase: 5 });
  checkCommon(x, 5, "C1");
  assert.match(x.line("LOCKED"), /^LOCKED E_ESIM_POLICY \{"fn":"EnableProfile","result":3,/);
  // Channel 5: CLA C1 (ETSI TS 102 221: channels 4-19 are C0 + n - 4).
  assert.ok(x.modem.history.some((l) => l.startsWith('AT+CGLA=5,22,"C1E2910006BF3E035C015A"')), x.modem.history.join("\n"));
});

test("catBusy: the module is reset (AT+CFUN=1,1) and EnableProfile sent once more; twice busy is E_ESIM_CAT_BUSY", async () => {
  const once = await run({ catBusy: 1 });
  assert.match(once.line("SWITCH"), /^SWITCH ok /);
  assert.match(once.line("STATS"), /resets=1$/);
  assert.ok(once.modem.history.includes("AT+CFUN=1,1"));
  assert.is(once.modem.stats.resets + once.modem.stats.boots >= 2, true);
  const twice = await run({ catBusy: 2 });
  assert.match(twice.line("SWITCH"), /^SWITCH E_ESIM_CAT_BUSY \{"fn":"EnableProfile","result":5,"iccid":"\d+","retried":true\}/);
  assert.is(twice.euicc.openChannels, 0);
});

test.run();
