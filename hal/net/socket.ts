/**
 * What the transaction layer needs of a network: a byte-stream socket to the acquirer host. The 4G
 * module's TCP socket, a dial-up line, an Ethernet/Wi-Fi native or an in-bundle scripted host all
 * provide it; the link manager picks one and fails over.
 */
export interface NetSocket {
  /** Sends all of `data` or rejects with a typed error (E_SOCKET_SEND, E_SOCKET_CLOSED, ...). */
  write(data: Uint8Array): Promise<void>;
  /** The next bytes received (at most `max`), or a typed error (E_SOCKET_TIMEOUT, E_SOCKET_CLOSED). */
  read(timeoutMs: number, max?: number): Promise<Uint8Array>;
  /** Exactly `n` bytes, or a typed error. */
  readExactly(n: number, timeoutMs: number): Promise<Uint8Array>;
  /** Idempotent. */
  close(): Promise<void>;
}

export interface NetConnector {
  /** Opens a connection to host:port, or rejects with a typed error that says why (for diagnosis). */
  connect(host: string, port: number, options?: { timeoutMs?: number }): Promise<NetSocket>;
}
