// The shared parts of the OpenAPI document: the v1.1 user object, the error body, the other
// response bodies and the security schemes. These describe what presenters.ts and
// twitter-errors.ts write; they are documentation only and never validate or serialize.

const colour = (what: string, dflt: string) => ({
  type: 'string',
  pattern: '^[0-9A-F]{6}$',
  description: `${what}: 6 upper-case hex digits, no "#".`,
  examples: [dflt],
});

const urlEntity = {
  type: 'object',
  required: ['url', 'expanded_url', 'display_url', 'indices'],
  additionalProperties: false,
  properties: {
    url: { type: 'string' },
    expanded_url: { type: 'string' },
    display_url: { type: 'string', description: 'Without the scheme and "www.", cut to 26 characters and "…".' },
    indices: { type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 2, maxItems: 2, description: 'Start and end, counted in code points.' },
  },
};

const alwaysZero = (what: string) => ({ type: 'integer', const: 0, description: `${what}: always 0 (Plumage keeps no Tweets or social graph).` });
const alwaysFalse = (what: string) => ({ type: 'boolean', const: false, description: `${what}: always false.` });
const alwaysNull = (what: string) => ({ type: 'null', description: `${what}: always null.` });

export const USER_EXAMPLE = {
  id: 6253282,
  id_str: '6253282',
  name: 'Alice Liddell',
  screen_name: 'alice',
  location: 'Wonderland',
  profile_location: null,
  description: 'Curiouser and curiouser',
  url: 'http://example.org',
  entities: {
    url: { urls: [{ url: 'http://example.org', expanded_url: 'http://example.org', display_url: 'example.org', indices: [0, 18] }] },
    description: { urls: [] },
  },
  protected: false,
  followers_count: 0,
  friends_count: 0,
  listed_count: 0,
  created_at: 'Fri Nov 27 01:08:41 +0000 2026',
  favourites_count: 0,
  utc_offset: null,
  time_zone: null,
  geo_enabled: false,
  verified: false,
  statuses_count: 0,
  lang: null,
  contributors_enabled: false,
  is_translator: false,
  is_translation_enabled: false,
  profile_background_color: 'C0FFEE',
  profile_background_image_url: null,
  profile_background_image_url_https: null,
  profile_background_tile: false,
  profile_image_url: 'http://api.example.org/profile_images/1795735763481600/a1b2c3d4_normal.jpg',
  profile_image_url_https: 'https://api.example.org/profile_images/1795735763481600/a1b2c3d4_normal.jpg',
  profile_banner_url: 'https://api.example.org/profile_banners/6253282/1795735763',
  profile_link_color: 'FF00AA',
  profile_sidebar_border_color: 'C0DEED',
  profile_sidebar_fill_color: 'DDEEF6',
  profile_text_color: '333333',
  profile_use_background_image: true,
  has_extended_profile: false,
  default_profile: false,
  default_profile_image: false,
  following: false,
  follow_request_sent: false,
  notifications: false,
  translator_type: 'none',
  withheld_in_countries: [],
};

