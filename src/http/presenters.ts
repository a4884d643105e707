// Domain → v1.1 user JSON, field for field as in reference/twitter-v1.1.md §2.1.
import crypto from 'node:crypto';
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

const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"]+[^\s<>".,:;!?)\]'\u2019]/gi;

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

/** The Content-Type of every JSON answer (Twitter's, with the charset). */
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** A response body already written as JSON text (the route handler sends it as it is). */
export class JsonText {
  private sent = false;
  private bytes: Buffer | null = null;

  constructor(readonly text: string) {}

  /**
   * What to write: the text the first time, its UTF-8 bytes (encoded once, in a buffer of
   * their own) every time after. A user's verify_credentials answer is the same JsonText until
   * the user changes (userJsonBody), and writing bytes saves joining the text to the headers and
   * encoding it again on every answer; an answer sent once (each colour update) stays text.
   */
  body(): string | Buffer {
    if (this.bytes !== null) return this.bytes;
    if (!this.sent) {
      this.sent = true;
      return this.text;
    }
    const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(this.text));
    bytes.write(this.text, 'utf8');
    this.bytes = bytes;
    return bytes;
  }
}

const str = (s: string): string => JSON.stringify(s);
const strOrNull = (s: string | null): string => (s === null ? 'null' : JSON.stringify(s));

/**
 * The same text as `toJson(presentUser(u, urls, o))`, written directly: no intermediate object,
 * no bigint swapping (`id` is the id's digits), JSON.stringify only for each string. Every
 * request that answers a user goes through here; test/unit/user-json.test.ts holds it equal to
 * the generic path for generated users.
 */
export function writeUserJson(u: User, urls: MediaUrls, o: PresentOptions): string {
  if (!/^\d{1,20}$/.test(u.id)) return toJson(presentUser(u, urls, o));
  const banner = urls.banner(u);
  const c = u.colours;
  return '{"id":' + u.id
    + ',"id_str":"' + u.id
    + '","name":' + str(u.name)
    + ',"screen_name":' + str(u.screenName)
    + ',"location":' + str(u.location)
    + ',"profile_location":null,"description":' + str(u.description)
    + ',"url":' + strOrNull(u.url)
    + (o.includeEntities ? ',"entities":' + entitiesJson(u) : '')
    + ',"protected":' + u.protected
    + ',"followers_count":0,"friends_count":0,"listed_count":0,"created_at":"' + twitterDate(u.createdAt)
    + '","favourites_count":0,"utc_offset":null,"time_zone":null,"geo_enabled":false,"verified":' + u.verified
    + ',"statuses_count":0,"lang":null,"contributors_enabled":false,"is_translator":false,"is_translation_enabled":false,"profile_background_color":' + str(c.background)
    + ',"profile_background_image_url":' + strOrNull(urls.background(u, false))
    + ',"profile_background_image_url_https":' + strOrNull(urls.background(u, true))
    + ',"profile_background_tile":' + u.backgroundTile
    + ',"profile_image_url":' + str(urls.avatar(u, false))
    + ',"profile_image_url_https":' + str(urls.avatar(u, true))
    + (banner !== null ? ',"profile_banner_url":' + str(banner) : '')
    + ',"profile_link_color":' + str(c.link)
    + ',"profile_sidebar_border_color":' + str(c.sidebarBorder)
    + ',"profile_sidebar_fill_color":' + str(c.sidebarFill)
    + ',"profile_text_color":' + str(c.text)
    + ',"profile_use_background_image":' + u.useBackgroundImage
    + ',"has_extended_profile":false,"default_profile":' + isDefaultProfile(u)
    + ',"default_profile_image":' + (u.profileImage === null)
    + ',"following":false,"follow_request_sent":false,"notifications":false,"translator_type":"none","withheld_in_countries":[]'
    + (o.self ? ',"suspended":false,"needs_phone_verification":false' : '')
    + (o.includeEmail ? ',"email":' + strOrNull(u.email) : '')
    + '}';
}

/** Most users have no URL anywhere: their entities are always this text. */
const NO_ENTITIES = '{"description":{"urls":[]}}';

