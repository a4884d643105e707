// Domain → v1.1 user JSON, field for field as in reference/twitter-v1.1.md §2.1.
import type { User } from '../profile/user.ts';
import { isDefaultProfile } from '../profile/user.ts';
import type { MediaUrls } from './media-urls.ts';

export interface PresentOptions {
  includeEntities: boolean;
  /** verify_credentials adds suspended / needs_phone_verification. */
  self: boolean;
  includeEmail: boolean;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** Twitter's created_at: "Wed Oct 10 20:19:24 +0000 2018", always UTC. */
export function twitterDate(ms: number): string {
  const d = new Date(ms);
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000 ${d.getUTCFullYear()}`;
}

interface UrlEntity {
  url: string;
  expanded_url: string;
  display_url: string;
  indices: [number, number];
}

/** Indices count code points, as Twitter's did. */
function codePointIndex(s: string, utf16Index: number): number {
  return [...s.slice(0, utf16Index)].length;
}

function urlEntity(url: string, start: number, end: number): UrlEntity {
  const display = url.replace(/^https?:\/\//i, '').replace(/^www\./i, '');
  return { url, expanded_url: url, display_url: display.length > 26 ? `${display.slice(0, 26)}…` : display, indices: [start, end] };
}

const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"]+[^\s<>".,:;!?)\]'’]/gi;

function entities(u: User): Record<string, unknown> {
  const description = [...u.description.matchAll(URL_IN_TEXT)].map((m) => {
    const start = codePointIndex(u.description, m.index);
    return urlEntity(m[0], start, start + [...m[0]].length);
  });
  const out: Record<string, unknown> = {};
  if (u.url !== null) out.url = { urls: [urlEntity(u.url, 0, [...u.url].length)] };
  out.description = { urls: description };
  return out;
}

export function presentUser(u: User, urls: MediaUrls, o: PresentOptions): Record<string, unknown> {
  const json: Record<string, unknown> = {
    id: BigInt(u.id),
    id_str: u.id,
    name: u.name,
    screen_name: u.screenName,
    location: u.location,
    profile_location: null,
    description: u.description,
    url: u.url,
  };
  if (o.includeEntities) json.entities = entities(u);
  Object.assign(json, {
    protected: u.protected,
    followers_count: 0,
    friends_count: 0,
    listed_count: 0,
    created_at: twitterDate(u.createdAt),
    favourites_count: 0,
    utc_offset: null,
    time_zone: null,
    geo_enabled: false,
    verified: u.verified,
    statuses_count: 0,
    lang: null,
    contributors_enabled: false,
    is_translator: false,
    is_translation_enabled: false,
    profile_background_color: u.colours.background,
    profile_background_image_url: urls.background(u, false),
    profile_background_image_url_https: urls.background(u, true),
    profile_background_tile: u.backgroundTile,
    profile_image_url: urls.avatar(u, false),
    profile_image_url_https: urls.avatar(u, true),
  });
  const banner = urls.banner(u);
  if (banner !== null) json.profile_banner_url = banner;
  Object.assign(json, {
    profile_link_color: u.colours.link,
    profile_sidebar_border_color: u.colours.sidebarBorder,
    profile_sidebar_fill_color: u.colours.sidebarFill,
    profile_text_color: u.colours.text,
    profile_use_background_image: u.useBackgroundImage,
    has_extended_profile: false,
    default_profile: isDefaultProfile(u),
    default_profile_image: u.profileImage === null,
    following: false,
    follow_request_sent: false,
    notifications: false,
    translator_type: 'none',
    withheld_in_countries: [],
  });
  if (o.self) Object.assign(json, { suspended: false, needs_phone_verification: false });
  if (o.includeEmail) json.email = u.email;
  return json;
}

/**
 * JSON for values whose `id` fields are bigints: v1.1's `id` is an exact 64-bit integer, which
 * clients in other languages read as such and JSON.stringify cannot write. Objects are written
 * by hand one level at a time so that only `id` keys need care; everything else goes through
 * JSON.stringify (fast, and it escapes every string).
 */
export function toJson(value: unknown, indent?: number): string {
  return write(value, indent === undefined ? '' : ' '.repeat(indent), '');
}

function write(v: unknown, step: string, pad: string): string {
  if (typeof v === 'bigint') return v.toString();
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  const inner = pad + step;
  const [nl, sep, colon] = step ? ['\n', `,\n${inner}`, ': '] : ['', ',', ':'];
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[${nl}${inner}${v.map((x) => write(x, step, inner)).join(sep)}${nl}${pad}]`;
  }
  const parts: string[] = [];
  for (const [k, x] of Object.entries(v)) {
    if (x !== undefined) parts.push(`${JSON.stringify(k)}${colon}${write(x, step, inner)}`);
  }
  if (parts.length === 0) return '{}';
  return `{${nl}${inner}${parts.join(sep)}${nl}${pad}}`;
}
