// The browser side of Plumage: themed profile pages (GET /<screen_name>), sign-in, the design
// settings, authorised applications, and the OAuth 1.0a three-legged flow (/oauth/*). Pages are
// server-rendered and work without JavaScript; every form carries a CSRF token; the CSP allows
// our own scripts and styles only. Registered from app.ts with one line.
import crypto from 'node:crypto';
import { projectRoot } from '../../../paths.ts';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import type { Deps } from '../../../deps.ts';
import { AppsRepository, TokensRepository } from '../../../storage/db/apps.repository.ts';
import { UsersRepository } from '../../../storage/db/users.repository.ts';
import { WebRepository } from '../../../web/web.repository.ts';
import { SignInThrottledError, WebAuthService, sameSecret, type Session } from '../../../web/web-auth.service.ts';
import { OAuthFlowError, OAuthFlowService, type PendingAuthorisation } from '../../../web/oauth-flow.service.ts';
import { MapParams } from '../../../profile/params.ts';
import type { User } from '../../../profile/user.ts';
import { PageNotFoundError, toTwitterError, errorBody } from '../../twitter-errors.ts';
import { FormBody } from '../../plugins/body-parsers.ts';
import { describeSignedRequest } from '../../plugins/oauth1.ts';
import { mediaUrlsFor, type MediaUrls } from '../../media-urls.ts';
import { SslRequiredError } from '../../../auth/errors.ts';
import { ImageTooLargeError } from '../../../images/errors.ts';
import { storageOutage } from '../../../storage/unavailable.ts';
import { contrastWarnings } from '../../../web/contrast.ts';
import { cssString, html } from '../../../web/html.ts';
import { parseColour } from '../../../profile/rules.ts';
import {
  COLOUR_FIELDS, applicationsPage, authorizePage, designPage, loginPage, messagePage, pinPage, profilePage,
  type FieldErrors, type PageContext,
} from '../../../web/views.ts';
import { JSON_CONTENT_TYPE } from '../../presenters.ts';

const SESSION_COOKIE = 'plumage_session';
const CSRF_COOKIE = 'plumage_csrf';
const SCREEN_NAME = /^[A-Za-z0-9_]{1,15}$/;
/** Paths under / that are pages of their own, never profiles. */
const RESERVED = new Set(['login', 'logout', 'settings', 'oauth', 'oauth2', 'media', 'web', 'sticky']);
/** Paths of the API and its media, never pages: Twitter's JSON 404 even for a browser. */
const API_NAMESPACES = new Set(['1.1', 'oauth2', 'media', 'sticky', 'profile_images', 'profile_background_images', 'profile_banners']);
const STATIC_DIR = path.join(projectRoot(), 'src/web/static');

class WebError extends Error {
  constructor(readonly status: number, readonly title: string, message: string) {
    super(message);
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    webSession: Session | null;
  }
  interface FastifyContextConfig {
    /** false: the route does not read the browser session (no database lookup). */
    webSession?: boolean;
  }
}

function loadStatic(): Map<string, { body: Buffer; type: string }> {
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const [name, type] of [['site.css', 'text/css; charset=utf-8'], ['design.js', 'text/javascript; charset=utf-8']] as const) {
    files.set(name, { body: fs.readFileSync(path.join(STATIC_DIR, name)), type });
  }
  return files;
}

