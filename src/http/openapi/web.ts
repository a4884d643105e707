// The documentation of the browser side (src/http/routes/web, docs/web.md): the OAuth 1.0a
// three-legged flow, whose token endpoints answer form-encoded bodies like Twitter's, and the
// HTML pages. Documentation only: nothing here changes what the routes answer.
import { AUTH_ERRORS, documentedError as e, errorResponses, type DocumentedError } from './errors.ts';
import type { RouteDoc } from './endpoints.ts';

export const WEB_TAGS = [
  { name: 'oauth', description: 'The OAuth 1.0a three-legged flow: how an application obtains a user\'s access token (docs/web.md).' },
  { name: 'Web pages', description: 'Server-rendered HTML for browsers: profile pages, sign-in, design settings (docs/web.md). Not part of the Twitter API.' },
];

const html = (description: string) => ({ description, content: { 'text/html': { schema: { type: 'string' } } } });
const redirect = (description: string) => ({ type: 'null', description, headers: { location: { type: 'string', description: 'Where to go next.' } } });
const form = (description: string, properties: Record<string, unknown>) => ({
  description,
  headers: { 'cache-control': { type: 'string', description: 'no-store' } },
  content: { 'application/x-www-form-urlencoded': { schema: { type: 'object', required: Object.keys(properties), properties } } },
});
const str = (description: string) => ({ type: 'string', description });

/** Refusals of the HTML pages: a friendly page, never JSON. */
const PAGE_ERRORS = {
  400: html('A form or link that is not valid (an expired or used request token, a broken form): an error page.'),
  503: html('The storage is unreachable: an error page.'),
};
const SESSION_PAGE_ERRORS = {
  ...PAGE_ERRORS,
  401: html('No browser session: a "Sign in first" page with a link to /login.'),
};
const FORM_ERRORS = {
  ...SESSION_PAGE_ERRORS,
  403: html('The CSRF token is missing or is not this session\'s: "This form has expired"; nothing is changed.'),
};
const FORM_SECURITY = [{ session: [] }];
const CSRF = { csrf_token: str('The CSRF token of the page the form came from (required).') };

const formBody = (properties: Record<string, unknown>) => ({
  content: { 'application/x-www-form-urlencoded': { schema: { type: 'object', required: ['csrf_token'], properties: { ...CSRF, ...properties } } } },
});
const multipartBody = (file: string, extra: Record<string, unknown> = {}) => ({
  content: { 'multipart/form-data': { schema: { type: 'object', required: ['csrf_token'], properties: { ...CSRF, [file]: { type: 'string', format: 'binary', description: 'The image file (GIF, JPEG, PNG or WebP).' }, ...extra } } } },
});

const OAUTH_ERRORS: DocumentedError[] = [
  ...AUTH_ERRORS.filter((x) => x.code !== 88),
  e(401, 89, 'Invalid or expired token.', 'an unknown, expired, denied or already used request token'),
];

function page(operationId: string, summary: string, description: string, responses: Record<string, unknown>, extra: RouteDoc = {}): RouteDoc {
  return { tags: ['Web pages'], summary, description, operationId, security: [{}, { session: [] }], response: responses, ...extra };
}

function post(operationId: string, summary: string, description: string, body: unknown, errors: Record<string, unknown> = FORM_ERRORS): RouteDoc {
  return {
    tags: ['Web pages'],
    summary,
    description: `${description} A form of the design pages, for browsers: it needs the session cookie and the page's CSRF token, and answers with a redirect (303) or the page again with the error next to the field.`,
    operationId,
    security: FORM_SECURITY,
    body,
    response: { 303: redirect('Done: back to the page, with a notice.'), ...errors },
  };
}

const authorize = (mode: 'authorize' | 'authenticate'): Record<string, RouteDoc> => {
  const what = mode === 'authorize'
    ? 'Always asks the signed-in user whether to allow the application.'
    : 'Sign in with Plumage: an application the user already allowed (at the same or a higher level) is answered at once, without the question.';
  const id = mode === 'authorize' ? 'Authorize' : 'Authenticate';
  return {
    [`GET /oauth/${mode}`]: {
      tags: ['oauth'],
      summary: `The ${mode} page (second leg)`,
      description: `${what} Without a session (or with force_login=true) the browser is sent to /login first. Answers HTML.`,
      operationId: `oauth${id}Page`,
      security: [{}, { session: [] }],
      querystring: {
        type: 'object',
        properties: {
          oauth_token: str('The request token from POST /oauth/request_token (required).'),
          force_login: str('true or 1: sign in again even with a session.'),
          screen_name: str('Suggested on the sign-in form.'),
        },
      },
      response: {
        200: html('The question: which application, what it will be able to do, "Authorize app" and "Cancel".'),
        303: redirect('To /login (no session), or straight to the callback (authenticate, already allowed).'),
        ...PAGE_ERRORS,
      },
    },
    [`POST /oauth/${mode}`]: {
      tags: ['oauth'],
      summary: `Answer the ${mode} page`,
      description: 'The form of the page above. Allow: to the callback with oauth_token and oauth_verifier, or a page showing the PIN for oob. Cancel: to the callback with denied=<request token>.',
      operationId: `oauth${id}Decide`,
      security: FORM_SECURITY,
      body: formBody({ oauth_token: str('The request token.'), decision: { type: 'string', enum: ['allow', 'deny'] } }),
      response: {
        200: html('The PIN (oob callback), or "Cancelled".'),
        303: redirect('To the application\'s callback.'),
        ...FORM_ERRORS,
      },
    },
  };
};

