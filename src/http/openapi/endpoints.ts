// The documentation of every route, keyed by method and URL pattern: summary, parameters in
// every transport a client uses (query string, urlencoded body, multipart parts), security,
// the success body and the errors each can answer. docs/api.md is the prose version.
import { GET_LIMITS, POST_LIMIT } from '../routes/1.1/route.ts';
import { BANNER_VARIANT_NAMES, ref, USER_EXAMPLE } from './components.ts';
import {
  AUTH_ERRORS,
  IMAGE_ERRORS,
  NOT_FOUND,
  USER_LOOKUP_ERRORS,
  USER_ONLY,
  WRITE_ERRORS,
  documentedError as e,
  errorResponses,
  type DocumentedError,
} from './errors.ts';
import { WEB, WEB_TAGS } from './web.ts';

export type RouteDoc = Record<string, unknown>;

type Param = Record<string, unknown>;

const bool = (description: string, example = 'true'): Param => ({ type: 'string', description, examples: [example] });
const INCLUDE_ENTITIES = bool('`false`, `f` or `0` leaves out `entities`; anything else keeps them.', 'false');
const SKIP_STATUS = bool('Accepted and ignored: there are no Tweets to embed.');
const COMMON = { include_entities: INCLUDE_ENTITIES, skip_status: SKIP_STATUS };
const colourParam = (name: string): Param => ({
  type: 'string',
  pattern: '^#?([0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})$',
  description: `${name}: 3 or 6 hex digits, any case, with or without "#" (%23 in a URL). Stored as 6 upper-case digits.`,
  examples: ['#f0a'],
});
const COLOURS = {
  profile_background_color: colourParam('Background colour'),
  profile_link_color: colourParam('Link colour'),
  profile_sidebar_border_color: colourParam('Sidebar border colour'),
  profile_sidebar_fill_color: colourParam('Sidebar fill colour'),
  profile_text_color: colourParam('Text colour'),
};
const USER_SELECTOR = {
  user_id: { type: 'string', pattern: '^[0-9]+$', description: 'The user\'s id. Wins over screen_name when both are given.', examples: ['6253282'] },
  screen_name: { type: 'string', description: 'Any case, with or without a leading "@".', examples: ['alice'] },
};
const imageParam = (what: string, limit: string): Param => ({
  type: 'string',
  description:
    `${what}: GIF, JPEG, PNG or WebP, judged from the bytes; at most ${limit} decoded (configurable). Base64 text (may be ` +
    'wrapped, URL-safe, or start with a data: prefix) in the query string, an urlencoded body or a multipart text part; ' +
    'or the raw bytes as a multipart file part.',
});

const RATE_HEADERS = {
  'x-rate-limit-limit': { type: 'integer', description: 'Requests allowed per 15-minute window and token.' },
  'x-rate-limit-remaining': { type: 'integer', description: 'Requests left in this window.' },
  'x-rate-limit-reset': { type: 'integer', description: 'When the window ends, in Unix seconds.' },
};

interface EndpointSpec {
  method: 'GET' | 'POST';
  /** Under /1.1, without ".json". */
  path: string;
  tag: string;
  description: string;
  /** Text parameters, by name. */
  params: Record<string, Param>;
  /** Parameters that may also be a multipart file part (raw image bytes). */
  files?: string[];
  appOnly?: boolean;
  rateLimit: number;
  success: Record<string, unknown>;
  errors: DocumentedError[];
}

function jsonResponse(description: string, schema: unknown, example?: unknown): Record<string, unknown> {
  return {
    description,
    headers: RATE_HEADERS,
    content: { 'application/json': { schema, ...(example === undefined ? {} : { example }) } },
  };
}

const userResponse = (description: string, example: unknown = USER_EXAMPLE) => ({ 200: jsonResponse(description, ref('User'), example) });

