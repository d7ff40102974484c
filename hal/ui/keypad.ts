/**
 * Keypad driver over the keypad native: key events as a subscription and as an async
 * `nextKey(timeout)` over a small type-ahead buffer (keys pressed before anyone asked are kept, in
 * order, up to TYPEAHEAD).
 */
import { HalError } from "../errors";

export type KeyCode = Natives.KeyCode;

export const TYPEAHEAD = 16;

export function isDigitKey(k: KeyCode): boolean {
  return k.length === 1 && k >= "0" && k <= "9";
}

export class Keypad {
  private readonly native: Natives.Keypad;
  private listeners: Array<(key: KeyCode) => void> = [];
  private buffer: KeyCode[] = [];
  private waiter: ((key: KeyCode) => void) | undefined;
  private closed = false;

  constructor(keypad: Natives.Board["keypad"], private readonly timers: Natives.Timers) {
    this.native = keypad.open({ onKey: (k) => this.onKey(k) });
  }

  private onKey(key: KeyCode): void {
    const ls = this.listeners.slice();
    for (let i = 0; i < ls.length; i++) ls[i]!(key);
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w(key);
    } else if (this.buffer.length < TYPEAHEAD) this.buffer.push(key);
  }

  /** Calls `listener` for every key from now on; returns the unsubscribe. */
  subscribe(listener: (key: KeyCode) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** The next key (a buffered one first); E_KEY_TIMEOUT after `timeoutMs`. One waiter at a time. */
  nextKey(timeoutMs: number): Promise<KeyCode> {
    if (this.closed) return Promise.reject(new HalError("E_KEYPAD_CLOSED", "keypad closed"));
    const k = this.buffer.shift();
    if (k !== undefined) return Promise.resolve(k);
    if (this.waiter) return Promise.reject(new HalError("E_KEYPAD_BUSY", "someone is already waiting for a key"));
    return new Promise<KeyCode>((resolve, reject) => {
      const timer = this.timers.set(() => {
        if (this.waiter !== got) return;
        this.waiter = undefined;
        reject(new HalError("E_KEY_TIMEOUT", `no key within ${timeoutMs} ms`));
      }, timeoutMs);
      const got = (key: KeyCode) => {
        this.timers.clear(timer);
        resolve(key);
      };
      this.waiter = got;
    });
  }

  /** Drops keys pressed ahead (before a screen that must not take stale input). */
  flush(): void {
    this.buffer.length = 0;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.native.close();
  }
}
