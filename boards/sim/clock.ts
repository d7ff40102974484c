/**
 * The simulator's time: a monotonic clock since boot and a battery-backed RTC. In "virtual" mode time
 * moves only when the engine host jumps it to the next timer, so a 60 s host timeout costs nothing.
 */
export class VirtualClock {
  private virtualMs = 0;
  private bootAt = 0;
  private firstBootAt = -1;
  private rtcOffset: number;
  private readonly realStart = performance.now();

  constructor(readonly mode: "virtual" | "real", rtcStartMs: number) {
    this.rtcOffset = rtcStartMs;
  }

  private t(): number {
    return this.mode === "virtual" ? this.virtualMs : Math.floor(performance.now() - this.realStart);
  }
  boot(): void {
    this.bootAt = this.t();
    if (this.firstBootAt < 0) this.firstBootAt = this.bootAt;
  }
  monotonic(): number {
    return this.t() - this.bootAt;
  }
  sinceFirstBoot(): number {
    return this.t() - Math.max(0, this.firstBootAt);
  }
  /** Moves virtual time forward to `monotonicMs` (never backward). */
  advanceTo(monotonicMs: number): void {
    if (this.mode === "virtual") this.virtualMs = Math.max(this.virtualMs, this.bootAt + monotonicMs);
  }
  /** Advances virtual time by `ms` (tests: a device that takes time). */
  advance(ms: number): void {
    if (this.mode === "virtual") this.virtualMs += ms;
  }
  rtc(): number {
    return this.rtcOffset + this.t();
  }
  setRtc(epochMs: number): void {
    this.rtcOffset = epochMs - this.t();
  }
}
