/** Timers and clock as promises over the board's timer native. */
import { HalError } from "./errors";

export interface TimeService {
  /** Resolves after `ms` milliseconds. */
  sleep(ms: number): Promise<void>;
  /** Rejects with E_TIMEOUT after `ms` unless `work` settles first; the timer is always cleared. */
  within<T>(ms: number, work: Promise<T>, what: string): Promise<T>;
  monotonic(): number;
  /** RTC, ms since epoch (0 = never set). */
  now(): number;
  setNow(epochMs: number): void;
  timers: Natives.Timers;
}

export function createTime(timers: Natives.Timers, clock: Natives.Clock): TimeService {
  return {
    timers,
    sleep: (ms) => new Promise<void>((resolve) => void timers.set(resolve, ms)),
    within<T>(ms: number, work: Promise<T>, what: string): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const id = timers.set(() => reject(new HalError("E_TIMEOUT", `${what}: no answer within ${ms} ms`)), ms);
        work.then(
          (v) => {
            timers.clear(id);
            resolve(v);
          },
          (e) => {
            timers.clear(id);
            reject(e);
          },
        );
      });
    },
    monotonic: () => clock.monotonic(),
    now: () => clock.now(),
    setNow: (ms) => clock.set(ms),
  };
}
