/**
 * The embedded-engine runner: loads a firmware bundle into QuickJS (standing in for JerryScript) with
 * the board's memory budget, injects the natives as host functions (through the in-engine port shell
 * prelude.js), runs the event loop (native callbacks, timers, pending jobs) and measures engine memory.
 *
 * Events reach the firmware only between scripts: one queued event is one call into the engine,
 * followed by all pending jobs (Promise reactions), exactly as a board's port runs them.
 */
import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { getQuickJS, type QuickJSContext, type QuickJSHandle, type QuickJSRuntime, type QuickJSWASMModule } from "quickjs-emscripten";
import type { BoardJson } from "../../build/board.ts";
import { SimFlash } from "./devices/flash.ts";
import { VirtualClock } from "./clock.ts";

const PRELUDE = readFileSync(new URL("./prelude.js", import.meta.url), "utf8");

/** A virtual device behind a serial port. */
export interface SerialDevice {
  /** Bytes the firmware wrote to the port. */
  receive(bytes: Uint8Array): void;
  /**
   * The host connects the device's output to the port's receive ring. `host` (optional to use) gives
   * devices that take time the engine's clock, timers on it, and a way to hold virtual time still.
   */
  attach(toFirmware: (bytes: Uint8Array) => void, host?: DeviceHost): void;
  /** The port was closed or the engine rebooted. */
  detach(): void;
}

/** What a serial device may use of the host while attached (cleared when the port closes or the engine reboots). */
export interface DeviceHost {
  clock: VirtualClock;
  /** Calls `fn` once after `ms` of engine time (virtual time jumps to it like to a firmware timer); returns a cancel. */
  setTimer(fn: () => void, ms: number): () => void;
  /**
   * Keeps virtual time from jumping while real I/O is under way (a socket connect, a reply on its way):
   * call the returned function when it is done (idempotent). Releasing wakes the loop.
   */
  hold(): () => void;
}

/**
 * Holds virtual time while real I/O is under way, capped in real time so a lost event cannot freeze it;
 * returns the release (idempotent). Without a host it does nothing.
 */
export function cappedHold(host: DeviceHost | undefined, capMs = 2000): () => void {
  const h = host?.hold();
  if (!h) return () => undefined;
  const t = setTimeout(h, capMs);
  t.unref?.();
  return () => {
    clearTimeout(t);
    h();
  };
}

/** Host-side handlers for natives beyond serial/timers/clock/flash/system (added by later devices). */
export interface ExtraNatives {
  install(ctx: QuickJSContext, host: QuickJSHandle, api: HostApi): void;
}

/** What device code may do to the running engine. */
export interface HostApi {
  /** Queue an event for the firmware (delivered between scripts). */
  post(kind: string, id: number, a?: string | number, b?: string | number): void;
  newHandlerId(): number;
  clock: VirtualClock;
}

export interface EngineOptions {
  bundle: string;
  board: BoardJson;
  flash?: SimFlash;
  serial?: Record<string, SerialDevice>;
  extras?: ExtraNatives[];
  /** "virtual": time jumps to the next timer whenever the devices are quiet; "real": wall-clock time. */
  clock?: "virtual" | "real";
  /** Wall-clock start for the RTC (ms since epoch). */
  rtcStartMs?: number;
  serialNumber?: string;
  /** Receives the firmware's log lines. */
  onLog?: (level: number, message: string) => void;
  /** Called at each boot with the booted engine (tests inspect it). */
  onBoot?: (boot: number) => void;
  /** Reboots allowed before the runner stops (a boot loop is an error). */
  maxBoots?: number;
  /** Real milliseconds of device silence before virtual time jumps to the next timer. */
  quietMs?: number;
  /** Real-time limit for one script (callback) before the watchdog interrupts it. */
  watchdogMs?: number;
  /** Keep QuickJS's memory breakdown at the data heap's peak (MemoryReport.detailAtPeak): for finding what fills the heap. */
  memoryDetail?: boolean;
  /** Overrides board.budgets.heapBytes. */
  heapBytes?: number;
}

