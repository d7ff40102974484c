/** Injected into the engine-side comparison bundle: the npm libraries' global `Buffer` is the polyfill. */
export { Buffer } from "buffer";
