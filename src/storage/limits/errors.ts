// The error the Redis adapters throw when Redis cannot answer. It is a StorageUnavailableError,
// so the HTTP error handler answers 503 / 130 and logs one line, and it lives apart from
// redis-client.ts so that catching it never loads ioredis.
import { StorageUnavailableError } from '../unavailable.ts';

export class StoreUnavailableError extends StorageUnavailableError {
  override name = 'StoreUnavailableError';
  /**
   * reason is short and built by us, never a driver message: a failed AUTH carries the
   * password in the driver's error object, so neither it nor a cause is kept.
   */
  constructor(reason: string) {
    super('redis', reason);
  }
}
