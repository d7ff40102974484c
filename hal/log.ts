/** Logging through the system native; later issues add the flash ring buffer behind it. */
export interface Log {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function createLog(system: Natives.System, tag?: string): Log {
  const p = tag ? `[${tag}] ` : "";
  return {
    debug: (m) => system.log(0, p + m),
    info: (m) => system.log(1, p + m),
    warn: (m) => system.log(2, p + m),
    error: (m) => system.log(3, p + m),
  };
}
