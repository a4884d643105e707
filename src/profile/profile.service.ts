// The profile service: reads and field-level updates of the user object's editable parts.
// Every value is validated before anything is written, so a refused request changes nothing.
import type { UserPatch, UsersRepository } from '../storage/db/users.repository.ts';
import type { Params } from './params.ts';
import type { ThemeColours, User } from './user.ts';
import { AccountUpdateError, MissingParameterError, UserNotFoundError } from './errors.ts';
import { LIMITS, checkText, normalizeProfileUrl, parseColour } from './rules.ts';
import { isIdString } from '../ids.ts';

/** update_profile_colors parameters and the ThemeColours field each one sets. */
export const COLOUR_PARAMS: ReadonlyArray<readonly [string, keyof ThemeColours]> = [
  ['profile_background_color', 'background'],
  ['profile_link_color', 'link'],
  ['profile_sidebar_border_color', 'sidebarBorder'],
  ['profile_sidebar_fill_color', 'sidebarFill'],
  ['profile_text_color', 'text'],
];

function colourOrThrow(param: string, raw: string): string {
  const c = parseColour(raw);
  if (c === null) {
    throw new AccountUpdateError(`${param} must be a hex colour of 3 or 6 digits, such as F00 or FF0000.`);
  }
  return c;
}

export class ProfileService {
  constructor(private readonly users: UsersRepository) {}

  async byId(id: string): Promise<User> {
    const u = await this.users.findById(id);
    if (!u) throw new UserNotFoundError();
    return u;
  }

  /** users/show: user_id wins over screen_name when both are given, as on Twitter. */
  async show(params: Params): Promise<User> {
    const userId = params.get('user_id');
    const screenName = params.get('screen_name');
    if (userId === undefined && screenName === undefined) {
      throw new MissingParameterError(['user_id', 'screen_name'], 'One of them is required.');
    }
    let u: User | undefined;
    if (userId !== undefined) {
      if (isIdString(userId.trim())) u = await this.users.findById(userId.trim());
    } else if (screenName !== undefined) {
      const s = screenName.trim().replace(/^@/, '');
      if (/^[A-Za-z0-9_]{1,64}$/.test(s)) u = await this.users.findByScreenName(s);
    }
    if (!u) throw new UserNotFoundError();
    return u;
  }

  /** account/update_profile: "Only the parameters specified will be updated." */
  async updateProfile(userId: string, params: Params): Promise<User> {
    const patch: UserPatch = {};
    const name = params.get('name');
    if (name !== undefined) {
      if (name.trim() === '') throw new AccountUpdateError("Name can't be blank.");
      patch.name = checkText('Name', name, LIMITS.name);
    }
    const url = params.get('url');
    if (url !== undefined) patch.url = normalizeProfileUrl(url);
    const location = params.get('location');
    if (location !== undefined) patch.location = checkText('Location', location, LIMITS.location);
    const description = params.get('description');
    if (description !== undefined) patch.description = checkText('Description', description, LIMITS.description);
    const link = params.get('profile_link_color');
    if (link !== undefined) patch.colours = { link: colourOrThrow('profile_link_color', link) };
    return this.apply(userId, patch);
  }

  /** account/update_profile_colors: all five checked first; one statement writes them. */
  async updateColours(userId: string, params: Params): Promise<User> {
    const colours: Partial<ThemeColours> = {};
    for (const [param, field] of COLOUR_PARAMS) {
      const raw = params.get(param);
      if (raw !== undefined) colours[field] = colourOrThrow(param, raw);
    }
    if (Object.keys(colours).length === 0) {
      throw new MissingParameterError(COLOUR_PARAMS.map(([p]) => p), 'Give at least one.');
    }
    return this.apply(userId, { colours });
  }

  private async apply(userId: string, patch: UserPatch): Promise<User> {
    const u = await this.users.update(userId, patch);
    if (!u) throw new UserNotFoundError();
    return u;
  }
}
