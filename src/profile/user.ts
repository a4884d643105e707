// The domain's view of an account: what the v1.1 user object is built from.
export interface ThemeColours {
  background: string;
  link: string;
  sidebarBorder: string;
  sidebarFill: string;
  text: string;
}

export interface User {
  id: string;
  screenName: string;
  name: string;
  description: string;
  location: string;
  url: string | null;
  email: string | null;
  /** Milliseconds since the epoch. */
  createdAt: number;
  colours: ThemeColours;
  backgroundTile: boolean;
  useBackgroundImage: boolean;
  /** Blob path of the avatar original ("<image id>/<name>.<ext>"), null for the default avatar. */
  profileImage: string | null;
  backgroundImage: string | null;
  /** "<user id>/<unix seconds>", null when there is no banner. */
  banner: string | null;
  protected: boolean;
  verified: boolean;
}

/** Theme of accounts created since 2016 (reference/twitter-v1.1.md §2.2). */
export const DEFAULT_COLOURS: Readonly<ThemeColours> = Object.freeze({
  background: 'F5F8FA',
  link: '1DA1F2',
  sidebarBorder: 'C0DEED',
  sidebarFill: 'DDEEF6',
  text: '333333',
});

/** Twitter: default_profile is true when the user "has not altered the theme or background". */
export function isDefaultProfile(u: User): boolean {
  const c = u.colours;
  return (
    c.background === DEFAULT_COLOURS.background &&
    c.link === DEFAULT_COLOURS.link &&
    c.sidebarBorder === DEFAULT_COLOURS.sidebarBorder &&
    c.sidebarFill === DEFAULT_COLOURS.sidebarFill &&
    c.text === DEFAULT_COLOURS.text &&
    u.backgroundImage === null &&
    !u.backgroundTile &&
    u.useBackgroundImage
  );
}

export type AccessLevel = 'read' | 'read-write';

export interface App {
  id: string;
  name: string;
  consumerKey: string;
  consumerSecret: string;
  accessLevel: AccessLevel;
  createdAt: number;
}

export interface AccessToken {
  token: string;
  secret: string;
  appId: string;
  userId: string;
  accessLevel: AccessLevel;
  createdAt: number;
  revokedAt: number | null;
}
