/**
 * DUKPT: ANSI X9.24-1:2009 A.4 (TDES) and X9.24-3:2017 supplement (AES-128 and AES-256 BDK) test
 * vectors, as transcribed in openemv/dukpt test/dukpt_tdes_test.c, dukpt_aes128_test.c and
 * dukpt_aes256_test.c; node:crypto cross-checks of the variant and one-way-function steps.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createCipheriv } from "node:crypto";
import {
  dukptAesCounter,
  dukptAesDerivationKey,
  dukptAesIk,
  dukptAesKeys,
  dukptAesNextKsn,
  dukptAesWorkingKey,
  dukptTdesCounter,
  dukptTdesIk,
  dukptTdesKeys,
  dukptTdesNextKsn,
  dukptTdesTransactionKey,
  dukptTdesVariant,
} from "../../../firmware/core/dukpt.ts";
import { computeMac } from "../../../firmware/core/mac.ts";
import { createCipher, ecbEncrypt } from "../../../firmware/core/modes.ts";
import { encipherIso4PinField, decipherIso4 } from "../../../firmware/core/pinblock.ts";
import { asciiToBytes, bytesToHex, hexToBytes } from "../../../firmware/core/bytes.ts";
import { H, hex, throwsCode } from "../../support.ts";


function tdesEcbRef(key16: Uint8Array, block: Uint8Array): string {
  const c = createCipheriv("des-ede3-ecb", Buffer.concat([key16, key16.subarray(0, 8)]), null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(block), c.final()]).toString("hex").toUpperCase();
}

// ---- TDES (X9.24-1:2009 A.4) --------------------------------------------------------------------------
const TDES_BDK = H("0123456789ABCDEFFEDCBA9876543210");
const TDES_PIN_BLOCK = H("041274EDCBA9876F"); // PIN 1234, PAN 4012345678909, format 0

/** [KSN suffix after FFFF9876543210, transaction key, encrypted PIN block] */
const TDES_A42: Array<[string, string, string]> = [
  ["E00001", "042666B49184CFA368DE9628D0397BC9", "1B9C1845EB993A7A"],
  ["E00002", "C46551CEF9FD24B0AA9AD834130D3BC7", "10A01C8D02C69107"],
  ["E00003", "0DF3D9422ACA56E547676D07AD6BADFA", "18DC07B94797B466"],
  ["E00004", "279C0F6AEED0BE652B2C733E1383AE91", "0BC79509D5645DF7"],
  ["E00005", "5F8DC6D2C845C125508DDC048093B83F", "5BC0AF22AD87B327"],
  ["E00006", "5E415CB0BAF9F03CD0C14B63FB62FF43", "A16DF70AE36158D8"],
  ["E00007", "0C8F780B7C8B49D0AE84A9EB2A6CE660", "27711C16CB257F8E"],
  ["E00008", "27F66D5244FF62E1AA6F6120EDEB4280", "50E55547A5027551"],
  ["E00009", "27E31064FDC565698900E2057F658E7E", "536CF7F678ACFC8D"],
  ["E0000A", "6CF2500A22507C7CC776CEADC1E33014", "EDABBA23221833FE"],
  ["E0000B", "3E8260BA04B2D620C01482B3819A18B7", "2328981C57B4BDBA"],
  ["E0000C", "B716E1E11CF53D80726CAEE75C3A624F", "038D03CC926CF286"],
  ["E0000D", "E072EDF95340535FB6C581C58FBF2533", "6C8AA97088B62C68"],
  ["E0000E", "A80046087F5B8F245AAD95E18429084F", "F17C9E1D72CD4950"],
  ["E0000F", "93DD5B956C4878472E453AAEFD32A5AA", "B170F6E7F7F2F64A"],
  ["E00010", "59598DCBD9BD94C094165CE453585F57", "D5D9638559EF53D6"],
  ["E00011", "2B5F01F4F0CC05EA639D523231BF1BA2", "D544F8CDD292C863"],
  ["E00012", "9CF640F279C2AEE615F725EEEAC2CBAF", "7A21BD10F36DC41D"],
  ["E00013", "C3DF489FDF1153B4F03DE97C27DC4C2F", "78649BD17D0DFA60"],
  ["E00014", "658488507721B3F14737FA93F923CBD2", "7E7E16EA0C31AD56"],
  ["E00015", "E161D1956A61F6D2F37AFD7F9CC3699A", "72105C22EBC791E6"],
];
const TDES_A43: Array<[string, string, string]> = [
  ["EFF800", "F9CDFEBF4F5B1D9EB3EC12454527E176", "33365F5CC6F23C35"],
  ["EFF801", "5BEE92627E97825C911BF619DF72CA3B", "3A86BF003F835C9D"],
  ["EFF802", "64CA2F8AB93F61B01620B00BF77C7301", "3DB977D05C36DF3F"],
  ["EFF804", "35A168695B3BA83307E871C42021DD37", "BA83243305712099"],
  ["EFF808", "12C380FCB72ED3C26FC6079AF63F4787", "B0DA04AC90A36D85"],
  ["EFF810", "D8007C833A1E3C49C6889B97A68C54FF", "2CF02BD9C309EEDA"],
  ["EFF820", "A9C9FF9B735FDD49591F296B0BF0FD70", "9D1E2F77AEEE81C6"],
  ["EFF840", "0E3E221062CB5E03A384602783A004FA", "40870B0F8BA2011C"],
  ["EFF880", "CA8225C587124DFBB87F279C0BE29727", "22E340D6ABB40981"],
  ["EFF900", "906AAC1751D4971A144D52C76C6E1F97", "1A4C10AFBA03A430"],
  ["EFFA00", "2B9E2CE7C2750337E10B54D2989EA6AF", "849763B43E5F9CFF"],
  ["EFFC00", "F9430DF975082491C77BE4EF4FDB91EE", "DEFC6F09F8927B71"],
  ["F00000", "AA4D58DB653EC74A48C75F2F047DD2B5", "73EC88AD0AC5830E"],
];

