/** C-APDU building and case detection, R-APDU splitting, status words, and the EMV command bytes of spec/devices.md §4.4. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { apduCase, buildApdu, describeSw, isWarning, parseResponse, swHex } from "../../hal/card/apdu.ts";
import * as commands from "../../hal/card/commands.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex").toUpperCase();
const H = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
const code = (f: () => unknown) => {
  try {
    f();
    return "";
  } catch (e) {
    return (e as { code: string }).code;
  }
};

test("the four cases are built and recognised (ISO 7816-3 §12.1.3)", () => {
  assert.is(hex(buildApdu(0, 0xa4, 4, 0)), "00A40400");
  assert.is(hex(buildApdu(0, 0xb2, 1, 0x0c, undefined, 256)), "00B2010C00");
  assert.is(hex(buildApdu(0, 0x20, 0, 0x80, H("2412 34FF FFFF FFFF"))), "002000800824 1234FFFFFFFFFF".replace(" ", ""));
  assert.is(hex(buildApdu(0x80, 0xa8, 0, 0, H("8300"), 256)), "80A8000002830000");
  assert.is(apduCase(H("00A40400")), 1);
  assert.is(apduCase(H("00B2010C00")), 2);
  assert.is(apduCase(H("0020008008241234FFFFFFFFFF")), 3);
  assert.is(apduCase(H("80A8000002830000")), 4);
  assert.is(code(() => apduCase(H("00A404"))), "E_APDU_FORMAT");
  assert.is(code(() => apduCase(H("00A4040003AABB"))), "E_APDU_FORMAT");
  assert.is(code(() => buildApdu(0, 0, 0, 0, new Uint8Array(256))), "E_APDU_FORMAT");
  assert.is(code(() => buildApdu(0, 0, 0, 0, undefined, 257)), "E_APDU_FORMAT");
});

test("EMV commands are the bytes of spec/devices.md §4.4", () => {
  assert.is(hex(commands.selectByName(commands.PSE)), "00A404000E315041592E5359532E444446303100");
  assert.is(hex(commands.selectByName(commands.PPSE)), "00A404000E325041592E5359532E444446303100");
  assert.is(hex(commands.selectByName(H("A000000333010101"), true)), "00A4040208A00000033301010100");
  assert.is(hex(commands.getProcessingOptions()), "80A8000002830000");
  assert.is(hex(commands.getProcessingOptions(H("0156"))), "80A80000048302015600");
  assert.is(hex(commands.readRecord(1, 11)), "00B2015C00");
  assert.is(hex(commands.getData(0x9f17)), "80CA9F1700");
  assert.is(hex(commands.verifyPlaintextPin(H("241234FFFFFFFFFF"))), "0020008008241234FFFFFFFFFF");
  assert.is(hex(commands.generateAc("ARQC", H("00112233"))), "80AE80000400112233" + "00");
  assert.is(hex(commands.generateAc("TC", H("00"), true)).slice(0, 6), "80AE50");
  assert.is(hex(commands.generateAc("AAC", H("00"))).slice(0, 6), "80AE00");
  assert.is(hex(commands.getResponse(0x1c)), "00C000001C");
  assert.is(code(() => commands.selectByName(H("A0000003"))), "E_APDU_FORMAT");
  assert.is(code(() => commands.readRecord(0, 1)), "E_APDU_FORMAT");
  assert.is(code(() => commands.readRecord(1, 31)), "E_APDU_FORMAT");
});

test("responses split into data and SW; fewer than 2 bytes is E_APDU", () => {
  const r = parseResponse(H("6F0A9000"));
  assert.is(hex(r.data), "6F0A");
  assert.is(r.sw, 0x9000);
  assert.is(r.sw1, 0x90);
  assert.is(r.sw2, 0x00);
  assert.is(parseResponse(H("6A82")).data.length, 0);
  assert.is(code(() => parseResponse(H("90"))), "E_APDU");
  assert.is(code(() => parseResponse(new Uint8Array(0))), "E_APDU");
});

test("status words described per spec/devices.md §4.3; warnings for the T=0 case-4 rule", () => {
  assert.is(swHex(0x6283), "6283");
  assert.is(swHex(0x9000), "9000");
  assert.is(describeSw(0x9000), "OK");
  assert.is(describeSw(0x63c2), "verify failed, 2 tries left");
  assert.is(describeSw(0x6a83), "record not found");
  assert.is(describeSw(0x6983), "authentication method blocked");
  assert.is(describeSw(0x611c), "28 bytes available (GET RESPONSE)");
  assert.is(describeSw(0x6c00), "wrong Le, 256 bytes available");
  assert.ok(isWarning(0x6283));
  assert.ok(isWarning(0x63c1));
  assert.ok(isWarning(0x9001));
  assert.not.ok(isWarning(0x9000));
  assert.not.ok(isWarning(0x6a82));
});

test.run();
