/**
 * The causes the terminal can name when something fails, each with the next step in plain Chinese and
 * English and who can fix it. These are the failures merchant support articles keep coming back to:
 * no authorization code, "未鉴权" declines, "POS number unusable", unknown return codes, sign-in
 * communication failures and transaction failures.
 */

/** Who can fix it. */
export type Fixer = "merchant" | "cardholder" | "acquirer" | "issuer" | "service" | "wait";

export interface Cause {
  id: string;
  /** What is wrong. */
  zh: string;
  en: string;
  /** What to do next. */
  nextZh: string;
  nextEn: string;
  fixer: Fixer;
}

export const FIXER_ZH: { readonly [f in Fixer]: string } = {
  merchant: "商户可自行处理",
  cardholder: "请持卡人处理",
  acquirer: "请联系收单机构（银行/支付公司）",
  issuer: "请持卡人联系发卡行",
  service: "请联系维修服务商",
  wait: "稍后自动恢复，可重试",
};

// id, zh, en, next (zh), next (en), fixer
const C: ReadonlyArray<readonly [string, string, string, string, string, Fixer]> = [
  // -- no authorization code / activation
  ["not-activated", "终端尚未激活", "The terminal is not activated", "在“激活”菜单输入收单机构提供的激活码", "Enter the activation code from your acquirer in the Activate menu", "merchant"],
  ["activation-code-wrong", "激活码错误", "Wrong activation code", "核对激活码后重新输入；多次失败请联系收单机构", "Check the code and enter it again; if it keeps failing, call the acquirer", "merchant"],
  ["activation-revoked", "终端已被注销或激活已撤销", "The device was deregistered or its activation revoked", "联系收单机构重新登记该设备", "Call the acquirer to register the device again", "acquirer"],
  ["merchant-not-qualified", "商户资质未通过或已暂停", "The merchant is not qualified (review pending or suspended)", "联系收单机构确认商户资质审核状态", "Ask the acquirer about the merchant's review status", "acquirer"],
  ["activation-code-used", "激活码已被其他设备使用", "The activation code was already used by another device", "联系收单机构重新获取激活码", "Ask the acquirer for a new activation code", "acquirer"],
  ["device-not-registered", "设备序列号未在收单机构登记", "The device's serial number is not registered with the acquirer", "联系收单机构登记设备序列号", "Ask the acquirer to register the serial number", "acquirer"],
  ["host-maintenance", "收单系统维护中", "The acquirer's system is under maintenance", "稍后再试", "Try again later", "wait"],
  // -- identity and setup ("POS number unusable")
  ["terminal-id-format", "终端号格式错误（应为8位）", "Terminal number has the wrong format (8 characters)", "核对收单机构提供的8位终端号", "Check the 8-character terminal number from the acquirer", "merchant"],
  ["merchant-id-format", "商户号格式错误（应为15位）", "Merchant number has the wrong format (15 characters)", "核对收单机构提供的15位商户号", "Check the 15-character merchant number from the acquirer", "merchant"],
  ["terminal-not-registered", "终端号或商户号未在中心登记", "Terminal or merchant number not registered at the host", "核对终端号、商户号；仍失败请联系收单机构", "Check both numbers; if correct, call the acquirer", "acquirer"],
  ["keys-missing", "终端未签到或密钥缺失", "Not signed in: working keys missing", "执行签到", "Sign in", "merchant"],
  ["keys-wrong", "密钥不匹配（校验值错误）", "Keys do not match (check value mismatch)", "重新签到；仍失败请联系收单机构重新下发主密钥", "Sign in again; if it persists, ask the acquirer to reload the master key", "acquirer"],
  ["host-interface-changed", "终端与中心报文版本不一致", "Terminal and host disagree on the message format (version mismatch)", "联系收单机构确认终端参数与程序版本", "Ask the acquirer to check parameters and software version", "acquirer"],
  ["batch-mismatch", "终端批次与中心不一致", "Terminal batch differs from the host's", "重新签到后再交易", "Sign in again, then retry", "merchant"],
  ["clock-wrong", "终端时间不正确", "The terminal's clock is wrong", "签到以同步时间，或在设置中校准时间", "Sign in to sync the clock, or set it in Settings", "merchant"],
  // -- communication
  ["sim-missing", "未检测到SIM卡", "No SIM card detected", "关机后检查并重新插好SIM卡", "Power off, then check and re-seat the SIM card", "merchant"],
  ["sim-locked", "SIM卡被PIN锁定", "The SIM card is PIN-locked", "联系运营商或服务商解锁SIM卡", "Have the operator or service unlock the SIM", "service"],
  ["sim-invalid", "SIM卡无效或损坏", "The SIM card is invalid or damaged", "更换SIM卡", "Replace the SIM card", "service"],
  ["sim-arrears", "SIM卡欠费停机（网络拒绝注册）", "SIM in arrears: the network denied registration", "为SIM卡缴费；终端已尝试切换其他运营商配置", "Top up the SIM; the terminal tried another operator profile", "merchant"],
  ["no-signal", "无网络信号", "No network signal", "移到信号较好的位置（靠近窗口）后重试", "Move to a place with better signal (near a window) and retry", "merchant"],
  ["weak-signal", "网络信号弱或网络拥塞", "Weak signal or congested network", "移到信号较好的位置后重试", "Move to a place with better signal and retry", "merchant"],
  ["data-context-failed", "移动数据连接失败（APN）", "Mobile data connection failed (APN)", "检查APN参数；仍失败请联系运营商", "Check the APN; if it persists, call the operator", "service"],
  ["host-unreachable", "无法连接收单中心", "Cannot reach the acquirer's host", "检查主机地址与端口参数；稍后再试", "Check host address and port; try again later", "acquirer"],
  ["host-timeout", "收单中心无应答（超时）", "The host did not answer in time", "稍后重试；已发送冲正的交易不会重复扣款", "Retry later; a reversed transaction is not charged twice", "wait"],
  ["data-corrupted", "网络不稳定，数据丢失或损坏", "Unstable network: data lost or corrupted", "重试；多次出现请更换网络位置", "Retry; if frequent, change location or network", "wait"],
  ["line-no-dialtone", "电话线无拨号音（可能欠费或未接好）", "No dial tone on the phone line (unpaid or unplugged)", "检查电话线连接并确认电话费已缴", "Check the line is plugged in and the bill is paid", "merchant"],
  ["line-busy", "电话线占线", "The phone line is busy", "稍后重拨", "Dial again later", "wait"],
  ["line-no-answer", "拨号无应答", "The dialled number does not answer", "核对拨号号码参数；稍后重试", "Check the dial number; retry later", "acquirer"],
  ["modem-fault", "通信模块无响应或故障", "The 4G module or modem does not answer", "重启终端；仍失败请联系维修服务商", "Restart; if it persists, call service", "service"],
  ["no-link", "终端未配置任何通信方式", "No communication link is configured", "检查通信参数（4G/拨号号码）", "Check the link settings (4G, dial numbers)", "merchant"],
  // -- card
  ["card-read-error", "读卡失败（芯片或磁条损坏、插卡不到位）", "Card read failed (damaged chip or stripe, badly inserted)", "重新插卡或刷卡；仍失败请持卡人联系发卡行换卡", "Insert or swipe again; if it fails, the cardholder should replace the card", "cardholder"],
  ["card-expired", "卡片已过期", "The card has expired", "请持卡人使用其他卡", "Ask for another card", "cardholder"],
  ["card-frozen", "卡片受限或冻结", "The card is restricted or frozen", "请持卡人联系发卡行", "The cardholder should call the issuer", "issuer"],
  ["pin-tries-exceeded", "密码错误次数超限", "PIN tries exceeded", "请持卡人联系发卡行解锁", "The cardholder should call the issuer to unlock", "issuer"],
  ["pin-wrong", "密码错误", "Wrong PIN", "请持卡人重新输入密码", "Ask the cardholder to enter the PIN again", "cardholder"],
  ["use-chip", "芯片卡请插卡", "Chip card: insert it instead of swiping", "请插入芯片卡", "Insert the chip card", "cardholder"],
  ["insufficient-funds", "余额不足", "Insufficient funds", "请持卡人使用其他卡或其他方式支付", "Ask for another card or payment method", "cardholder"],
  ["card-lost-stolen", "挂失、被窃或可疑卡", "Card reported lost, stolen or suspicious", "不要退还卡片，联系收单机构", "Keep the card and call the acquirer", "acquirer"],
  // -- issuer / risk / host
  ["issuer-unavailable", "发卡行系统不可用", "The issuer's system is unavailable", "稍后再试", "Try again later", "wait"],
  ["over-limit", "超出交易限额或次数", "Over the amount or frequency limit", "请持卡人联系发卡行调整限额或换卡", "The cardholder should ask the issuer or use another card", "issuer"],
  ["risk-control", "交易被风险控制拦截", "Stopped by risk control", "请持卡人联系发卡行；商户请联系收单机构核实", "Cardholder: call the issuer; merchant: check with the acquirer", "acquirer"],
  ["merchant-blocked", "商户受限（黑名单或不支持此交易）", "Merchant restricted (blacklisted or transaction not allowed)", "联系收单机构核实商户状态与开通的交易", "Ask the acquirer about the merchant's status and enabled transactions", "acquirer"],
  ["outside-service-hours", "不在服务时间内（日切处理中）", "Outside service hours (cut-off in progress)", "稍后再试", "Try again later", "wait"],
  ["host-system-fault", "收单中心系统异常", "System fault at the host", "稍后再试；持续出现请联系收单机构", "Try later; if it persists, call the acquirer", "acquirer"],
  ["host-mac-error", "中心校验报文MAC失败（密钥不同步）", "The host rejected the message MAC (keys out of sync)", "重新签到", "Sign in again", "merchant"],
  ["issuer-declined", "发卡行拒绝交易", "The issuer declined the transaction", "请持卡人联系发卡行或使用其他卡", "The cardholder should call the issuer or use another card", "issuer"],
  ["host-declined", "交易被拒绝", "The host declined the transaction", "按屏幕提示处理；如有疑问联系收单机构", "Follow the message shown; call the acquirer if unsure", "acquirer"],
  ["unknown-response", "收单中心返回未知应答码", "The host returned an unknown response code", "记下应答码，联系收单机构", "Note the code and call the acquirer", "acquirer"],
  // -- device
  ["printer-paper-out", "打印机缺纸", "Printer out of paper", "装入打印纸，打印会自动继续", "Load paper; printing resumes", "merchant"],
  ["printer-cover-open", "打印机仓盖未关好", "Printer cover open", "关好打印机仓盖", "Close the printer cover", "merchant"],
  ["printer-overheat", "打印头过热", "Print head overheated", "等待片刻冷却后继续", "Wait for it to cool down", "wait"],
  ["printer-fault", "打印机故障（打印头或电机）", "Printer fault (head or motor)", "联系维修服务商", "Call service", "service"],
  ["flash-fault", "存储异常或空间不足", "Storage fault or full", "先结算以清空流水；仍失败请联系维修服务商", "Settle to clear the journal; if it persists, call service", "service"],
  ["journal-full", "交易流水已满，需先结算", "The journal is full: settle first", "执行结算", "Settle now", "merchant"],
  ["ped-fault", "密码键盘异常", "PIN pad fault", "重启终端；仍失败请联系维修服务商", "Restart; if it persists, call service", "service"],
  ["card-reader-fault", "读卡器无响应或故障", "The card reader does not answer", "重启终端；仍失败请联系维修服务商", "Restart; if it persists, call service", "service"],
  ["unknown", "未知故障", "Unknown failure", "记下错误代码，重启后重试；仍失败请联系维修服务商", "Note the error code, restart and retry; then call service", "service"],
];

let byId: Map<string, Cause> | undefined;

export function cause(id: string): Cause {
  if (!byId) {
    byId = new Map();
    for (const [cid, zh, en, nextZh, nextEn, fixer] of C) byId.set(cid, { id: cid, zh, en, nextZh, nextEn, fixer });
  }
  const c = byId.get(id);
  if (!c) throw Object.assign(new Error(`E_DIAG_CAUSE: no cause ${id}`), { code: "E_DIAG_CAUSE" });
  return c;
}

export function causeIds(): string[] {
  return C.map((c) => c[0]);
}
