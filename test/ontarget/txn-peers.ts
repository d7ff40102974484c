/**
 * Peers for running the Terminal where no simulator devices exist (any engine with only `print`, or Node's fast
 * mode): a software PED playing the `ped` native with the core's ciphers (keys stay inside it; the engine sees
 * KCVs, MACs and encrypted PIN blocks, as with the real one; the PIN "typed" is set by the test), and a scripted
 * host: a NetConnector in the bundle that answers each request with the next recorded response frame.
 */
import { createCipher, ecbDecrypt, ecbEncrypt } from "../../firmware/core/modes";
import { kcv as checkValue } from "../../firmware/core/kcv";
import { computeMac } from "../../firmware/core/mac";
import { buildPinBlock } from "../../firmware/core/pinblock";
import type { CipherAlgorithm } from "../../firmware/core/cipher";
import type { NetConnector, NetSocket } from "../../hal/net/socket";

function nativeError(code: string, message: string): Error {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

interface SoftKey {
  usage: "tmk" | "pik" | "mak" | "tdk" | "dek";
  algorithm: CipherAlgorithm;
  key: Uint8Array;
}

/** A software PED: the `ped` native for engines without one. */
export class SoftPed implements Natives.Ped {
  private readonly slots = new Map<number, SoftKey>();
  /** The PIN the "cardholder" types at the next entry (undefined: cancel). */
  nextPin: string | undefined = "123456";
  macs = 0;

  constructor(private readonly transport: Uint8Array, private readonly defer: (fn: () => void) => void) {}

  /** Test setup: a key put straight into a slot (as a key-loading facility would). */
  inject(slot: number, usage: SoftKey["usage"], algorithm: CipherAlgorithm, keyHex: string): void {
    this.slots.set(slot, { usage, algorithm, key: unhex(keyHex) });
  }

  loadKey(o: Natives.PedLoadKey): Uint8Array {
    const wrap = o.underSlot === -1 ? { algorithm: "3des" as CipherAlgorithm, key: this.transport } : this.slots.get(o.underSlot);
    if (!wrap) throw nativeError("E_KEY_MISSING", `no key in slot ${o.underSlot}`);
    const key = ecbDecrypt(createCipher(wrap.algorithm, wrap.key), o.cipher);
    const check = checkValue(o.algorithm, key, 4);
    if (o.kcv) for (let i = 0; i < o.kcv.length; i++) if (o.kcv[i] !== check[i]) throw nativeError("E_KCV_MISMATCH", `slot ${o.slot}: check value differs; key refused`);
    this.slots.set(o.slot, { usage: o.usage, algorithm: o.algorithm, key });
    return check;
  }

  hasKey(slot: number): boolean {
    return this.slots.has(slot);
  }

  kcv(slot: number): Uint8Array {
    const k = this.slots.get(slot);
    if (!k) throw nativeError("E_KEY_MISSING", `no key in slot ${slot}`);
    return checkValue(k.algorithm, k.key, 4);
  }

  erase(slot?: number): void {
    if (slot === undefined) {
      for (const [s, k] of this.slots) if (k.usage !== "tmk" && k.usage !== "dek") this.slots.delete(s);
    } else this.slots.delete(slot);
  }

  mac(o: { slot: number; algorithm: Natives.MacAlgorithm; data: Uint8Array }): Uint8Array {
    const k = this.slots.get(o.slot);
    if (!k || k.usage !== "mak") throw nativeError("E_KEY_USAGE", `slot ${o.slot} holds no MAK`);
    this.macs++;
    return computeMac(k.algorithm === "des" ? "cup-ecb" : "cup-ecb-3des", k.key, o.data);
  }

  encrypt(o: { slot: number; mode: "ecb" | "cbc"; data: Uint8Array }): Uint8Array {
    const k = this.slots.get(o.slot);
    if (!k || (k.usage !== "tdk" && k.usage !== "dek")) throw nativeError("E_KEY_USAGE", `slot ${o.slot} holds no TDK`);
    return ecbEncrypt(createCipher(k.algorithm, k.key), o.data);
  }

  pinEntry(o: Natives.PinEntryOptions): void {
    const k = this.slots.get(o.slot);
    if (!k || k.usage !== "pik") throw nativeError("E_KEY_USAGE", `slot ${o.slot} holds no PIK`);
    const pin = this.nextPin;
    this.defer(() => {
      if (pin === undefined) return o.onDone({ status: "cancel" });
      const clear = buildPinBlock(0, pin, o.pan);
      const block = ecbEncrypt(createCipher(k.algorithm, k.key), clear);
      clear.fill(0);
      o.onDone({ status: "ok", pinBlock: block });
    });
  }

  cancelPinEntry(): void {}
}

/** One recorded exchange: the request the terminal is expected to send (hex, or undefined: not checked) and the answer. */
export interface RecordedExchange {
  request?: string;
  response: string;
}

const HEX = "0123456789ABCDEF";
export function hex(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += HEX[b[i]! >> 4]! + HEX[b[i]! & 15]!;
  return s;
}
export function unhex(s: string): Uint8Array {
  const out = new Uint8Array(s.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(2 * i, 2), 16);
  return out;
}

/**
 * The scripted host: each connection takes the next recorded exchange; the frame the terminal writes is kept
 * (and compared with the recorded request when there is one), then the recorded response is what it reads.
 */
export class ScriptedHost implements NetConnector {
  private next = 0;
  readonly requests: string[] = [];
  readonly mismatches: string[] = [];

  constructor(private readonly script: readonly RecordedExchange[], private readonly defer: (fn: () => void) => void) {}

  get remaining(): number {
    return this.script.length - this.next;
  }

  connect(): Promise<NetSocket> {
    const ex = this.script[this.next++];
    if (!ex) return Promise.reject(nativeError("E_SOCKET_CONNECT", "the scripted host has no more answers"));
    let rx: Uint8Array | undefined;
    let rxAt = 0;
    let waiter: (() => void) | undefined;
    let closed = false;
    const self = this;
    const sock: NetSocket = {
      write(data: Uint8Array): Promise<void> {
        if (closed) return Promise.reject(nativeError("E_SOCKET_CLOSED", "closed"));
        const h = hex(data);
        self.requests.push(h);
        if (ex.request !== undefined && ex.request !== h) self.mismatches.push(`request ${self.requests.length}: expected ${ex.request}, got ${h}`);
        self.defer(() => {
          rx = unhex(ex.response);
          const w = waiter;
          waiter = undefined;
          w?.();
        });
        return Promise.resolve();
      },
      async read(timeoutMs: number, max = 65536): Promise<Uint8Array> {
        while (!rx || rxAt >= rx.length) {
          if (closed) throw nativeError("E_SOCKET_CLOSED", "closed");
          await new Promise<void>((resolve) => (waiter = resolve));
        }
        const n = Math.min(max, rx.length - rxAt);
        const out = rx.slice(rxAt, rxAt + n);
        rxAt += n;
        void timeoutMs;
        return out;
      },
      async readExactly(n: number, timeoutMs: number): Promise<Uint8Array> {
        const out = new Uint8Array(n);
        let fill = 0;
        while (fill < n) {
          const c = await sock.read(timeoutMs, n - fill);
          out.set(c, fill);
          fill += c.length;
        }
        return out;
      },
      close(): Promise<void> {
        closed = true;
        const w = waiter;
        waiter = undefined;
        w?.();
        return Promise.resolve();
      },
    };
    return Promise.resolve(sock);
  }
}
