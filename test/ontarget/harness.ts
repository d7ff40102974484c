/**
 * The on-target test runner: needs nothing from the engine but a global `print`. Each test prints one
 * line (`ok <name>` or `FAIL <name>: <why>`), the run ends with `N passed, N failed`.
 */
declare function print(...args: unknown[]): void;

type TestFn = () => void | Promise<void>;
const tests: Array<{ name: string; fn: TestFn }> = [];

export function test(name: string, fn: TestFn): void {
  tests.push({ name, fn });
}

export class AssertionError extends Error {
  readonly code = "E_ASSERT";
}

export function ok(cond: unknown, what = "expected a truthy value"): asserts cond {
  if (!cond) throw new AssertionError(what);
}

export function equal<T>(actual: T, expected: T, what = ""): void {
  if (actual !== expected) throw new AssertionError(`${what ? what + ": " : ""}expected ${String(expected)}, got ${String(actual)}`);
}

const HEX = "0123456789ABCDEF";
export function hexOf(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += HEX[b[i]! >> 4]! + HEX[b[i]! & 15]!;
  return s;
}

export function bytesOf(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

export function hexEqual(actual: Uint8Array, expectedHex: string, what = ""): void {
  equal(hexOf(actual), expectedHex.toUpperCase().replace(/\s+/g, ""), what);
}

/** Expects `fn` to throw an error whose `code` is `code`. */
export function throwsCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (e) {
    const c = (e as { code?: string }).code;
    if (c === code) return;
    throw new AssertionError(`expected error ${code}, got ${c ?? String(e)}`);
  }
  throw new AssertionError(`expected error ${code}, nothing thrown`);
}

export async function runAll(): Promise<{ passed: number; failed: number }> {
  let passed = 0;
  let failed = 0;
  for (const t of tests) {
    try {
      await t.fn();
      passed++;
      print(`ok ${t.name}`);
    } catch (e) {
      failed++;
      const err = e as { code?: string; message?: string };
      print(`FAIL ${t.name}: ${err && err.message ? err.message : String(e)}`);
    }
  }
  print(`${passed} passed, ${failed} failed`);
  return { passed, failed };
}
