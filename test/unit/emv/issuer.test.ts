/**
 * The simulator's issuer crypto (boards/sim/issuer) against the published vectors of spec/vectors.md
 * (pyemv ac.py / kd.py docstrings) and pyemv sm.py (script MAC), plus the issuer's round trip and the
 * PKI's signed objects recovered with node:crypto.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { constants, publicEncrypt, createPublicKey, createHash } from "node:crypto";
import { H, hex, acDiversifier, applicationCryptogram, arpcMethod1, arpcMethod2, deriveCommonSessionKey, deriveIccMasterKeyA, deriveIccMasterKeyB, retailMac, scriptCommandMac } from "../../../boards/sim/issuer/crypto.ts";
import { EmvIssuer, acInput, cardKeys, computeCryptogram, TEST_IMK } from "../../../boards/sim/issuer/issuer.ts";
import { encode, flatten, parse } from "../../../boards/sim/issuer/tlv.ts";
import { issuerCertificate, iccCertificate, signedStaticData, signedDynamicData, testKey, caKeyParams, type RsaKey } from "../../../boards/sim/issuer/pki.ts";

test("ICC master key option A and B (IMK 0123..3210, PAN 12345678901234567, PSN 01)", () => {
  const imk = H("0123456789ABCDEFFEDCBA9876543210");
  assert.is(hex(deriveIccMasterKeyA(imk, "12345678901234567", "01")), "73AD54688CEF2934B0979857E3C719F1");
  assert.is(hex(deriveIccMasterKeyB(imk, "12345678901234567", "01")), "AD406D7F6D7570916D75E5DCAB8CF737");
  // Option B is option A for PANs of 16 digits or fewer.
  assert.is(hex(deriveIccMasterKeyB(imk, "1234567890123456", "01")), hex(deriveIccMasterKeyA(imk, "1234567890123456", "01")));
});

test("common session key (MK 0123..3210, R = 001C000000000000) and R = ATC || 00*6", () => {
  const mk = H("0123456789ABCDEFFEDCBA9876543210");
  assert.is(hex(deriveCommonSessionKey(mk, H("001C000000000000"))), "E9FB384AF807B940FEDCEA613461B0C4");
  assert.is(hex(acDiversifier(0x001c)), "001C000000000000");
});

test("ARQC, ARPC method 1 and method 2 (SK AAAA..BBBB)", () => {
  const sk = H("AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB");
  const data = H("000000002000 000000000000 0124 0000008000 0124 110309 00 3804823E 5800 0001");
  assert.is(hex(applicationCryptogram(sk, data)), "3B76CF10FECD8789");
  assert.is(hex(arpcMethod1(sk, H("1234567890ABCDEF"), H("0000"))), "F5E6F44147E2F1B0");
  assert.is(hex(arpcMethod2(sk, H("1234567890ABCDEF"), H("00000000"))), "9308BEBC");
});

test("script command MAC (pyemv sm.py: SK 0123..3210, 8424000008 || FFFF || 1234567890123456)", () => {
  const sk = H("0123456789ABCDEFFEDCBA9876543210");
  assert.is(hex(scriptCommandMac(sk, H("8424000008"), H("FFFF"), H("1234567890123456"))), "E07B8DF1B4184282");
  // The MAC is ISO 9797-1 alg 3, pad 2 (spec/vectors.md "hello world" vector).
  assert.is(hex(retailMac(H("41414141414141414242424242424242"), Buffer.from("hello world"))), "E16941032C3BC7D4");
});

test("issuer round trip: a card's ARQC verifies, ARPC method 1 answers, scripts carry MACs; a wrong ARQC is caught", () => {
  const pan = "6214830012345678900";
  const keys = cardKeys(pan, "01");
  assert.is(hex(keys.mkAc), hex(deriveIccMasterKeyA(TEST_IMK.ac, pan, "01")));
  const tags: Record<number, string> = { 0x9f02: "000000012345", 0x9f03: "000000000000", 0x9f1a: "0156", 0x95: "0000008000", 0x5f2a: "0156", 0x9a: "261122", 0x9c: "00", 0x9f37: "11223344", 0x82: "7C00", 0x9f36: "0007", 0x9f10: "07010103A00000", 0x5f34: "01", 0x9f27: "80" };
  const data = acInput((t) => (tags[t] ? H(tags[t]!) : undefined));
  assert.is(hex(data), "000000012345" + "000000000000" + "0156" + "0000008000" + "0156" + "261122" + "00" + "11223344" + "7C00" + "0007" + "03A00000");
  const arqc = computeCryptogram(keys.mkAc, 7, data);
  const f55 = Object.entries({ ...tags, 0x9f26: hex(arqc) }).map(([t, v]) => encode(Number(t), H(v)));
  const field55 = Uint8Array.from(Buffer.concat(f55));
  const issuer = new EmvIssuer();
  const r = issuer.authorize({ pan, field55, responseCode: "00", scripts: [{ template: 0x72, id: "00000001", commands: [{ kind: "application-block" }] }] });
  assert.ok(r.arqcValid);
  assert.is(r.cryptogramType, "ARQC");
  assert.is(r.atc, 7);
  const sk = deriveCommonSessionKey(keys.mkAc, acDiversifier(7));
  assert.is(hex(r.issuerAuthenticationData), hex(arpcMethod1(sk, arqc, Buffer.from("00"))) + "3030");
  const out = parse(r.field55);
  assert.equal(out.map((t) => t.tag), [0x91, 0x72]);
  const script = out[1]!.children!;
  assert.is(hex(script[0]!.value), "00000001");
  const cmd = script[1]!.value;
  assert.is(hex(cmd.subarray(0, 5)), "841E000008");
  const skSmi = deriveCommonSessionKey(keys.mkSmi, arqc);
  assert.is(hex(cmd.subarray(5)), hex(scriptCommandMac(skSmi, H("841E000008"), H("0007"), arqc)));
  // Method 2, and a tampered request.
  const m2 = issuer.authorize({ pan, field55, responseCode: "05", arpcMethod: 2 });
  assert.is(hex(m2.issuerAuthenticationData), hex(arpcMethod2(sk, arqc, H("00000000"))) + "00000000");
  const bad = Uint8Array.from(field55);
  bad[bad.length - 1]! ^= 1;
  assert.not.ok(issuer.authorize({ pan, field55: bad, responseCode: "00" }).arqcValid);
  assert.is(flatten(parse(field55)).get(0x9f36)!.length, 2);
});

function recover(key: RsaKey, s: Uint8Array): Uint8Array {
  const pub = createPublicKey({ key: { n: Buffer.from(key.n).toString("base64url"), e: Buffer.from(key.e).toString("base64url"), kty: "RSA" }, format: "jwk" });
  return Uint8Array.from(publicEncrypt({ key: pub, padding: constants.RSA_NO_PADDING }, Buffer.from(s)));
}
const sha1 = (...p: Uint8Array[]) => {
  const h = createHash("sha1");
  for (const x of p) h.update(x);
  return hex(h.digest());
};

test("PKI: issuer and ICC certificates, SSAD and SDAD recover (node:crypto) to the EMV formats with their hashes", () => {
  const ca = testKey("ca80");
  const iss = testKey("issuerA");
  const icc = testKey("icc1");
  assert.is(ca.n.length, 144);
  assert.is(hex(ca.e), "03");
  assert.equal(caKeyParams()[0]!.index, 0x80);
  const ic = issuerCertificate(ca, iss, { issuerId: "621483", expiry: "1230" });
  const x = recover(ca, ic.certificate);
  assert.is(hex(x.subarray(0, 2)), "6A02");
  assert.is(hex(x.subarray(2, 6)), "621483FF");
  assert.is(x[13], iss.n.length);
  assert.is(ic.remainder.length, iss.n.length - (144 - 36));
  assert.is(hex(x.subarray(15, 144 - 21)) + hex(ic.remainder), hex(iss.n));
  assert.is(hex(x.subarray(144 - 21, 144 - 1)), sha1(x.subarray(1, 144 - 21), ic.remainder, ic.exponent));
  assert.is(x[143], 0xbc);
  const sda = H("5A0862148300123456789F5F24032812318200027C00");
  const cc = iccCertificate(iss, icc, { pan: "6214830012345678900", expiry: "1230", staticData: sda });
  const y = recover(iss, cc.certificate);
  assert.is(hex(y.subarray(0, 12)), "6A046214830012345678900F".slice(0, 24));
  assert.is(hex(y.subarray(128 - 21, 127)), sha1(y.subarray(1, 128 - 21), cc.remainder, cc.exponent, sda));
  const ssad = recover(iss, signedStaticData(iss, H("DAC1"), sda));
  assert.is(hex(ssad.subarray(0, 5)), "6A0301DAC1");
  assert.is(hex(ssad.subarray(107, 127)), sha1(ssad.subarray(1, 107), sda));
  const sdad = recover(icc, signedDynamicData(icc, H("0811223344556677 88"), H("CAFEBABE")));
  assert.is(hex(sdad.subarray(0, 13)), "6A0501" + "09" + "081122334455667788");
  assert.is(hex(sdad.subarray(96 - 21, 95)), sha1(sdad.subarray(1, 96 - 21), H("CAFEBABE")));
});

test.run();