test("TDES DUKPT: IK from BDK 0123..3210 and IKSN FFFF9876543210E00000 (the counter is ignored)", () => {
  assert.is(hex(dukptTdesIk(TDES_BDK, H("FFFF9876543210E00000"))), "6AC292FAA1315B4D858AB3A3D7D5933A");
  assert.is(hex(dukptTdesIk(TDES_BDK, H("FFFF9876543210E0000A"))), "6AC292FAA1315B4D858AB3A3D7D5933A");
  assert.is(hex(dukptTdesIk(TDES_BDK, H("FFFF9876543210F00000"))), "6AC292FAA1315B4D858AB3A3D7D5933A");
});

test("TDES DUKPT: A.4.2 initial sequence (21 KSNs) and A.4.3 rollover (13 KSNs): transaction keys and PIN blocks", () => {
  const ik = H("6AC292FAA1315B4D858AB3A3D7D5933A");
  for (const [suffix, key, block] of [...TDES_A42, ...TDES_A43]) {
    const ksn = H("FFFF9876543210" + suffix);
    const tk = dukptTdesTransactionKey(ik, ksn);
    assert.is(hex(tk), key, `transaction key ${suffix}`);
    const pinKey = dukptTdesVariant(tk, "pin");
    assert.is(hex(ecbEncrypt(createCipher("3des", pinKey), TDES_PIN_BLOCK)), block, `PIN block ${suffix}`);
    assert.is(tdesEcbRef(pinKey, TDES_PIN_BLOCK), block, `PIN block ${suffix} (node)`);
  }
});

test("TDES DUKPT: dukptTdesKeys for FFFF9876543210E00001 (desk tool), variants and the one-way function vs node:crypto", () => {
  const k = dukptTdesKeys(TDES_BDK, H("FFFF9876543210E00001"));
  assert.is(hex(k.ik), "6AC292FAA1315B4D858AB3A3D7D5933A");
  assert.is(hex(k.transactionKey), "042666B49184CFA368DE9628D0397BC9");
  assert.is(k.counter, 1);
  assert.is(hex(k.pin), "042666B49184CF5C68DE9628D0397B36");
  // variants: FF at bytes 6/14 (MAC request), 4/12 (MAC response), 5/13 and 3/11 (data, then OWF)
  const tk = k.transactionKey;
  const flip = (a: number) => {
    const v = Uint8Array.from(tk);
    v[a]! ^= 0xff;
    v[a + 8]! ^= 0xff;
    return v;
  };
  assert.is(hex(k.macRequest), hex(flip(6)));
  assert.is(hex(k.macResponse), hex(flip(4)));
  const owf = (v: Uint8Array) => tdesEcbRef(v, v.subarray(0, 8)) + tdesEcbRef(v, v.subarray(8, 16));
  assert.is(hex(k.dataRequest), owf(flip(5)));
  assert.is(hex(k.dataResponse), owf(flip(3)));
});