function endpointDoc(s: EndpointSpec, url: string): RouteDoc {
  const bare = !url.endsWith('.json');
  const opId = s.path.replace(/[/_](\w)/g, (_m, c: string) => c.toUpperCase());
  const errors = [...AUTH_ERRORS, ...(s.appOnly ? [] : USER_ONLY), ...(s.method === 'POST' ? WRITE_ERRORS : []), ...s.errors];
  const doc: RouteDoc = {
    tags: [s.tag],
    summary: `${s.method} ${s.path}${bare ? ' (without .json)' : ''}`,
    description:
      (bare ? `The same endpoint as \`/1.1/${s.path}.json\`, at the spelling the seed file uses.\n\n` : '') +
      `${s.description}\n\n**Rate limit:** ${s.rateLimit} requests per 15 minutes and ${s.appOnly ? 'token (per app for Bearer tokens)' : 'access token'} (the default).` +
      (s.method === 'POST' ? '\n\nParameters may go in the query string, an urlencoded body or multipart parts; the query string wins, then the urlencoded body. A multipart body is not covered by the OAuth signature.' : ''),
    operationId: bare ? `${opId}Bare` : opId,
    security: s.appOnly ? [{ oauth1: [] }, { bearer: [] }] : [{ oauth1: [] }],
    querystring: { type: 'object', properties: s.params },
    response: { ...s.success, ...errorResponses(errors) },
  };
  if (s.method === 'POST' && Object.keys(s.params).length > 0) {
    const files = new Set(s.files ?? []);
    const multipart = Object.fromEntries(Object.entries(s.params).map(([k, v]) => [k, files.has(k)
      ? { ...v, type: 'string', format: 'binary', description: `${String(v.description)} Sent here as a file part with the raw bytes, or as a text part with base64.` }
      : v]));
    doc.body = {
      content: {
        'application/x-www-form-urlencoded': { schema: { type: 'object', properties: s.params } },
        'multipart/form-data': { schema: { type: 'object', properties: multipart } },
      },
    };
  }
  return doc;
}

