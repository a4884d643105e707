// The pages, as functions from data to escaped HTML (html.ts). No inline script or style: the
// Content-Security-Policy allows our own /web/static files only.
import { html, raw, type Html } from './html.ts';
import type { User } from '../profile/user.ts';
import type { App } from '../profile/user.ts';
import type { ContrastWarning } from './contrast.ts';
import type { AuthorisedApp } from './web.repository.ts';

export interface PageContext {
  /** The signed-in user, if any. */
  viewer: User | null;
  /** CSRF token for this visitor's forms. */
  csrf: string;
  /** Asset version: changes when the static files do. */
  assets: string;
}

export interface LayoutOptions {
  title: string;
  head?: Html;
  bodyClass?: string;
  /** Extra stylesheet (the theme). */
  stylesheet?: string;
  script?: string;
}

export function csrfField(ctx: PageContext): Html {
  return html`<input type="hidden" name="csrf_token" value="${ctx.csrf}">`;
}

export function layout(ctx: PageContext, opts: LayoutOptions, body: Html): string {
  const nav = ctx.viewer
    ? html`<a href="/${ctx.viewer.screenName}">@${ctx.viewer.screenName}</a>
      <a href="/settings/design">Design</a>
      <a href="/settings/applications">Apps</a>
      <form method="post" action="/logout">${csrfField(ctx)}<button class="linkish" type="submit">Sign out</button></form>`
    : html`<a href="/login">Sign in</a>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${opts.title}</title>
<link rel="icon" href="/sticky/default_profile_images/default_profile_mini.png">
<link rel="stylesheet" href="/web/static/site.css?v=${ctx.assets}">
${opts.stylesheet ? html`<link rel="stylesheet" href="${opts.stylesheet}">` : ''}
${opts.head ?? ''}
${opts.script ? html`<script src="${opts.script}" defer></script>` : ''}
</head>
<body class="${opts.bodyClass ?? ''}">
<a class="skip" href="#main">Skip to content</a>
<header class="topbar"><a class="brand" href="/">Plumage</a><nav aria-label="Account">${nav}</nav></header>
${body}
</body>
</html>
`.value;
}

export interface ProfileView {
  user: User;
  avatarBigger: string;
  avatarOriginal: string;
  avatar400: string;
  banner: string | null;
  profileUrl: string;
  themeCss: string;
  /** Shown to the owner only: pairs of the theme that are hard to read. */
  ownerWarnings: ContrastWarning[];
}

