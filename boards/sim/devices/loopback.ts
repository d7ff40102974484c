import type { SerialDevice } from "../engine-host.ts";

/** A serial loopback plug: every byte written comes back, as with TX wired to RX. */
export class LoopbackSerial implements SerialDevice {
  private toFirmware: ((bytes: Uint8Array) => void) | undefined;
  /** Everything that went through, for tests. */
  readonly seen: Uint8Array[] = [];

  receive(bytes: Uint8Array): void {
    this.seen.push(bytes);
    // Echo on the next turn of the host loop, as a wire would: never inside the write call.
    queueMicrotask(() => this.toFirmware?.(bytes));
  }
  attach(toFirmware: (bytes: Uint8Array) => void): void {
    this.toFirmware = toFirmware;
  }
  detach(): void {
    this.toFirmware = undefined;
  }
}
