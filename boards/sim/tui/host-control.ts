/**
 * The host behaviour switches of the interactive simulator, as scripted rules of the built-in acquirer host
 * (boards/sim/host/script.ts) that the person changes while the terminal runs:
 *   normal                    no rule: the host processes every request
 *   force response code XX    financial requests (0100, 0200) are answered XX without processing
 *   delay N s                 every answer is sent N seconds late (the terminal's timeout and reversal show)
 *   outage                    every new connection is closed at once (the link fails)
 * A request meets only the first matching rule: the forced code's rule carries the delay too.
 */
import type { AcquirerHost } from "../host/host.ts";
import type { HostEvent } from "../host/events.ts";

const ANSWER_RULE = "tui-code";
const DELAY_RULE = "tui-delay";
const OUTAGE_RULE = "tui-outage";
/** Delays offered by the delay switch, in seconds (65 s is past the terminal's 60 s response timeout). */
export const DELAY_STEPS = [0, 5, 15, 30, 65];

export class HostControl {
  /** Field 39 forced on financial requests, or undefined. */
  forcedCode: string | undefined;
  delaySeconds = 0;
  outage = false;

  constructor(readonly host: AcquirerHost) {}

  private apply(): void {
    const rules = this.host.rules;
    for (const id of [ANSWER_RULE, DELAY_RULE, OUTAGE_RULE]) rules.remove(id);
    const delay = this.delaySeconds > 0 ? { delayMs: this.delaySeconds * 1000 } : {};
    // Added in front of any rule loaded from a host script; the forced code goes before the plain delay.
    if (this.delaySeconds > 0) rules.add({ id: DELAY_RULE, comment: "interactive delay", action: delay }, true);
    if (this.forcedCode !== undefined) rules.add({ id: ANSWER_RULE, comment: "interactive response code", match: { mti: ["0100", "0200"] }, action: { respond: this.forcedCode, ...delay } }, true);
    if (this.outage) rules.add({ id: OUTAGE_RULE, comment: "interactive outage", action: { disconnect: "accept" } }, true);
  }

  normal(): void {
    this.forcedCode = undefined;
    this.delaySeconds = 0;
    this.outage = false;
    this.apply();
  }

  forceCode(code: string | undefined): void {
    if (code !== undefined && !/^[\x20-\x7e]{2}$/.test(code)) throw new Error(`E_HOST_RULE: a response code is 2 printable characters, got ${JSON.stringify(code)}`);
    this.forcedCode = code;
    this.apply();
  }

  setDelay(seconds: number): void {
    this.delaySeconds = Math.max(0, Math.floor(seconds));
    this.apply();
  }

  /** The next step of DELAY_STEPS. */
  cycleDelay(): number {
    const i = DELAY_STEPS.indexOf(this.delaySeconds);
    this.setDelay(DELAY_STEPS[(i + 1) % DELAY_STEPS.length]!);
    return this.delaySeconds;
  }

  setOutage(on: boolean): void {
    this.outage = on;
    this.apply();
  }

  /** One line: what the host does now. */
  describe(): string {
    const parts: string[] = [];
    if (this.outage) parts.push("停机 outage");
    if (this.forcedCode !== undefined) parts.push(`强制应答码 ${this.forcedCode}`);
    if (this.delaySeconds > 0) parts.push(`延迟 ${this.delaySeconds}s`);
    return parts.length ? parts.join(" + ") : "正常 normal";
  }
}

/** One line per request/response/fault the host saw, newest last: "→ 0200 000012", "← 0210 000012 rc 00". */
export function exchangeLines(events: HostEvent[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    if (e.kind === "request") out.push(`→ ${e.mti ?? "????"} 流水 ${e.stan ?? "------"}${e.terminalId ? " 终端 " + e.terminalId : ""}`);
    else if (e.kind === "response") out.push(`← ${e.mti ?? "????"} 流水 ${e.stan ?? "------"} rc ${e.code ?? "--"}${e.rule ? " (" + e.rule + ")" : ""}`);
    else if (e.kind === "fault") out.push(`! ${e.note ?? "fault"}${e.rule ? " (" + e.rule + ")" : ""}`);
    else if (e.kind === "malformed" || e.kind === "error") out.push(`! ${e.kind}: ${e.note ?? ""}`);
  }
  return out;
}
