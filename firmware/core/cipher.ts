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