/** The v1.1 user object, field for field as presenters.ts writes it (and in that order). */
export const USER_SCHEMA = {
  type: 'object',
  description:
    'The classic v1.1 user object. Fields appear in this order. `entities` is left out with include_entities=false; ' +
    '`profile_banner_url` is present only while there is a banner; `suspended` and `needs_phone_verification` only in ' +
    'verify_credentials; `email` only with include_email=true.',
  additionalProperties: false,
  required: [
    'id', 'id_str', 'name', 'screen_name', 'location', 'profile_location', 'description', 'url', 'protected',
    'followers_count', 'friends_count', 'listed_count', 'created_at', 'favourites_count', 'utc_offset', 'time_zone',
    'geo_enabled', 'verified', 'statuses_count', 'lang', 'contributors_enabled', 'is_translator', 'is_translation_enabled',
    'profile_background_color', 'profile_background_image_url', 'profile_background_image_url_https', 'profile_background_tile',
    'profile_image_url', 'profile_image_url_https', 'profile_link_color', 'profile_sidebar_border_color',
    'profile_sidebar_fill_color', 'profile_text_color', 'profile_use_background_image', 'has_extended_profile',
    'default_profile', 'default_profile_image', 'following', 'follow_request_sent', 'notifications', 'translator_type',
    'withheld_in_countries',
  ],
  properties: {
    id: { type: 'integer', format: 'int64', description: 'An exact 64-bit integer (JavaScript clients should read id_str).' },
    id_str: { type: 'string', pattern: '^[1-9][0-9]*$' },
    name: { type: 'string', maxLength: 50 },
    screen_name: { type: 'string' },
    location: { type: 'string', maxLength: 30 },
    profile_location: alwaysNull('profile_location'),
    description: { type: 'string', maxLength: 160 },
    url: { type: ['string', 'null'], maxLength: 100 },
    entities: {
      type: 'object',
      additionalProperties: false,
      required: ['description'],
      properties: {
        url: { type: 'object', additionalProperties: false, required: ['urls'], properties: { urls: { type: 'array', items: urlEntity } } },
        description: { type: 'object', additionalProperties: false, required: ['urls'], properties: { urls: { type: 'array', items: urlEntity } } },
      },
    },
    protected: { type: 'boolean' },
    followers_count: alwaysZero('followers_count'),
    friends_count: alwaysZero('friends_count'),
    listed_count: alwaysZero('listed_count'),
    created_at: { type: 'string', pattern: '^[A-Z][a-z]{2} [A-Z][a-z]{2} \\d{2} \\d{2}:\\d{2}:\\d{2} \\+0000 \\d{4}$', description: 'Twitter\'s date format, always UTC.' },
    favourites_count: alwaysZero('favourites_count'),
    utc_offset: alwaysNull('utc_offset'),
    time_zone: alwaysNull('time_zone'),
    geo_enabled: alwaysFalse('geo_enabled'),
    verified: { type: 'boolean' },
    statuses_count: alwaysZero('statuses_count'),
    lang: alwaysNull('lang'),
    contributors_enabled: alwaysFalse('contributors_enabled'),
    is_translator: alwaysFalse('is_translator'),
    is_translation_enabled: alwaysFalse('is_translation_enabled'),
    profile_background_color: colour('Background colour', 'F5F8FA'),
    profile_background_image_url: { type: ['string', 'null'], format: 'uri', description: 'null until a background image is uploaded.' },
    profile_background_image_url_https: { type: ['string', 'null'], format: 'uri' },
    profile_background_tile: { type: 'boolean' },
    profile_image_url: { type: 'string', format: 'uri', description: 'The _normal (48×48) avatar; the default avatar before any upload.' },
    profile_image_url_https: { type: 'string', format: 'uri' },
    profile_banner_url: { type: 'string', format: 'uri', description: 'Only while there is a banner; the variants are this URL plus /web, /1500x500, …' },
    profile_link_color: colour('Link colour', '1DA1F2'),
    profile_sidebar_border_color: colour('Sidebar border colour', 'C0DEED'),
    profile_sidebar_fill_color: colour('Sidebar fill colour', 'DDEEF6'),
    profile_text_color: colour('Text colour', '333333'),
    profile_use_background_image: { type: 'boolean' },
    has_extended_profile: alwaysFalse('has_extended_profile'),
    default_profile: { type: 'boolean', description: 'true while the theme colours are the defaults, there is no background image, tile is off and use is on.' },
    default_profile_image: { type: 'boolean', description: 'true until an avatar is uploaded.' },
    following: alwaysFalse('following'),
    follow_request_sent: alwaysFalse('follow_request_sent'),
    notifications: alwaysFalse('notifications'),
    translator_type: { type: 'string', const: 'none' },
    withheld_in_countries: { type: 'array', items: { type: 'string' }, maxItems: 0 },
    suspended: { type: 'boolean', const: false, description: 'verify_credentials only.' },
    needs_phone_verification: { type: 'boolean', const: false, description: 'verify_credentials only.' },
    email: { type: ['string', 'null'], description: 'verify_credentials with include_email=true only; null when the account has none.' },
  },
  examples: [USER_EXAMPLE],
};

/** `{"errors":[{"code":N,"message":"…"}]}`, as twitter-errors.ts writes it. */
export const ERROR_SCHEMA = {
  type: 'object',
  description: 'Every error, with Twitter\'s status and code (docs/errors.md).',
  additionalProperties: false,
  required: ['errors'],
  properties: {
    errors: {
      type: 'array',
      minItems: 1,
      maxItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['code', 'message'],
        properties: { code: { type: 'integer' }, message: { type: 'string' } },
      },
    },
  },
};

const BANNER_VARIANTS: Record<string, [number, number]> = {
  web: [520, 260],
  web_retina: [1040, 520],
  ipad: [626, 313],
  ipad_retina: [1252, 626],
  mobile: [320, 160],
  mobile_retina: [640, 320],
  '300x100': [300, 100],
  '600x200': [600, 200],
  '1500x500': [1500, 500],
  '1080x360': [1080, 360],
};
export const BANNER_VARIANT_NAMES = Object.keys(BANNER_VARIANTS);

const bannerSize = {
  type: 'object',
  additionalProperties: false,
  required: ['w', 'h', 'url'],
  properties: { w: { type: 'integer' }, h: { type: 'integer' }, url: { type: 'string', format: 'uri' } },
};