test("TDES DUKPT: request MACs of KSNs E00001-E00004 over the A.4 sample data (X9.19 with the MAC request key)", () => {
  // 8-byte values as listed with the A.4 KSNs in a public terminal SDK test (Test_sdkDukptAuto);
  // vectors.md gives the first 4 bytes of E00001 from openemv/dukpt.
  const want: Array<[string, string]> = [
    ["E00001", "9CCC78173FC4FB64"],
    ["E00002", "F608A9BCA6FFC311"],
    ["E00003", "20B59A4FEAC937E3"],
    ["E00004", "C7BFA6CC44161828"],
  ];
  for (const [suffix, mac] of want) {
    const k = dukptTdesKeys(TDES_BDK, H("FFFF9876543210" + suffix));
    assert.is(hex(computeMac("x9.19", k.macRequest, asciiToBytes("4012345678909D987"))), mac, suffix);
  }
});

test("TDES DUKPT: KSN advance walks the A.4.2 and A.4.3 sequences and stops at the end of the counter", () => {
  let ksn = H("FFFF9876543210E00000");
  for (const [suffix] of TDES_A42) {
    ksn = dukptTdesNextKsn(ksn);
    assert.is(hex(ksn), "FFFF9876543210" + suffix);
  }
  ksn = H("FFFF9876543210EFF800");
  for (const [suffix] of TDES_A43.slice(1)) {
    ksn = dukptTdesNextKsn(ksn);
    assert.is(hex(ksn), "FFFF9876543210" + suffix);
  }
  // 0x1FF800 (bits 11..20, 10 set bits) is the last counter: every later one has 11 bits or overflows
  assert.is(hex(dukptTdesNextKsn(H("FFFF9876543210FFF000"))), "FFFF9876543210FFF001");
  assert.is(hex(dukptTdesNextKsn(H("FFFF9876543210FFF7FC"))), "FFFF9876543210FFF800");
  throwsCode(() => dukptTdesNextKsn(H("FFFF9876543210FFF800")), "E_DUKPT_EXHAUSTED");
});

test("TDES DUKPT: counters and typed errors", () => {
  assert.is(dukptTdesCounter(H("FFFF9876543210FFFFFF")), 0x1fffff);
  const ik = H("6AC292FAA1315B4D858AB3A3D7D5933A");
  throwsCode(() => dukptTdesTransactionKey(ik, H("FFFF9876543210E00000")), "E_DUKPT_COUNTER");
  throwsCode(() => dukptTdesTransactionKey(ik, H("FFFF9876543210E007FF")), "E_DUKPT_COUNTER"); // 11 bits
  dukptTdesTransactionKey(ik, H("FFFF9876543210E003FF")); // 10 bits: allowed
  throwsCode(() => dukptTdesKeys(TDES_BDK, H("FFFF9876543210E001")), "E_DUKPT_KSN");
  throwsCode(() => dukptTdesKeys(TDES_BDK.subarray(0, 8), H("FFFF9876543210E00001")), "E_KEY_LENGTH");
  throwsCode(() => dukptTdesVariant(ik, "pin-verify" as "pin"), "E_DUKPT_KEY_TYPE");
});

// ---- AES (X9.24-3:2017 supplement) --------------------------------------------------------------------
const AES_IKID = "1234567890123456";
const AES128_BDK = H("FEDCBA9876543210F1F1F1F1F1F1F1F1");
const AES256_BDK = H("FEDCBA9876543210F1F1F1F1F1F1F1F1FEDCBA9876543210F1F1F1F1F1F1F1F1");
const PIN_FIELD = H("441234AAAAAAAAAA2F69ADDE2E9E7ACE");
const PAN = "4111111111111111";

