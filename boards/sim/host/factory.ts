/**
 * The simulator's factory data, shared by the acquirer host and the firmware tests: the default device identity
 * (what boards/sim/engine-host.ts reports as the serial number, the PED's factory transport key), its activation
 * code and the terminal/merchant it is registered for, the TMK the host issues at activation, more devices for
 * each activation decline of docs/cup-profile.md, and the test cardholder accounts.
 *
 * The first four cards are the virtual cards of boards/sim/devices/cards/catalog.ts (same PAN, track 2 and PIN),
 * so a card swiped in the simulator reaches an account; the others exist for the decline paths. Every PAN has a
 * valid Luhn check digit. Amounts are in fen (分). Made-up numbers and well-known test keys: never production ones.
 */
import { SIM_TRANSPORT_KEY_HEX } from "../devices/ped.ts";

/** What `system.serialNumber()` returns in the simulator (boards/sim/engine-host.ts default). */
export const SIM_SERIAL_NUMBER = "SIM00000001";
/** The virtual PED's factory transport key (boards/sim/devices/ped.ts default): 3DES, two-key. */
export const FACTORY_TRANSPORT_KEY_HEX = SIM_TRANSPORT_KEY_HEX;
/** The activation (authorization) code the acquirer gave the merchant of SIM00000001. */
export const DEFAULT_ACTIVATION_CODE = "20250601";
export const DEFAULT_TERMINAL_ID = "10000001";
export const DEFAULT_MERCHANT_ID = "898100012345678";
export const DEFAULT_MERCHANT_NAME = "银联测试商户";
/**
 * The TMK the host issues to SIM00000001 at activation (the TMK of spec/cup-8583.md §9), sent encrypted 3DES-ECB
 * under the transport key; KCV = first 4 bytes of 3DES_TMK(00×8).
 */
export const DEFAULT_TMK_HEX = "11111111111111112222222222222222";
/** Framing defaults of docs/cup-profile.md. */
export const DEFAULT_TPDU_HEX = "6000030000";
export const DEFAULT_HEADER_HEX = "603100310001";
/** Acquirer institution id (field 32) and the issuer id the host puts in field 44. */
export const ACQUIRER_ID = "48020000";
export const ISSUER_ID = "01020000";

/** A device's state at the acquirer (docs/cup-profile.md, activation declines). */
export type DeviceState = "new" | "active" | "revoked" | "merchant-not-qualified" | "maintenance";

export interface FactoryDevice {
  serial: string;
  transportKeyHex: string;
  activationCode: string;
  terminalId: string;
  merchantId: string;
  merchantName: string;
  state: DeviceState;
  /** TMK issued at activation (random per activation when absent). */
  tmkHex?: string;
}

