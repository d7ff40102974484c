/** The board's description (boards/<name>/board.json), inlined by the build as a typed, frozen object. */

export interface SerialPortInfo {
  readonly port: string;
  readonly baud: number;
}

export interface Device {
  readonly name: string;
  readonly description: string;
  readonly engine: string;
  /** Natives the board provides (names of Natives.Board members). */
  readonly natives: readonly string[];
  /** Named serial ports: code writes `device.serial.modem`, never a port path. */
  readonly serial: { readonly [role: string]: SerialPortInfo | undefined };
  readonly pins: { readonly [name: string]: number | undefined };
  readonly flash: {
    readonly sectorSize: number;
    readonly sectorCount: number;
    /** Named sector ranges: store (journal, params), log (ring buffer), resources (fonts, code tables), system. */
    readonly partitions: { readonly [name: string]: { readonly first: number; readonly count: number } | undefined };
  };
  readonly modem: { readonly model: string; readonly esim: boolean };
  readonly display: { readonly rows: number; readonly columns: number };
  readonly budgets: { readonly heapBytes: number; readonly bundleBytes: number };
}

export const device: Device = __BOARD__ as Device;