/** AES-128 BDK, KSNs ..00000001-8: [derivation key, PIN key, encrypted PIN block, MAC generation key, data encryption key] */
const AES128_FIRST8: Array<[string, string, string, string, string]> = [
  ["4F21B565BAD9835E112B6465635EAE44", "AF8CB133A78F8DC2D1359F18527593FB", "A912150391AB65A67E52883D81CE2D15", "A2DC23DE6FDE0824A2BC321E08E4B8B7", "A35C412EFD41FDB98B69797C02DCD08F"],
  ["2F34D68DE10F68D38091A73B9E7C437C", "D30BDC73EC9714B000BEC66BDB7B6D09", "52A00503BD34BA1383F6A7EE9FE2547F", "484C3B06E8562704528CD5B46FB12FB6", "D639514AA33AC43AD9229E433D6D4E5B"],
  ["031504E530365CF81264238540518318", "7D69F01F3B45449F62C7816ECE723268", "A5A27E82B43A9A866A93D7ABE89CEF93", "A5DF7D9D800CA769766F0C77CA4E6E6C", "EF17F6AB45B4820C93A3DCB21BC491AD"],
  ["0EEFC7ADA628BA68878DA9165A8A1887", "91A0588318EC2673214271F70137896E", "71B3D0528669498777555A8BE6698E44", "E6E4679647D8A9057C1FC15537CB4C4E", "B3BD44C08BB6BA27C3BB4711D7D70387"],
  ["C2A7AC328A5DA2D6002D62465BFC028B", "35A43BC9EFEB09C756204B57E3FB7D4D", "881A7F77A2E04E5BEA985E342FD0B628", "0588185FE1FF8C7E22FAD78C1C61F065", "CA02DF6F30B39E14BD0B4A30E460920F"],
  ["D30F7D9351DA58448A2F5E92B4EE3B7D", "02DCC6CD1201A3A2CA7099559C862123", "BDC1C3871AFB0B340AA5B5CEFD08695E", "7B60F72A5639C0EE7EB2100FA80BB793", "C9B8A7C4E486180B2229115164F0B293"],
  ["A8253CEED9AC042C54F75D35C8352278", "6ECF912F3B18CA11A7A27BB60705FD09", "4A8E6B8C7DBEE6CBA6DC774F0CB83396", "BAA08CA263C69525BC6B1BA8F4275D69", "0FA8F1F0A2DD7B1005A862D77CDED698"],
  ["718EE6CF0B27E53D5F7AF99C4D8146A2", "4D9DF3FBEE3448FC3E676D04320A90F5", "8308BB857C17F390369F761F8EB358FA", "6FD572E5D59E618875F193484F9178FB", "650F34204ABD4E57764D61AC3D266FB1"],
];
/** AES-128 BDK: [counter, derivation key] around the 0x1FFFF/0x20000 roll and at the end of the counter. */
const AES128_LATER: Array<[string, string]> = [
  ["0001FFFE", "E21E8C8D347F8561A2BE752DAA85A111"],
  ["00020000", "F7AE9025468A25D37B7249CFFED224C8"],
  ["00020001", "692C8EA4013645135B36497131DF9D2C"],
  ["FFFE2000", "48E585B694EB0B18D5C35443E163C0BA"],
  ["FFFE4000", "396C2C7CA1EA701C03B86B7D41F0C562"],
  ["FFFE8000", "0387625F189B58AE03EF0E8CCA41105E"],
  ["FFFF0000", "F6BA59389BD14A9855BE9727E7C52E3C"],
];

test("AES DUKPT, AES-128 BDK: initial key (X9.24-3 B.1)", () => {
  assert.is(hex(dukptAesIk(AES128_BDK, H(AES_IKID))), "1273671EA26AC29AFA4D1084127652A1");
});

test("AES DUKPT, AES-128 BDK: first eight KSNs: derivation, PIN, MAC generation, data keys and format 4 PIN blocks", () => {
  const ik = H("1273671EA26AC29AFA4D1084127652A1");
  AES128_FIRST8.forEach(([dk, pin, block, mac, data], i) => {
    const ksn = H(AES_IKID + "0000000" + (i + 1));
    assert.is(hex(dukptAesDerivationKey(ik, ksn)), dk, `derivation key ${i + 1}`);
    const keys = dukptAesKeys(AES128_BDK, ksn, "aes128");
    assert.is(hex(keys.derivationKey), dk);
    assert.is(hex(keys.pinEncryption), pin, `PIN key ${i + 1}`);
    assert.is(hex(keys.macGeneration), mac, `MAC key ${i + 1}`);
    assert.is(hex(keys.dataEncryption), data, `data key ${i + 1}`);
    assert.is(keys.counter, i + 1);
    assert.is(hex(encipherIso4PinField(keys.pinEncryption, PIN_FIELD, PAN)), block, `PIN block ${i + 1}`);
    assert.is(decipherIso4(keys.pinEncryption, H(block), PAN), "1234");
  });
});

