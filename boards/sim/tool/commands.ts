/**
 * The desk tool's commands, over firmware/core (the same code the terminal runs). Each command takes the
 * words after its name and returns its output lines: one line of hex for the crypto commands, labelled
 * lines for `dukpt`, a tree for `tlv` and `iso8583`.
 */
import { randomFillSync } from "node:crypto";
import { computeMac, type MacAlgorithm, type MacPadding } from "../../../firmware/core/mac.ts";
import { kcv, kcvCmac } from "../../../firmware/core/kcv.ts";
import { buildPinBlock, buildIso4PinField, encipherIso4PinField, type RandomFill } from "../../../firmware/core/pinblock.ts";
import { cbcDecrypt, cbcEncrypt, createCipher, ecbDecrypt, ecbEncrypt } from "../../../firmware/core/modes.ts";
import type { CipherAlgorithm } from "../../../firmware/core/cipher.ts";
import { dukptAesKeys, dukptTdesKeys, type DukptAesKeyType } from "../../../firmware/core/dukpt.ts";
import { Iso8583Message, describe, type MessageSpec } from "../../../firmware/core/iso8583.ts";
import { ISO8583_1987_ASCII, ISO8583_1987_ASCII_BINARY_BITMAP } from "../../../firmware/core/iso8583-ascii87.ts";
import { CUP_SPEC } from "../../../firmware/cup/fields.ts";
import { splitFrame } from "../../../firmware/cup/frame.ts";
import { describeTlv } from "../../../firmware/emv/tag-names.ts";
import { UsageError, choice, digitsOption, hexArg, hexOption, intOption, noWords, parseArgs, toHex, type ParsedArgs } from "./args.ts";

export interface Command {
  usage: string;
  run(words: readonly string[]): string[];
}

const MAC_ALGS: readonly MacAlgorithm[] = ["cup-ecb", "cup-ecb-3des", "x9.9", "x9.19", "iso9797-1-alg1", "iso9797-1-alg3", "sm4-ecb", "aes-cmac"];
const CIPHERS: readonly CipherAlgorithm[] = ["des", "3des", "sm4", "aes"];

/** --data HEX or --text ASCII (exactly one). */
function dataOption(a: ParsedArgs): Uint8Array {
  const hex = a.options.get("data");
  const text = a.options.get("text");
  if (hex !== undefined && text !== undefined) throw new UsageError("give --data HEX or --text TEXT, not both");
  if (text !== undefined) {
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c > 0x7e || c < 0x20) throw new UsageError(`--text: character ${i + 1} is not printable ASCII`);
      out[i] = c;
    }
    return out;
  }
  if (hex === undefined) throw new UsageError("--data HEX (or --text TEXT) is required");
  return hexArg(hex, "--data", true);
}

const mac: Command = {
  usage: "mac --alg cup-ecb|cup-ecb-3des|x9.9|x9.19|iso9797-1-alg1|iso9797-1-alg3|sm4-ecb|aes-cmac --key HEX (--data HEX | --text TEXT) [--pad 1|2|3] [--length N] [--cipher des|3des|sm4|aes]",
  run(words) {
    const a = parseArgs(words, ["alg", "key", "data", "text", "pad", "length", "cipher"]);
    noWords(a);
    const alg = choice(a, "alg", MAC_ALGS);
    const key = hexOption(a, "key");
    const data = dataOption(a);
    const pad = intOption(a, "pad", 1, 3) as MacPadding | undefined;
    const length = intOption(a, "length", 1, 16);
    const cipher = a.options.has("cipher") ? choice(a, "cipher", CIPHERS) : undefined;
    if (cipher && alg !== "iso9797-1-alg1") throw new UsageError("--cipher applies to --alg iso9797-1-alg1 only");
    if (pad !== undefined && (alg === "cup-ecb" || alg === "cup-ecb-3des" || alg === "sm4-ecb" || alg === "aes-cmac"))
      throw new UsageError(`--pad does not apply to ${alg} (its padding is fixed)`);
    return [toHex(computeMac(alg, key, data, { pad, length, cipher }))];
  },
};

const kcvCommand: Command = {
  usage: "kcv --alg des|3des|sm4|aes --key HEX [--length N] [--cmac]   (E_key(zeros), 4 bytes; --cmac: X9.24-1 CMAC check value, 5 bytes)",
  run(words) {
    const a = parseArgs(words, ["alg", "key", "length"], ["cmac"]);
    noWords(a);
    const alg = choice(a, "alg", CIPHERS);
    const key = hexOption(a, "key");
    if (a.flags.has("cmac")) {
      if (alg !== "aes" && alg !== "3des") throw new UsageError("--cmac check values are for aes and 3des keys");
      return [toHex(kcvCmac(alg, key, intOption(a, "length", 1, 16, 5)))];
    }
    return [toHex(kcv(alg, key, intOption(a, "length", 1, 16, 4)))];
  },
};