const ENDPOINTS: EndpointSpec[] = [
  {
    method: 'GET',
    path: 'account/verify_credentials',
    tag: 'account',
    description: 'Returns the authenticating user, with `suspended` and `needs_phone_verification` (always false).',
    params: { ...COMMON, include_email: bool('true/t/1 adds `email`: a string, or null when the account has none.') },
    rateLimit: GET_LIMITS['account/verify_credentials'],
    success: userResponse('The authenticating user.', { ...USER_EXAMPLE, suspended: false, needs_phone_verification: false }),
    errors: [],
  },
  {
    method: 'GET',
    path: 'users/show',
    tag: 'users',
    description: 'Returns any user, by `user_id` or `screen_name` (one is required).',
    params: { ...USER_SELECTOR, include_entities: INCLUDE_ENTITIES },
    appOnly: true,
    rateLimit: GET_LIMITS['users/show'],
    success: userResponse('The user.'),
    errors: USER_LOOKUP_ERRORS,
  },
  {
    method: 'POST',
    path: 'account/update_profile',
    tag: 'account',
    description: 'Changes only the fields sent. Lengths count code points; control characters are refused. A refused value changes nothing, not even the valid fields sent with it.',
    params: {
      name: { type: 'string', maxLength: 50, description: '1 to 50 characters, not blank.', examples: ['Alice Liddell'] },
      url: { type: 'string', maxLength: 100, description: 'At most 100 characters; http:// is added when there is no scheme; only http and https; empty clears it.', examples: ['example.org'] },
      location: { type: 'string', maxLength: 30, description: 'At most 30 characters.', examples: ['Wonderland'] },
      description: { type: 'string', maxLength: 160, description: 'At most 160 characters.' },
      profile_link_color: COLOURS.profile_link_color,
      ...COMMON,
    },
    rateLimit: POST_LIMIT,
    success: userResponse('The updated user.'),
    errors: [e(403, 120, 'Account update failed: Name is too long (maximum is 50 characters).', 'a refused value (too long, not a colour, a URL that is not http(s), control characters)')],
  },
  {
    method: 'POST',
    path: 'account/update_profile_colors',
    tag: 'account',
    description: 'Sets one or more theme colours (at least one is required); all or nothing. Retired by Twitter in 2015, served here.',
    params: { ...COLOURS, ...COMMON },
    rateLimit: POST_LIMIT,
    success: userResponse('The updated user.'),
    errors: [
      e(400, 38, 'profile_background_color, profile_link_color, profile_sidebar_border_color, profile_sidebar_fill_color, profile_text_color parameter is missing. Give at least one.', 'no colour given'),
      e(403, 120, 'Account update failed: profile_text_color must be a hex colour of 3 or 6 digits, such as F00 or FF0000.', 'an invalid colour'),
    ],
  },
  {
    method: 'POST',
    path: 'account/update_profile_image',
    tag: 'account',
    description:
      'Replaces the avatar. The EXIF orientation is applied, metadata removed, an animation reduced to its first frame; the ' +
      'original (at most 400 px wide) and the _mini (24×24), _normal (48×48), _bigger (73×73) and _400x400 variants are ' +
      'written before the answer, which already carries the new URLs.',
    params: { image: imageParam('The new avatar (required)', '700 KB'), ...COMMON },
    files: ['image'],
    rateLimit: POST_LIMIT,
    success: userResponse('The updated user, with the new profile_image_url.'),
    errors: IMAGE_ERRORS('image', '700 KB'),
  },
  {
    method: 'POST',
    path: 'account/update_profile_background_image',
    tag: 'account',
    description:
      'Sets the background image and whether it is tiled and shown; at least one of image, tile and use is required, the ' +
      'others keep their values. Animations are kept; images wider than 2048 px are scaled down. Removed by Twitter in 2018, served here.',
    params: {
      image: imageParam('The background image', '800 KB'),
      file: imageParam('The seed file\'s name for image (image wins when both are sent)', '800 KB'),
      tile: bool('true/t/1: tiled; anything else: not tiled.'),
      use: bool('true/t/1: show the background image; anything else: stop showing it.'),
      ...COMMON,
    },
    files: ['image', 'file'],
    rateLimit: POST_LIMIT,
    success: userResponse('The updated user.'),
    errors: [
      ...IMAGE_ERRORS('image', '800 KB'),
      e(400, 38, 'image, tile, use parameter is missing. At least one of them is required.', 'none of image, tile, use'),
      e(400, 38, 'image parameter is missing. use=true needs a background image, uploaded with this request or before.', 'use=true and no background image'),
    ],
  },
  {
    method: 'POST',
    path: 'account/update_profile_banner',
    tag: 'account',
    description:
      `Sets the profile banner: the optional crop region first, then the PNG variants ${BANNER_VARIANT_NAMES.join(', ')}, ` +
      'all written before the answer.',
    params: {
      banner: imageParam('The banner (required)', '5 MB'),
      width: { type: 'string', pattern: '^[0-9]+$', description: 'Crop width in pixels (with height, offset_left, offset_top: all four or none).' },
      height: { type: 'string', pattern: '^[0-9]+$', description: 'Crop height in pixels.' },
      offset_left: { type: 'string', pattern: '^[0-9]+$', description: 'Crop left edge in pixels.' },
      offset_top: { type: 'string', pattern: '^[0-9]+$', description: 'Crop top edge in pixels.' },
    },
    files: ['banner'],
    rateLimit: POST_LIMIT,
    success: { 201: { type: 'null', description: 'The banner is set; empty body (Content-Length: 0).', headers: RATE_HEADERS } },
    errors: [
      ...IMAGE_ERRORS('banner', '5 MB'),
      e(400, 38, 'height, offset_left, offset_top parameter is missing. width, height, offset_left and offset_top go together: give all four or none.', 'only some of the crop parameters'),
      e(400, 474, 'The crop region is invalid: 1500x500 at (2000, 0) does not fit in the 3000x1000 image.', 'a crop region that is not whole numbers or does not fit'),
    ],
  },
  {
    method: 'POST',
    path: 'account/remove_profile_banner',
    tag: 'account',
    description: 'Removes the banner (also when there is none); its files are deleted. Takes no parameters.',
    params: {},
    rateLimit: POST_LIMIT,
    success: { 200: { type: 'null', description: 'Removed; empty body (Content-Length: 0).', headers: RATE_HEADERS } },
    errors: [],
  },
  {
    method: 'GET',
    path: 'users/profile_banner',
    tag: 'users',
    description: 'The banner variants of a user; without user_id and screen_name, of the authenticating user.',
    params: USER_SELECTOR,
    rateLimit: GET_LIMITS['users/profile_banner'],
    success: { 200: jsonResponse('The variants.', ref('BannerSizes')) },
    errors: [e(404, 34, 'Sorry, that page does not exist.', 'the user has no banner'), e(404, 50, 'User not found.', 'no such user')],
  },
  {
    method: 'GET',
    path: 'application/rate_limit_status',
    tag: 'application',
    description: 'The calling token\'s current windows for every rate-limited GET endpoint, by resource family. Counts against its own limit.',
    params: { resources: { type: 'string', description: 'Comma-separated families (account, users, application); unknown ones are left out; without it, all.', examples: ['account,users'] } },
    appOnly: true,
    rateLimit: GET_LIMITS['application/rate_limit_status'],
    success: { 200: jsonResponse('The windows.', ref('RateLimitStatus')) },
    errors: [],
  },
];