export const BANNER_SIZES_SCHEMA = {
  type: 'object',
  description: 'The banner variants of a user, as users/profile_banner answered on Twitter.',
  additionalProperties: false,
  required: ['sizes'],
  properties: {
    sizes: {
      type: 'object',
      additionalProperties: false,
      required: BANNER_VARIANT_NAMES,
      properties: Object.fromEntries(BANNER_VARIANT_NAMES.map((n) => [n, bannerSize])),
    },
  },
  examples: [{
    sizes: Object.fromEntries(Object.entries(BANNER_VARIANTS).map(([n, [w, h]]) => [
      n, { w, h, url: `https://api.example.org/profile_banners/6253282/1795735763/${n}` },
    ])),
  }],
};

const window = {
  type: 'object',
  additionalProperties: false,
  required: ['limit', 'remaining', 'reset'],
  properties: {
    limit: { type: 'integer' },
    remaining: { type: 'integer', minimum: 0 },
    reset: { type: 'integer', description: 'Unix seconds.' },
  },
};

export const RATE_LIMIT_STATUS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['rate_limit_context', 'resources'],
  properties: {
    rate_limit_context: {
      type: 'object',
      description: '`access_token` for OAuth 1.0a calls, `application` (the consumer key) for app-only calls.',
      additionalProperties: false,
      properties: { access_token: { type: 'string' }, application: { type: 'string' } },
      minProperties: 1,
      maxProperties: 1,
    },
    resources: {
      type: 'object',
      description: 'Resource family → Twitter\'s endpoint name → window.',
      additionalProperties: { type: 'object', additionalProperties: window },
    },
  },
  examples: [{
    rate_limit_context: { access_token: '6253282-k9Qm1h0wYbq2TtXr' },
    resources: {
      account: { '/account/verify_credentials': { limit: 75, remaining: 72, reset: 1795738388 } },
      users: {
        '/users/show/:id': { limit: 900, remaining: 900, reset: 1795738388 },
        '/users/profile_banner': { limit: 180, remaining: 180, reset: 1795738388 },
      },
      application: { '/application/rate_limit_status': { limit: 180, remaining: 179, reset: 1795738388 } },
    },
  }],
};

export const BEARER_TOKEN_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['token_type', 'access_token'],
  properties: { token_type: { type: 'string', const: 'bearer' }, access_token: { type: 'string' } },
  examples: [{ token_type: 'bearer', access_token: 'AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%2BuSeid%2BULvsea4JtiGRiSDSJSI' }],
};

export const INVALIDATED_TOKEN_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['access_token'],
  properties: { access_token: { type: 'string' } },
  examples: [{ access_token: 'AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%2BuSeid%2BULvsea4JtiGRiSDSJSI' }],
};

export const SECURITY_SCHEMES = {
  oauth1: {
    type: 'http',
    scheme: 'OAuth',
    description:
      'OAuth 1.0a (RFC 5849) with HMAC-SHA1, exactly as Twitter checked it: `Authorization: OAuth oauth_consumer_key="…", ' +
      'oauth_token="…", oauth_signature_method="HMAC-SHA1", oauth_timestamp="…", oauth_nonce="…", oauth_version="1.0", ' +
      'oauth_signature="…"`. The signature covers the query string and an urlencoded body, never a multipart body. ' +
      'Apps and access tokens are made with `plumage apps add` and `plumage tokens issue` (docs/cli.md). ' +
      'This page cannot sign requests; use a client library or `plumage request`.',
  },
  bearer: {
    type: 'http',
    scheme: 'bearer',
    description: 'An app-only token from POST /oauth2/token. Accepted by users/show and application/rate_limit_status only.',
  },
  metricsToken: {
    type: 'http',
    scheme: 'bearer',
    description: 'The value of PLUMAGE_METRICS_TOKEN. For GET /metrics only.',
  },
  session: {
    type: 'apiKey',
    in: 'cookie',
    name: 'plumage_session',
    description: 'The browser session of the web pages, set by POST /login (docs/web.md). Forms also need the page\'s CSRF token. Not accepted by the API.',
  },
  basic: {
    type: 'http',
    scheme: 'basic',
    description: 'The app\'s consumer key and secret, each form-encoded first (RFC 6749 §2.3.1). For /oauth2/ only.',
  },
} as const;

export const COMPONENT_SCHEMAS = {
  User: USER_SCHEMA,
  Error: ERROR_SCHEMA,
  BannerSizes: BANNER_SIZES_SCHEMA,
  RateLimitStatus: RATE_LIMIT_STATUS_SCHEMA,
  BearerToken: BEARER_TOKEN_SCHEMA,
  InvalidatedToken: INVALIDATED_TOKEN_SCHEMA,
};

export const ref = (name: keyof typeof COMPONENT_SCHEMAS) => ({ $ref: `#/components/schemas/${name}` });
