/**
 * Generates the simulator's test RSA key hierarchy with node:crypto and writes test-keys.ts. Keys that
 * exist already are kept (certificates, cards and terminal parameters stay stable); new names are added:
 *   npx tsx boards/sim/issuer/gen-keys.ts
 * CA key (UnionPay RID A000000333, index 80) 1152 bits e=3; issuer keys 1024 bits (e=3 and e=65537);
 * ICC keys 768 bits. Also writes ca-keys.json, the CA public keys as terminal parameters.
 * Test keys only: never use them for anything real.
 */
import { generateKeyPairSync } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";

const plan: Array<[string, number, number]> = [
  ["ca80", 1152, 3],
  ["issuerA", 1024, 3],
  ["issuerB", 1024, 65537],
  ...Array.from({ length: 10 }, (_, i) => [`icc${i + 1}`, 768, i % 2 ? 65537 : 3] as [string, number, number]),
];
const file = new URL("./test-keys.ts", import.meta.url);
const existing: Record<string, string> = existsSync(file) ? (await import(file.href)).TEST_KEYS : {};
let out = "/** Test RSA keys (PKCS#1 PEM) written by gen-keys.ts: simulator test keys, never for anything real. */\n";
out += "export const TEST_KEYS: Record<string, string> = {\n";
for (const [name, bits, e] of plan) {
  const pem = existing[name] ?? (generateKeyPairSync("rsa", { modulusLength: bits, publicExponent: e }).privateKey.export({ type: "pkcs1", format: "pem" }) as string);
  out += `  ${name}: ${JSON.stringify(pem)},\n`;
}
out += "};\n";
writeFileSync(file, out);
// The CA public keys as terminal parameters (engine code may import the JSON).
const { caKeyParams } = await import("./pki.ts");
writeFileSync(new URL("./ca-keys.json", import.meta.url), JSON.stringify(caKeyParams(), null, 2) + "\n");
console.log("wrote test-keys.ts and ca-keys.json");
