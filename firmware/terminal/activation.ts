/**
 * Activation (激活, docs/cup-profile.md): the merchant enters the activation code the acquirer gave them; the
 * terminal sends its serial number and the code (0800, 60.3 = 360, no MAC), and an approval brings the terminal
 * and merchant numbers, the merchant name, optionally the host address, and the TMK encrypted under the PED's
 * factory transport key with its check value. The TMK goes into the PED (KCV checked inside); the identity is
 * validated and stored in one commit. A decline leaves everything as it was.
 */
import type { CupResponse } from "../cup/messages";
import { parseActivationGrant } from "../cup/messages";
import type { PinPad } from "../../hal/ped/pinpad";
import { TRANSPORT_KEY } from "../../hal/ped/pinpad";
import { CoreError } from "../core/errors";
import { validateMerchantId, validateParams, validateTerminalId, type TerminalParams } from "./params";
import { TMK_SLOT } from "./signin";

export interface ActivationDecline {
  zh: string;
  en: string;
  /** The next step for the merchant. */
  next: string;
}

/** Profile table: activation declines with the message shown and the next step. */
export const ACTIVATION_DECLINES: { readonly [code: string]: ActivationDecline } = {
  A1: { zh: "激活码错误", en: "Wrong activation code", next: "核对激活码后重新输入 / check the code and enter it again" },
  A2: { zh: "终端已注销，激活被撤销", en: "Terminal deregistered / activation revoked", next: "请联系收单机构重新登记设备 / call the acquirer to register the device again" },
  A3: { zh: "商户资质未通过", en: "Merchant not qualified", next: "商户请联系收单机构 / the merchant contacts the acquirer" },
  A4: { zh: "激活码已被其他设备使用", en: "Activation code already used by another device", next: "请联系收单机构 / call the acquirer" },
  "90": { zh: "主机维护中", en: "Host in maintenance", next: "请稍后再试 / try again later" },
  "96": { zh: "系统故障", en: "System fault", next: "请稍后再试 / try again later" },
  "97": { zh: "设备序列号未登记", en: "Serial number not registered", next: "请联系收单机构（设备未登记）/ call the acquirer (device not set up)" },
};

export function activationDecline(code: string): ActivationDecline {
  return ACTIVATION_DECLINES[code] ?? { zh: `激活失败（应答码 ${code}）`, en: `Activation failed (response code ${code})`, next: "请联系收单机构 / call the acquirer" };
}

/**
 * Applies an approved activation answer: validates the assigned identity (E_PARAM_TERMINAL_ID / _MERCHANT_ID when
 * the host's values are unusable), loads the TMK (E_KCV_MISMATCH: refused by the PED, nothing installed) and
 * returns the parameters to store.
 */
export function applyActivation(resp: CupResponse, params: TerminalParams, pinpad: PinPad): TerminalParams {
  const terminalId = validateTerminalId(resp.terminalId ?? "");
  const merchantId = validateMerchantId(resp.merchantId ?? "");
  if (!resp.field62) throw new CoreError("E_MSG_FIELD62", "激活应答缺少主密钥 / the activation answer has no field 62");
  const grant = parseActivationGrant(resp.field62);
  let hostAddress = params.hostAddress;
  let hostPort = params.hostPort;
  if (grant.hostAddress) {
    const i = grant.hostAddress.lastIndexOf(":");
    const port = i > 0 ? Number(grant.hostAddress.substring(i + 1)) : NaN;
    if (i > 0 && port >= 1 && port <= 65535 && port === Math.floor(port)) {
      hostAddress = grant.hostAddress.substring(0, i);
      hostPort = port;
    }
  }
  const next = validateParams({ ...params, terminalId, merchantId, merchantName: (grant.merchantName ?? params.merchantName).substring(0, 40), hostAddress, hostPort, activated: true });
  pinpad.loadTmk({ slot: TMK_SLOT, algorithm: grant.tmkCipher.length === 8 ? "des" : "3des", cipher: grant.tmkCipher, kcv: grant.tmkKcv, underSlot: TRANSPORT_KEY });
  return next;
}
