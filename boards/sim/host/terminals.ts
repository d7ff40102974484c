/**
 * The acquirer's registry: devices by serial number (factory data: transport key, activation code, assigned
 * terminal and merchant, state) and terminals by terminal number (TMK, working keys of the last sign-in, the open
 * batch). Tests read keys from here to compute the MACs and PIN blocks a terminal would.
 */
import { DEFAULT_MERCHANT_NAME, FACTORY_DEVICES, type DeviceState, type FactoryDevice } from "./factory.ts";
import { checkValueHex, hex, unhex } from "./keys.ts";

export interface Device extends FactoryDevice {
  /** When the device was last activated (host clock, ms). */
  activatedAt?: number;
}

export type SignInMode = "001" | "003" | "004";

export interface WorkingKeys {
  mode: SignInMode;
  pik: Uint8Array;
  mak: Uint8Array;
  tdk?: Uint8Array;
  signedInAt: number;
}

export interface Terminal {
  terminalId: string;
  merchantId: string;
  merchantName: string;
  serial?: string;
  tmk: Uint8Array;
  keys?: WorkingKeys;
  /** The batch new transactions must carry (60.2); the last one settled, if any. */
  openBatch: string;
  lastSettledBatch?: string;
}

export interface TerminalInput {
  terminalId: string;
  merchantId: string;
  merchantName?: string;
  tmkHex: string;
  serial?: string;
  batch?: string;
}

/** Keys of a terminal in hex, for tests (never sent anywhere). */
export interface TerminalKeysHex {
  tmk: string;
  tmkKcv: string;
  mode?: SignInMode;
  pik?: string;
  mak?: string;
  tdk?: string;
}

export function nextBatch(batch: string): string {
  const n = (Number(batch) % 999999) + 1;
  return String(n).padStart(6, "0");
}

export class TerminalRegistry {
  private readonly devices = new Map<string, Device>();
  private readonly terminals = new Map<string, Terminal>();

  constructor(options: { factory?: boolean; devices?: readonly FactoryDevice[]; terminals?: readonly TerminalInput[] } = {}) {
    if (options.factory !== false) for (const d of FACTORY_DEVICES) this.registerDevice(d);
    for (const d of options.devices ?? []) this.registerDevice(d);
    for (const t of options.terminals ?? []) this.addTerminal(t);
  }

  // ---- devices (activation) --------------------------------------------------------------------

  registerDevice(d: FactoryDevice): Device {
    const dev: Device = { ...d };
    this.devices.set(d.serial, dev);
    // A device registered as active already has its terminal (and TMK).
    if (dev.state === "active" && dev.tmkHex && !this.terminals.has(dev.terminalId))
      this.addTerminal({ terminalId: dev.terminalId, merchantId: dev.merchantId, merchantName: dev.merchantName, tmkHex: dev.tmkHex, serial: dev.serial });
    return dev;
  }

  device(serial: string): Device | undefined {
    return this.devices.get(serial);
  }

  deviceByCode(code: string): Device | undefined {
    for (const d of this.devices.values()) if (d.activationCode === code) return d;
    return undefined;
  }

  listDevices(): Device[] {
    return [...this.devices.values()];
  }

  /** Changes a device's state (revoked, maintenance ...). A revoked device's terminal loses its keys. */
  setDeviceState(serial: string, state: DeviceState): void {
    const d = this.devices.get(serial);
    if (!d) throw new Error(`E_HOST_DEVICE: no device ${serial}`);
    d.state = state;
    if (state === "revoked") {
      const t = this.terminals.get(d.terminalId);
      if (t && t.serial === serial) t.keys = undefined;
    }
  }

  /** Records an activation: the device becomes active and its terminal holds `tmk` (keys of an earlier sign-in dropped). */
  activate(d: Device, tmk: Uint8Array, now: number): Terminal {
    d.state = "active";
    d.activatedAt = now;
    d.tmkHex = hex(tmk);
    let t = this.terminals.get(d.terminalId);
    if (!t) {
      t = { terminalId: d.terminalId, merchantId: d.merchantId, merchantName: d.merchantName, serial: d.serial, tmk, openBatch: "000001" };
      this.terminals.set(d.terminalId, t);
    } else {
      t.tmk = tmk;
      t.serial = d.serial;
      t.merchantId = d.merchantId;
      t.merchantName = d.merchantName;
      t.keys = undefined;
    }
    return t;
  }

  // ---- terminals -------------------------------------------------------------------------------

  /** A terminal known without activation (e.g. the TMK injected at a key-loading facility). */
  addTerminal(t: TerminalInput): Terminal {
    const term: Terminal = {
      terminalId: t.terminalId,
      merchantId: t.merchantId,
      merchantName: t.merchantName ?? DEFAULT_MERCHANT_NAME,
      serial: t.serial,
      tmk: unhex(t.tmkHex),
      openBatch: t.batch ?? "000001",
    };
    if (term.tmk.length !== 8 && term.tmk.length !== 16) throw new Error(`E_HOST_KEY: TMK of ${term.tmk.length} bytes`);
    this.terminals.set(t.terminalId, term);
    return term;
  }

  get(terminalId: string): Terminal | undefined {
    return this.terminals.get(terminalId);
  }

  list(): Terminal[] {
    return [...this.terminals.values()];
  }

  /** Whether the terminal may transact: its device (if any) is active. */
  usable(t: Terminal): boolean {
    if (!t.serial) return true;
    const d = this.devices.get(t.serial);
    return !d || d.state === "active";
  }

  /** The terminal's keys in hex (tests compute MACs and PIN blocks with them). */
  keys(terminalId: string): TerminalKeysHex {
    const t = this.terminals.get(terminalId);
    if (!t) throw new Error(`E_HOST_TERMINAL: no terminal ${terminalId}`);
    const k = t.keys;
    return {
      tmk: hex(t.tmk),
      tmkKcv: checkValueHex(t.tmk),
      ...(k ? { mode: k.mode, pik: hex(k.pik), mak: hex(k.mak), ...(k.tdk ? { tdk: hex(k.tdk) } : {}) } : {}),
    };
  }

  /** As keys(), undefined for an unknown terminal. */
  keysHex(terminalId: string): TerminalKeysHex | undefined {
    return this.terminals.has(terminalId) ? this.keys(terminalId) : undefined;
  }

  /** Sets the open batch (a test putting the host out of step with a terminal). */
  setBatch(terminalId: string, batch: string): void {
    const t = this.get(terminalId);
    if (!t) throw new Error(`E_HOST_TERMINAL: no terminal ${terminalId}`);
    t.openBatch = batch;
  }
}
