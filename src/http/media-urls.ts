// Where the API says images live: Twitter's URL layout (reference §3) under our public URL.
// The same paths are what http/routes/media.ts serves.
import type { Config } from '../config.ts';
import type { User } from '../profile/user.ts';

export type AvatarSize = 'normal' | 'bigger' | 'mini' | '400x400';

export const DEFAULT_AVATAR_PATH = '/sticky/default_profile_images/default_profile';

export class MediaUrls {
  constructor(private readonly config: Pick<Config, 'publicUrl' | 'publicHttpsUrl'>) {}

  /** `_normal` (what the user object carries) unless another size is asked for. */
  avatar(u: User, https: boolean, size: AvatarSize = 'normal'): string {
    const base = https ? this.config.publicHttpsUrl : this.config.publicUrl;
    if (u.profileImage === null) return `${base}${DEFAULT_AVATAR_PATH}_${size}.png`;
    const dot = u.profileImage.lastIndexOf('.');
    return `${base}/profile_images/${u.profileImage.slice(0, dot)}_${size}${u.profileImage.slice(dot)}`;
  }

  background(u: User, https: boolean): string | null {
    if (u.backgroundImage === null) return null;
    const base = https ? this.config.publicHttpsUrl : this.config.publicUrl;
    return `${base}/profile_background_images/${u.backgroundImage}`;
  }

  /** Twitter always handed out the https form of the banner URL. */
  banner(u: User): string | null {
    if (u.banner === null) return null;
    return `${this.config.publicHttpsUrl}/profile_banners/${u.banner}`;
  }
}

/**
 * The URL builder for one request: the configured public URL when there is one, else the
 * scheme and host the client used (so a server reached as localhost, by LAN address or on an
 * ephemeral port hands out URLs that work for that client).
 */
export function mediaUrlsFor(config: Pick<Config, 'publicUrl' | 'publicHttpsUrl' | 'publicUrlExplicit'>, req: { protocol: string; host: string }): MediaUrls {
  if (config.publicUrlExplicit || !req.host) return new MediaUrls(config);
  const base = `${req.protocol}://${req.host}`;
  return new MediaUrls({ publicUrl: base, publicHttpsUrl: req.protocol === 'https' ? base : config.publicHttpsUrl.startsWith('https:') ? base.replace(/^http:/, 'https:') : base });
}
