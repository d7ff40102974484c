/** eSIM (SGP.22 ES10 over AT+CCHO/CGLA/CCHC): client, transport, ES10 codec, operator switch. */
export { EsimClient, switchProfile, cycleSim, findProfile, type EsimClientOptions, type SwitchOptions, type SwitchResult } from "./client";
export { Es10Transport, ISD_R_AID, claFor, type Es10TransportOptions, type RApdu } from "./transport";
export { EsimError, type EsimEvidence } from "./errors";
export {
  decodeIccid,
  eidCheckDigitsOk,
  encodeIccid,
  encodeGetEid,
  encodeGetProfilesInfo,
  encodeProfileOperation,
  parseEid,
  parseOperationResult,
  parseProfilesInfo,
  PROFILE_TAGS,
  TAG_DISABLE,
  TAG_ENABLE,
  TAG_GET_EID,
  TAG_PROFILES_INFO,
  type ProfileInfo,
  type ProfileRef,
} from "./es10";