/** A local path to return to after sign-in: "/…" but never "//host" or "/\host". */
function safeNext(raw: string | undefined): string {
  if (!raw || raw.length > 2000 || !raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\') || /[\u0000-\u001f]/.test(raw)) return '/settings/design';
  return raw;
}

function formValue(req: FastifyRequest, name: string): string | undefined {
  return req.body instanceof FormBody ? req.body.pairs.find(([k]) => k === name)?.[1] : undefined;
}

function queryValue(req: FastifyRequest, name: string): string | undefined {
  const v = (req.query as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : undefined;
}

function origin(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

export async function registerWebRoutes(parent: FastifyInstance, deps: Deps): Promise<void> {
  const { config, clock } = deps;
  const repo = new WebRepository(deps.db);
  const users = new UsersRepository(deps.db);
  const apps = new AppsRepository(deps.db);
  const tokens = new TokensRepository(deps.db);
  const webAuth = new WebAuthService(repo, users, deps.rateLimiter, clock);
  const flow = new OAuthFlowService(repo, apps, tokens, users, deps.nonces, clock, config.timestampSkew);
  const statics = loadStatic();
  const assetVersion = crypto.createHash('sha256').update(Buffer.concat([...statics.values()].map((f) => f.body))).digest('hex').slice(0, 12);
  const secureCookies = config.publicUrl.startsWith('https:');
  const extraImgOrigins = [origin(config.mediaUrl), origin(config.publicUrl), origin(config.publicHttpsUrl)].filter((o): o is string => o !== null);

  function csp(formTargets: string[] = []): string {
    const img = [...new Set(["'self'", ...extraImgOrigins])].join(' ');
    const forms = [...new Set(["'self'", ...formTargets])].join(' ');
    return `default-src 'none'; img-src ${img}; style-src 'self'; script-src 'self'; form-action ${forms}; base-uri 'none'; frame-ancestors 'none'`;
  }

  function page(reply: FastifyReply, status: number, body: string, formTargets?: string[]): FastifyReply {
    return reply
      .code(status)
      .header('content-security-policy', csp(formTargets))
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'same-origin')
      .header('x-frame-options', 'DENY')
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(body);
  }

  function setCookie(reply: FastifyReply, req: FastifyRequest, name: string, value: string, maxAgeSeconds?: number): void {
    reply.setCookie(name, value, { path: '/', httpOnly: true, sameSite: 'lax', secure: secureCookies || req.protocol === 'https', ...(maxAgeSeconds !== undefined ? { maxAge: maxAgeSeconds } : {}) });
  }

  /** The visitor's CSRF token: the session's, or a pre-session cookie for the sign-in form. */
  function context(req: FastifyRequest, reply: FastifyReply): PageContext {
    const s = req.webSession;
    if (s) return { viewer: s.user, csrf: s.csrfToken, assets: assetVersion };
    let token = req.cookies[CSRF_COOKIE];
    if (!token || !/^[A-Za-z0-9_-]{32}$/.test(token)) {
      token = crypto.randomBytes(24).toString('base64url');
      setCookie(reply, req, CSRF_COOKIE, token);
    }
    return { viewer: null, csrf: token, assets: assetVersion };
  }

  function checkCsrf(req: FastifyRequest, given: string | undefined): void {
    const expected = req.webSession ? req.webSession.csrfToken : req.cookies[CSRF_COOKIE];
    if (!given || !expected || !sameSecret(given, expected)) {
      throw new WebError(403, 'This form has expired', 'The page you sent the form from was too old or came from another site. Go back, reload the page and try again.');
    }
  }

  function requireViewer(req: FastifyRequest): User {
    if (!req.webSession) throw new WebError(401, 'Sign in first', 'You need to sign in to see this page.');
    return req.webSession.user;
  }

  function urls(req: FastifyRequest): MediaUrls {
    return mediaUrlsFor(config, req);
  }

  function themeHref(req: FastifyRequest, u: User): string {
    const v = crypto.createHash('sha256').update(JSON.stringify([u.colours, u.backgroundImage, u.backgroundTile, u.useBackgroundImage, urls(req).background(u, req.protocol === 'https')])).digest('hex').slice(0, 12);
    return `/web/theme/${u.id}.css?v=${v}`;
  }

  function avatarOriginal(m: MediaUrls, u: User, https: boolean): string {
    const normal = m.avatar(u, https, 'normal');
    const i = normal.lastIndexOf('_normal.');
    return normal.slice(0, i) + normal.slice(i + '_normal'.length);
  }

  /** Renders WebErrors and other failures as friendly pages; storage outages as 503. */
  function handler(fn: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>) {
    return async (req: FastifyRequest, reply: FastifyReply) => {
      try {
        return await fn(req, reply);
      } catch (e) {
        if (e instanceof PageNotFoundError) throw e; // not a page: Twitter's JSON 404
        if (e instanceof WebError) return page(reply, e.status, messagePage(context(req, reply), e.title, e.message, e.status === 401 ? html`<p><a href="/login?next=${encodeURIComponent(req.method === 'GET' ? req.url : '/settings/design')}">Sign in</a></p>` : undefined));
        if (e instanceof SignInThrottledError) {
          reply.header('retry-after', String(Math.max(1, Math.ceil((e.retryAt - clock.now()) / 1000))));
          return page(reply, 429, messagePage(context(req, reply), 'Too many attempts', e.message));
        }
        const outage = storageOutage(e);
        if (outage) {
          req.log.error({ store: outage, reason: (e as Error).message }, `${outage} unreachable: answering 503 until it is back`);
          return page(reply, 503, messagePage(context(req, reply), 'Over capacity', 'Plumage cannot reach its storage right now. Try again in a moment.'));
        }
        req.log.error({ err: e }, 'unhandled error on a web page');
        return page(reply, 500, messagePage(context(req, reply), 'Something went wrong', 'The page could not be shown. Try again later.'));
      }
    };
  }

  await parent.register(async (app) => {
    await app.register(cookie);
    app.decorateRequest('webSession', null);
    app.addHook('preHandler', async (req) => {
      // Static files, theme stylesheets and the signed OAuth endpoints never look at the session.
      if (req.routeOptions.config.webSession === false) return;
      req.webSession = await webAuth.session(req.cookies[SESSION_COOKIE]);
    });
    const noSession = { config: { webSession: false } };

    // --- static files and theme stylesheets ---
    app.get('/web/static/:file', noSession, async (req, reply) => {
      const f = statics.get((req.params as { file: string }).file);
      if (!f) throw new PageNotFoundError();
      return reply.type(f.type).header('cache-control', 'public, max-age=86400').header('x-content-type-options', 'nosniff').send(f.body);
    });

    app.get('/web/theme/:file', noSession, async (req, reply) => {
      const m = /^([0-9]{1,20})\.css$/.exec((req.params as { file: string }).file);
      const u = m ? await users.findById(m[1]!) : undefined;
      if (!u) throw new PageNotFoundError();
      const c = u.colours;
      const bg = u.useBackgroundImage ? urls(req).background(u, req.protocol === 'https') : null;
      const css = `/* theme of @${u.screenName} */
body.theme, .preview {
  --bg: #${c.background}; --link: #${c.link}; --fill: #${c.sidebarFill}; --border: #${c.sidebarBorder}; --text: #${c.text};
  --bg-image: ${bg ? `url(${cssString(bg)})` : 'none'}; --bg-repeat: ${u.backgroundTile ? 'repeat' : 'no-repeat'};
}
`;
      return reply.type('text/css; charset=utf-8').header('cache-control', 'private, max-age=60').header('x-content-type-options', 'nosniff').send(css);
    });

    // --- sign-in ---
    app.get('/login', handler(async (req, reply) => {
      const next = safeNext(queryValue(req, 'next'));
      const suggested = queryValue(req, 'screen_name');
      return page(reply, 200, loginPage(context(req, reply), { next, screenName: suggested && SCREEN_NAME.test(suggested) ? suggested : undefined, notice: req.webSession ? `You are signed in as @${req.webSession.user.screenName}; signing in again switches account.` : undefined }));
    }));

    app.post('/login', handler(async (req, reply) => {
      checkCsrf(req, formValue(req, 'csrf_token'));
      const screenName = formValue(req, 'screen_name') ?? '';
      const password = formValue(req, 'password') ?? '';
      const next = safeNext(formValue(req, 'next'));
      const user = await webAuth.checkPassword(screenName, password, req.ip);
      if (!user) {
        return page(reply, 401, loginPage(context(req, reply), { next, screenName: screenName.slice(0, 16), error: 'That screen name and password do not match an account with a password.' }));
      }
      if (req.webSession) await webAuth.endSession(req.webSession);
      const { cookie: value } = await webAuth.startSession(user);
      setCookie(reply, req, SESSION_COOKIE, value, 14 * 24 * 3600);
      return reply.redirect(next, 303);
    }));

    app.post('/logout', handler(async (req, reply) => {
      checkCsrf(req, formValue(req, 'csrf_token'));
      if (req.webSession) await webAuth.endSession(req.webSession);
      reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: secureCookies || req.protocol === 'https' });
      return reply.redirect('/login', 303);
    }));

    app.get('/', handler(async (req, reply) => {
      // API clients keep Twitter's JSON 404 for the root; browsers go somewhere useful.
      if (!/text\/html/.test(req.headers.accept ?? '')) throw new PageNotFoundError();
      if (req.webSession) return reply.redirect(`/${req.webSession.user.screenName}`, 302);
      return reply.redirect('/login', 302);
    }));

    // --- design settings ---
    function renderDesign(req: FastifyRequest, reply: FastifyReply, user: User, status: number, errors: FieldErrors, extra: { saved?: string; colourValues?: Record<string, string> } = {}) {
      const m = urls(req);
      const https = req.protocol === 'https';
      return page(reply, status, designPage(context(req, reply), {
        user,
        themeCss: themeHref(req, user),
        avatar: m.avatar(user, https, 'bigger'),
        background: m.background(user, https),
        banner: m.banner(user),
        warnings: contrastWarnings(user.colours),
        errors,
        ...extra,
      }));
    }

    app.get('/settings/design', handler(async (req, reply) => {
      const user = requireViewer(req);
      const saved = queryValue(req, 'saved');
      return renderDesign(req, reply, await deps.profile.byId(user.id), 200, {}, { saved });
    }));

    app.post('/settings/design/colors', handler(async (req, reply) => {
      const user = requireViewer(req);
      checkCsrf(req, formValue(req, 'csrf_token'));
      const values = new Map<string, string>();
      const given: Record<string, string> = {};
      for (const [param] of COLOUR_FIELDS) {
        const v = formValue(req, param);
        if (v !== undefined && v !== '') {
          values.set(param, v);
          if (parseColour(v) !== null) given[param] = `#${parseColour(v)!.toLowerCase()}`;
        }
      }
      try {
        await deps.profile.updateColours(user.id, new MapParams(values));
      } catch (e) {
        const t = toTwitterError(e);
        if (!t || t.status >= 500) throw e;
        return renderDesign(req, reply, await deps.profile.byId(user.id), 400, { colours: t.message }, { colourValues: given });
      }
      return reply.redirect('/settings/design?saved=colours', 303);
    }));

    /** Reads a multipart form: text fields and file parts up to limit bytes; empty file inputs are absent. */
    async function readUpload(req: FastifyRequest, limit: number): Promise<{ fields: Map<string, string>; files: Map<string, Buffer> }> {
      const fields = new Map<string, string>();
      const files = new Map<string, Buffer>();
      if (!req.isMultipart()) throw new WebError(400, 'Bad form', 'This form must be sent as multipart/form-data.');
      try {
        for await (const part of req.parts({ limits: { fileSize: limit + 1, files: 2, fields: 10 } })) {
          if (part.type === 'file') {
            const bytes = await part.toBuffer();
            if (bytes.length > 0 && !files.has(part.fieldname)) files.set(part.fieldname, bytes);
          } else if (typeof part.value === 'string' && !fields.has(part.fieldname)) {
            fields.set(part.fieldname, part.value);
          }
        }
      } catch (e) {
        if ((e as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw new ImageTooLargeError(limit);
        throw new WebError(400, 'Bad form', 'The form could not be read. Try again.');
      }
      return { fields, files };
    }

    function uploadRoute(url: string, field: keyof FieldErrors, limit: number, apply: (user: User, fields: Map<string, string>, files: Map<string, Buffer>) => Promise<unknown>, saved: string) {
      app.post(url, handler(async (req, reply) => {
        const user = requireViewer(req);
        let upload: { fields: Map<string, string>; files: Map<string, Buffer> };
        try {
          upload = await readUpload(req, limit);
        } catch (e) {
          if (!(e instanceof ImageTooLargeError)) throw e;
          // The rest of the body (and the CSRF token in it) was not read: refuse without changes.
          return renderDesign(req, reply, await deps.profile.byId(user.id), 413, { [field]: toTwitterError(e)!.message });
        }
        checkCsrf(req, upload.fields.get('csrf_token'));
        try {
          await apply(user, upload.fields, upload.files);
        } catch (e) {
          const t = toTwitterError(e);
          if (!t || t.status >= 500) throw e;
          return renderDesign(req, reply, await deps.profile.byId(user.id), t.status, { [field]: t.message });
        }
        return reply.redirect(`/settings/design?saved=${saved}`, 303);
      }));
    }

    uploadRoute('/settings/design/avatar', 'avatar', config.limits.avatarBytes, async (user, _fields, files) => {
      await deps.appearance.updateAvatar(user.id, new MapParams(new Map(), files));
    }, 'avatar');

    uploadRoute('/settings/design/background', 'background', config.limits.backgroundBytes, async (user, fields, files) => {
      const current = await deps.profile.byId(user.id);
      const values = new Map<string, string>([['tile', fields.has('tile') ? 'true' : 'false']]);
      const use = fields.has('use');
      // "Use" ticked with nothing to use (no upload, none stored) is the default state of a
      // new account: leave it rather than refuse the form.
      if (!use || files.has('image') || current.backgroundImage !== null) values.set('use', use ? 'true' : 'false');
      await deps.appearance.updateBackground(user.id, new MapParams(values, files));
    }, 'background');

    uploadRoute('/settings/design/banner', 'banner', config.limits.bannerBytes, async (user, _fields, files) => {
      await deps.appearance.updateBanner(user.id, new MapParams(new Map(), files));
    }, 'banner');

    app.post('/settings/design/banner/remove', handler(async (req, reply) => {
      const user = requireViewer(req);
      checkCsrf(req, formValue(req, 'csrf_token'));
      await deps.appearance.removeBanner(user.id);
      return reply.redirect('/settings/design?saved=banner-removed', 303);
    }));

    // --- authorised applications ---
    app.get('/settings/applications', handler(async (req, reply) => {
      const user = requireViewer(req);
      const revoked = queryValue(req, 'revoked');
      return page(reply, 200, applicationsPage(context(req, reply), await repo.authorisedApps(user.id), revoked ? `Access revoked for ${revoked.slice(0, 100)}.` : undefined));
    }));

    app.post('/settings/applications/revoke', handler(async (req, reply) => {
      const user = requireViewer(req);
      checkCsrf(req, formValue(req, 'csrf_token'));
      const appId = formValue(req, 'app_id') ?? '';
      const target = /^[0-9]{1,20}$/.test(appId) ? await apps.findById(appId) : undefined;
      if (!target || (await repo.revokeApp(user.id, target.id, clock.now())) === 0) {
        throw new WebError(404, 'Nothing to revoke', 'That application has no access to your account.');
      }
      return reply.redirect(`/settings/applications?revoked=${encodeURIComponent(target.name)}`, 303);
    }));

    // --- OAuth 1.0a three-legged flow ---
    async function oauthEndpoint(req: FastifyRequest, reply: FastifyReply, fn: () => Promise<Array<[string, string]>>) {
      try {
        if (config.requireTls && req.protocol !== 'https') throw new SslRequiredError();
        const pairs = await fn();
        const body = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
        return reply.header('cache-control', 'no-store').type('application/x-www-form-urlencoded').send(body);
      } catch (e) {
        if (e instanceof OAuthFlowError) return reply.code(e.status).type(JSON_CONTENT_TYPE).send(errorBody(e));
        throw e; // the API's authentication errors: the global handler answers like Twitter
      }
    }

    app.post('/oauth/request_token', noSession, async (req, reply) =>
      oauthEndpoint(req, reply, async () => {
        const t = await flow.requestToken(describeSignedRequest(req, config));
        return [['oauth_token', t.token], ['oauth_token_secret', t.secret], ['oauth_callback_confirmed', 'true']];
      }));

    app.post('/oauth/access_token', noSession, async (req, reply) =>
      oauthEndpoint(req, reply, async () => {
        const { token, user } = await flow.accessToken(describeSignedRequest(req, config));
        return [['oauth_token', token.token], ['oauth_token_secret', token.secret], ['user_id', user.id], ['screen_name', user.screenName]];
      }));

    function invalidRequest(): WebError {
      return new WebError(400, 'This authorisation request is not valid', 'The link you followed has expired or was already used. Go back to the application and start again.');
    }

    function callbackTargets(p: PendingAuthorisation): string[] {
      const o = p.request.callback === 'oob' ? null : origin(p.request.callback);
      return o ? [o] : [];
    }

    async function decide(req: FastifyRequest, reply: FastifyReply, p: PendingAuthorisation, allow: boolean) {
      const d = allow ? await flow.allow(p, req.webSession!.user) : await flow.deny(p);
      if (!d) throw invalidRequest();
      if (d.kind === 'redirect') return reply.redirect(d.location, 303);
      if (d.kind === 'pin') return page(reply, 200, pinPage(context(req, reply), d.app, d.pin));
      return page(reply, 200, messagePage(context(req, reply), 'Cancelled', `You did not allow ${d.app.name} to use your account.`));
    }

    for (const mode of ['authorize', 'authenticate'] as const) {
      const action = `/oauth/${mode}`;
      app.get(action, handler(async (req, reply) => {
        const token = queryValue(req, 'oauth_token');
        const p = await flow.pending(token);
        if (!p) throw invalidRequest();
        const forceLogin = /^(true|1)$/i.test(queryValue(req, 'force_login') ?? '');
        if (!req.webSession || forceLogin) {
          const suggested = queryValue(req, 'screen_name');
          return reply.redirect(`/login?next=${encodeURIComponent(`${action}?oauth_token=${encodeURIComponent(p.request.token)}`)}${suggested && SCREEN_NAME.test(suggested) ? `&screen_name=${suggested}` : ''}`, 303);
        }
        // Sign in with Plumage: an app the user already allowed gets its answer at once.
        if (mode === 'authenticate' && (await flow.alreadyAllowed(p, req.webSession.user))) return decide(req, reply, p, true);
        return page(reply, 200, authorizePage(context(req, reply), { app: p.app, accessLevel: p.request.accessLevel, token: p.request.token, action }), callbackTargets(p));
      }));
      app.post(action, handler(async (req, reply) => {
        requireViewer(req);
        checkCsrf(req, formValue(req, 'csrf_token'));
        const p = await flow.pending(formValue(req, 'oauth_token'));
        if (!p) throw invalidRequest();
        const decision = formValue(req, 'decision');
        if (decision !== 'allow' && decision !== 'deny') throw new WebError(400, 'Choose an answer', 'Press "Authorize app" or "Cancel".');
        // The CSP's form-action must allow the redirect to the application's callback.
        reply.header('content-security-policy', csp(callbackTargets(p)));
        return decide(req, reply, p, decision === 'allow');
      }));
    }

    // --- the profile page: last, so every fixed path above wins ---
    app.get('/:screen_name', handler(async (req, reply) => {
      const name = (req.params as { screen_name: string }).screen_name;
      const user = SCREEN_NAME.test(name) && !RESERVED.has(name.toLowerCase()) ? await users.findByScreenName(name) : undefined;
      if (!user) {
        // API clients (and the API's own paths) keep Twitter's JSON 404; browsers get a page.
        if (!/text\/html/.test(req.headers.accept ?? '') || API_NAMESPACES.has(name.toLowerCase())) throw new PageNotFoundError();
        return page(reply, 404, messagePage(context(req, reply), 'Nobody here', html`There is no account called <strong>@${name.slice(0, 64)}</strong>. Check the spelling, or <a href="/login">sign in</a>.`));
      }
      if (user.screenName !== name) return reply.redirect(`/${user.screenName}`, 301);
      const m = urls(req);
      const https = req.protocol === 'https';
      const base = `${req.protocol}://${req.host}`;
      const profileUrl = config.publicUrlExplicit ? `${config.publicUrl}/${user.screenName}` : `${base}/${user.screenName}`;
      const abs = (u: string) => (u.startsWith('/') ? base + u : u);
      return page(reply, 200, profilePage(context(req, reply), {
        user,
        avatarBigger: m.avatar(user, https, 'bigger'),
        avatarOriginal: avatarOriginal(m, user, https),
        avatar400: abs(m.avatar(user, https, '400x400')),
        banner: m.banner(user),
        profileUrl,
        themeCss: themeHref(req, user),
        ownerWarnings: req.webSession?.user.id === user.id ? contrastWarnings(user.colours) : [],
      }));
    }));
  });
}