/** A RandomFill that hands out `bytes` in order (deterministic fill for desk checks). */
function fixedFill(bytes: number[]): RandomFill {
  let pos = 0;
  return (into) => {
    for (let i = 0; i < into.length; i++) into[i] = pos < bytes.length ? bytes[pos++]! : 0;
  };
}

const systemRandom: RandomFill = (into) => {
  randomFillSync(into);
};

const pinblock: Command = {
  usage:
    "pinblock --format 0|1|2|3|4 --pin DIGITS [--pan DIGITS] [--fill HEX] [--key HEX]\n" +
    "      clear ISO 9564-1 block; --key encrypts it (formats 0-3: DES 8 B or 3DES 16/24 B key, ECB; format 4: AES).\n" +
    "      --fill: the fill nibbles after the PIN (format 1: 0-F, format 3: A-F; one per free nibble) or the\n" +
    "      8 random bytes of a format 4 PIN field; random when absent.",
  run(words) {
    const a = parseArgs(words, ["format", "pin", "pan", "fill", "key"]);
    noWords(a);
    const format = intOption(a, "format", 0, 4);
    if (format === undefined) throw new UsageError("--format is required: 0, 1, 2, 3 or 4");
    const pin = digitsOption(a, "pin");
    const needsPan = format === 0 || format === 3 || format === 4;
    if (!needsPan && a.options.has("pan")) throw new UsageError(`format ${format} has no PAN field (drop --pan)`);
    const pan = needsPan ? digitsOption(a, "pan") : undefined;
    const fillHex = a.options.get("fill");
    const key = a.options.has("key") ? hexOption(a, "key") : undefined;

    if (format === 4) {
      let random = systemRandom;
      if (fillHex !== undefined) {
        const fill = hexArg(fillHex, "--fill");
        if (fill.length !== 8) throw new UsageError(`--fill: format 4 takes 8 random bytes (16 hex digits), got ${fill.length}`);
        random = fixedFill(Array.from(fill));
      }
      const field = buildIso4PinField(pin, random);
      if (!key) return [toHex(field)];
      if (key.length !== 16 && key.length !== 24 && key.length !== 32) throw new UsageError(`--key: format 4 needs an AES key (16, 24 or 32 bytes), got ${key.length}`);
      return [toHex(encipherIso4PinField(key, field, pan!))];
    }

    let random: RandomFill | undefined;
    if (format === 1 || format === 3) {
      random = systemRandom;
      if (fillHex !== undefined) {
        const nibbles = fillHex.replace(/[\s:]/g, "").toUpperCase();
        const free = 14 - pin.length;
        if (pin.length >= 4 && pin.length <= 12 && nibbles.length !== free)
          throw new UsageError(`--fill: a ${pin.length}-digit PIN leaves ${free} fill nibbles, got ${nibbles.length}`);
        const lo = format === 3 ? 10 : 0;
        const bytes: number[] = [];
        for (let i = 0; i < nibbles.length; i++) {
          const v = parseInt(nibbles[i]!, 16);
          if (Number.isNaN(v) || v < lo) throw new UsageError(`--fill: "${nibbles[i]}" at ${i + 1} is not a format ${format} fill nibble (${format === 3 ? "A-F" : "0-F"})`);
          bytes.push(v - lo); // the core maps a random byte r to lo + r % span: r = v - lo gives v
        }
        random = fixedFill(bytes);
      }
    } else if (fillHex !== undefined) throw new UsageError(`format ${format} has no random fill (its fill is F)`);

    const block = buildPinBlock(format as 0 | 1 | 2 | 3, pin, pan, random);
    if (!key) return [toHex(block)];
    if (key.length !== 8 && key.length !== 16 && key.length !== 24) throw new UsageError(`--key: a DES (8 B) or 3DES (16/24 B) key, got ${key.length} bytes`);
    return [toHex(ecbEncrypt(createCipher(key.length === 8 ? "des" : "3des", key), block))];
  },
};

function cipherCommand(decrypt: boolean): Command {
  const name = decrypt ? "decrypt" : "encrypt";
  return {
    usage: `${name} --alg des|3des|sm4|aes [--mode ecb|cbc] --key HEX --data HEX [--iv HEX]   (no padding: whole blocks; ECB by default, CBC IV zeros by default)`,
    run(words) {
      const a = parseArgs(words, ["alg", "mode", "key", "data", "iv"]);
      noWords(a);
      const alg = choice(a, "alg", CIPHERS);
      const mode = choice(a, "mode", ["ecb", "cbc"] as const, "ecb");
      const key = hexOption(a, "key");
      const data = hexOption(a, "data");
      const c = createCipher(alg, key);
      if (mode === "ecb") {
        if (a.options.has("iv")) throw new UsageError("--iv applies to --mode cbc only");
        return [toHex(decrypt ? ecbDecrypt(c, data) : ecbEncrypt(c, data))];
      }
      const iv = a.options.has("iv") ? hexOption(a, "iv") : new Uint8Array(c.blockSize);
      return [toHex(decrypt ? cbcDecrypt(c, data, iv) : cbcEncrypt(c, data, iv))];
    },
  };
}