export interface MemoryReport {
  /** QuickJS memory of an empty context with the port shell: not the firmware's. */
  baselineBytes: number;
  /** Bytecode and atoms of the compiled bundle (on a board, a snapshot executes from flash). */
  codeBytes: number;
  /** Peak sampled memory minus baseline and code: the firmware's data heap. An estimate: QuickJS frees the
   *  top-level script's bytecode after running it, so for bundles with much run-once code it reads low. */
  peakHeapBytes: number;
  /** Peak sampled memory above the baseline: code and data together (what a JerryScript heap holds when the
   *  bundle is loaded from source rather than executed from a flash snapshot). */
  peakBytes: number;
  /** The limit enforced on the data heap (board.budgets.heapBytes). */
  heapLimitBytes: number;
  samples: number;
  /** QuickJS's own breakdown (JS_ComputeMemoryUsage, as JSON) at the data heap's peak, when EngineOptions.memoryDetail is set. */
  detailAtPeak?: string;
}

export interface RunResult {
  status: "exit" | "idle" | "error" | "out-of-memory" | "boot-loop" | "stopped";
  exitCode: number;
  boots: number;
  error?: string;
  memory: MemoryReport;
  /** Virtual (or real) milliseconds since the first boot. */
  elapsedMs: number;
}

const RX_RING_BYTES = 8192;

let modulePromise: Promise<QuickJSWASMModule> | undefined;
export function quickjs(): Promise<QuickJSWASMModule> {
  return (modulePromise ??= getQuickJS());
}

/**
 * Memory held by code (bytecode functions with their bytecode and line tables, and atoms): on a board a snapshot
 * keeps these in flash. Subtracted from "memory used" to estimate the data heap at every sample.
 */
function codeHeld(rt: QuickJSRuntime, ctx: QuickJSContext): number {
  // computeMemoryUsage, not the text dump: the dump is cut at a fixed length once there are many object classes.
  const h = rt.computeMemoryUsage();
  try {
    const m = ctx.dump(h) as Record<string, number>;
    return (m.js_func_size ?? 0) + (m.js_func_code_size ?? 0) + (m.js_func_pc2line_size ?? 0) + (m.atom_size ?? 0);
  } finally {
    h.dispose();
  }
}

function memoryUsed(rt: QuickJSRuntime): number {
  const m = /memory used\s+\d+\s+(\d+)/.exec(rt.dumpMemoryUsage());
  return m ? Number(m[1]) : 0;
}

class StopSignal {
  constructor(readonly kind: "exit" | "reset", readonly code = 0) {}
}

interface Port {
  name: string;
  device: SerialDevice;
  rx: Uint8Array[];
  rxBytes: number;
  readablePosted: boolean;
}

export class EngineHost {
  readonly flash: SimFlash;
  readonly clock: VirtualClock;
  private queue: Array<[string, number, (string | number)?, (string | number)?]> = [];
  private wake: (() => void) | undefined;
  private ports = new Map<number, Port>();
  private timers = new Map<number, { due: number; every: number }>();
  /** Devices' timers (Node callbacks on the engine clock) and holds on virtual time (see DeviceHost). */
  private deviceTimers = new Map<number, { due: number; fn: () => void }>();
  private holds = 0;
  private nextId = 1;
  private stopRequested = false;
  private peak = 0;
  private samples = 0;
  private detailAtPeak: string | undefined;
  private bootImage: ((boot: number) => string) | undefined;
  private bootBundle = "";

  constructor(private readonly opts: EngineOptions) {
    this.flash = opts.flash ?? new SimFlash(opts.board.flash.sectorSize, opts.board.flash.sectorCount);
    this.clock = new VirtualClock(opts.clock ?? "virtual", opts.rtcStartMs ?? Date.UTC(2026, 10, 22, 9, 30, 0));
  }

