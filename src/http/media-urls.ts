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
