/**
 * The simulator's ExtraNatives (SimCardReader, SimPed, SimDisplay, SimKeypad) outside the embedded engine.
 *
 * Each of them installs host functions (`cardOpen`, `pedCall`, `displayText`...) into a QuickJS context
 * through a small part of the context API: newFunction/setProp, the number/string/ArrayBuffer conversions,
 * undefined/true/false. `installPlain` gives them a stand-in for that part whose "handles" are plain Node
 * values, and returns the functions they installed as a table of ordinary functions. The devices keep
 * their own code and tests; whatever transport (the device-link socket here) calls the table plays exactly
 * what the engine's port shell (boards/sim/prelude.js) would.
 *
 * A host function signals a failure by throwing Error("E_CODE: message"), as in the engine; `codeOf`
 * splits that.
 */
import type { QuickJSContext, QuickJSHandle } from "quickjs-emscripten";
import type { ExtraNatives, HostApi } from "../engine-host.ts";

/** A host function as the device wrote it, called with plain values. */
export type HostFunction = (...args: unknown[]) => unknown;
export type HostFunctions = Record<string, HostFunction>;

class Value {
  constructor(readonly v: unknown) {}
  dispose(): void {}
  get alive(): boolean {
    return true;
  }
  dup(): Value {
    return this;
  }
}

const unwrap = (h: unknown): unknown => (h instanceof Value ? h.v : h);

function plainContext(): QuickJSContext {
  const ctx = {
    undefined: new Value(undefined),
    null: new Value(null),
    true: new Value(true),
    false: new Value(false),
    newFunction(_name: string, fn: (...args: Value[]) => unknown) {
      return new Value((...args: unknown[]) => unwrap(fn(...args.map((a) => new Value(a)))));
    },
    newObject: () => new Value({}),
    newNumber: (n: number) => new Value(n),
    newString: (s: string) => new Value(s),
    newArrayBuffer: (ab: ArrayBufferLike) => new Value(new Uint8Array(ab.slice(0))),
    setProp(obj: Value, key: string, value: Value) {
      (obj.v as Record<string, unknown>)[key] = unwrap(value);
    },
    getProp: (obj: Value, key: string) => new Value((obj.v as Record<string, unknown>)[key]),
    getNumber: (h: Value) => Number(h.v),
    getString: (h: Value) => String(h.v),
    getArrayBuffer(h: Value) {
      const v = h.v;
      const value = v instanceof Uint8Array ? v : new Uint8Array(v as ArrayBuffer);
      return { value, alive: true, dispose() {} };
    },
    dump: (h: Value) => h.v,
    typeof: (h: Value) => typeof h.v,
  };
  return ctx as unknown as QuickJSContext;
}

/** Installs `extras` (again after a reboot: they reset their per-boot state) and returns their functions. */
export function installPlain(extras: ExtraNatives[], api: HostApi): HostFunctions {
  const ctx = plainContext();
  const table: HostFunctions = {};
  const host = new Value(table) as unknown as QuickJSHandle;
  for (const e of extras) e.install(ctx, host, api);
  return table;
}

/** Splits a host function's Error("E_CODE: message") into code and message. */
export function codeOf(e: unknown): { code: string; message: string } {
  const text = e instanceof Error ? e.message : String(e);
  const m = /^(E_[A-Z0-9_]+): ?([\s\S]*)$/.exec(text);
  return m ? { code: m[1]!, message: m[2]! } : { code: "E_DEVICE", message: text };
}
