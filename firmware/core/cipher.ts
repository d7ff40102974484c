/**
 * The block-cipher contract every algorithm of the core implements (DES, 3DES, SM4, AES), and the
 * modes built on it. Ciphers work in place on caller buffers: no allocation per block.
 */
export interface BlockCipher {
  readonly blockSize: 8 | 16;
  /** Encrypts one block from src[srcOff..] into dst[dstOff..] (src and dst may be the same buffer). */
  encryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void;
  decryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void;
}

export type CipherAlgorithm = "des" | "3des" | "sm4" | "aes";

/** One block through a key schedule; each algorithm builds its function once over its tables. */
export type BlockFn = (schedule: Uint16Array, src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number) => void;

/** A cipher as a pair of key schedules run by the algorithm's shared encrypt and decrypt functions. */
export class ScheduledCipher implements BlockCipher {
  constructor(
    readonly blockSize: 8 | 16,
    private readonly enc: BlockFn,
    private readonly dec: BlockFn,
    private readonly ek: Uint16Array,
    private readonly dk: Uint16Array,
  ) {}
  encryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    this.enc(this.ek, src, srcOff, dst, dstOff);
  }
  decryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    this.dec(this.dk, src, srcOff, dst, dstOff);
  }
}