/** The default device, then one device per activation outcome. */
export const FACTORY_DEVICES: readonly FactoryDevice[] = [
  {
    serial: SIM_SERIAL_NUMBER,
    transportKeyHex: FACTORY_TRANSPORT_KEY_HEX,
    activationCode: DEFAULT_ACTIVATION_CODE,
    terminalId: DEFAULT_TERMINAL_ID,
    merchantId: DEFAULT_MERCHANT_ID,
    merchantName: DEFAULT_MERCHANT_NAME,
    state: "new",
    tmkHex: DEFAULT_TMK_HEX,
  },
  // A2: activation revoked / terminal deregistered.
  { serial: "SIM00000002", transportKeyHex: FACTORY_TRANSPORT_KEY_HEX, activationCode: "20250602", terminalId: "10000002", merchantId: DEFAULT_MERCHANT_ID, merchantName: DEFAULT_MERCHANT_NAME, state: "revoked" },
  // A3: merchant not qualified (review pending, suspended).
  { serial: "SIM00000003", transportKeyHex: FACTORY_TRANSPORT_KEY_HEX, activationCode: "20250603", terminalId: "10000003", merchantId: "898100012345679", merchantName: "待审核商户", state: "merchant-not-qualified" },
  // 90: this device's record is in maintenance at the acquirer.
  { serial: "SIM00000004", transportKeyHex: FACTORY_TRANSPORT_KEY_HEX, activationCode: "20250604", terminalId: "10000004", merchantId: DEFAULT_MERCHANT_ID, merchantName: DEFAULT_MERCHANT_NAME, state: "maintenance" },
  // Already active: its code given by another device -> A4.
  { serial: "SIM00000005", transportKeyHex: FACTORY_TRANSPORT_KEY_HEX, activationCode: "20250605", terminalId: "10000005", merchantId: DEFAULT_MERCHANT_ID, merchantName: DEFAULT_MERCHANT_NAME, state: "active", tmkHex: "22222222222222223333333333333333" },
];
/** Activation outcomes with the factory devices (serial + code -> field 39). */
export const ACTIVATION_CASES = {
  ok: { serial: SIM_SERIAL_NUMBER, code: DEFAULT_ACTIVATION_CODE, responseCode: "00" },
  wrongCode: { serial: SIM_SERIAL_NUMBER, code: "99999999", responseCode: "A1" },
  revoked: { serial: "SIM00000002", code: "20250602", responseCode: "A2" },
  merchantNotQualified: { serial: "SIM00000003", code: "20250603", responseCode: "A3" },
  codeUsedByAnotherDevice: { serial: SIM_SERIAL_NUMBER, code: "20250605", responseCode: "A4" },
  maintenance: { serial: "SIM00000004", code: "20250604", responseCode: "90" },
  unknownSerial: { serial: "SIM99999999", code: DEFAULT_ACTIVATION_CODE, responseCode: "97" },
} as const;

/** A cardholder account's state at the issuer, and the field 39 it gives. */
export type AccountStatus = "ok" | "expired" | "lost" | "stolen" | "restricted" | "pick-up" | "fraud" | "not-permitted" | "pin-locked";

export interface TestCard {
  /** Short name for tests and the simulator's card menu. */
  name: string;
  pan: string;
  /** Track 2 as on the stripe (`=` separator). */
  track2: string;
  /** YYMM, as in track 2. */
  expiry: string;
  pin: string;
  /** Available balance (debit) or open credit (credit), in fen. */
  balance: number;
  status: AccountStatus;
  /** 54 account type (10 savings/debit, 30 credit). */
  accountType: "10" | "30";
  /** 外卡: counted in the foreign half of settlement field 48. */
  foreign?: boolean;
  /** The virtual card of boards/sim/devices/cards/catalog.ts with this PAN, if any. */
  catalog?: string;
}

const card = (c: Omit<TestCard, "track2" | "accountType" | "status"> & { service?: string; disc?: string; accountType?: "10" | "30"; status?: AccountStatus; track2?: string }): TestCard => ({
  name: c.name,
  pan: c.pan,
  track2: c.track2 ?? `${c.pan}=${c.expiry}${c.service ?? "620"}${c.disc ?? "1000000000"}`,
  expiry: c.expiry,
  pin: c.pin,
  balance: c.balance,
  status: c.status ?? "ok",
  accountType: c.accountType ?? "10",
  ...(c.foreign ? { foreign: true } : {}),
  ...(c.catalog ? { catalog: c.catalog } : {}),
});