const OAUTH2_ERRORS = [
  e(403, 99, 'Unable to verify your credentials', 'Basic consumer credentials missing or wrong'),
  e(413, 193, 'The request body is too large.', 'a body larger than the server accepts'),
  e(500, 131, 'Internal error', 'anything unexpected'),
  e(503, 130, 'Over capacity', 'storage unreachable'),
];

const OAUTH2: Record<string, RouteDoc> = {
  'POST /oauth2/token': {
    tags: ['oauth2'],
    summary: 'POST oauth2/token',
    description: 'Issues the app-only bearer token of the app named by the Basic credentials (the same token until it is invalidated). Parameters in the urlencoded body or the query string.',
    operationId: 'oauth2Token',
    security: [{ basic: [] }],
    querystring: { type: 'object', properties: { grant_type: { type: 'string', const: 'client_credentials' } } },
    body: { content: { 'application/x-www-form-urlencoded': { schema: { type: 'object', properties: { grant_type: { type: 'string', const: 'client_credentials', description: 'Must be client_credentials.' } } } } } },
    response: {
      200: { description: 'The bearer token.', content: { 'application/json': { schema: ref('BearerToken') } } },
      ...errorResponses([...OAUTH2_ERRORS, e(403, 170, 'Missing required parameter: grant_type', 'grant_type is not client_credentials')]),
    },
  },
  'POST /oauth2/invalidate_token': {
    tags: ['oauth2'],
    summary: 'POST oauth2/invalidate_token',
    description: 'Invalidates a bearer token of the app named by the Basic credentials. Parameters in the urlencoded body or the query string.',
    operationId: 'oauth2InvalidateToken',
    security: [{ basic: [] }],
    querystring: { type: 'object', properties: { access_token: { type: 'string' } } },
    body: { content: { 'application/x-www-form-urlencoded': { schema: { type: 'object', properties: { access_token: { type: 'string', description: 'The token to invalidate.' } } } } } },
    response: {
      200: { description: 'The invalidated token.', content: { 'application/json': { schema: ref('InvalidatedToken') } } },
      ...errorResponses([...OAUTH2_ERRORS, e(401, 89, 'Invalid or expired token.', 'an unknown token, or another app\'s')]),
    },
  },
};

