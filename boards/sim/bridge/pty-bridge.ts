/**
 * Attaches one of the simulator's serial devices (a boards/sim SerialDevice: Modem4G, VirtualPrinter, a
 * debug-port agent client) to the pseudo-terminal the native runtime makes for a serial role
 * (`cup-port --port modem=pty:LINK`): the firmware writes to the pty's master, the device reads and
 * answers on the slave that LINK points to.
 *
 * The slave is opened by a small relay child process (raw mode, bytes passed both ways over its stdin and
 * stdout pipes), so no tty handle ever lives in the calling process: Node's TTY streams there would keep
 * its event loop alive and turn the slave's EIO (when the runtime exits) into an uncaught error. The
 * device itself runs in the calling process, so a test inspects it directly (printer text, modem stats).
 *
 * Time: devices that schedule work (the 4G module's boot, registration, sockets) get a real-time
 * DeviceHost (`realTimeHost()` of devices/modem4g.ts) unless one is given.
 */
import { spawn, type ChildProcess } from "node:child_process";
import type { DeviceHost, SerialDevice } from "../engine-host.ts";
import { realTimeHost } from "../devices/modem4g.ts";

/** The relay: waits for LINK, opens the slave raw, pipes slave -> stdout and stdin -> slave. */
const RELAY_SOURCE = `
const fs = require("node:fs"), tty = require("node:tty");
const link = process.argv[1];
const deadline = Date.now() + Number(process.argv[2]);
(function wait() {
  if (!fs.existsSync(link)) {
    if (Date.now() > deadline) { process.stderr.write("pty-bridge: " + link + " never appeared\\n"); process.exit(2); }
    return void setTimeout(wait, 5);
  }
  const fd = fs.openSync(link, fs.constants.O_RDWR | fs.constants.O_NOCTTY);
  const rs = new tty.ReadStream(fd);
  rs.setRawMode(true);
  rs.on("data", (b) => process.stdout.write(b));
  rs.on("error", () => process.exit(0));
  rs.on("close", () => process.exit(0));
  const queue = [];
  let flushing = false;
  const flush = () => {
    flushing = false;
    while (queue.length) {
      const b = queue[0];
      let n = 0;
      try { n = fs.writeSync(fd, b); } catch (e) {
        if (e.code === "EAGAIN") { flushing = true; return void setTimeout(flush, 1); }
        process.exit(0);
      }
      if (n < b.length) queue[0] = b.subarray(n); else queue.shift();
    }
  };
  process.stdin.on("data", (b) => { queue.push(b); if (!flushing) flush(); });
  process.stdin.on("end", () => process.exit(0));
  process.stderr.write("open\\n");
})();
`;

export interface PtyBridgeOptions {
  /** The DeviceHost given to the device at attach (default: a real-time one). */
  host?: DeviceHost;
  /** How long to wait for the runtime to create LINK (ms, default 15000). */
  waitMs?: number;
  /** Called with every chunk in each direction (tracing). */
  onTrace?: (direction: "to-device" | "to-firmware", bytes: Uint8Array) => void;
}

export class PtyBridge {
  /** Bytes the firmware sent to the device and the device sent to the firmware. */
  readonly stats = { toDevice: 0, toFirmware: 0 };
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;
  private readonly ownHost: (DeviceHost & { dispose(): void }) | undefined;
  private attached = false;
  private readonly early: Uint8Array[] = [];
  private closed = false;
  /** Resolves when the relay has opened the slave (the device is attached then). */
  readonly opened: Promise<void>;

  constructor(readonly link: string, readonly device: SerialDevice, private readonly options: PtyBridgeOptions = {}) {
    this.ownHost = options.host ? undefined : realTimeHost();
    const host = options.host ?? this.ownHost!;
    this.child = spawn(process.execPath, ["-e", RELAY_SOURCE, link, String(options.waitMs ?? 15000)], { stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdin!.on("error", () => undefined);
    this.exited = new Promise((resolve) => this.child.on("close", (code) => resolve(code)));
    let stderr = "";
    this.opened = new Promise((resolve, reject) => {
      this.child.stderr!.on("data", (d: Buffer) => {
        stderr += d.toString();
        if (!this.attached && stderr.includes("open\n")) {
          this.attached = true;
          this.device.attach((bytes) => this.toFirmware(bytes), host);
          // Bytes the relay read before its "open" line got here (two pipes, no order between them).
          for (const b of this.early.splice(0)) this.deliver(b);
          resolve();
        }
      });
      this.exited.then((code) => {
        if (!this.attached) reject(new Error(`E_BRIDGE_LINK: ${link}: relay ended (${code}) before the pty opened: ${stderr.trim()}`));
      });
    });
    this.opened.catch(() => undefined);
    this.child.stdout!.on("data", (d: Buffer) => {
      const bytes = Uint8Array.from(d);
      if (this.attached) this.deliver(bytes);
      else if (!this.closed) this.early.push(bytes);
    });
    // The runtime ended (slave EIO) or the relay was stopped: the device loses its port.
    this.exited.then(() => this.detach());
  }

  private deliver(bytes: Uint8Array): void {
    this.stats.toDevice += bytes.length;
    this.options.onTrace?.("to-device", bytes);
    this.device.receive(bytes);
  }

  private toFirmware(bytes: Uint8Array): void {
    if (this.closed || !this.child.stdin!.writable) return;
    this.stats.toFirmware += bytes.length;
    this.options.onTrace?.("to-firmware", bytes);
    this.child.stdin!.write(Buffer.from(bytes));
  }

  private detach(): void {
    if (!this.attached) return;
    this.attached = false;
    this.device.detach();
  }

  /** Detaches the device and stops the relay (idempotent). */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.detach();
      this.child.kill("SIGKILL");
    }
    await this.exited;
    this.ownHost?.dispose();
  }
}