export function profilePage(ctx: PageContext, v: ProfileView): string {
  const u = v.user;
  const description = u.description.trim() || `@${u.screenName} on Plumage`;
  const head = html`<meta name="description" content="${description}">
<meta property="og:type" content="profile">
<meta property="og:title" content="${u.name} (@${u.screenName})">
<meta property="og:description" content="${description}">
<meta property="og:image" content="${v.avatar400}">
<meta property="og:url" content="${v.profileUrl}">
<meta property="profile:username" content="${u.screenName}">
<meta name="twitter:card" content="summary">
<link rel="canonical" href="${v.profileUrl}">`;
  const joined = new Date(u.createdAt).toLocaleDateString('en-GB', { year: 'numeric', month: 'long', timeZone: 'UTC' });
  const body = html`${v.banner ? html`<div class="banner"><img id="banner" src="${v.banner}" alt="" width="1500" height="500"></div>` : ''}
<main id="main" class="page profile">
  <article class="profile-card" aria-labelledby="profile-name">
    <a href="${v.avatarOriginal}" id="avatar-link"><img id="avatar" class="avatar" src="${v.avatarBigger}" width="73" height="73" alt="Profile picture of ${u.name}"></a>
    <h1 id="profile-name">${u.name}</h1>
    <p class="handle">@${u.screenName}</p>
    ${u.description ? html`<p class="bio">${u.description}</p>` : ''}
    ${v.ownerWarnings.length > 0 ? html`<div class="warnings" role="status"><strong>Your theme is hard to read:</strong><ul>${v.ownerWarnings.map((w) => html`<li>${w.what}: contrast ${w.ratio}:1, needs at least 4.5:1.</li>`)}</ul></div>` : ''}
    ${ctx.viewer?.id === u.id ? html`<p><a href="/settings/design">Change your design</a></p>` : ''}
  </article>
  <aside class="sidebar" aria-label="About @${u.screenName}">
    <dl>
      ${u.location ? html`<dt>Location</dt><dd>${u.location}</dd>` : ''}
      ${u.url ? html`<dt>Web</dt><dd><a id="profile-url" href="${u.url}" rel="nofollow noopener noreferrer ugc me">${u.url.replace(/^https?:\/\//, '')}</a></dd>` : ''}
      <dt>Joined</dt><dd>${joined}</dd>
    </dl>
  </aside>
</main>`;
  return layout(ctx, { title: `${u.name} (@${u.screenName}) · Plumage`, head, bodyClass: 'theme', stylesheet: v.themeCss }, body);
}

export function messagePage(ctx: PageContext, title: string, message: Html | string, extra?: Html): string {
  return layout(ctx, { title: `${title} · Plumage` }, html`<main id="main" class="page"><div class="card"><h1>${title}</h1><p>${message}</p>${extra ?? ''}</div></main>`);
}

export function loginPage(ctx: PageContext, o: { next: string; screenName?: string; error?: string; notice?: string }): string {
  const body = html`<main id="main" class="page"><div class="card">
<h1>Sign in to Plumage</h1>
${o.notice ? html`<p class="notice" role="status">${o.notice}</p>` : ''}
<form method="post" action="/login">
  ${csrfField(ctx)}
  <input type="hidden" name="next" value="${o.next}">
  <label for="screen_name">Screen name</label>
  <input type="text" id="screen_name" name="screen_name" autocomplete="username" required maxlength="16" value="${o.screenName ?? ''}" autocapitalize="off" spellcheck="false">
  <label for="password">Password</label>
  <input type="password" id="password" name="password" autocomplete="current-password" required ${o.error ? raw('aria-describedby="login-error" aria-invalid="true"') : ''}>
  ${o.error ? html`<p class="field-error" id="login-error" role="alert">${o.error}</p>` : ''}
  <p><button type="submit">Sign in</button></p>
</form>
<p class="hint">Accounts and passwords are set by the server's administrator: <code>plumage users passwd &lt;screen_name&gt;</code>.</p>
</div></main>`;
  return layout(ctx, { title: 'Sign in · Plumage' }, body);
}

export type FieldErrors = Partial<Record<'colours' | 'avatar' | 'background' | 'banner', string>>;

export const COLOUR_FIELDS = [
  ['profile_background_color', 'background', 'bg', 'Background colour'],
  ['profile_link_color', 'link', 'link', 'Link colour'],
  ['profile_sidebar_fill_color', 'sidebarFill', 'fill', 'Sidebar fill colour'],
  ['profile_sidebar_border_color', 'sidebarBorder', 'border', 'Sidebar border colour'],
  ['profile_text_color', 'text', 'text', 'Text colour'],
] as const;

function fieldError(id: string, msg: string | undefined): Html {
  return msg ? html`<p class="field-error" id="${id}-error" role="alert">${msg}</p>` : html``;
}

export function designPage(
  ctx: PageContext,
  o: { user: User; themeCss: string; avatar: string; background: string | null; banner: string | null; warnings: ContrastWarning[]; errors: FieldErrors; saved?: string; colourValues?: Record<string, string> },
): string {
  const u = o.user;
  const savedText: Record<string, string> = { colours: 'Colours saved.', avatar: 'Profile image updated.', background: 'Background updated.', banner: 'Banner updated.', 'banner-removed': 'Banner removed.' };
  const colourInputs = COLOUR_FIELDS.map(([param, field, cssVar, label]) => {
    const value = o.colourValues?.[param] ?? `#${u.colours[field].toLowerCase()}`;
    return html`<label for="${param}">${label}</label><input type="color" id="${param}" name="${param}" value="${value}" data-var="${cssVar}">`;
  });
  const describedBy = (k: keyof FieldErrors) => (o.errors[k] ? raw(`aria-describedby="${k}-error" aria-invalid="true"`) : '');
  const body = html`<main id="main" class="page">
<h1>Design</h1>
${o.saved && savedText[o.saved] ? html`<p class="notice" role="status">${savedText[o.saved]!}</p>` : ''}
<div class="design">
<div>
<section class="card" aria-labelledby="colours-h">
  <h2 id="colours-h">Colours</h2>
  <form method="post" action="/settings/design/colors" id="colours-form">
    ${csrfField(ctx)}
    <div class="colours">${colourInputs}</div>
    ${fieldError('colours', o.errors.colours)}
    <div id="contrast-warnings" class="warnings" role="status" ${o.warnings.length === 0 ? raw('hidden') : ''}>
      <strong>Some text may be hard to read:</strong>
      <ul>${o.warnings.map((w) => html`<li>${w.what}: contrast ${w.ratio}:1, needs at least 4.5:1.</li>`)}</ul>
    </div>
    <p><button type="submit">Save colours</button></p>
  </form>
</section>
<section class="card" aria-labelledby="avatar-h">
  <h2 id="avatar-h">Profile image</h2>
  <img src="${o.avatar}" width="73" height="73" alt="Your current profile image">
  <form method="post" action="/settings/design/avatar" enctype="multipart/form-data">
    ${csrfField(ctx)}
    <label for="avatar-file">New profile image (PNG, JPEG, GIF or WebP)</label>
    <input type="file" id="avatar-file" name="image" accept="image/png,image/jpeg,image/gif,image/webp" required ${describedBy('avatar')}>
    ${fieldError('avatar', o.errors.avatar)}
    <p><button type="submit">Upload profile image</button></p>
  </form>
</section>
<section class="card" aria-labelledby="background-h">
  <h2 id="background-h">Background image</h2>
  ${o.background ? html`<p><a href="${o.background}">Current background image</a></p>` : html`<p class="hint">No background image yet.</p>`}
  <form method="post" action="/settings/design/background" enctype="multipart/form-data">
    ${csrfField(ctx)}
    <label for="background-file">New background image</label>
    <input type="file" id="background-file" name="image" accept="image/png,image/jpeg,image/gif,image/webp" ${describedBy('background')}>
    <label><input type="checkbox" id="background-tile" name="tile" value="true" ${u.backgroundTile ? raw('checked') : ''}> Tile the background image</label>
    <label><input type="checkbox" id="background-use" name="use" value="true" ${u.useBackgroundImage ? raw('checked') : ''}> Use the background image</label>
    ${fieldError('background', o.errors.background)}
    <p><button type="submit">Save background</button></p>
  </form>
</section>
<section class="card" aria-labelledby="banner-h">
  <h2 id="banner-h">Header banner</h2>
  ${o.banner ? html`<img src="${o.banner}/600x200" width="300" height="100" alt="Your current banner">` : html`<p class="hint">No banner.</p>`}
  <form method="post" action="/settings/design/banner" enctype="multipart/form-data">
    ${csrfField(ctx)}
    <label for="banner-file">New banner (1500\u00d7500 works best)</label>
    <input type="file" id="banner-file" name="banner" accept="image/png,image/jpeg,image/gif,image/webp" required ${describedBy('banner')}>
    ${fieldError('banner', o.errors.banner)}
    <p><button type="submit">Upload banner</button></p>
  </form>
  ${o.banner ? html`<form method="post" action="/settings/design/banner/remove">${csrfField(ctx)}<button class="secondary" type="submit">Remove banner</button></form>` : ''}
</section>
</div>
<section id="preview" class="preview" aria-label="Preview">
  <div class="mini">
    <div class="mini-card"><strong>${u.name}</strong><br>@${u.screenName}<p>Text looks like this, <a href="/${u.screenName}">links like this</a>.</p></div>
    <div class="mini-side">Sidebar text and <a href="/${u.screenName}">a link</a></div>
  </div>
  <p><a class="button" href="/${u.screenName}">View your profile</a></p>
</section>
</div>
</main>`;
  return layout(ctx, { title: 'Design · Plumage', stylesheet: o.themeCss, script: `/web/static/design.js?v=${ctx.assets}` }, body);
}

