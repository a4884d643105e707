// Crash consistency (issue #7 item 3): a real `plumage serve` process on embedded storage
// (SQLite in WAL mode and image files) is killed with SIGKILL at random moments while bursts of
// concurrent uploads (avatars, backgrounds, banners) and colour updates are in flight, then
// started again, 20 times over. After every restart the database opens, every URL of every
// user is a decodable image of the right size, and every acknowledged update (a 200 or 201
// the client received) is present or superseded by an update sent later or at the same time.
// At the end the database passes SQLite's integrity check and `plumage gc` removes exactly the
// orphans (blobs written but never referenced, temporary files of interrupted writes) and
// nothing referenced.
//
// Random but replayable: the seed is printed; PLUMAGE_CRASH_SEED=<seed> replays a run's choices
// (the kill moments land differently on a busy machine, the requests are the same).
// PLUMAGE_CRASH_CYCLES and PLUMAGE_CRASH_BURST change the size of the run.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import SQLite from 'better-sqlite3';
import sharp from 'sharp';
import { loadConfig } from '../../src/config.ts';
import { createDeps } from '../../src/deps.ts';
import { tempDir, type Credentials } from '../helpers/server.ts';
import { signedFetch } from '../helpers/signing.ts';
import { avatarUrls, BANNER_SIZES, multipart } from '../helpers/images.ts';
import { mulberry32 } from '../helpers/seeded-random.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/plumage.js');
const SEED = Number(process.env.PLUMAGE_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const CYCLES = Number(process.env.PLUMAGE_CRASH_CYCLES ?? 20);
const BURST = Number(process.env.PLUMAGE_CRASH_BURST ?? 130);
const USERS = 6;
console.log(`crash test: PLUMAGE_CRASH_SEED=${SEED} (${CYCLES} cycles, bursts of ${BURST})`);

const random = mulberry32(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

// Every write carries a unique number n: colours as a unique hex value, images as a solid
// colour that encodes n (8 levels apart per channel, so resizing cannot blur one into another).
const codeRgb = (n: number) => [8 * (n % 32) + 4, 8 * ((n >> 5) % 32) + 4, 8 * ((n >> 10) % 32) + 4] as const;
const decodeRgb = ([r, g, b]: number[]) => Math.round((r! - 4) / 8) + 32 * Math.round((g! - 4) / 8) + 1024 * Math.round((b! - 4) / 8);
const hexOf = (n: number) => (0xa00000 + n).toString(16).toUpperCase();

type ImageField = 'avatar' | 'background' | 'banner';
const COLOUR_PARAMS = ['profile_background_color', 'profile_link_color', 'profile_sidebar_border_color', 'profile_sidebar_fill_color', 'profile_text_color'] as const;
type Field = ImageField | (typeof COLOUR_PARAMS)[number];
const AVATAR_SIDE = 100;
const BACKGROUND_SIZE = [120, 80] as const;

interface Write {
  n: number;
  cycle: number;
  acked: boolean;
}

/** What each user's fields were sent: write number → write, per field. */
const sent = new Map<string, Map<Field, Map<number, Write>>>();
function record(userId: string, field: Field, w: Write): void {
  let u = sent.get(userId);
  if (!u) sent.set(userId, (u = new Map()));
  let f = u.get(field);
  if (!f) u.set(field, (f = new Map()));
  f.set(w.n, w);
}

let dataDir: string;
let port: number;
let base: string;
let child: ChildProcess | undefined;
let stderr = '';
const users: Credentials[] = [];
const env = () => ({
  PATH: process.env.PATH,
  PLUMAGE_DATA_DIR: dataDir,
  PLUMAGE_PORT: String(port),
  PLUMAGE_LOG_LEVEL: 'error',
  PLUMAGE_RATE_LIMITS: 'off',
  // Every upload of a burst waits for its turn rather than being refused, and several are
  // processed (and written) at once: more moments for the kill to land between writes.
  PLUMAGE_IMAGE_CONCURRENCY: '4',
  PLUMAGE_IMAGE_QUEUE: '10000',
  PLUMAGE_MAX_EVENT_LOOP_DELAY: '0',
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port: p } = s.address() as net.AddressInfo;
      s.close(() => resolve(p));
    });
  });
}