function labelled(rows: Array<[string, string]>): string[] {
  const w = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`);
}

const dukpt: Command = {
  usage: "dukpt --alg tdes|aes --bdk HEX --ksn HEX [--key-type aes128|aes192|aes256|2tdea|3tdea]   (the transaction keys of the KSN)",
  run(words) {
    const a = parseArgs(words, ["alg", "bdk", "ksn", "key-type"]);
    noWords(a);
    const alg = choice(a, "alg", ["tdes", "aes"] as const);
    const bdk = hexOption(a, "bdk");
    const ksn = hexOption(a, "ksn");
    if (alg === "tdes") {
      if (a.options.has("key-type")) throw new UsageError("--key-type applies to --alg aes only");
      const k = dukptTdesKeys(bdk, ksn);
      return labelled([
        ["ksn", toHex(ksn)],
        ["counter", String(k.counter)],
        ["ik", toHex(k.ik)],
        ["transaction", toHex(k.transactionKey)],
        ["pin", toHex(k.pin)],
        ["mac-request", toHex(k.macRequest)],
        ["mac-response", toHex(k.macResponse)],
        ["data-request", toHex(k.dataRequest)],
        ["data-response", toHex(k.dataResponse)],
      ]);
    }
    const type = choice(a, "key-type", ["aes128", "aes192", "aes256", "2tdea", "3tdea"] as const, "aes128") as DukptAesKeyType;
    const k = dukptAesKeys(bdk, ksn, type);
    return labelled([
      ["ksn", toHex(ksn)],
      ["counter", String(k.counter)],
      ["ik", toHex(k.ik)],
      ["derivation", toHex(k.derivationKey)],
      [`pin-encryption`, toHex(k.pinEncryption)],
      ["mac-generation", toHex(k.macGeneration)],
      ["mac-verification", toHex(k.macVerification)],
      ["mac-both", toHex(k.macBoth)],
      ["data-encryption", toHex(k.dataEncryption)],
      ["data-decryption", toHex(k.dataDecryption)],
      ["data-both", toHex(k.dataBoth)],
      ["key-encryption", toHex(k.keyEncryption)],
    ]);
  },
};

/** The hex of the bare words (spaces between bytes allowed: `tool tlv 9F02 06 000000012345`). */
function hexWords(a: ParsedArgs, what: string): Uint8Array {
  if (!a.words.length) throw new UsageError(`${what} HEX is required`);
  return hexArg(a.words.join(""), what);
}

const tlv: Command = {
  usage: "tlv HEX   (BER-TLV as a tree with EMV tag names)",
  run(words) {
    const a = parseArgs(words, []);
    return describeTlv(hexWords(a, "tlv"));
  },
};

const DIALECTS: { [name: string]: MessageSpec } = { cup: CUP_SPEC, ascii87: ISO8583_1987_ASCII, "ascii87-binary": ISO8583_1987_ASCII_BINARY_BITMAP };

const iso8583: Command = {
  usage:
    "iso8583 [--dialect cup|ascii87|ascii87-binary] [--frame|--body] HEX   (fields decoded; PAN masked, tracks/PIN/MAC hidden)\n" +
    "      cup (default) also takes a whole frame (2-byte length, TPDU, header, body): found by its length, or say --frame / --body",
  run(words) {
    const a = parseArgs(words, ["dialect"], ["frame", "body"]);
    const dialect = choice(a, "dialect", Object.keys(DIALECTS), "cup");
    if (a.flags.has("frame") && a.flags.has("body")) throw new UsageError("--frame or --body, not both");
    let buf = hexWords(a, "iso8583");
    const lines: string[] = [];
    const looksFramed = !a.flags.has("body") && buf.length >= 13 && ((buf[0]! << 8) | buf[1]!) === buf.length - 2;
    if (a.flags.has("frame") || (dialect === "cup" && looksFramed)) {
      if (dialect !== "cup") throw new UsageError("--frame is the CUP framing (--dialect cup)");
      const f = splitFrame(buf);
      lines.push(`frame: length ${f.size - 2}, TPDU ${toHex(f.tpdu)}, header ${toHex(f.header)}`);
      buf = f.body;
    }
    const msg = new Iso8583Message(DIALECTS[dialect]!).parse(buf);
    lines.push(...describe(msg).split("\n"));
    if (dialect === "cup" && msg.has(55)) {
      const f55 = msg.getBytes(55)!;
      lines.push("F55 as BER-TLV:");
      try {
        for (const l of describeTlv(f55)) lines.push("    " + l);
      } catch (e) {
        lines.push(`    (not valid BER-TLV: ${(e as Error).message})`);
      }
    }
    return lines;
  },
};

export const COMMANDS: { [name: string]: Command } = {
  mac,
  kcv: kcvCommand,
  pinblock,
  encrypt: cipherCommand(false),
  decrypt: cipherCommand(true),
  dukpt,
  tlv,
  iso8583,
};

