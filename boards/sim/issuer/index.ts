/**
 * The simulator's issuer, for the acquirer host and the tests (Node): EMV symmetric crypto (ICC master
 * keys, session keys, ARQC/TC/AAC, ARPC methods 1 and 2, script MACs), the issuer that answers field
 * 55 (EmvIssuer.authorize) and checks uploaded cryptograms (verifyCryptogram), and the test RSA key
 * hierarchy with the CA public keys a terminal holds as parameters (caKeyParams, ca-keys.json).
 */
export * from "./crypto.ts";
export { EmvIssuer, TEST_IMK, cardKeys, acInput, computeCryptogram, AC_DATA_TAGS, type AuthorizationRequest, type AuthorizationResult, type IssuerScript, type ScriptCommand, type IssuerMasterKeys, type CardKeys } from "./issuer.ts";
export { caKeyParams, testKey, issuerCertificate, iccCertificate, signedStaticData, signedDynamicData, UNIONPAY_RID, type CaKeyParam, type RsaKey } from "./pki.ts";
