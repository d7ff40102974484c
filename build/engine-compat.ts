/**
 * Engine-compat check over an emitted bundle: it must parse as an ES2021 *script* (no modules, no
 * ES2022+ syntax) and may reference only the globals JerryScript 3.0 (es.next) has plus the board's.
 * esbuild cannot see a global such as `Intl` or `setTimeout` that the engine lacks; this check does.
 */
import { Linter } from "eslint";

/** ES2021 builtins JerryScript 3.0 es.next provides (ARCHITECTURE.md); not Intl, not BigInt (snapshots). */
export const ENGINE_GLOBALS = [
  "globalThis", "undefined", "NaN", "Infinity", "eval", "isFinite", "isNaN", "parseFloat", "parseInt",
  "decodeURI", "decodeURIComponent", "encodeURI", "encodeURIComponent", "escape", "unescape",
  "Object", "Function", "Array", "Number", "Boolean", "String", "Symbol", "Date", "Math", "JSON", "Reflect", "Proxy",
  "RegExp", "Promise", "Map", "Set", "WeakMap", "WeakSet", "WeakRef",
  "Error", "EvalError", "RangeError", "ReferenceError", "SyntaxError", "TypeError", "URIError", "AggregateError",
  "ArrayBuffer", "DataView", "Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array",
  "Int32Array", "Uint32Array", "Float32Array", "Float64Array",
];

/**
 * ES builtins ESLint assumes for ecmaVersion 2021 that the engine (or its snapshots) does not give.
 * `Error` cause needs no entry: the es2021 lib already refuses the second argument in the type-check.
 */
export const ENGINE_LACKS = ["Intl", "BigInt", "BigInt64Array", "BigUint64Array", "SharedArrayBuffer", "Atomics", "FinalizationRegistry", "WebAssembly"];

export class EngineCompatError extends Error {
  readonly code = "E_ENGINE_COMPAT";
}

/** Throws EngineCompatError listing every problem; `extraGlobals` are what the image adds (print, natives). */
export function checkEngineCompat(source: string, file: string, extraGlobals: string[]): void {
  const globals: Record<string, "readonly"> = {};
  for (const g of [...ENGINE_GLOBALS, ...extraGlobals]) globals[g] = "readonly";
  const linter = new Linter({ configType: "flat" });
  const messages = linter.verify(
    source,
    [
      {
        languageOptions: { ecmaVersion: 2021, sourceType: "script", globals },
        rules: {
          "no-undef": "error",
          "no-restricted-globals": ["error", ...ENGINE_LACKS.map((name) => ({ name, message: `${name} is not provided by the engine` }))],
        },
      },
    ],
    { filename: file },
  );
  if (messages.length === 0) return;
  const lines = messages.slice(0, 20).map((m) => {
    const what = m.ruleId === "no-undef" ? m.message.replace(/ is not defined\.?$/, " is not provided by the engine") : m.message;
    return `  ${file}:${m.line}:${m.column} ${what}`;
  });
  throw new EngineCompatError(`${file} would not run on JerryScript 3.0:\n${lines.join("\n")}${messages.length > 20 ? `\n  ... ${messages.length - 20} more` : ""}`);
}