export const WEB: Record<string, RouteDoc> = {
  'POST /oauth/request_token': {
    tags: ['oauth'],
    summary: 'POST oauth/request_token (first leg)',
    description:
      'Signed with OAuth 1.0a by the consumer key and secret only (no token). Takes oauth_callback (`oob` or a URL under the app\'s registered callback) and optionally x_auth_access_type. ' +
      'A read-only app always gets a read-only token, whatever x_auth_access_type says. Request tokens expire after 15 minutes. The answer is form-encoded, like Twitter\'s.',
    operationId: 'oauthRequestToken',
    security: [{ oauth1: [] }],
    querystring: { type: 'object', properties: { oauth_callback: str('oob, or a URL with the registered callback\'s origin and path prefix.'), x_auth_access_type: { type: 'string', enum: ['read', 'write'] } } },
    body: { content: { 'application/x-www-form-urlencoded': { schema: { type: 'object', properties: { oauth_callback: str('As in the query string or Authorization header.'), x_auth_access_type: { type: 'string', enum: ['read', 'write'] } } } } } },
    response: {
      200: form('The request token.', { oauth_token: str('The request token.'), oauth_token_secret: str('Its secret.'), oauth_callback_confirmed: { const: 'true' } }),
      ...errorResponses([
        ...OAUTH_ERRORS,
        e(400, 38, 'oauth_callback parameter is missing. Give a callback URL or "oob".', 'no oauth_callback'),
        e(400, 38, 'x_auth_access_type must be read or write.', 'any other x_auth_access_type'),
        e(403, 415, 'Callback URL not approved for this client application. Approved callback URLs can be adjusted in your application settings', 'a callback outside the registered one'),
      ]),
    },
  },
  'POST /oauth/access_token': {
    tags: ['oauth'],
    summary: 'POST oauth/access_token (third leg)',
    description:
      'Signed with OAuth 1.0a by the consumer and the request token, with oauth_verifier (from the callback, or the PIN). The request token is used once: a wrong verifier burns it. ' +
      'An application the user already allowed at that level gets its existing access token. The answer is form-encoded, like Twitter\'s.',
    operationId: 'oauthAccessToken',
    security: [{ oauth1: [] }],
    querystring: { type: 'object', properties: { oauth_verifier: str('The verifier or PIN.') } },
    body: { content: { 'application/x-www-form-urlencoded': { schema: { type: 'object', properties: { oauth_verifier: str('The verifier or PIN.') } } } } },
    response: {
      200: form('The access token.', { oauth_token: str('The access token.'), oauth_token_secret: str('Its secret.'), user_id: str('The user\'s id.'), screen_name: str('The user\'s screen name.') }),
      ...errorResponses([...OAUTH_ERRORS, e(401, 32, 'Could not authenticate you. The oauth_verifier is wrong; start again.', 'a missing or wrong oauth_verifier (the request token is then burnt)')]),
    },
  },
  ...authorize('authorize'),
  ...authorize('authenticate'),

  'GET /': page('webRoot', 'The site root', 'Browsers (Accept: text/html) are redirected to their profile or to /login; API clients get Twitter\'s JSON 404 (code 34).', {
    302: redirect('To the signed-in user\'s profile, or to /login.'),
    ...errorResponses([e(404, 34, 'Sorry, that page does not exist.', 'a request that does not accept text/html')]),
  }),
  'GET /:screen_name': page('webProfile', 'A profile page', 'The profile, painted with the account\'s theme, with Open Graph tags. Another spelling of the name redirects (301) to the stored one. Unknown account: an HTML 404 page for browsers (Accept: text/html), Twitter\'s JSON 404 (code 34) for everything else.', {
    200: html('The profile page.'),
    301: redirect('To the stored spelling of the screen name.'),
    404: { description: 'No such account: an HTML page for browsers, else Twitter\'s JSON 404 (code 34).', content: { 'text/html': { schema: { type: 'string' } }, ...(errorResponses([e(404, 34, 'Sorry, that page does not exist.', 'no such account (API clients)')])['404'] as { content: object }).content } },
    503: PAGE_ERRORS[503],
  }, { params: { type: 'object', required: ['screen_name'], properties: { screen_name: str('1 to 15 letters, digits or underscores, any case.') } } }),
  'GET /login': page('webLogin', 'The sign-in page', 'The sign-in form (screen name and password). Sets a pre-session CSRF cookie.', { 200: html('The form.'), ...PAGE_ERRORS }, {
    querystring: { type: 'object', properties: { next: str('A local path to go to after signing in.'), screen_name: str('Filled in on the form.') } },
  }),
  'POST /login': {
    tags: ['Web pages'],
    summary: 'Sign in',
    description: 'Checks the password (scrypt) and starts a browser session (an HttpOnly, SameSite=Lax cookie; only its hash is stored). Needs the CSRF token of the sign-in page. Failures are rate-limited: 10 per account and 100 per client address per 15 minutes.',
    operationId: 'webSignIn',
    security: [],
    body: formBody({ screen_name: str('The screen name.'), password: { type: 'string', format: 'password' }, next: str('A local path to go to afterwards.') }),
    response: {
      303: redirect('Signed in: to `next` (a local path) or /settings/design.'),
      401: html('Wrong screen name or password: the form again, with the error.'),
      403: FORM_ERRORS[403],
      429: html('Too many failed attempts: an error page, with Retry-After.'),
      503: PAGE_ERRORS[503],
    },
  },
  'POST /logout': {
    tags: ['Web pages'],
    summary: 'Sign out',
    description: 'Ends the browser session. Needs the CSRF token.',
    operationId: 'webSignOut',
    security: FORM_SECURITY,
    body: formBody({}),
    response: { 303: redirect('To /login.'), 403: FORM_ERRORS[403], 503: PAGE_ERRORS[503] },
  },
  'GET /settings/design': page('webDesign', 'The design settings page', 'Colours (with contrast warnings), avatar, background and banner forms, with a live preview. Needs a browser session.', { 200: html('The page.'), ...SESSION_PAGE_ERRORS }, {
    security: FORM_SECURITY,
    querystring: { type: 'object', properties: { saved: str('Which form was just saved, for the notice.') } },
  }),
  'POST /settings/design/colors': post('webSetColours', 'Save the theme colours', 'The five theme colours, all or nothing.', formBody({
    profile_background_color: str('Hex colour.'),
    profile_link_color: str('Hex colour.'),
    profile_sidebar_border_color: str('Hex colour.'),
    profile_sidebar_fill_color: str('Hex colour.'),
    profile_text_color: str('Hex colour.'),
  })),
  'POST /settings/design/avatar': post('webSetAvatar', 'Upload an avatar', 'Replaces the avatar, like account/update_profile_image.', multipartBody('image'), { ...FORM_ERRORS, 413: html('The file is too large: the page again, with the error; nothing changed.'), 422: html('The image cannot be used: the page again, with the error.') }),
  'POST /settings/design/background': post('webSetBackground', 'Set the background image', 'Uploads a background image and sets whether it is tiled and shown, like account/update_profile_background_image.', multipartBody('image', { tile: str('Present: tiled.'), use: str('Present: shown.') }), { ...FORM_ERRORS, 413: html('The file is too large: the page again, with the error; nothing changed.'), 422: html('The image cannot be used: the page again, with the error.') }),
  'POST /settings/design/banner': post('webSetBanner', 'Upload a banner', 'Sets the profile banner, like account/update_profile_banner.', multipartBody('banner'), { ...FORM_ERRORS, 413: html('The file is too large: the page again, with the error; nothing changed.'), 422: html('The image cannot be used: the page again, with the error.') }),
  'POST /settings/design/banner/remove': post('webRemoveBanner', 'Remove the banner', 'Removes the banner, like account/remove_profile_banner.', formBody({})),
  'GET /settings/applications': page('webApplications', 'Authorised applications', 'The applications that hold an access token for the signed-in user, each with a Revoke button. Needs a browser session.', { 200: html('The page.'), ...SESSION_PAGE_ERRORS }, {
    security: FORM_SECURITY,
    querystring: { type: 'object', properties: { revoked: str('The name of the application just revoked, for the notice.') } },
  }),
  'POST /settings/applications/revoke': post('webRevokeApplication', 'Revoke an application', 'Revokes every access token the application holds for the signed-in user.', formBody({ app_id: str('The application\'s id.') }), { ...FORM_ERRORS, 404: html('That application has no access: an error page.') }),

  'GET /web/static/:file': {
    tags: ['Web pages'],
    summary: 'A static file of the pages',
    description: 'The stylesheet and the script of the pages (site.css, design.js). No authentication; cached for a day.',
    operationId: 'webStatic',
    security: [],
    params: { type: 'object', required: ['file'], properties: { file: { type: 'string', enum: ['site.css', 'design.js'] } } },
    response: {
      200: { description: 'The file.', content: { 'text/css': { schema: { type: 'string' } }, 'text/javascript': { schema: { type: 'string' } } } },
      ...errorResponses([e(404, 34, 'Sorry, that page does not exist.', 'no such file')]),
    },
  },
  'GET /web/theme/:file': {
    tags: ['Web pages'],
    summary: 'A user\'s theme stylesheet',
    description: 'CSS custom properties with the user\'s colours and background image, for the profile and design pages. No authentication.',
    operationId: 'webTheme',
    security: [],
    params: { type: 'object', required: ['file'], properties: { file: { type: 'string', pattern: '^[0-9]{1,20}\\.css$', description: '<user id>.css' } } },
    response: {
      200: { description: 'The stylesheet.', content: { 'text/css': { schema: { type: 'string' } } } },
      ...errorResponses([e(404, 34, 'Sorry, that page does not exist.', 'no such user')]),
    },
  },
};
