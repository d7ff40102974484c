/**
 * The few calls the benchmark makes into the competing npm libraries (they ship no typings, or typings
 * that do not load as modules). Only what test/bench/npm-workloads.ts uses.
 */
type NpmBytes = ArrayLike<number>;

declare module "des.js" {
  interface DesCipher {
    update(data: NpmBytes): number[];
    final(data?: NpmBytes): number[];
  }
  interface Options {
    type: "encrypt" | "decrypt";
    key: NpmBytes;
    padding?: boolean;
  }
  const desjs: { DES: { create(o: Options): DesCipher }; EDE: { create(o: Options): DesCipher } };
  export default desjs;
}

declare module "crypto-js/core" {
  export interface WordArray {
    words: number[];
    sigBytes: number;
  }
  interface Transform {
    process(data: WordArray): WordArray;
    finalize(data?: WordArray): WordArray;
  }
  interface CipherAlgo {
    createEncryptor(key: WordArray, cfg: object): Transform;
    createDecryptor(key: WordArray, cfg: object): Transform;
  }
  const CryptoJS: {
    lib: { WordArray: { create(words: number[], sigBytes: number): WordArray } };
    enc: { Hex: { parse(hex: string): WordArray; stringify(w: WordArray): string } };
    algo: { DES: CipherAlgo; TripleDES: CipherAlgo };
    mode: { ECB: object; CBC: object };
    pad: { NoPadding: object };
  };
  export default CryptoJS;
}
declare module "crypto-js/tripledes";
declare module "crypto-js/mode-ecb";
declare module "crypto-js/pad-nopadding";
declare module "crypto-js/enc-hex";

declare module "sm-crypto/src/sm4/index.js" {
  const sm4: {
    encrypt(data: NpmBytes | string, key: NpmBytes | string, opts?: { padding?: "none" | "pkcs#7"; output?: "array" | "string"; mode?: "cbc"; iv?: NpmBytes }): number[];
  };
  export default sm4;
}

declare module "ber-tlv" {
  interface ITlv {
    tag: string;
    value: Uint8Array;
    items: ITlv[];
  }
  const berTlv: { TlvFactory: { parse(data: Uint8Array): ITlv[] } };
  export default berTlv;
}

declare module "tlv" {
  interface TLV {
    tag: number;
    value: Uint8Array | TLV[];
    constructed: boolean;
  }
  const tlv: { parseAll(data: Uint8Array): TLV[] };
  export default tlv;
}

declare module "node-tlv" {
  interface TLV {
    getTag(): string;
    getValue(): string;
    getChild(): TLV[];
  }
  const TLV: { parseList(data: Uint8Array | string): TLV[] };
  export default TLV;
}

declare module "iso_8583" {
  interface Format {
    ContentType: string;
    Label: string;
    LenType: string;
    MaxLen: number;
  }
  class Iso8583 {
    constructor(message?: { [field: string]: string }, customFormats?: { [field: string]: Format });
    getRawMessage(): Uint8Array & { error?: string };
    getIsoJSON(buffer: Uint8Array, config?: { lenHeader?: boolean }): { [field: string]: string } & { error?: string };
  }
  export default Iso8583;
}
