/** The link manager (NetConnector with failover), its diagnosis and its diagnostic log. */
export { LinkManager, type LinkDevices, type LinkPolicy } from "./manager";
export { LinkError, diagnose, evidenceOf, type LinkDiagnosis, type LinkEvidence } from "./errors";
export { LinkLog, formatLinkLog, type LinkLogEntry } from "./log";
export { CellularBearer, DialupBearer, NativeBearer, DEFAULT_SWITCH_ON, type Bearer, type CellularPolicy, type DialupPolicy, type LinkTime, type StepLog } from "./bearers";
