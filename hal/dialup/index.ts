/** Dial-up (Hayes) modem: driver, call as NetSocket, typed errors. */
export { DialupModem, DialupCall, openDialup, type DialupOptions, type DialupTime } from "./hayes";
export { DialupError, type DialEvidence } from "./errors";
