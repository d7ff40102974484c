/**
 * The diagnosis additions of issue #9 in Node: the link manager's diagnoses (E_LINK_*) and an ExchangeError's
 * linkCode mapped to causes, the 4G evidence read back from the link log's steps, and the self-test's printed
 * report (32 columns, every failed item with its cause, next step and who fixes it) and screen (fits the panel).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { diagnose, failureEvidence, type LinkStep } from "../../../firmware/diag/diagnose.ts";
import { selfTestScreen, selfTestSlip, dateTime, type SelfTestReport } from "../../../firmware/diag/selftest.ts";
import { causeIds, FIXER_ZH } from "../../../firmware/diag/causes.ts";
import { textWidth } from "../../../hal/ui/text.ts";

test("link diagnoses name their causes; a host unreachable through a weak signal is the signal", () => {
  const cases: Array<[string, string]> = [
    ["E_LINK_NO_SIM", "sim-missing"], ["E_LINK_SIM_LOCKED", "sim-locked"], ["E_LINK_SIM_FAILURE", "sim-invalid"], ["E_LINK_REG_DENIED", "sim-arrears"],
    ["E_LINK_NO_SIGNAL", "no-signal"], ["E_LINK_WEAK_SIGNAL", "weak-signal"], ["E_LINK_PDP_FAILED", "data-context-failed"], ["E_LINK_HOST_UNREACHABLE", "host-unreachable"],
    ["E_LINK_MODEM_FAILURE", "modem-fault"], ["E_LINK_LINE_BUSY", "line-busy"], ["E_LINK_NO_DIALTONE", "line-no-dialtone"], ["E_LINK_NO_CARRIER", "line-no-answer"],
    ["E_LINK_NOT_CONFIGURED", "no-link"],
  ];
  for (const [linkCode, want] of cases) {
    assert.is(diagnose({ operation: "sign-in", error: "E_HOST_UNREACHABLE", linkCode }).cause.id, want, linkCode);
    assert.is(diagnose({ operation: "sign-in", error: linkCode }).cause.id, want, linkCode);
  }
  // Without the link's code, an unreachable host stays an unreachable host.
  assert.is(diagnose({ operation: "sale", error: "E_HOST_UNREACHABLE" }).cause.id, "host-unreachable");
  assert.is(diagnose({ operation: "sale", error: "E_HOST_UNREACHABLE", linkCode: "E_LINK_HOST_UNREACHABLE", modem: { csq: 3, dbm: -107 } }).cause.id, "weak-signal");
  // A linkCode only explains connection failures: a decline is still the decline.
  assert.is(diagnose({ operation: "sale", error: "E_MAC_MISMATCH", linkCode: "E_LINK_NO_SIM" }).cause.id, "data-corrupted");
  for (const id of ["modem-fault", "no-link", "card-reader-fault"]) assert.ok(causeIds().includes(id));
});

test("failureEvidence: the link code and the 4G evidence of the last connection attempt's failed steps", () => {
  const steps: LinkStep[] = [
    { link: "link", step: "connect", outcome: "info", detail: "127.0.0.1:5000 via cellular,dialup" },
    { link: "cellular", step: "register", outcome: "fail", code: "E_NO_SIGNAL", detail: "stat=2 csq=77 dbm=-1" },
    { link: "link", step: "connect", outcome: "info", detail: "127.0.0.1:5000 via cellular,dialup" },
    { link: "cellular", step: "sim", outcome: "fail", code: "E_SIM_NOT_INSERTED", detail: "cpin=NOT INSERTED cme=10" },
    { link: "cellular", step: "diagnosis", outcome: "fail", code: "E_LINK_NO_SIM", detail: "E_SIM_NOT_INSERTED" },
    { link: "dialup", step: "dial", outcome: "fail", code: "E_DIAL_NO_DIALTONE", detail: "final=NO DIALTONE" },
  ];
  const err = Object.assign(new Error("cannot reach the host"), { code: "E_HOST_UNREACHABLE", linkCode: "E_LINK_NO_SIM" });
  const ev = failureEvidence(err, steps);
  assert.is(ev.linkCode, "E_LINK_NO_SIM");
  assert.equal(ev.modem, { cpin: "NOT INSERTED", cme: 10 });
  assert.equal(ev.linkSteps, ["cellular sim E_SIM_NOT_INSERTED", "cellular diagnosis E_LINK_NO_SIM", "dialup dial E_DIAL_NO_DIALTONE"]);
  const d = diagnose({ operation: "sign-in", error: "E_HOST_UNREACHABLE", ...ev });
  assert.is(d.cause.id, "sim-missing");
  assert.ok(d.evidence.includes("SIM NOT INSERTED"), d.evidence.join("|"));
  // A failure that is not the connection's carries none of it.
  assert.equal(failureEvidence(Object.assign(new Error("x"), { code: "E_NOT_SIGNED_IN" }), steps), {});
  const weak = failureEvidence(Object.assign(new Error("x"), { code: "E_HOST_TIMEOUT" }), [{ link: "cellular", step: "register", outcome: "fail", code: "E_REG_TIMEOUT", detail: "stat=2 csq=3 dbm=-107" }]);
  assert.is(diagnose({ operation: "sale", error: "E_HOST_TIMEOUT", ...weak }).cause.id, "weak-signal");
});

const report: SelfTestReport = {
  time: Date.UTC(2026, 10, 22, 1, 2, 3),
  ok: 1,
  warn: 1,
  fail: 2,
  printed: false,
  items: [
    { id: "sim", name: "SIM卡", verdict: "ok", evidence: ["SIM 就绪 READY", "ICCID 89860020123456789012"] },
    { id: "registration", name: "网络注册", verdict: "fail", evidence: ["注册状态 3 被拒绝", "运营商 CHINA MOBILE 46000 a long operator line that must wrap"], ...pick("E_REG_DENIED") },
    { id: "keys", name: "密钥", verdict: "fail", evidence: ["MAK KCV 11223344 应为 55667788"], ...pick("E_KCV_MISMATCH") },
    { id: "journal", name: "流水", verdict: "warn", evidence: ["已用 8/10笔"], ...pick("E_JOURNAL_FULL") },
  ],
};

function pick(error: string) {
  const c = diagnose({ operation: "self-test", error }).cause;
  return { cause: c.id, code: error, zh: c.zh, en: c.en, next: c.nextZh, nextEn: c.nextEn, fixer: c.fixer };
}

test("the report slip: 32 columns, each failed item with its cause, next step and who fixes it; Beijing time", () => {
  const lines = selfTestSlip(report, { terminalId: "10000001", merchantId: "898100012345678", serial: "SIM00000001", firmware: "0.1.0" });
  const texts = lines.filter((l): l is { text: string } => "text" in l).map((l) => l.text);
  for (const t of texts) assert.ok(textWidth(t) <= 32 || t === "终端自检报告", `"${t}" is ${textWidth(t)} columns`);
  const all = texts.join("\n");
  assert.match(all, /时间:2026-11-22 09:02:03/);
  assert.match(all, /2\.网络注册 +失败 FAIL/);
  assert.match(all, /原因:SIM卡欠费停机/);
  assert.match(all, new RegExp(FIXER_ZH.acquirer.slice(0, 6)));
  assert.match(all, /结果: 正常1 警告1 失败2/);
  assert.ok("cut" in lines[lines.length - 1]!);
  assert.is(dateTime(0), "1970-01-01 08:00:00");
  const screen = selfTestScreen(report, 20, 6);
  assert.is(screen[0], "正常1 警告1 失败2");
  assert.ok(screen.length <= 6);
  for (const l of screen) assert.ok(textWidth(l) <= 20, l);
  assert.match(screen.join("|"), /x网络注册 SIM卡欠费/);
});

test.run();
