/** PIN pad HAL over the PED native. */
export { PinPad, TRANSPORT_KEY, MAX_SLOT, type LoadTmkOptions, type LoadWorkingKeyOptions, type PinEntryOptions, type PinEntryResult, type WorkingKeyUsage, type KeyAlgorithm, type PedMacAlgorithm } from "./pinpad";
