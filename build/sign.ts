/**
 * Signs a firmware bundle into an update image (docs/firmware-update.md, firmware/update/image.ts):
 * header (board, version, security version, length, SHA-256 of the bundle, key id) + RSASSA-PKCS1-v1_5/SHA-256
 * signature over the header (node:crypto) + the bundle.
 *
 *   npm run sign -- --key FILE.pem --in dist/sim/firmware.js --out FILE [--board sim] [--version 0.1.0]
 *                   [--security-version 1] [--key-id 1]
 *
 * The repository holds only a TEST key (boards/sim/keys/update-test-key.pem). A production key stays in the
 * vendor's signing service / HSM; the firmware carries only public keys (board.json `update.keys`).
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify, constants, type KeyObject } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { VERSION } from "./build.ts";
import { encodeHeader, HEADER_BYTES, PREFIX_BYTES, SIGNATURE_BYTES } from "../firmware/update/image.ts";

export interface SignOptions {
  bundle: Uint8Array;
  key: KeyObject | string;
  board: string;
  version: string;
  securityVersion: number;
  keyId: number;
}

export function signImage(o: SignOptions): Uint8Array {
  const key = typeof o.key === "string" ? createPrivateKey(o.key) : o.key;
  const digest = createHash("sha256").update(o.bundle).digest();
  const header = encodeHeader({ keyId: o.keyId, board: o.board, version: o.version, securityVersion: o.securityVersion, length: o.bundle.length, digest });
  const sig = sign("sha256", header, { key, padding: constants.RSA_PKCS1_PADDING });
  if (sig.length !== SIGNATURE_BYTES) throw Object.assign(new Error(`E_SIGN_KEY: a ${sig.length * 8}-bit key; images are signed with RSA-2048`), { code: "E_SIGN_KEY" });
  const out = new Uint8Array(PREFIX_BYTES + o.bundle.length);
  out.set(header, 0);
  out.set(sig, HEADER_BYTES);
  out.set(o.bundle, PREFIX_BYTES);
  return out;
}

/** Node's own check of an image (node:crypto): what the simulator's boot loader runs before it starts a slot. */
export function nodeVerifyImage(image: Uint8Array, publicKey: KeyObject): boolean {
  if (image.length < PREFIX_BYTES) return false;
  const header = image.subarray(0, HEADER_BYTES);
  if (!verify("sha256", header, { key: publicKey, padding: constants.RSA_PKCS1_PADDING }, image.subarray(HEADER_BYTES, PREFIX_BYTES))) return false;
  const len = Buffer.from(header).readUInt32BE(44);
  if (image.length < PREFIX_BYTES + len) return false;
  const d = createHash("sha256").update(image.subarray(PREFIX_BYTES, PREFIX_BYTES + len)).digest();
  return d.equals(Buffer.from(header.subarray(48, 80)));
}

/** The modulus (hex) of a public key, as board.json `update.keys[].modulus` holds it. */
export function modulusHex(key: KeyObject | string): string {
  const k = typeof key === "string" ? createPublicKey(key) : key;
  const jwk = k.export({ format: "jwk" }) as { n: string };
  return Buffer.from(jwk.n, "base64url").toString("hex");
}

function main(argv: string[]): void {
  const arg = (name: string, dflt?: string) => {
    const i = argv.indexOf(`--${name}`);
    const v = i >= 0 ? argv[i + 1] : dflt;
    if (v === undefined) throw Object.assign(new Error(`E_SIGN_ARGS: --${name} is required`), { code: "E_SIGN_ARGS" });
    return v;
  };
  const bundle = readFileSync(arg("in"));
  const image = signImage({
    bundle,
    key: readFileSync(arg("key"), "utf8"),
    board: arg("board", "sim"),
    version: arg("version", VERSION),
    securityVersion: Number(arg("security-version", "1")),
    keyId: Number(arg("key-id", "1")),
  });
  writeFileSync(arg("out"), image);
  console.log(`${arg("out")}: ${image.length} B (header ${HEADER_BYTES} + signature ${SIGNATURE_BYTES} + bundle ${bundle.length})`);
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error(String((e as Error).message ?? e));
    process.exit(1);
  }
}