const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];
const MEDIA_HEADERS = {
  etag: { type: 'string', description: 'Strong ETag, derived from the file\'s key.' },
  'cache-control': { type: 'string', description: 'public, max-age=31536000, immutable' },
  'x-content-type-options': { type: 'string', description: 'nosniff' },
};
const pathParam = (pattern: string, description: string) => ({ type: 'string', pattern, description });
const mediaDoc = (operationId: string, summary: string, description: string, params: Record<string, unknown>, types = IMAGE_TYPES, fromStore = true): RouteDoc => ({
  tags: ['media'],
  summary,
  description: `${description} No authentication; HEAD works too. The URLs come from the user object and users/profile_banner, and never change content.`,
  operationId,
  security: [],
  params: { type: 'object', required: Object.keys(params), properties: params },
  headers: { type: 'object', properties: { 'if-none-match': { type: 'string', description: 'An ETag from an earlier answer: 304 when it matches.' } } },
  response: {
    200: { description: 'The image.', headers: MEDIA_HEADERS, content: Object.fromEntries(types.map((t) => [t, { schema: { type: 'string', format: 'binary' } }])) },
    304: { type: 'null', description: 'Not modified (If-None-Match matched).', headers: MEDIA_HEADERS },
    ...errorResponses([
      { ...NOT_FOUND, when: 'no such file (replaced or removed), or a malformed id or name' },
      ...(fromStore ? [e(503, 130, 'Over capacity', 'the image storage is unreachable')] : []),
    ]),
  },
});

const ID = '^[1-9][0-9]{0,19}$';
const FILE = '^[A-Za-z0-9_-]{1,40}(_(mini|normal|bigger|400x400))?\\.(png|jpg|gif|webp)$';
const MEDIA: Record<string, RouteDoc> = {
  'GET /profile_images/:id/:file': mediaDoc('getProfileImage', 'An avatar variant', 'The avatar original or its _mini, _normal, _bigger or _400x400 variant.', {
    id: pathParam(ID, 'The image id.'),
    file: pathParam(FILE, 'name[_mini|_normal|_bigger|_400x400].ext'),
  }),
  'GET /profile_background_images/:id/:file': mediaDoc('getProfileBackgroundImage', 'A background image', 'The background image.', {
    id: pathParam(ID, 'The image id.'),
    file: pathParam('^[A-Za-z0-9_-]{1,40}\\.(png|jpg|gif|webp)$', 'name.ext'),
  }),
  'GET /profile_banners/:uid/:ts': mediaDoc('getProfileBanner', 'A banner (1500x500)', 'The bare profile_banner_url: the 1500x500 variant, PNG.', {
    uid: pathParam(ID, 'The user id.'),
    ts: pathParam('^[0-9]{1,12}$', 'When the banner was set, Unix seconds.'),
  }, ['image/png']),
  'GET /profile_banners/:uid/:ts/:variant': mediaDoc('getProfileBannerVariant', 'A banner variant', 'One banner variant, PNG.', {
    uid: pathParam(ID, 'The user id.'),
    ts: pathParam('^[0-9]{1,12}$', 'When the banner was set, Unix seconds.'),
    variant: { type: 'string', enum: BANNER_VARIANT_NAMES },
  }, ['image/png']),
  'GET /sticky/default_profile_images/:file': mediaDoc('getDefaultProfileImage', 'The default avatar', 'The avatar of accounts that never uploaded one (the original is 400×400).', {
    file: { type: 'string', enum: ['default_profile.png', ...['mini', 'normal', 'bigger', '400x400'].map((s) => `default_profile_${s}.png`)] },
  }, ['image/png'], false),
};

const check = {
  type: 'object',
  additionalProperties: false,
  required: ['ok', 'ms'],
  properties: {
    ok: { type: 'boolean' },
    ms: { type: 'integer', description: 'How long the probe took (the limit, 2 s, when it timed out).' },
    error: { type: 'string', description: 'Why it failed: an error code or "timeout", never a URL or a message.' },
  },
};
const checks = { type: 'object', description: 'database, blobs, and redis when configured.', additionalProperties: check };
const noStore = { 'cache-control': { type: 'string', description: 'no-store' } };