test("AES DUKPT, AES-128 BDK: derivation keys at counters 1FFFE, 20000, 20001 and FFFE2000..FFFF0000", () => {
  const ik = H("1273671EA26AC29AFA4D1084127652A1");
  for (const [counter, dk] of AES128_LATER) assert.is(hex(dukptAesDerivationKey(ik, H(AES_IKID + counter))), dk, counter);
  // 0x1FFFF has 17 set bits: not a valid AES DUKPT counter
  throwsCode(() => dukptAesDerivationKey(ik, H(AES_IKID + "0001FFFF")), "E_DUKPT_COUNTER");
  throwsCode(() => dukptAesDerivationKey(ik, H(AES_IKID + "00000000")), "E_DUKPT_COUNTER");
  assert.is(dukptAesCounter(H(AES_IKID + "FFFF0000")), 0xffff0000);
});

test("AES DUKPT: KSN advance skips counters with more than 16 bits and ends after FFFF0000", () => {
  assert.is(hex(dukptAesNextKsn(H(AES_IKID + "00000000"))), AES_IKID + "00000001");
  assert.is(hex(dukptAesNextKsn(H(AES_IKID + "0001FFFE"))), AES_IKID + "00020000");
  assert.is(hex(dukptAesNextKsn(H(AES_IKID + "00020000"))), AES_IKID + "00020001");
  let ksn = H(AES_IKID + "FFFE2000");
  for (const c of ["FFFE4000", "FFFE8000", "FFFF0000"]) {
    ksn = dukptAesNextKsn(ksn);
    assert.is(hex(ksn), AES_IKID + c);
  }
  throwsCode(() => dukptAesNextKsn(ksn), "E_DUKPT_EXHAUSTED");
});

