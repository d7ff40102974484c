/**
 * Natives played inside the bundle, for engines that offer only `print` (jerry, qjs): a serial
 * loopback, RAM flash with erase-before-write semantics, virtual timers and a virtual clock.
 * `settle()` drives them: it lets the pending jobs run, then fires the next event in virtual time.
 */
export interface FakeBoard {
  natives: Natives.Board;
  flash: Natives.Flash;
  logs: string[];
  resets: number;
  exitStatus: number | undefined;
  /** Runs pending work and virtual time until `done` settles (or nothing is left to do). */
  settle<T>(done: Promise<T>): Promise<T>;
  /** A fresh boot of the same board: same flash, new everything else. */
  reboot(): FakeBoard;
}

class RamFlash implements Natives.Flash {
  readonly bytes: Uint8Array;
  constructor(readonly sectorSize: number, readonly sectorCount: number) {
    this.bytes = new Uint8Array(sectorSize * sectorCount).fill(0xff);
  }
  private range(o: number, n: number): void {
    if (o < 0 || n < 0 || o + n > this.bytes.length) throw Object.assign(new Error("E_FLASH_RANGE: outside flash"), { code: "E_FLASH_RANGE" });
  }
  read(offset: number, length: number, into?: Uint8Array): Uint8Array {
    this.range(offset, length);
    const out = into ?? new Uint8Array(length);
    out.set(this.bytes.subarray(offset, offset + length));
    return out;
  }
  program(offset: number, data: Uint8Array): void {
    this.range(offset, data.length);
    for (let i = 0; i < data.length; i++) this.bytes[offset + i]! &= data[i]!;
  }
  erase(sector: number): void {
    this.range(sector * this.sectorSize, this.sectorSize);
    this.bytes.fill(0xff, sector * this.sectorSize, (sector + 1) * this.sectorSize);
  }
}

function nativeError(code: string, message: string): Error {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

export function createFakeBoard(sectorSize: number, sectorCount: number, flash?: Natives.Flash): FakeBoard {
  const theFlash = flash ?? new RamFlash(sectorSize, sectorCount);
  let now = 0;
  let nextId = 1;
  const timers: Array<{ id: number; due: number; every: number; cb: () => void }> = [];
  const events: Array<() => void> = [];
  const missing = (what: string) => () => {
    throw nativeError("E_NATIVE_MISSING", `${what} is not played on this target`);
  };

  const serial: Natives.Board["serial"] = {
    open(options) {
      let rx: Uint8Array[] = [];
      let open = true;
      return {
        read() {
          return rx.shift();
        },
        write(data) {
          if (!open) throw nativeError("E_SERIAL_CLOSED", "closed");
          const copy = data.slice();
          events.push(() => {
            if (!open) return;
            rx.push(copy);
            options.onReadable?.(copy.length);
          });
        },
        writable: 4096,
        set() {},
        close() {
          open = false;
          rx = [];
        },
      };
    },
  };

  const board: FakeBoard = {
    logs: [],
    resets: 0,
    exitStatus: undefined,
    flash: theFlash,
    natives: {
      serial,
      timers: {
        set(cb, ms) {
          const id = nextId++;
          timers.push({ id, due: now + Math.max(0, ms), every: 0, cb });
          return id;
        },
        repeat(cb, ms) {
          const id = nextId++;
          timers.push({ id, due: now + Math.max(1, ms), every: Math.max(1, ms), cb });
          return id;
        },
        clear(id) {
          const i = timers.findIndex((t) => t.id === id);
          if (i >= 0) timers.splice(i, 1);
        },
      },
      clock: { monotonic: () => now, now: () => 1795340000000 + now, set() {} },
      flash: theFlash,
      card: { open: missing("card") },
      magstripe: { open: missing("magstripe") },
      ped: {
        loadKey: missing("ped"), hasKey: missing("ped"), kcv: missing("ped"), erase: missing("ped"),
        mac: missing("ped"), encrypt: missing("ped"), pinEntry: missing("ped"), cancelPinEntry: missing("ped"),
      },
      display: { rows: 8, columns: 20, clear() {}, text() {}, flush() {} },
      keypad: { open: missing("keypad") },
      system: {
        engine: "on-target (natives played in the bundle)",
        serialNumber: () => "ONTARGET0001",
        random(into) {
          for (let i = 0; i < into.length; i++) into[i] = (Math.random() * 256) | 0;
        },
        reset() {
          board.resets++;
        },
        battery: () => undefined,
        log(level, message) {
          board.logs.push(`${level} ${message}`);
        },
        exit(status) {
          board.exitStatus = status;
        },
      },
    },
    async settle<T>(done: Promise<T>): Promise<T> {
      let settled = false;
      done.then(
        () => (settled = true),
        () => (settled = true),
      );
      for (;;) {
        // Let the pending jobs run before the next event, as a port does between scripts.
        for (let i = 0; i < 64; i++) await null;
        if (settled) return done;
        const ev = events.shift();
        if (ev) {
          ev();
          continue;
        }
        if (timers.length === 0) return done;
        timers.sort((a, b) => a.due - b.due);
        const t = timers[0]!;
        now = Math.max(now, t.due);
        if (t.every) t.due += t.every;
        else timers.shift();
        t.cb();
      }
    },
    reboot() {
      return createFakeBoard(sectorSize, sectorCount, theFlash);
    },
  };
  return board;
}