const OPS: Record<string, RouteDoc> = {
  'GET /healthz': {
    tags: ['operations'],
    summary: 'Liveness',
    description: 'Answers while the process serves HTTP; asks no store. For a liveness probe (docs/deploy.md).',
    operationId: 'healthz',
    security: [],
    response: {
      200: { description: 'Alive.', headers: noStore, content: { 'application/json': { schema: { type: 'object', required: ['status'], properties: { status: { const: 'ok' } } }, example: { status: 'ok' } } } },
    },
  },
  'GET /readyz': {
    tags: ['operations'],
    summary: 'Readiness',
    description: 'Asks every configured store at once, each within 2 seconds: the database, the blob store and Redis. For a readiness probe or a load balancer\'s health check.',
    operationId: 'readyz',
    security: [],
    response: {
      200: {
        description: 'Every store answers.',
        headers: noStore,
        content: { 'application/json': {
          schema: { type: 'object', required: ['status', 'checks'], properties: { status: { const: 'ok' }, checks } },
          example: { status: 'ok', checks: { database: { ok: true, ms: 1 }, blobs: { ok: true, ms: 3 }, redis: { ok: true, ms: 1 } } },
        } },
      },
      503: {
        description: 'A store is down: take the node out of rotation.',
        headers: noStore,
        content: { 'application/json': {
          schema: { type: 'object', required: ['status', 'down', 'checks'], properties: { status: { const: 'unavailable' }, down: { type: 'array', items: { type: 'string' } }, checks } },
          example: { status: 'unavailable', down: ['database'], checks: { database: { ok: false, ms: 2, error: 'ECONNREFUSED' }, blobs: { ok: true, ms: 3 } } },
        } },
      },
    },
  },
  'GET /metrics': {
    tags: ['operations'],
    summary: 'Prometheus metrics',
    description: 'Prometheus text format. Off unless PLUMAGE_METRICS_TOKEN is set; then only for `Authorization: Bearer <that token>`.',
    operationId: 'metrics',
    security: [{ metricsToken: [] }],
    response: {
      200: { description: 'The metrics.', headers: noStore, content: { 'text/plain': { schema: { type: 'string' } } } },
      ...errorResponses([
        e(401, 89, 'Invalid or expired token.', 'no bearer token, or not PLUMAGE_METRICS_TOKEN'),
        e(404, 34, 'Sorry, that page does not exist.', 'PLUMAGE_METRICS_TOKEN is not set'),
      ]),
    },
  },
};

export const OPENAPI_JSON_URL = '/1.1/openapi.json';
export const DOCS_PREFIX = '/docs';

const SELF: Record<string, RouteDoc> = {
  [`GET ${OPENAPI_JSON_URL}`]: {
    tags: ['documentation'],
    summary: 'This OpenAPI document',
    description: `The OpenAPI 3.1 description of every route, generated from the route schemas. The interactive reference at ${DOCS_PREFIX} reads it. No authentication.`,
    operationId: 'openapi',
    security: [],
    response: { 200: { description: 'The document.', content: { 'application/json': { schema: { type: 'object', required: ['openapi', 'paths'] } } } } },
  },
};

/** The documentation of the route with this method and URL pattern, if it has one. */
export function routeDoc(method: string, url: string): RouteDoc | undefined {
  const m = /^\/1\.1\/(.+?)(\.json)?$/.exec(url);
  if (m) {
    const spec = ENDPOINTS.find((x) => x.method === method && x.path === m[1]);
    if (spec) return endpointDoc(spec, url);
  }
  const key = `${method} ${url}`;
  return SELF[key] ?? OAUTH2[key] ?? MEDIA[key] ?? OPS[key] ?? WEB[key];
}

export const TAGS = [
  { name: 'account', description: 'The authenticating user\'s profile and appearance.' },
  { name: 'users', description: 'Reading users.' },
  { name: 'application', description: 'Rate limits.' },
  { name: 'oauth2', description: 'App-only (bearer) tokens.' },
  { name: 'media', description: 'The image URLs the API hands out.' },
  { name: 'operations', description: 'Health, readiness and metrics (docs/deploy.md); not part of the Twitter API.' },
  { name: 'documentation', description: 'This document.' },
  ...WEB_TAGS,
];
