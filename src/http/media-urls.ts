// Where the API says images live: Twitter's URL layout (reference §3) under our public URL.
// The same paths are what http/routes/media.ts serves.
import type { Config } from '../config.ts';
import type { User } from '../profile/user.ts';

export type AvatarSize = 'normal' | 'bigger' | 'mini' | '400x400';

export const DEFAULT_AVATAR_PATH = '/sticky/default_profile_images/default_profile';

type UrlConfig = Pick<Config, 'publicUrl' | 'publicHttpsUrl'> & { mediaUrl?: string | null };

export class MediaUrls {
  constructor(private readonly config: UrlConfig) {}

  /** Identifies what the URLs depend on (for remembering text written with them). */
  get key(): string {
    return `${this.config.publicUrl} ${this.config.publicHttpsUrl} ${this.config.mediaUrl ?? ''}`;
  }

  /** Uploaded images live at PLUMAGE_MEDIA_URL (a CDN or public bucket) when it is set. */
  private blobBase(https: boolean): string {
    const m = this.config.mediaUrl;
    if (m) return https ? m.replace(/^http:/, 'https:') : m;
    return https ? this.config.publicHttpsUrl : this.config.publicUrl;
  }

  /** `_normal` (what the user object carries) unless another size is asked for. */
  avatar(u: User, https: boolean, size: AvatarSize = 'normal'): string {
    // The default avatar is drawn by Plumage and served by it, never from the bucket.
    if (u.profileImage === null) return `${https ? this.config.publicHttpsUrl : this.config.publicUrl}${DEFAULT_AVATAR_PATH}_${size}.png`;
    const base = this.blobBase(https);
    const dot = u.profileImage.lastIndexOf('.');
    return `${base}/profile_images/${u.profileImage.slice(0, dot)}_${size}${u.profileImage.slice(dot)}`;
  }

  background(u: User, https: boolean): string | null {
    if (u.backgroundImage === null) return null;
    return `${this.blobBase(https)}/profile_background_images/${u.backgroundImage}`;
  }

  /** Twitter always handed out the https form of the banner URL. */
  banner(u: User): string | null {
    if (u.banner === null) return null;
    return `${this.blobBase(true)}/profile_banners/${u.banner}`;
  }
}

/** The scheme and Host header a request came with (Fastify's request has both). */
export interface RequestOrigin {
  protocol: string;
  host: string;
}

/**
 * The URL builder for one request: the configured public URL when there is one, else the
 * scheme and host the client used (so a server reached as localhost, by LAN address or on an
 * ephemeral port hands out URLs that work for that client).
 */
export function mediaUrlsFor(config: UrlConfig & Pick<Config, 'publicUrlExplicit'>, req: RequestOrigin): MediaUrls {
  if (config.publicUrlExplicit || !req.host) return new MediaUrls(config);
  const base = `${req.protocol}://${req.host}`;
  const httpsBase = req.protocol === 'https' ? base : config.publicHttpsUrl.startsWith('https:') ? base.replace(/^http:/, 'https:') : base;
  return new MediaUrls({ publicUrl: base, publicHttpsUrl: httpsBase, mediaUrl: config.mediaUrl });
}
