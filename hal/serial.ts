/**
 * A serial port as an async byte stream over the serial native. Received bytes are drained from the
 * native ring on every onReadable into a local queue, so the native never overflows while the app is
 * busy; readers wait on a promise.
 */
import { HalError } from "./errors";
import type { SerialPortInfo } from "./device";

export class SerialStream {
  private readonly port: Natives.Serial;
  private chunks: Uint8Array[] = [];
  private waiter: (() => void) | undefined;
  private failure: HalError | undefined;
  private closed = false;

  constructor(serial: Natives.Board["serial"], info: SerialPortInfo) {
    this.port = serial.open({
      port: info.port,
      baud: info.baud,
      onReadable: () => this.drain(),
      onError: (e) => {
        this.failure = new HalError(e.code, e.message);
        this.wakeReader();
      },
    });
  }

  private drain(): void {
    for (let chunk = this.port.read(); chunk !== undefined; chunk = this.port.read()) this.chunks.push(chunk);
    this.wakeReader();
  }

  private wakeReader(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  write(data: Uint8Array): void {
    if (this.closed) throw new HalError("E_SERIAL_CLOSED", "write on a closed port");
    this.port.write(data);
  }

  /** Bytes already received, without waiting. */
  take(): Uint8Array | undefined {
    return this.chunks.shift();
  }

  /** The next received chunk; waits for one. A reported native error rejects once. */
  async read(): Promise<Uint8Array> {
    for (;;) {
      const c = this.chunks.shift();
      if (c) return c;
      if (this.failure) {
        const f = this.failure;
        this.failure = undefined;
        throw f;
      }
      if (this.closed) throw new HalError("E_SERIAL_CLOSED", "read on a closed port");
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.port.close();
    this.wakeReader();
  }
}
