// Rate-limit ceilings per access token (per app for bearer tokens), endpoint and 15-minute window
// (reference §6), and the PLUMAGE_RATE_LIMITS setting that turns them off or changes them.

/**
 * Twitter never published numbers for its POST account endpoints ("account limits"); this is
 * Plumage's default ceiling for each of them.
 */
export const POST_LIMIT = 300;

/** GET ceilings (Twitter's 2018+ figures); rate_limit_status lists them. */
export const GET_LIMITS = {
  'account/verify_credentials': 75,
  'users/show': 900,
  'users/profile_banner': 180,
  'application/rate_limit_status': 180,
} as const;

export const POST_ENDPOINTS = [
  'account/update_profile',
  'account/update_profile_colors',
  'account/update_profile_image',
  'account/update_profile_background_image',
  'account/update_profile_banner',
  'account/remove_profile_banner',
] as const;

export type RateLimitedEndpoint = keyof typeof GET_LIMITS | (typeof POST_ENDPOINTS)[number];

export interface RateLimitSettings {
  /** False with PLUMAGE_RATE_LIMITS=off: nothing is counted and no x-rate-limit-* headers are sent. */
  readonly enabled: boolean;
  /** The ceiling of every limited endpoint, defaults merged with the overrides. */
  readonly limits: Readonly<Record<RateLimitedEndpoint, number>>;
}

export function defaultLimits(): Record<RateLimitedEndpoint, number> {
  const out = { ...GET_LIMITS } as Record<RateLimitedEndpoint, number>;
  for (const p of POST_ENDPOINTS) out[p] = POST_LIMIT;
  return out;
}

/**
 * Parses PLUMAGE_RATE_LIMITS: unset or "on" for the defaults, "off" for none, or a comma list of
 * `endpoint=N` overrides (endpoint as in the URL without /1.1/ and .json, or `post` for every
 * POST account endpoint), e.g. `account/verify_credentials=150,post=1000`. Throws a message
 * naming the problem.
 */
export function parseRateLimits(raw: string | undefined, name = 'PLUMAGE_RATE_LIMITS'): RateLimitSettings {
  const limits = defaultLimits();
  const s = raw?.trim() ?? '';
  if (s === '' || s.toLowerCase() === 'on') return Object.freeze({ enabled: true, limits: Object.freeze(limits) });
  if (s.toLowerCase() === 'off') return Object.freeze({ enabled: false, limits: Object.freeze(limits) });
  for (const part of s.split(',')) {
    const m = /^\s*([a-z_/]+)\s*=\s*(\d{1,9})\s*$/.exec(part);
    if (!m) throw new Error(`${name} must be "on", "off" or a list of endpoint=N, got "${part.trim()}"`);
    const [, endpoint, n] = m as unknown as [string, string, string];
    const value = Number(n);
    if (value < 1) throw new Error(`${name}: the ceiling of ${endpoint} must be at least 1`);
    if (endpoint === 'post') {
      for (const p of POST_ENDPOINTS) limits[p] = value;
    } else if (Object.hasOwn(limits, endpoint)) {
      limits[endpoint as RateLimitedEndpoint] = value;
    } else {
      throw new Error(`${name}: unknown endpoint "${endpoint}" (known: ${Object.keys(limits).join(', ')}, post)`);
    }
  }
  return Object.freeze({ enabled: true, limits: Object.freeze(limits) });
}