export const TEST_CARDS = {
  /** catalog unionpayDebit: UnionPay debit, chip + stripe, PIN 1234, 50 000.00. */
  debit: card({ name: "debit", pan: "6214830012345678900", track2: "6214830012345678900=28126201234567890", expiry: "2812", pin: "1234", balance: 5_000_000, catalog: "unionpayDebit" }),
  /** catalog unionpayCredit: UnionPay credit, PIN 8888, 20 000.00 open credit. */
  credit: card({ name: "credit", pan: "6250110012345675", track2: "6250110012345675=30092201000000000", expiry: "3009", pin: "8888", balance: 2_000_000, accountType: "30", catalog: "unionpayCredit" }),
  /** catalog magstripeOnly: stripe only, PIN 6666, 3 000.00. */
  magstripe: card({ name: "magstripe", pan: "6222021001123456789", track2: "6222021001123456789=2712120000000000", expiry: "2712", pin: "6666", balance: 300_000, catalog: "magstripeOnly" }),
  /** catalog chipStripe2xx: UnionPay international chip card, PIN 4321, 8 000.00 (domestic for settlement: a UnionPay card). */
  international: card({ name: "international", pan: "6250940000000001", track2: "6250940000000001=29062010000012300000", expiry: "2906", pin: "4321", balance: 800_000, catalog: "chipStripe2xx" }),
  /** 10.00 available: 51 above that. */
  lowBalance: card({ name: "lowBalance", pan: "6214830000000010014", expiry: "2912", pin: "1234", balance: 1_000 }),
  /** Expired in Dec 2023: 54 (also the chip card catalog unionpayExpired: same PAN and PIN). */
  expired: card({ name: "expired", pan: "6214830000000010022", expiry: "2312", pin: "1234", balance: 100_000, status: "expired" }),
  /** Reported lost: 41. */
  lost: card({ name: "lost", pan: "6214830000000010030", expiry: "2912", pin: "1234", balance: 100_000, status: "lost" }),
  /** Reported stolen: 43. */
  stolen: card({ name: "stolen", pan: "6214830000000010048", expiry: "2912", pin: "1234", balance: 100_000, status: "stolen" }),
  /** Restricted card: 62. */
  restricted: card({ name: "restricted", pan: "6214830000000010055", expiry: "2912", pin: "1234", balance: 100_000, status: "restricted" }),
  // EMV test cards of the catalog (boards/sim/devices/cards/catalog.ts EMV_TEST_CARDS); unionpayExpired is `expired` above.
  /** catalog unionpayBlockedApp: its only application is blocked (never reaches the host by chip), PIN 1234. */
  blockedApp: card({ name: "blockedApp", pan: "6214830000000020013", track2: "6214830000000020013=29126201000000000", expiry: "2912", pin: "1234", balance: 100_000, catalog: "unionpayBlockedApp" }),
  /** catalog unionpayDdaFail: DDA fails, declined offline by the card. */
  ddaFail: card({ name: "ddaFail", pan: "6214830000000020021", track2: "6214830000000020021=29126201000000000", expiry: "2912", pin: "1234", balance: 100_000, catalog: "unionpayDdaFail" }),
  /** catalog unionpayPinLocked: offline PIN try limit exceeded, declined offline. */
  pinLocked: card({ name: "pinLocked", pan: "6214830000000020039", track2: "6214830000000020039=29126201000000000", expiry: "2912", pin: "1234", balance: 100_000, catalog: "unionpayPinLocked" }),
  /** catalog unionpayDualApp: debit + credit applications (cardholder choice), signature, PIN 2468, 30 000.00. */
  dual: card({ name: "dual", pan: "6250110000000020042", track2: "6250110000000020042=29122201000000000", expiry: "2912", pin: "2468", balance: 3_000_000, accountType: "30", catalog: "unionpayDualApp" }),
  /** catalog quickPass: qPBOC contactless debit, PIN 1234, 2 000.00. */
  quickPass: card({ name: "quickPass", pan: "6214830000000020054", track2: "6214830000000020054=29126201000000000", expiry: "2912", pin: "1234", balance: 200_000, catalog: "quickPass" }),
  /** A foreign (外卡) Visa test card, PIN 1111, 5 000.00: counted in the foreign half of field 48. */
  foreignVisa: card({ name: "foreignVisa", pan: "4761739001010010", expiry: "2912", service: "201", pin: "1111", balance: 500_000, foreign: true }),
} as const satisfies Record<string, TestCard>;

export type TestCardName = keyof typeof TEST_CARDS;
/** Wrong PIN tries before 75 (and the account locked). */
export const PIN_TRY_LIMIT = 3;
/** A completion may exceed its pre-auth by at most this percentage (docs/cup-profile.md). */
export const COMPLETION_TOLERANCE_PERCENT = 15;
