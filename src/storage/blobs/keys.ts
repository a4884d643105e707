// The one place that names blob keys. Keys equal the URL paths Twitter used (reference §3), so
// a media URL maps to its blob by dropping the leading slash:
//   profile_images/<image id>/<name>[_mini|_normal|_bigger|_400x400].<ext>
//   profile_background_images/<image id>/<name>.<ext>
//   profile_banners/<user id>/<timestamp>/<variant>
// Every upload gets a fresh image id (or timestamp), so a key is never written twice.

export const AVATAR_SUFFIXES = ['mini', 'normal', 'bigger', '400x400'] as const;
export type AvatarSuffix = (typeof AVATAR_SUFFIXES)[number];

/** The user row stores "<image id>/<name>.<ext>"; these are that value's parts. */
export function splitImagePath(stored: string): { dir: string; name: string; ext: string } {
  const slash = stored.indexOf('/');
  const dot = stored.lastIndexOf('.');
  return { dir: stored.slice(0, slash), name: stored.slice(slash + 1, dot), ext: stored.slice(dot + 1) };
}

export function avatarKey(stored: string, suffix: AvatarSuffix | null): string {
  const { dir, name, ext } = splitImagePath(stored);
  return `profile_images/${dir}/${name}${suffix ? `_${suffix}` : ''}.${ext}`;
}

export function avatarKeys(stored: string): string[] {
  return [avatarKey(stored, null), ...AVATAR_SUFFIXES.map((s) => avatarKey(stored, s))];
}

export function backgroundKey(stored: string): string {
  return `profile_background_images/${stored}`;
}

/** stored = "<user id>/<timestamp>". */
export function bannerKey(stored: string, variant: string): string {
  return `profile_banners/${stored}/${variant}`;
}

export const KEY_PREFIXES = ['profile_images/', 'profile_background_images/', 'profile_banners/'] as const;