  /**
   * The board's boot loader: called at every boot, it returns the bundle to run (the image of the slot it picked:
   * boards/sim/boot/loader.ts). Without one, every boot runs `bundle` of the options.
   */
  setBootImage(choose: ((boot: number) => string) | undefined): void {
    this.bootImage = choose;
  }

  /** Asks the loop to stop after the current script (for interactive sessions). */
  stop(): void {
    this.stopRequested = true;
    this.wake?.();
  }

  /** Boots the bundle (again after each reset) until it exits, goes idle or fails. */
  async run(): Promise<RunResult> {
    const QJS = await quickjs();
    this.qjs = QJS;
    const maxBoots = this.opts.maxBoots ?? 8;
    let boots = 0;
    let memory: MemoryReport = { baselineBytes: 0, codeBytes: 0, peakHeapBytes: 0, peakBytes: 0, heapLimitBytes: 0, samples: 0 };
    for (;;) {
      boots++;
      if (boots > maxBoots) return this.result("boot-loop", 1, boots - 1, memory, `more than ${maxBoots} boots`);
      this.clock.boot();
      this.bootBundle = this.bootImage ? this.bootImage(boots) : this.opts.bundle;
      this.opts.onBoot?.(boots);
      const r = await this.bootOnce(QJS, memory);
      memory = r.memory;
      if (r.status !== "reset") return this.result(r.status, r.exitCode, boots, memory, r.error);
    }
  }

  private result(status: RunResult["status"], exitCode: number, boots: number, memory: MemoryReport, error?: string): RunResult {
    return { status, exitCode, boots, memory, error, elapsedMs: this.clock.sinceFirstBoot() };
  }

