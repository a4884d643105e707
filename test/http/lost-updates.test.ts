// No lost updates (issue #7 item 4), through HTTP with requests signed by the oauth-1.0a
// package: 50 clients, each with its own access token for the same user, change different
// fields of that user at the same time: name, url, location, description, the five profile
// colours, profile_background_tile, profile_use_background_image, avatar, background and
// banner. Each field must end at its last acknowledged value: a read-modify-write of the whole
// row anywhere (service or repository, one process or a pool of connections) would put back a
// stale value of some other field. Runs on SQLite in pass 1 and on PostgreSQL in pass 2.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { startTestServer, type Credentials, type TestServer } from '../helpers/server.ts';
import { signedFetch } from '../helpers/signing.ts';
import { assertColour, fetchMedia, pixel, postMultipart, showUser, stopServer, type Rgb } from '../helpers/images.ts';

const CLIENTS = 50;
const ROUNDS = 3;

let server: TestServer;
before(async () => {
  server = await startTestServer({ rateLimits: 'off' });
});
after(() => stopServer(server));

function rgbOf(n: number): Rgb {
  // Far-apart colours so a decoded variant cannot be mistaken for another upload.
  const levels = [0, 128, 255];
  return [levels[n % 3]!, levels[Math.floor(n / 3) % 3]!, levels[Math.floor(n / 9) % 3]!];
}

function solidPng(rgb: Rgb, width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } }).png().toBuffer();
}

const hex6 = (n: number) => (0x100000 + n * 7919).toString(16).toUpperCase().slice(-6);

/**
 * One field: how to send value n of it, and how to read it back. `expected` turns the
 * acknowledged request (its value and its answer) into what users/show must say at the end.
 */
interface Field {
  name: string;
  send(c: Credentials, n: number): Promise<{ status: number; json: any; text: string }>;
  /** The value the field must have at the end, given the last acknowledged request. */
  check(user: any, n: number, ack: any): Promise<void>;
}

const post = (c: Credentials, path: string, form: Record<string, string>) => signedFetch(server.url, c, 'POST', path, { form });
const textField = (param: string, make: (n: number) => string, read = (u: any) => u[param]): Field => ({
  name: param,
  send: (c, n) => post(c, '/1.1/account/update_profile.json', { [param]: make(n) }),
  async check(u, n) {
    assert.equal(read(u), make(n), param);
  },
});
const colourField = (param: string): Field => ({
  name: param,
  send: (c, n) => post(c, '/1.1/account/update_profile_colors.json', { [param]: hex6(n) }),
  async check(u, n) {
    assert.equal(u[param], hex6(n), param);
  },
});
const flagField = (param: 'tile' | 'use', field: string): Field => ({
  name: field,
  // Alternating values: the last acknowledged one differs from the one before.
  send: (c, n) => post(c, '/1.1/account/update_profile_background_image.json', { [param]: n % 2 === 0 ? 'true' : 'false' }),
  async check(u, n) {
    assert.equal(u[field], n % 2 === 0, field);
  },
});

const FIELDS: Field[] = [
  textField('name', (n) => `Name ${n}`),
  textField('url', (n) => `https://example.com/${n}`, (u) => u.entities?.url?.urls?.[0]?.expanded_url ?? u.url),
  textField('location', (n) => `Place ${n}`),
  textField('description', (n) => `Bio number ${n}`),
  colourField('profile_background_color'),
  colourField('profile_link_color'),
  colourField('profile_sidebar_border_color'),
  colourField('profile_sidebar_fill_color'),
  colourField('profile_text_color'),
  flagField('tile', 'profile_background_tile'),
  flagField('use', 'profile_use_background_image'),
  {
    name: 'avatar',
    send: async (c, n) => postMultipart(server, c, '/1.1/account/update_profile_image.json', [{ name: 'image', value: await solidPng(rgbOf(n), 48, 48), filename: 'a.png' }]),
    async check(u, _n, ack) {
      assert.equal(u.profile_image_url, ack.profile_image_url, 'avatar');
    },
  },
  {
    name: 'background',
    send: async (c, n) => postMultipart(server, c, '/1.1/account/update_profile_background_image.json', [{ name: 'image', value: await solidPng(rgbOf(n), 64, 32), filename: 'b.png' }]),
    async check(u, _n, ack) {
      assert.equal(u.profile_background_image_url, ack.profile_background_image_url, 'background');
    },
  },
  {
    name: 'banner',
    // The banner's answer has no body: the stored banner is checked by its pixels.
    send: async (c, n) => postMultipart(server, c, '/1.1/account/update_profile_banner.json', [{ name: 'banner', value: await solidPng(rgbOf(n), 600, 200), filename: 'c.png' }]),
    async check(u, n) {
      assert.ok(u.profile_banner_url, 'banner');
      const served = await fetchMedia(`${u.profile_banner_url}/300x100`);
      assert.equal(served.status, 200);
      assertColour(await pixel(served.bytes, 150, 50), rgbOf(n), 'banner');
    },
  },
];

test(`${CLIENTS} clients with their own tokens change different fields of one user at once: every field ends at its last acknowledged value`, async () => {
  const owner = await server.account('contended');
  const clients: Credentials[] = [owner];
  for (let i = 1; i < CLIENTS; i++) {
    const { token } = await server.deps.accounts.issueToken(owner.consumerKey, owner.screenName);
    clients.push({ ...owner, token: token.token, tokenSecret: token.secret });
  }
  // use=true needs a background image: give one before the race.
  const bg = await FIELDS.find((f) => f.name === 'background')!.send(owner, 100);
  assert.equal(bg.status, 200, bg.text);

  // Clients sharing a field take turns on it (else "last" would be undefined), so every field
  // has a total order of acknowledged writes while all fields are written at the same time.
  const turn = new Map<string, Promise<unknown>>();
  const last = new Map<string, { n: number; ack: any }>();
  let counter = 0;
  const failures: string[] = [];
  await Promise.all(
    clients.map(async (c, i) => {
      const field = FIELDS[i % FIELDS.length]!;
      for (let round = 0; round < ROUNDS; round++) {
        const n = ++counter;
        const mine = (turn.get(field.name) ?? Promise.resolve()).then(async () => {
          const r = await field.send(c, n);
          if (r.status === 200 || r.status === 201) last.set(field.name, { n, ack: r.json });
          else failures.push(`${field.name} #${n}: ${r.status} ${r.text}`);
        });
        turn.set(field.name, mine);
        await mine;
      }
    }),
  );
  assert.deepEqual(failures, []);
  assert.equal(last.size, FIELDS.length);

  const user = await showUser(server, owner);
  for (const f of FIELDS) {
    const { n, ack } = last.get(f.name)!;
    await f.check(user, n, ack);
  }
  // verify_credentials tells the same story as users/show.
  const me = await signedFetch(server.url, clients[CLIENTS - 1]!, 'GET', '/1.1/account/verify_credentials.json');
  assert.equal(me.status, 200, me.text);
  for (const key of ['name', 'location', 'description', 'profile_link_color', 'profile_text_color', 'profile_image_url', 'profile_background_tile', 'profile_use_background_image']) {
    assert.deepEqual(me.json[key], user[key], key);
  }
});
