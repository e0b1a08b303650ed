/** The gateway's anti-replay store: a nonce may be used once per AccessKeyId within the window. */

/** Nonces are remembered (and dates accepted) for 15 minutes, like the gateway. */
export const NONCE_WINDOW_MS = 15 * 60 * 1000;

export class NonceStore {
  private nonces = new Map<string, number>();

  /** Returns false when the nonce was already used by this key within the window; otherwise remembers it. */
  use(accessKeyId: string, nonce: string): boolean {
    const now = Date.now();
    if (this.nonces.size > 10_000) {
      for (const [key, at] of this.nonces) if (now - at > NONCE_WINDOW_MS) this.nonces.delete(key);
    }
    const key = `${accessKeyId}\n${nonce}`;
    const seenAt = this.nonces.get(key);
    if (seenAt !== undefined && now - seenAt <= NONCE_WINDOW_MS) return false;
    this.nonces.set(key, now);
    return true;
  }

  clear(): void {
    this.nonces.clear();
  }
}