  private async bootOnce(QJS: QuickJSWASMModule, prevMemory: MemoryReport): Promise<{ status: RunResult["status"] | "reset"; exitCode: number; error?: string; memory: MemoryReport }> {
    const rt = QJS.newRuntime();
    const ctx = rt.newContext();
    this.queue = [];
    this.boot++;
    this.timers.clear();
    this.deviceTimers.clear();
    this.holds = 0;
    this.ports.clear();
    this.peak = 0;
    let dispatch: QuickJSHandle | undefined;
    const memory: MemoryReport = { ...prevMemory };
    try {
      const host = ctx.newObject();
      this.installCore(ctx, host);
      const api: HostApi = { post: (k, id, a, b) => this.post(k, id, a, b), newHandlerId: () => this.nextId++, clock: this.clock };
      for (const extra of this.opts.extras ?? []) extra.install(ctx, host, api);
      ctx.setProp(ctx.global, "__host", host);
      host.dispose();
      const pre = ctx.evalCode(PRELUDE, "prelude.js");
      if (pre.error) throw new Error("prelude failed: " + JSON.stringify(ctx.dump(pre.error)));
      dispatch = pre.value;

      // Account the code separately from the data heap: compile once, measure, drop the bytecode.
      const before = memoryUsed(rt);
      const compiled = ctx.evalCode(this.bootBundle, "firmware.js", { compileOnly: true });
      if (compiled.error) {
        const e = ctx.dump(compiled.error);
        compiled.error.dispose();
        return { status: "error", exitCode: 1, error: "bundle does not compile: " + JSON.stringify(e), memory };
      }
      const codeBytes = memoryUsed(rt) - before;
      compiled.value.dispose();
      const baseline = memoryUsed(rt);
      this.memCtx = ctx;
      this.dataBase = baseline - codeHeld(rt, ctx);
      this.peakData = 0;
      this.lastData = 0;
      // The parser's working memory while the bundle compiles is not the firmware's heap: count data from the
      // end of the first script on.
      this.countData = false;
      const heapLimit = this.opts.heapBytes ?? this.opts.board.budgets.heapBytes;
      memory.baselineBytes = baseline;
      memory.codeBytes = Math.max(memory.codeBytes, codeBytes);
      memory.heapLimitBytes = heapLimit;
      // QuickJS's own limit counts only 8 bytes per block in this WebAssembly build (no
      // malloc_usable_size), so the budget is enforced on sampled "memory used": in the interrupt
      // handler (every few thousand bytecodes) and after every script.
      const limitTotal = baseline + codeBytes + heapLimit;
      const overLimit = (used: number) => used > limitTotal || this.lastData > heapLimit;
      let overBudget = 0;

      const watchdogMs = this.opts.watchdogMs ?? 20000;
      let scriptStart = Date.now();
      let watchdog = false;
      rt.setInterruptHandler(() => {
        if (overLimit(this.sample(rt))) overBudget = this.peak;
        watchdog = Date.now() - scriptStart > watchdogMs;
        // Reset, exit and power cuts stop the script at once; so do a runaway one and a heap overrun.
        return this.pendingStop !== undefined || watchdog || overBudget > 0;
      });
      const sampleAfter = () => {
        if (overLimit(this.sample(rt))) overBudget = this.peak;
        // The data heap: memory used minus what code holds now (QuickJS frees run-once top-level code).
        memory.peakHeapBytes = Math.max(memory.peakHeapBytes, this.peakData, this.peak - baseline - codeBytes);
        memory.peakBytes = Math.max(memory.peakBytes, this.peak - baseline);
        memory.samples = this.samples;
        if (this.detailAtPeak) memory.detailAtPeak = this.detailAtPeak;
        if (overBudget) throw new EngineError(`out of memory: heap ${Math.max(overBudget - baseline - codeBytes, this.lastData)} B over the budget of ${heapLimit} B`);
        if (watchdog) throw new EngineError(`watchdog: a script ran longer than ${watchdogMs} ms`);
      };

      const runScript = (fn: () => void): StopSignal | undefined => {
        scriptStart = Date.now();
        try {
          fn();
          while (!this.pendingStop) {
            const jobs = rt.executePendingJobs();
            if (jobs.error) {
              const e = ctx.dump(jobs.error);
              jobs.error.dispose();
              if (this.pendingStop) break;
              throw new EngineError(describe(e));
            }
            if (jobs.value === 0) break;
          }
        } catch (e) {
          // After reset/exit/power cut the engine is torn down: what it threw on the way out is moot.
          if (!this.pendingStop) throw e;
        } finally {
          sampleAfter();
        }
        return this.takeStop();
      };

      let stop = runScript(() => {
        const r = ctx.evalCode(this.bootBundle, "firmware.js");
        if (r.error) {
          const e = ctx.dump(r.error);
          r.error.dispose();
          if (this.pendingStop) return;
          throw new EngineError(describe(e));
        }
        r.value.dispose();
      });
      this.countData = true;
      if (!stop) sampleAfter();

      while (!stop) {
        if (this.stopRequested) return { status: "stopped", exitCode: 0, memory };
        const ev = this.queue.shift();
        if (ev) {
          const d = dispatch;
          stop = runScript(() => {
            const args = [ctx.newString(ev[0]), ctx.newNumber(ev[1]), toHandle(ctx, ev[2]), toHandle(ctx, ev[3])];
            const r = ctx.callFunction(d, ctx.undefined, ...args);
            for (const a of args) a.dispose();
            if (r.error) {
              const e = ctx.dump(r.error);
              r.error.dispose();
              if (this.pendingStop) return;
              throw new EngineError(describe(e));
            }
            r.value.dispose();
          });
          continue;
        }
        const next = this.nextTimer();
        if (next === undefined && !this.externalActivityPossible()) return { status: "idle", exitCode: 0, memory };
        await this.waitForEvents(next);
        this.fireDueTimers();
      }
      if (stop.kind === "exit") return { status: "exit", exitCode: stop.code, memory };
      return { status: "reset", exitCode: 0, memory };
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      const oom = /out of memory/i.test(msg);
      return { status: oom ? "out-of-memory" : "error", exitCode: 1, error: msg, memory };
    } finally {
      for (const p of this.ports.values()) p.device.detach();
      this.ports.clear();
      dispatch?.dispose();
      try {
        ctx.dispose();
        rt.dispose();
      } catch {
        // A runtime stopped by an exception may still hold objects; the process-wide module survives.
      }
    }
  }

