/**
 * The only file that reads the natives global. Everything else imports from hal/, so the app never
 * sees a native and a board port can be checked for what it provides in one place.
 */
export type NativeBoard = Natives.Board;

export const natives: NativeBoard = __natives;