export function applicationsPage(ctx: PageContext, apps: AuthorisedApp[], notice?: string): string {
  const body = html`<main id="main" class="page"><div class="card">
<h1>Applications</h1>
${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
${apps.length === 0
    ? html`<p>No application has access to your account.</p>`
    : html`<ul class="apps">${apps.map((a) => html`<li><div><strong>${a.name}</strong><br><span class="hint">${a.accessLevel === 'read' ? 'Read only' : 'Read and write'} \u00b7 allowed ${new Date(a.since).toISOString().slice(0, 10)}</span></div>
<form method="post" action="/settings/applications/revoke">${csrfField(ctx)}<input type="hidden" name="app_id" value="${a.appId}"><button class="secondary" type="submit" aria-label="Revoke access of ${a.name}">Revoke</button></form></li>`)}</ul>`}
</div></main>`;
  return layout(ctx, { title: 'Applications · Plumage' }, body);
}

export function authorizePage(ctx: PageContext, o: { app: App; accessLevel: 'read' | 'read-write'; token: string; action: string }): string {
  const user = ctx.viewer!;
  const body = html`<main id="main" class="page"><div class="card">
<h1>Authorize ${o.app.name} to use your account?</h1>
<p>Signed in as <strong>@${user.screenName}</strong>. Not you? <a href="/login?next=${encodeURIComponent(`${o.action}?oauth_token=${o.token}`)}">Sign in as someone else</a>.</p>
<h2>This application will be able to:</h2>
<ul>
  <li>Read your profile: name, description, location, web site, images and colours.</li>
  ${o.accessLevel === 'read-write' ? html`<li>Update your profile, profile image, background, banner and colours.</li>` : ''}
</ul>
<h2>It will not be able to:</h2>
<ul><li>See your password.</li>${o.accessLevel === 'read' ? html`<li>Change anything on your profile.</li>` : ''}</ul>
<form method="post" action="${o.action}">
  ${csrfField(ctx)}
  <input type="hidden" name="oauth_token" value="${o.token}">
  <div class="decision">
    <button type="submit" name="decision" value="allow" id="allow">Authorize app</button>
    <button type="submit" name="decision" value="deny" id="deny" class="secondary">Cancel</button>
  </div>
</form>
<p class="hint">You can revoke access at any time on <a href="/settings/applications">Applications</a>.</p>
</div></main>`;
  return layout(ctx, { title: `Authorize ${o.app.name} · Plumage` }, body);
}

export function pinPage(ctx: PageContext, app: App, pin: string): string {
  return messagePage(ctx, `You allowed ${app.name}`, `Enter this PIN in ${app.name} to finish:`, html`<p><code id="oauth_pin" class="pin">${pin}</code></p>`);
}