  private pendingStop: StopSignal | undefined;
  /** Counts boots so a hold taken before a reboot cannot be released into the next one. */
  private boot = 0;
  private takeStop(): StopSignal | undefined {
    const s = this.pendingStop;
    this.pendingStop = undefined;
    return s;
  }

  private dataBase = 0;
  private peakData = 0;
  private lastData = 0;
  private countData = false;
  private memCtx: QuickJSContext | undefined;
  private qjs: QuickJSWASMModule | undefined;

  /**
   * A copy of the engine's whole WebAssembly linear memory (the QuickJS heap with every string and typed array the
   * firmware holds, and what freed blocks still contain), for the secrets scans (test/reliability/secrets*.ts).
   * The QuickJS module is shared by every engine of this Node process, so the dump covers them all.
   */
  heapDump(): Uint8Array {
    if (!this.qjs) throw new EngineError("heapDump: the engine has not started");
    return new Uint8Array(this.qjs.getWasmMemory().buffer).slice();
  }

  private sample(rt: QuickJSRuntime): number {
    const used = memoryUsed(rt);
    this.lastData = this.countData && this.memCtx ? used - codeHeld(rt, this.memCtx) - this.dataBase : 0;
    if (this.lastData > this.peakData) {
      this.peakData = this.lastData;
      if (this.opts.memoryDetail && this.memCtx) {
        const h = rt.computeMemoryUsage();
        this.detailAtPeak = JSON.stringify(this.memCtx.dump(h));
        h.dispose();
      }
    }
    this.samples++;
    if (used > this.peak) this.peak = used;
    return used;
  }

  private post(kind: string, id: number, a?: string | number, b?: string | number): void {
    this.queue.push([kind, id, a, b]);
    this.wake?.();
  }

  private nextTimer(): number | undefined {
    let next: number | undefined;
    for (const t of this.timers.values()) if (next === undefined || t.due < next) next = t.due;
    for (const t of this.deviceTimers.values()) if (next === undefined || t.due < next) next = t.due;
    return next;
  }

  /** Open serial ports may receive bytes from devices driven by real I/O (sockets, a person). */
  private externalActivityPossible(): boolean {
    return this.holds > 0 || (this.ports.size > 0 && (this.opts.clock ?? "virtual") === "real");
  }

