/**
 * EMV offline data authentication primitives inside the engine (no node:crypto here): SHA-1 (FIPS 180
 * examples), the RSA public operation (a raw RSA vector computed once with node:crypto: 1024-bit
 * e=65537), recovery of the simulator's issuer certificate with its test CA key (e=3; EMV Book 2
 * format 02, hash checked with the engine's SHA-1), and the chip-first rules. Kept small: the kernel's
 * rules run in the engine tests (test/engine/emv-*.test.ts) and this bundle has a size budget.
 */
import { test, equal, hexEqual, bytesOf, hexOf, throwsCode } from "./harness";
import { sha1, Sha1 } from "../../firmware/core/sha1";
import { RsaPublicKey } from "../../firmware/core/rsa";
import { swipeDecision, chipFailureAllowsFallback } from "../../firmware/emv/fallback";

function ascii(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

const RSA1024 = {
  n: "CF14221D87E1F9A9E0F2B8718593553D0ADF2896457AA4F4FB4A67AD42C5606BAC81551B5E576E5D3C0B78A605360D28D94F349264ECA4B2FBABBA81C8FD4F72ADC988CEBB67364761FAE73D8442E673BACF60C4EB09EFDDF899AD7155966784FE6EF6BBA4455689BF64C1C7F3654FF5795045A3469C8EBD7606CE8EF418B8D1",
  x: "CE8DE42C2DE263600E74F04C1011F6EEA8EBBEA2A37C86D73E37CB7C80D5CA03C05381490A86DA0982DE92796271AA02E68C09EC76C88979FE847F6DA9C9E97E963FC70867E20D74A9F33E3A9C9AB4C74033D1ED33F544A0817D86AB69982F9A9000B1CBDF5ED8F840BAEAF473D9791AE292B829BA672197B54981B5D3EBB107",
  y: "31493BC4E7EB9C1D33B049B4F81F8997F19E09474888881418DA19EEDC59719CA0216A725B22FFBD58A9D586F75EDF3789739C51EFC3F217997B8927DAED644C11FA939114EBEC7B41349FCEA97B85A0C657D81A8D862C2476D5565F869A98C90B83FCE9E8995D171C6CBE215C9B3ABE3C0EC2C05BD1D695A9EBE20D3BB9E6ED",
};
/** The simulator's test CA key (RID A000000333, index 80, e=3) and its certificate of issuer key "issuerA". */
const CA80 = "E3492387D613AB09AD2A593302D149006B9B98D22A6494EBD68EB7BE939351B042BB6853E94ABC7F97A68271A5DB828D57213E7F20F3539D5ADD375083955D813ACB9F8BB91776F65EC349B5786711D44BE2C9480E4EAD41ED4241F0BE70DDF1F06C30E8A6B346C5F02EB92234A96DC42A564223D5E403AF7F6E48DFCA3731853C80C97B1917B4D8CAB19FD9D33DC5AF";
const ISSUER_CERT = "D3675941EAF7F541FA3BAD4A20C8E7A405263C59C6A8331633D96AF0C21B9FB509285B68FEED02E698EC13D15E0D731D609F8E9027522EB6D93E92687A84DFF0F15184FC41F4EADD35E0759ED585E4AE20EF319DC38164F3283ABC8C10EF7C99CE88093373B2511EA531580B397396697C015D045BCAF25C12B7D18CA68C747CA64BC0950AAFBB72658F8ED8A199623B";
const ISSUER_REMAINDER = "5F4586ABF1A500B80E8FE455DD1D44D8FCB44E83";

test("sha1: FIPS 180 'abc', '', the 448-bit message, a million 'a' in pieces", () => {
  hexEqual(sha1(ascii("abc")), "A9993E364706816ABA3E25717850C26C9CD0D89D");
  hexEqual(sha1(new Uint8Array(0)), "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709");
  hexEqual(sha1(ascii("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")), "84983E441C3BD26EBAAE4AA1F95129E5E54670F1");
  const h = new Sha1();
  const chunk = new Uint8Array(1000).fill(0x61);
  for (let i = 0; i < 1000; i++) h.update(chunk);
  hexEqual(h.digest(), "34AA973CD4C4DAA4F61EEB2BDBAD27316534016F");
});

test("rsa: raw public operation, 1024-bit e=65537 (vector from node:crypto RSA_NO_PADDING), errors", () => {
  hexEqual(new RsaPublicKey(bytesOf(RSA1024.n), bytesOf("010001")).apply(bytesOf(RSA1024.x)), RSA1024.y);
  throwsCode(() => new RsaPublicKey(bytesOf(RSA1024.n), 17), "E_RSA_EXPONENT");
  throwsCode(() => new RsaPublicKey(bytesOf(RSA1024.n), 3).apply(bytesOf(RSA1024.n)), "E_RSA_INPUT");
});

test("emv: the issuer certificate recovers with the CA key: 6A 02 621483FF .. hash .. BC, modulus = leftmost digits + remainder", () => {
  const x = new RsaPublicKey(bytesOf(CA80), 3).apply(bytesOf(ISSUER_CERT));
  const n = x.length;
  equal(hexOf(x.subarray(0, 6)), "6A02621483FF");
  equal(x[n - 1], 0xbc);
  const h = new Sha1().update(x, 1, n - 22).update(bytesOf(ISSUER_REMAINDER)).update(bytesOf("03")).digest();
  equal(hexOf(h), hexOf(x.subarray(n - 21, n - 1)), "certificate hash");
  // Issuer key of 128 bytes: 108 in the certificate (N_CA - 36), 20 in the remainder.
  equal(x[13], 128);
  equal(ISSUER_REMAINDER.length / 2, 128 - (n - 36));
});

test("emv: chip first for service codes 2xx/6xx, the stripe only after a chip failure that allows it", () => {
  equal(swipeDecision("620", false), "use-chip");
  equal(swipeDecision("620", true), "fallback");
  equal(swipeDecision("120", false), "magstripe");
  equal(chipFailureAllowsFallback({ code: "E_CARD_MUTE" }), true);
  equal(chipFailureAllowsFallback({ code: "E_EMV_APP_BLOCKED" }), false);
});
