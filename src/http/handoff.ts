// A request the fast path (fast-path.ts) began and could not finish is handed to Fastify with
// what the fast path already did: the body it read (Fastify reads it again from a copy, see
// app.ts), the headers it decided on, and the error it met. Fastify then runs its own chain;
// the OAuth hook (plugins/oauth1.ts) sets those headers and throws that error instead of
// authenticating again (the nonce is spent), so the one error handler writes the answer.
import type { IncomingMessage } from 'node:http';

export interface Handoff {
  /** The request body the fast path read, or null when it read none. */
  body: Buffer | null;
  /** Headers of the answer decided before the error (x-access-level, the rate-limit headers). */
  headers: Array<[string, string]>;
  error: unknown;
}

const HANDOFF = Symbol('plumage.handoff');

type WithHandoff = IncomingMessage & { [HANDOFF]?: Handoff };

export function handOff(raw: IncomingMessage, h: Handoff): void {
  (raw as WithHandoff)[HANDOFF] = h;
}

export function handoffOf(raw: IncomingMessage): Handoff | undefined {
  return (raw as WithHandoff)[HANDOFF];
}
