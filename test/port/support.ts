/**
 * What the native-port tests share: the runtime built once per process (objects cached on disk under
 * dist/port/obj), a way to run it and collect its output, a pseudo-terminal echo on the far end of a
 * port, and engine-code entries bundled for the linux board.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, loadBoard } from "../../build/board.ts";
import { buildImage } from "../../build/build.ts";
import { buildPort, type PortBuild } from "../../build/port.ts";

let built: Promise<PortBuild> | undefined;
/** The QuickJS runtime for the linux board and its firmware image, built once per test process. */
export function portBuild(): Promise<PortBuild> {
  return (built ??= buildPort({ board: "linux", engine: "quickjs" }));
}

export interface PortRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  lines: string[];
  ms: number;
}

/** Runs `cmd args` (the runtime, or valgrind with it) to its end or the time limit. */
export function runProcess(cmd: string, args: string[], timeoutMs = 60000): Promise<PortRun> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
    p.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, lines: stdout.split("\n").filter(Boolean), ms: Date.now() - t0 });
    });
  });
}

export async function runPort(args: string[], timeoutMs = 60000): Promise<PortRun> {
  const b = await portBuild();
  return runProcess(b.binary, args, timeoutMs);
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `cup-${prefix}-`));
}

export function hasValgrind(): boolean {
  return spawnSync("valgrind", ["--version"], { encoding: "utf8" }).status === 0;
}

/** The echo device, run as its own process so no tty handle ever lives in the test process. */
const ECHO_SOURCE = `
const fs = require("node:fs"), tty = require("node:tty");
const [link, echo] = process.argv.slice(1);
(function wait() {
  if (!fs.existsSync(link)) return void setTimeout(wait, 5);
  const fd = fs.openSync(link, fs.constants.O_RDWR | fs.constants.O_NOCTTY);
  const rs = new tty.ReadStream(fd);
  rs.setRawMode(true);
  rs.on("data", (b) => { process.stdout.write(b.toString("hex") + "\\n"); if (echo === "1") fs.writeSync(fd, b); });
  rs.on("error", () => {});
})();
`;

/**
 * The far end of a port mapped with `pty:LINK`: a child process waits for the runtime to create LINK
 * (the pty's slave), then echoes every byte back and reports what it saw.
 */
export class PtyEcho {
  readonly seen: Buffer[] = [];
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;

  constructor(readonly link: string, echo = true) {
    this.child = spawn(process.execPath, ["-e", ECHO_SOURCE, link, echo ? "1" : "0"], { stdio: ["ignore", "pipe", "ignore"] });
    let buf = "";
    this.child.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
        this.seen.push(Buffer.from(buf.slice(0, i), "hex"));
        buf = buf.slice(i + 1);
      }
    });
    this.exited = new Promise((resolve) => this.child.on("close", () => resolve()));
  }

  /** Stops the echo process; everything it saw is in `seen` afterwards. */
  async close(): Promise<void> {
    await new Promise((r) => setTimeout(r, 30));
    this.child.kill("SIGKILL");
    await this.exited;
  }
}

const bundles = new Map<string, Promise<string>>();
/** Bundles an engine-code entry for the linux board (like the firmware); returns the script's path. */
export function bundleForLinux(entry: string): Promise<string> {
  let p = bundles.get(entry);
  if (!p) {
    const outfile = join("dist/test/port", entry.replace(/[\\/]/g, "_").replace(/\.ts$/, ".js"));
    p = buildImage({ board: loadBoard("linux"), entry, outfile, globals: ["__natives"], minify: false }).then(() => join(ROOT, outfile));
    bundles.set(entry, p);
  }
  return p;
}

/** The 64-byte image header as the build stamped it (see boards/port/image.h). */
export function readImageHeader(file: string): { magic: string; kind: number; engine: string; features: number; payloadLen: number; payloadCrc: number; board: string; headerCrc: number; bytes: Buffer } {
  const b = readFileSync(file);
  const str = (o: number, n: number) => b.subarray(o, o + n).toString("latin1").replace(/\0+$/, "");
  return {
    magic: str(0, 8),
    kind: b.readUInt32LE(12),
    engine: str(16, 24),
    features: b.readUInt32LE(40),
    payloadLen: b.readUInt32LE(44),
    payloadCrc: b.readUInt32LE(48),
    board: str(52, 8),
    headerCrc: b.readUInt32LE(60),
    bytes: b,
  };
}
