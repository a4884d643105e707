// Port: remembers OAuth nonces for the length of the timestamp window so that a captured
// request cannot be replayed (reference/twitter-v1.1.md §5.3).
export interface NonceStore {
  /**
   * Records the key and returns true when it was not seen in the last ttlSeconds;
   * returns false (and changes nothing) for a repeat. Must be atomic across callers.
   */
  consume(key: string, ttlSeconds: number): Promise<boolean>;
  close(): Promise<void>;
}