function entitiesJson(u: User): string {
  if (u.url === null && !/https?:\/\//i.test(u.description)) return NO_ENTITIES;
  return JSON.stringify(entities(u));
}

// The text of one user object for one set of URLs and options, kept per user id with the
// user object it was written from: the credentials cache hands out the same object until the
// row changes, so verify_credentials writes each user's JSON once per change instead of once
// per request. A plain map by id, entries reused when the user changes: a WeakMap keyed by
// every new user object (one per colour update) cost more in garbage collection than writing
// the text (8 µs against 2 per update).
interface Written {
  user: User;
  key: string;
  body: JsonText;
  /** Bodies for other URL bases or options of the same user object (rare). */
  more: Map<string, JsonText> | null;
}
const written = new Map<string, Written>();
/** Users whose text is kept; the oldest entry goes first. */
const MAX_WRITTEN_USERS = 2000;

/** writeUserJson as a response body, remembered per (user object, URL bases, options). */
export function userJsonBody(u: User, urls: MediaUrls, o: PresentOptions): JsonText {
  const key = `${o.includeEntities ? 1 : 0}${o.self ? 1 : 0}${o.includeEmail ? 1 : 0}${urls.key}`;
  const w = written.get(u.id);
  if (w !== undefined && w.user === u) {
    if (w.key === key) return w.body;
    const hit = w.more?.get(key);
    if (hit !== undefined) return hit;
  }
  const body = new JsonText(writeUserJson(u, urls, o));
  if (w === undefined) {
    if (written.size >= MAX_WRITTEN_USERS) written.delete(written.keys().next().value!);
    written.set(u.id, { user: u, key, body, more: null });
  } else if (w.user !== u) {
    w.user = u;
    w.key = key;
    w.body = body;
    w.more = null;
  } else {
    w.more ??= new Map();
    // A few hosts and option sets per user at most; a client varying its Host header cannot grow it without bound.
    if (w.more.size >= 8) w.more.clear();
    w.more.set(key, body);
  }
  return body;
}

/**
 * JSON for values whose `id` fields are bigints: v1.1's `id` is an exact 64-bit integer, which
 * clients in other languages read as such and JSON.stringify cannot write. JSON.stringify does
 * the work (fast, and it escapes every string): each bigint is swapped for a string carrying a
 * random per-process tag for the duration of the call (a replacer function would halve
 * JSON.stringify's speed), and the quoted tagged strings are then unquoted. Input text cannot
 * forge the tag: it is 96 random bits that no response ever shows.
 */
export function toJson(value: unknown, indent?: number): string {
  if (typeof value === 'bigint') return value.toString();
  const swapped: Array<[Record<string, unknown>, string, bigint]> = [];
  try {
    if (!tagBigints(value, swapped, 0)) {
      return JSON.stringify(value, bigintAsTagged, indent)?.replace(TAGGED, '$1') ?? 'null';
    }
    const s = JSON.stringify(value, null, indent) ?? 'null';
    return swapped.length === 0 ? s : s.replace(TAGGED, '$1');
  } finally {
    for (const [obj, key, big] of swapped) obj[key] = big;
  }
}

const BIGINT_TAG = `bigint:${crypto.randomBytes(12).toString('hex')}:`;
const TAGGED = new RegExp(`"${BIGINT_TAG}(-?\\d+)"`, 'g');

function bigintAsTagged(_key: string, v: unknown): unknown {
  return typeof v === 'bigint' ? BIGINT_TAG + v.toString() : v;
}

/**
 * Replaces every bigint inside `v` by its tagged string, remembering what to put back. Returns
 * false (nothing left swapped worth trusting) for shapes it does not handle in place: frozen
 * objects, very deep nesting; the caller then uses the replacer.
 */
function tagBigints(v: unknown, swapped: Array<[Record<string, unknown>, string, bigint]>, depth: number): boolean {
  if (v === null || typeof v !== 'object') return true;
  if (depth > 32 || Object.isFrozen(v)) return false;
  const o = v as Record<string, unknown>;
  for (const k in o) {
    if (!Object.hasOwn(o, k)) continue;
    const x = o[k];
    if (typeof x === 'bigint') {
      swapped.push([o, k, x]);
      o[k] = BIGINT_TAG + x.toString();
    } else if (x !== null && typeof x === 'object' && !tagBigints(x, swapped, depth + 1)) {
      return false;
    }
  }
  return true;
}