test("AES DUKPT, AES-256 BDK: initial key, derivation keys, AES-128 and AES-256 PIN/MAC/data keys", () => {
  assert.is(hex(dukptAesIk(AES256_BDK, H(AES_IKID))), "CE9CE0C101D1138F97FB6CAD4DF045A7083D4EAE2D35A31789D01CCF0949550F");
  const derivation = [
    "54AC2B32B145EA4A554CB8BC44B17467063A799856B1CCC2A138D36E8DBF78B3",
    "5DD5A0253842BBBE1D7C0DA27021412C6F1FAB53FB928DEAE56DA06090A9DE97",
    "8EEEF7C464AE415BB1D73FAED21993CD669F7999092A579EC6DD3CC680C65171",
    "C18CBED570B3B89ECADA7CEC9C224CD5A86ECF3DE377D3EFAB720F8C4D76B9D0",
  ];
  const pin128 = ["09C9C432966811D6B2C3336BAC1B1202", "D632226A80795D13A80AFE66A3E97B01", "C2CBD3D766B16F9F82F4EE3F74478918", "58A3779C1E24B3EDAF068609E7E56D59"];
  const pin256 = [
    "8C1AB7BEE973829E30242E0BBBDD4946D540C98FC1B5BDCF94790001A23FD502",
    "3583D6CD02FC38822CC71A8D7678E04F4A8556335E6CC66863D3DADC5AEE2C62",
    "96A1AB5D37CB7CF81DDE64F66C46E0389B833E7AD5F4E44C791F04FAFDA6DA0E",
    "420AA584BF215C4777E93009B56D08DE80687021D07ED96349FF71379CE5636D",
  ];
  const mac128 = ["F04A1FABD4176E15490CEC82E217A96D", "DD99D77B4E2AB538B26BB6A8B3FB0BE3", "5A742A4A0403B3D7BB30842DAFBB5972", "C531F7E08514858C445D5F54BFE7DA8E"];
  const mac256 = ["61DABDF4B340CF461EE860B1D1AB55357142BD2D6977306859CF49AEFE8F1549", "4417356219B2F93CE3F2671623DDCAB58A8B85AD80662A8D628024000956D426"];
  const data128 = ["616D59AE91F8CC7016F89FDA29605FA4", "07B79D9BFF3633C07A9FDDF132070B30"];
  const data256 = ["71EB36C9A6B7F801D1D1700C29741FC5A5C4E9B45D742DA7AF6992B8AA29AF58", "D0AC9F71F875FFFF3A83778F72F39EBB0924A5A526617AF669665E0A19725465"];
  for (let i = 0; i < 4; i++) {
    const ksn = H(AES_IKID + "0000000" + (i + 1));
    const k128 = dukptAesKeys(AES256_BDK, ksn, "aes128");
    const k256 = dukptAesKeys(AES256_BDK, ksn, "aes256");
    assert.is(hex(k128.derivationKey), derivation[i]!, `derivation ${i + 1}`);
    assert.is(hex(k128.pinEncryption), pin128[i]!, `PIN AES-128 ${i + 1}`);
    assert.is(hex(k256.pinEncryption), pin256[i]!, `PIN AES-256 ${i + 1}`);
    assert.is(hex(k128.macGeneration), mac128[i]!, `MAC AES-128 ${i + 1}`);
    if (i < 2) {
      assert.is(hex(k256.macGeneration), mac256[i]!, `MAC AES-256 ${i + 1}`);
      assert.is(hex(k128.dataEncryption), data128[i]!, `data AES-128 ${i + 1}`);
      assert.is(hex(k256.dataEncryption), data256[i]!, `data AES-256 ${i + 1}`);
    }
    // the PIN block of the X9.24-3 sample under the AES-256 PIN key deciphers back
    assert.is(decipherIso4(k256.pinEncryption, encipherIso4PinField(k256.pinEncryption, PIN_FIELD, PAN), PAN), "1234");
  }
  const later: Array<[string, string]> = [
    ["0001FFFE", "A289508CBF1228452CD86AB77B15CB35577AC828C18BB66681E5A16D6C9CCED3"],
    ["00020000", "D62DDA94A47D7DA5D763443B4ECB15EA8DD62E0E4F915958BA459591F8312E37"],
    ["00020001", "44110A1102748D4A3AC326F53D8CAC650212590CA7126D54546DDE0F20E89CEE"],
    ["FFFE2000", "4625EB06E4886D4AFCC9AE37ED4F4E4E1653C9E60E3F24742A87A26AA96AB7A6"],
    ["FFFE4000", "FF20E1BB575539ACCB44E3111BE8757F83AE8549A2DD71B441A4A424F7FFD4B1"],
  ];
  const ik = dukptAesIk(AES256_BDK, H(AES_IKID));
  for (const [counter, dk] of later) assert.is(hex(dukptAesDerivationKey(ik, H(AES_IKID + counter))), dk, counter);
});

test("AES DUKPT: TDES working keys from an AES BDK, strength rule and typed errors", () => {
  const ksn = H(AES_IKID + "00000001");
  const dk = H("4F21B565BAD9835E112B6465635EAE44");
  assert.is(dukptAesWorkingKey(dk, ksn, "pin-encryption", "2tdea").length, 16);
  throwsCode(() => dukptAesWorkingKey(dk, ksn, "pin-encryption", "aes256"), "E_DUKPT_KEY_TYPE");
  throwsCode(() => dukptAesWorkingKey(dk, ksn, "pin-encryption", "3tdea"), "E_DUKPT_KEY_TYPE");
  assert.is(dukptAesKeys(AES256_BDK, ksn, "3tdea").pinEncryption.length, 24);
  throwsCode(() => dukptAesKeys(AES128_BDK, ksn, "des" as "aes128"), "E_DUKPT_KEY_TYPE");
  throwsCode(() => dukptAesKeys(AES128_BDK, H("FFFF9876543210E00001")), "E_DUKPT_KSN");
  throwsCode(() => dukptAesKeys(H("0011223344556677"), ksn), "E_KEY_LENGTH");
  // the working keys of one KSN all differ
  const all = dukptAesKeys(AES128_BDK, ksn);
  const set = new Set([all.pinEncryption, all.macGeneration, all.macVerification, all.macBoth, all.dataEncryption, all.dataDecryption, all.dataBoth, all.keyEncryption].map(hex));
  assert.is(set.size, 8);
});

test.run();
