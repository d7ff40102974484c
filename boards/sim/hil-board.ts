/**
 * The simulator playing a board on a bench, for the HIL harness's `serial` target when no board is attached:
 *
 *   npx tsx boards/sim/hil-board.ts --link /tmp/x/ttyHIL --control /tmp/x/rig.sock [--echo]
 *
 * - The sim firmware image (terminal app + test agent) runs in the embedded engine in REAL time with every virtual
 *   device (boards/sim/hil/board.ts); its `debug` UART is a pseudo-terminal: LINK points to the pty's slave, which
 *   the harness opens with the `serialport` package as it would a USB-serial adapter on a real board's debug UART.
 *   Only the agent's CBOR frames cross it, as on a real board.
 * - The bench (the rig: card robot, PED key presser, paper, power relay, printer camera) is reached on a separate
 *   control channel: JSON lines on the unix socket CONTROL, one {id, cmd, ...} per line (RigCommand of
 *   hil/board.ts), answered {id, ok: true, result} | {id, ok: false, error: {code, message}}.
 *
 * The pty pair is made by a small Python relay (Node has no openpty): it opens the pair, sets the slave raw, keeps it
 * open (so the harness can close and reopen its end), links LINK to it and passes bytes between the master and its
 * stdin/stdout. Prints "hil-board ready LINK CONTROL" on stdout when both are up; stops on SIGTERM, SIGINT or stdin
 * end.
 */
import { spawn } from "node:child_process";
import { createServer, type Socket } from "node:net";
import { rmSync } from "node:fs";
import type { DeviceHost, SerialDevice } from "./engine-host.ts";
import { HilBoard, type RigCommand } from "./hil/board.ts";

const RELAY = `
import os, sys, tty, select, termios
link = sys.argv[1]
master, slave = os.openpty()
tty.setraw(slave)
name = os.ttyname(slave)
try:
    os.unlink(link)
except FileNotFoundError:
    pass
os.symlink(name, link)
sys.stderr.write("open " + name + "\\n"); sys.stderr.flush()
out = sys.stdout.buffer
inp = sys.stdin.buffer.raw
while True:
    r, _, _ = select.select([master, inp], [], [])
    if master in r:
        try:
            b = os.read(master, 4096)
        except OSError:
            b = b""
        if b:
            out.write(b); out.flush()
    if inp in r:
        b = os.read(inp.fileno(), 4096)
        if not b:
            break
        view = memoryview(b)
        while len(view):
            n = os.write(master, view)
            view = view[n:]
`;

/** The firmware's debug UART, wired to the pty relay. Bytes sent while the board is off are lost, as on a UART. */
class PtyUart implements SerialDevice {
  private toFw: ((b: Uint8Array) => void) | undefined;
  constructor(private readonly write: (b: Uint8Array) => void) {}
  attach(toFirmware: (bytes: Uint8Array) => void, _host?: DeviceHost): void {
    this.toFw = toFirmware;
  }
  detach(): void {
    this.toFw = undefined;
  }
  receive(bytes: Uint8Array): void {
    this.write(bytes);
  }
  fromLine(bytes: Uint8Array): void {
    this.toFw?.(bytes);
  }
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const link = arg("--link");
  const control = arg("--control");
  if (!link || !control) {
    process.stderr.write("usage: hil-board.ts --link PATH --control SOCKET [--echo]\n");
    process.exit(2);
  }
  const relay = spawn("python3", ["-c", RELAY, link], { stdio: ["pipe", "pipe", "pipe"] });
  relay.stdin.on("error", () => undefined);
  const uart = new PtyUart((b) => {
    if (relay.stdin.writable) relay.stdin.write(Buffer.from(b));
  });
  relay.stdout.on("data", (d: Buffer) => uart.fromLine(Uint8Array.from(d)));
  await new Promise<void>((resolve, reject) => {
    let err = "";
    relay.stderr.on("data", (d: Buffer) => {
      err += d.toString();
      if (err.includes("open ")) resolve();
    });
    relay.on("error", (e) => reject(new Error(`E_HIL_PTY: python3 relay: ${e.message}`)));
    relay.on("close", (code) => reject(new Error(`E_HIL_PTY: the pty relay ended (${code}): ${err}`)));
  });

  const echo = process.argv.includes("--echo");
  const board = new HilBoard({ debug: uart, clock: "real", echoLogs: echo });

  rmSync(control, { force: true });
  const clients = new Set<Socket>();
  const server = createServer((sock) => {
    clients.add(sock);
    sock.on("close", () => clients.delete(sock));
    sock.on("error", () => undefined);
    let buf = "";
    // Commands run one after another (a power cut is not overtaken by the next swipe).
    let chain = Promise.resolve();
    sock.on("data", (d) => {
      buf += d.toString("utf8");
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!line.trim()) continue;
        chain = chain.then(async () => {
          let msg: { id?: unknown } & RigCommand;
          try {
            msg = JSON.parse(line);
          } catch {
            sock.write(JSON.stringify({ id: null, ok: false, error: { code: "E_RIG_REQUEST", message: "not JSON" } }) + "\n");
            return;
          }
          try {
            const result = await board.command(msg);
            sock.write(JSON.stringify({ id: msg.id, ok: true, result: result ?? null }) + "\n");
          } catch (e) {
            sock.write(JSON.stringify({ id: msg.id, ok: false, error: { code: (e as { code?: string }).code ?? "E_RIG", message: (e as Error).message } }) + "\n");
          }
        });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(control, resolve));
  process.stdout.write(`hil-board ready ${link} ${control}\n`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    for (const c of clients) c.destroy();
    server.close();
    await Promise.race([board.stop(), new Promise((r) => setTimeout(r, 2000))]);
    relay.kill("SIGTERM");
    rmSync(link, { force: true });
    rmSync(control, { force: true });
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  process.stdin.on("end", stop);
  process.stdin.resume();
}

main().catch((e) => {
  process.stderr.write(`hil-board: ${(e as Error).message}\n`);
  process.exit(1);
});