  private async waitForEvents(nextDue: number | undefined): Promise<void> {
    if (this.queue.length) return;
    const quiet = this.opts.quietMs ?? 5;
    const realWait = this.clock.mode === "real" ? (nextDue === undefined ? 1000 : Math.max(0, nextDue - this.clock.monotonic())) : quiet;
    const woke = await new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), realWait);
      this.wake = () => {
        clearTimeout(t);
        resolve(true);
      };
    });
    this.wake = undefined;
    // Virtual time: the devices stayed quiet, so nothing can happen before the next timer.
    // A device holding time (real I/O under way) keeps it still.
    if (!woke && this.clock.mode === "virtual" && nextDue !== undefined && this.queue.length === 0 && this.holds === 0) this.clock.advanceTo(nextDue);
  }

  private fireDueTimers(): void {
    const now = this.clock.monotonic();
    const dueDevice = [...this.deviceTimers.entries()].filter(([, t]) => t.due <= now).sort((a, b) => a[1].due - b[1].due);
    for (const [id, t] of dueDevice) {
      this.deviceTimers.delete(id);
      t.fn();
    }
    const due = [...this.timers.entries()].filter(([, t]) => t.due <= now).sort((a, b) => a[1].due - b[1].due);
    for (const [id, t] of due) {
      if (t.every > 0) t.due += t.every;
      else this.timers.delete(id);
      this.post("timer", id);
    }
  }

  private installCore(ctx: QuickJSContext, host: QuickJSHandle): void {
    const fn = (name: string, f: (...args: QuickJSHandle[]) => QuickJSHandle | undefined | void) => {
      const h = ctx.newFunction(name, (...args) => {
        // Power is off once a reset, exit or cut was requested: no native does anything any more.
        if (this.pendingStop) throw new Error("E_POWER_OFF: the terminal is restarting");
        return f(...args) ?? ctx.undefined;
      });
      ctx.setProp(host, name, h);
      h.dispose();
    };
    const num = (h: QuickJSHandle) => ctx.getNumber(h);
    const str = (h: QuickJSHandle) => ctx.getString(h);
    const buf = (ab: QuickJSHandle, off: QuickJSHandle, len: QuickJSHandle): Uint8Array => {
      const life = ctx.getArrayBuffer(ab);
      try {
        const o = num(off);
        return Uint8Array.from(life.value.subarray(o, o + num(len)));
      } finally {
        life.dispose();
      }
    };
    const out = (u8: Uint8Array) => ctx.newArrayBuffer(u8.buffer.slice(u8.byteOffset, u8.byteOffset + u8.byteLength) as ArrayBuffer);
    const board = this.opts.board;
    const devices = this.opts.serial ?? {};

    fn("serialOpen", (portH, baudH) => {
      const name = str(portH);
      const device = devices[name];
      if (!device) throw new Error(`E_SERIAL_PORT: no device on port ${name}`);
      for (const p of this.ports.values()) if (p.name === name) throw new Error(`E_SERIAL_BUSY: ${name} is already open`);
      void num(baudH);
      const id = this.nextId++;
      const port: Port = { name, device, rx: [], rxBytes: 0, readablePosted: false };
      this.ports.set(id, port);
      const deviceHost: DeviceHost = {
        clock: this.clock,
        setTimer: (fn, ms) => {
          const tid = this.nextId++;
          this.deviceTimers.set(tid, { due: this.clock.monotonic() + Math.max(0, ms), fn });
          return () => void this.deviceTimers.delete(tid);
        },
        hold: () => {
          const boot = this.boot;
          this.holds++;
          let held = true;
          return () => {
            if (!held) return;
            held = false;
            if (boot === this.boot) this.holds--;
            this.wake?.();
          };
        },
      };
      device.attach((bytes) => {
        if (!this.ports.has(id)) return;
        // The native receive ring: bytes beyond it are lost and reported, as on a UART.
        const room = RX_RING_BYTES - port.rxBytes;
        const take = Math.min(room, bytes.length);
        if (take > 0) {
          port.rx.push(bytes.slice(0, take));
          port.rxBytes += take;
        }
        if (take < bytes.length) this.post("error", id, "E_SERIAL_OVERRUN", `${bytes.length - take} bytes lost`);
        if (!port.readablePosted && port.rxBytes > 0) {
          port.readablePosted = true;
          this.post("readable", id, port.rxBytes);
        }
      }, deviceHost);
      return ctx.newNumber(id);
    });
    fn("serialRead", (idH, maxH) => {
      const port = this.ports.get(num(idH));
      if (!port) throw new Error("E_SERIAL_CLOSED: port not open");
      port.readablePosted = false;
      if (port.rxBytes === 0) return undefined;
      const max = num(maxH) || port.rxBytes;
      const chunk = new Uint8Array(Math.min(max, port.rxBytes));
      let n = 0;
      while (n < chunk.length) {
        const head = port.rx[0]!;
        const take = Math.min(head.length, chunk.length - n);
        chunk.set(head.subarray(0, take), n);
        n += take;
        if (take === head.length) port.rx.shift();
        else port.rx[0] = head.subarray(take);
      }
      port.rxBytes -= n;
      if (port.rxBytes > 0 && !port.readablePosted) {
        port.readablePosted = true;
        this.post("readable", num(idH), port.rxBytes);
      }
      return out(chunk);
    });
    fn("serialWrite", (idH, ab, off, len) => {
      const port = this.ports.get(num(idH));
      if (!port) throw new Error("E_SERIAL_CLOSED: port not open");
      port.device.receive(buf(ab, off, len));
    });
    fn("serialWritable", (idH) => ctx.newNumber(this.ports.has(num(idH)) ? 4096 : 0));
    fn("serialSet", () => undefined);
    fn("serialClose", (idH) => {
      const id = num(idH);
      const port = this.ports.get(id);
      if (!port) return;
      this.ports.delete(id);
      port.device.detach();
    });

    fn("timerSet", (msH, repeatH) => {
      const ms = Math.max(0, num(msH));
      const repeat = ctx.dump(repeatH) === true;
      const id = this.nextId++;
      this.timers.set(id, { due: this.clock.monotonic() + ms, every: repeat ? Math.max(1, ms) : 0 });
      return ctx.newNumber(id);
    });
    fn("timerClear", (idH) => {
      this.timers.delete(num(idH));
    });
    fn("clockMonotonic", () => ctx.newNumber(this.clock.monotonic()));
    fn("clockNow", () => ctx.newNumber(this.clock.rtc()));
    fn("clockSet", (msH) => {
      this.clock.setRtc(num(msH));
    });

    fn("flashInfo", () => {
      const o = ctx.newObject();
      const a = ctx.newNumber(this.flash.sectorSize);
      const b = ctx.newNumber(this.flash.sectorCount);
      ctx.setProp(o, "sectorSize", a);
      ctx.setProp(o, "sectorCount", b);
      a.dispose();
      b.dispose();
      return o;
    });
    fn("flashRead", (offH, lenH) => out(this.flash.read(num(offH), num(lenH))));
    fn("flashProgram", (offH, ab, o, l) => {
      this.flash.program(num(offH), buf(ab, o, l));
      if (this.flash.takePowerCut()) this.cut();
    });
    fn("flashErase", (sH) => {
      this.flash.erase(num(sH));
      if (this.flash.takePowerCut()) this.cut();
    });

    fn("systemEngine", () => ctx.newString(`QuickJS (quickjs-emscripten) for board ${board.name}`));
    fn("systemSerialNumber", () => ctx.newString(this.opts.serialNumber ?? "SIM00000001"));
    fn("systemRandom", (nH) => out(randomBytes(num(nH))));
    fn("systemBattery", () => ctx.newString(JSON.stringify({ percent: 87, charging: true })));
    fn("systemLog", (levelH, msgH) => {
      this.opts.onLog?.(num(levelH), str(msgH));
    });
    fn("systemReset", () => {
      this.pendingStop = new StopSignal("reset");
      throw new Error("E_POWER_OFF: reset");
    });
    fn("systemExit", (codeH) => {
      this.pendingStop = new StopSignal("exit", num(codeH));
      throw new Error("E_POWER_OFF: exit");
    });
  }

  /** A power cut mid-write: the script stops where it is and the board reboots with what flash kept. */
  private cut(): never {
    this.pendingStop = new StopSignal("reset");
    throw new Error("E_POWER_OFF: power cut");
  }
}

export class EngineError extends Error {
  readonly code = "E_ENGINE_EXCEPTION";
}

function toHandle(ctx: QuickJSContext, v: string | number | undefined): QuickJSHandle {
  if (v === undefined) return ctx.undefined;
  return typeof v === "number" ? ctx.newNumber(v) : ctx.newString(v);
}

function describe(e: unknown): string {
  if (e && typeof e === "object") {
    const o = e as { name?: string; message?: string; stack?: string; code?: string };
    return `${o.name ?? "Error"}${o.code ? ` [${o.code}]` : ""}: ${o.message ?? JSON.stringify(e)}${o.stack ? "\n" + o.stack : ""}`;
  }
  return String(e);
}