async function startServer(): Promise<void> {
  stderr = '';
  const c = spawn(process.execPath, [BIN, 'serve'], { env: env(), stdio: ['ignore', 'ignore', 'pipe'] });
  c.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)));
  child = c;
  for (let i = 0; i < 600; i++) {
    if (c.exitCode !== null) throw new Error(`plumage serve exited with ${c.exitCode} (seed ${SEED}):\n${stderr}`);
    try {
      await fetch(`${base}/1.1/help/none.json`);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`plumage serve did not answer (seed ${SEED}):\n${stderr}`);
}

async function stopServer(signal: NodeJS.Signals): Promise<void> {
  const c = child;
  child = undefined;
  if (!c || c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill(signal);
  await exited;
}

function solidPng(n: number, width: number, height: number): Promise<Buffer> {
  const [r, g, b] = codeRgb(n);
  return sharp({ create: { width, height, channels: 3, background: { r, g, b } } }).png().toBuffer();
}

let counter = 0;
let ackedInBurst = 0;
/** One random request of a burst, ready to send; the send resolves whether or not the server lived to answer it. */
async function randomWrite(cycle: number): Promise<() => Promise<void>> {
  const u = pick(users);
  const n = ++counter;
  const kind = pick(['avatar', 'avatar', 'background', 'background', 'banner', 'colours'] as const);
  const written: Field[] = [];
  let send: () => Promise<{ status: number }>;
  if (kind === 'colours') {
    const form: Record<string, string> = {};
    for (const p of COLOUR_PARAMS) if (random() < 0.5) form[p] = hexOf(n);
    if (Object.keys(form).length === 0) form.profile_link_color = hexOf(n);
    written.push(...(Object.keys(form) as Field[]));
    send = () => signedFetch(base, u, 'POST', '/1.1/account/update_profile_colors.json', { form });
  } else {
    const [w, h, pathname, part] =
      kind === 'avatar' ? [AVATAR_SIDE, AVATAR_SIDE, 'update_profile_image', 'image']
      : kind === 'background' ? [...BACKGROUND_SIZE, 'update_profile_background_image', 'image']
      : [600, 200, 'update_profile_banner', 'banner'];
    const { body, contentType } = multipart([{ name: part, value: await solidPng(n, w, h), filename: 'x.png' }]);
    written.push(kind);
    send = () => signedFetch(base, u, 'POST', `/1.1/account/${pathname}.json`, { body, contentType });
  }
  const w: Write = { n, cycle, acked: false };
  for (const f of written) record(u.userId, f, w);
  return async () => {
    try {
      const r = await send();
      w.acked = r.status === 200 || r.status === 201;
      if (w.acked) ackedInBurst++;
    } catch {
      // The connection died with the server: not acknowledged.
    }
  };
}

async function imageAt(url: string, w: number, h: number, type: string, label: string): Promise<number> {
  const res = await fetch(url);
  assert.equal(res.status, 200, `${label}: GET ${url} (seed ${SEED})`);
  assert.equal(res.headers.get('content-type'), type, `${label}: ${url}`);
  const body = Buffer.from(await res.arrayBuffer());
  // One full decode: its size, and the colour that says which upload it came from.
  const { data, info } = await sharp(body, { failOn: 'error' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual([info.width, info.height], [w, h], `${label}: ${url} decodes at ${w}×${h} (seed ${SEED})`);
  const i = (Math.floor(info.height / 2) * info.width + Math.floor(info.width / 2)) * info.channels;
  return decodeRgb([data[i]!, data[i + 1]!, data[i + 2]!]);
}

/** Which write (its number; -1 for the initial value) each field of the user shows, after checking every image. */
async function observe(u: Credentials): Promise<Map<Field, number>> {
  const r = await signedFetch(base, u, 'GET', '/1.1/users/show.json', { query: { user_id: u.userId } });
  assert.equal(r.status, 200, `users/show after a restart (seed ${SEED}): ${r.text}`);
  const j = r.json;
  const seen = new Map<Field, number>();
  const local = (url: string) => base + new URL(url).pathname;
  if (j.default_profile_image) {
    seen.set('avatar', -1);
  } else {
    const urls = avatarUrls(local(j.profile_image_url));
    const ns = new Set<number>();
    for (const [name, side] of [['mini', 24], ['normal', 48], ['bigger', 73], ['400x400', 400], ['original', AVATAR_SIDE]] as const) {
      ns.add(await imageAt(urls[name], side, side, 'image/png', `avatar ${name}`));
    }
    assert.equal(ns.size, 1, `the avatar's variants come from one upload (seed ${SEED})`);
    seen.set('avatar', [...ns][0]!);
  }
  seen.set('background', j.profile_background_image_url === null ? -1 : await imageAt(local(j.profile_background_image_url), ...BACKGROUND_SIZE, 'image/png', 'background'));
  if (j.profile_banner_url === undefined) {
    seen.set('banner', -1);
  } else {
    const ns = new Set<number>();
    for (const [name, [w, h]] of Object.entries(BANNER_SIZES)) ns.add(await imageAt(`${local(j.profile_banner_url)}/${name}`, w, h, 'image/png', `banner ${name}`));
    assert.equal(ns.size, 1, `the banner's variants come from one upload (seed ${SEED})`);
    seen.set('banner', [...ns][0]!);
  }
  for (const p of COLOUR_PARAMS) {
    const v = String(j[p]);
    seen.set(p, /^A[0-9A-F]{5}$/.test(v) ? parseInt(v, 16) - 0xa00000 : -1);
  }
  return seen;
}

/** Every field shows a write that was sent, no older than the latest acknowledged one. */
async function checkAcknowledged(when: string): Promise<void> {
  for (const u of users) {
    const seen = await observe(u);
    for (const [field, n] of seen) {
      const writes = sent.get(u.userId)?.get(field) ?? new Map<number, Write>();
      const lastAckedCycle = Math.max(-1, ...[...writes.values()].filter((w) => w.acked).map((w) => w.cycle));
      const label = `${when}: ${u.screenName} ${field} shows write ${n} (seed ${SEED})`;
      if (n === -1) {
        assert.equal(lastAckedCycle, -1, `${label}, but an update of it was acknowledged`);
        continue;
      }
      const w = writes.get(n);
      assert.ok(w, `${label}, which was never sent for it`);
      // Writes of one burst are concurrent; a write of an earlier burst was over (answered or
      // cut by the kill) before the later burst began.
      assert.ok(w.cycle >= lastAckedCycle, `${label} from burst ${w.cycle}, but one of burst ${lastAckedCycle} was acknowledged`);
    }
  }
}

function filesUnder(dir: string, rel = ''): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(path.join(dir, e.name), `${rel}${e.name}/`) : [`${rel}${e.name}`],
  );
}

before(async () => {
  dataDir = tempDir('plumage-crash-');
  port = await freePort();
  base = `http://127.0.0.1:${port}`;
  // Accounts straight through the services, before the server owns the database.
  const deps = await createDeps(loadConfig({ dataDir, port: String(port) }));
  const app = await deps.accounts.addApp('crash', 'read-write');
  for (let i = 0; i < USERS; i++) {
    const user = await deps.accounts.addUser({ screenName: `crash${i}` });
    const { token } = await deps.accounts.issueToken(app.consumerKey, user.screenName);
    users.push({ consumerKey: app.consumerKey, consumerSecret: app.consumerSecret, token: token.token, tokenSecret: token.secret, userId: user.id, screenName: user.screenName });
  }
  await deps.close();
});

after(async () => {
  await stopServer('SIGKILL');
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test(`SIGKILL at random moments during concurrent uploads and colour updates, ${CYCLES} times: nothing torn, nothing acknowledged lost, gc takes only orphans`, async () => {
  await startServer();
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    const ready = [];
    for (let i = 0; i < BURST; i++) ready.push(await randomWrite(cycle));
    const t0 = Date.now();
    const burst = ready.map((send) => send());
    // The kill lands anywhere from "the first bodies are still arriving" to "most are done",
    // measured in answers rather than time so that a slow or busy machine sees the same spread:
    // after a random number of acknowledgements, plus a random few milliseconds.
    ackedInBurst = 0;
    let settled = 0;
    for (const p of burst) void p.then(() => settled++);
    const target = Math.floor(random() * BURST * 0.3);
    const extra = Math.floor(random() * 150);
    while (ackedInBurst < target && settled < BURST) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, extra));
    await stopServer('SIGKILL');
    await Promise.all(burst);
    const t1 = Date.now();
    await startServer();
    const t2 = Date.now();
    await checkAcknowledged(`after kill ${cycle + 1}`);
    if (process.env.PLUMAGE_CRASH_VERBOSE) console.log(`cycle ${cycle}: burst+kill ${t1 - t0} ms, restart ${t2 - t1} ms, checks ${Date.now() - t2} ms`);
  }
  const writes = [...sent.values()].flatMap((f) => [...f.values()]).flatMap((m) => [...m.values()]);
  const acked = new Set(writes.filter((w) => w.acked).map((w) => w.n)).size;
  console.log(`crash test: ${counter} requests sent, ${acked} acknowledged`);
  assert.ok(acked > 0 && acked < counter, `some requests were acknowledged and some were cut (${acked} of ${counter})`);

  await stopServer('SIGTERM');
  const db = new SQLite(path.join(dataDir, 'plumage.db'));
  assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  db.close();

  // Banner keys carry a second that may run a little ahead of the clock (uploads racing in one
  // second get the next ones); gc judges ages by it, so wait until none lies in the future.
  const bannerSeconds = filesUnder(path.join(dataDir, 'media')).map((f) => /^profile_banners\/\d+\/(\d+)\//.exec(f)?.[1]).filter((s) => s !== undefined).map(Number);
  const newest = Math.max(0, ...bannerSeconds) * 1000;
  if (newest >= Date.now()) await new Promise((r) => setTimeout(r, newest - Date.now() + 1100));

  // gc: what the rows reference stays, everything else under media/ goes.
  const before = filesUnder(path.join(dataDir, 'media'));
  const gc = spawnSync(process.execPath, [BIN, 'gc', '--grace-minutes', '0', '--json'], { env: env(), encoding: 'utf8' });
  assert.equal(gc.status, 0, gc.stderr);
  const counts = JSON.parse(gc.stdout);
  assert.equal(counts.young, 0, gc.stdout);
  await startServer();
  await checkAcknowledged('after gc');
  const referenced: string[] = [];
  for (const u of users) {
    const j = (await signedFetch(base, u, 'GET', '/1.1/users/show.json', { query: { user_id: u.userId } })).json;
    const key = (url: string) => new URL(url).pathname.slice(1);
    if (!j.default_profile_image) referenced.push(...Object.values(avatarUrls(j.profile_image_url)).map(key));
    if (j.profile_background_image_url !== null) referenced.push(key(j.profile_background_image_url));
    if (j.profile_banner_url !== undefined) referenced.push(...Object.keys(BANNER_SIZES).map((v) => `${key(j.profile_banner_url)}/${v}`));
  }
  const after = filesUnder(path.join(dataDir, 'media'));
  assert.deepEqual(after.sort(), referenced.sort(), `exactly the referenced files remain (seed ${SEED})`);
  assert.equal(counts.deleted, before.length - after.length, gc.stdout);
  console.log(`crash test: gc deleted ${counts.deleted} orphans (blobs never switched in, some cut short by a kill, and replaced ones), kept ${counts.kept}`);
  await stopServer('SIGTERM');
});
