// `plumage export` and `plumage import`, spawned for real: a server on SQLite + files is filled
// through HTTP (profiles, colours, avatar, background, banner, tokens, a bearer token), exported,
// imported into PostgreSQL + S3 (s3rver), and a server on the target must answer exactly as the
// source did, with the same tokens, byte for byte. Then the refusals: a non-empty database,
// a corrupt and a truncated archive leave nothing behind.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import tar from 'tar-stream';
import { loadConfig, type ConfigInput } from '../../src/config.ts';
import { createDeps } from '../../src/deps.ts';
import { TRANSFER_TABLES } from '../../src/maintenance/transfer-format.ts';
import { startTestServer, tempDir, type Credentials, type TestServer } from '../helpers/server.ts';
import { signedFetch } from '../helpers/signing.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { startS3, type TestS3 } from '../helpers/s3.ts';
import { serviceMissing } from '../helpers/services.ts';
import { fixture } from '../fixtures/images.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(ROOT, 'bin', 'plumage.js');
const PUBLIC_URL = 'http://plumage.example';
const missing = await serviceMissing('postgres');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI with only the given PLUMAGE_* variables. */
function plumage(args: string[], env: Record<string, string>): Promise<Run> {
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PLUMAGE_')) base[k] = v;
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...base, ...env }, timeout: 120_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

const show = (r: Run) => `exit ${r.code}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;

function form(field: string, bytes: Buffer): FormData {
  const f = new FormData();
  f.append(field, new Blob([bytes]));
  return f;
}

async function bearerToken(url: string, c: Credentials): Promise<string> {
  const res = await fetch(`${url}/oauth2/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${c.consumerKey}:${c.consumerSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
    body: 'grant_type=client_credentials',
  });
  assert.equal(res.status, 200);
  return ((await res.json()) as { access_token: string }).access_token;
}

interface Snapshot {
  /** Everything the API answered, by a description of the call. */
  answers: Record<string, { status: number; body: unknown }>;
  /** Every image, by blob key: content type and bytes. */
  media: Record<string, { type: string | null; sha: string; bytes: Buffer }>;
}

async function snapshot(url: string, creds: Credentials[], revoked: Credentials, bearer: string, keys: string[]): Promise<Snapshot> {
  const answers: Snapshot['answers'] = {};
  for (const c of [...creds, revoked]) {
    const vc = await signedFetch(url, c, 'GET', '/1.1/account/verify_credentials.json', { query: { include_email: 'true' } });
    answers[`verify_credentials ${c.token}`] = { status: vc.status, body: vc.json };
    const banner = await signedFetch(url, c, 'GET', '/1.1/users/profile_banner.json', { query: { screen_name: 'alice' } });
    answers[`profile_banner as ${c.token}`] = { status: banner.status, body: banner.json };
  }
  for (const name of ['alice', 'bob', 'carol', 'nobody']) {
    const res = await fetch(`${url}/1.1/users/show.json?screen_name=${name}`, { headers: { authorization: `Bearer ${bearer}` } });
    answers[`users/show ${name} (bearer)`] = { status: res.status, body: await res.json() };
  }
  const media: Snapshot['media'] = {};
  for (const key of keys) {
    const res = await fetch(`${url}/${key}`);
    assert.equal(res.status, 200, key);
    const bytes = Buffer.from(await res.arrayBuffer());
    media[key] = { type: res.headers.get('content-type'), sha: (await import('node:crypto')).createHash('sha256').update(bytes).digest('hex'), bytes };
  }
  return { answers, media };
}

async function listKeys(server: Pick<TestServer, 'deps'>): Promise<string[]> {
  const keys: string[] = [];
  for await (const k of server.deps.blobs.list('')) keys.push(k);
  return keys.sort();
}

/** Rows per table and blob keys in an embedded data folder. */
async function contents(dataDir: string): Promise<{ rows: number; keys: string[] }> {
  const deps = await createDeps(loadConfig({ dataDir }));
  try {
    let rows = 0;
    for (const t of TRANSFER_TABLES) {
      const r = await deps.db.selectFrom(t.name as 'users').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      rows += Number(r.n);
    }
    const keys: string[] = [];
    for await (const k of deps.blobs.list('')) keys.push(k);
    return { rows, keys };
  } finally {
    await deps.close();
  }
}

describe('plumage export / import', { skip: missing }, () => {
  const work = tempDir('plumage-transfer-');
  const sourceDir = path.join(work, 'source');
  const srcEnv = { PLUMAGE_DATA_DIR: sourceDir };
  let s3: TestS3;
  let db: { url: string; drop(): Promise<void> };
  let targetInput: ConfigInput;
  let targetEnv: Record<string, string>;
  let creds: Credentials[] = [];
  let revoked: Credentials;
  let bearer = '';
  let keys: string[] = [];
  let before_: Snapshot;

  before(async () => {
    [s3, db] = await Promise.all([startS3(), createTestDatabase()]);
    targetInput = {
      publicUrl: PUBLIC_URL,
      dataDir: path.join(work, 'target'),
      databaseUrl: db.url,
      s3Endpoint: s3.endpoint,
      s3Bucket: s3.bucket,
      s3AccessKeyId: s3.accessKeyId,
      s3SecretAccessKey: s3.secretAccessKey,
      s3ForcePathStyle: 'true',
    };
    targetEnv = {
      PLUMAGE_DATA_DIR: targetInput.dataDir!,
      PLUMAGE_DATABASE_URL: db.url,
      PLUMAGE_S3_ENDPOINT: s3.endpoint,
      PLUMAGE_S3_BUCKET: s3.bucket,
      PLUMAGE_S3_ACCESS_KEY_ID: s3.accessKeyId,
      PLUMAGE_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      PLUMAGE_S3_FORCE_PATH_STYLE: 'true',
    };

    // The source: SQLite + files, filled through HTTP with real signed requests.
    const source = await startTestServer({ publicUrl: PUBLIC_URL, dataDir: sourceDir });
    try {
      const alice = await source.account('alice', { email: 'alice@example.org', name: 'Alice' });
      const bob = await source.account('bob');
      const carol = await source.account('carol', { readOnly: true });
      const post = async (c: Credentials, p: string, o: Parameters<typeof signedFetch>[4]) => {
        const r = await signedFetch(source.url, c, 'POST', p, o);
        assert.ok(r.status === 200 || r.status === 201, `${p}: ${r.status} ${r.text}`);
      };
      await post(alice, '/1.1/account/update_profile.json', { form: { description: 'Down the rabbit hole — ünïcode ✓', location: 'Oxford', url: 'https://example.org/a' } });
      await post(alice, '/1.1/account/update_profile_colors.json', { form: { profile_link_color: 'ff0000', profile_text_color: '00ff00' } });
      await post(alice, '/1.1/account/update_profile_image.json', { body: form('image', fixture('progressive.jpg')) });
      await post(alice, '/1.1/account/update_profile_background_image.json', { body: form('image', fixture('alpha.png')), query: { tile: 'true' } });
      await post(alice, '/1.1/account/update_profile_banner.json', { body: form('banner', fixture('wide.jpg')) });
      await post(bob, '/1.1/account/update_profile_image.json', { body: form('image', fixture('small.png')) });
      // A second token of alice's app, for bob; a revoked token; a bearer token.
      const { token } = await source.deps.accounts.issueToken(alice.consumerKey, 'bob');
      const bobViaAlice = { ...alice, token: token.token, tokenSecret: token.secret, userId: bob.userId, screenName: 'bob' };
      const extra = await source.deps.accounts.issueToken(bob.consumerKey, 'bob');
      await source.deps.accounts.revokeToken(extra.token.token);
      revoked = { ...bob, token: extra.token.token, tokenSecret: extra.token.secret };
      bearer = await bearerToken(source.url, alice);
      creds = [alice, bob, carol, bobViaAlice];
      keys = await listKeys(source);
      assert.equal(keys.length, 5 + 1 + 10 + 5, keys.join('\n'));
      before_ = await snapshot(source.url, creds, revoked, bearer, keys);
      assert.equal(before_.answers[`verify_credentials ${revoked.token}`]!.status, 401);
    } finally {
      await source.close();
    }
  });

  after(async () => {
    await s3?.close();
    await db?.drop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  test('SQLite + files → gzipped archive → PostgreSQL + S3 and back: same answers to the same tokens, same bytes', async () => {
    const archive = path.join(work, 'plumage.tar.gz');
    const exported = await plumage(['export', archive, '--json'], srcEnv);
    assert.equal(exported.code, 0, show(exported));
    const summary = JSON.parse(exported.stdout) as { tables: Record<string, number>; images: number };
    assert.deepEqual(summary.tables, { users: 3, apps: 3, access_tokens: 5, bearer_tokens: 1 });
    assert.equal(summary.images, keys.length);
    // Not a terminal: plain progress lines, no carriage returns.
    assert.match(exported.stderr, /^export: writing archive \d+\/\d+ \(\d+%\)$/m, show(exported));
    assert.doesNotMatch(exported.stderr, /\r/);
    assert.equal((fs.statSync(archive).mode & 0o777).toString(8), '600');
    assert.deepEqual([...fs.readFileSync(archive).subarray(0, 2)], [0x1f, 0x8b], 'gzipped');

    const imported = await plumage(['import', archive], targetEnv);
    assert.equal(imported.code, 0, show(imported));
    assert.match(imported.stdout, /^imported 3 users, 3 apps, 5 access tokens, 1 bearer tokens; 21 images/, show(imported));
    assert.match(imported.stderr, /^import: inserting rows 12\/12 \(100%\)$/m);

    const target = await startTestServer(targetInput);
    try {
      assert.deepEqual(await listKeys(target), keys, 'every image is in the bucket under the same key');
      const after_ = await snapshot(target.url, creds, revoked, bearer, keys);
      assert.deepEqual(after_.answers, before_.answers);
      for (const key of keys) {
        assert.equal(after_.media[key]!.type, before_.media[key]!.type, key);
        assert.ok(after_.media[key]!.bytes.equals(before_.media[key]!.bytes), `bytes of ${key}`);
      }
      // The tokens still write, too.
      const w = await signedFetch(target.url, creds[0]!, 'POST', '/1.1/account/update_profile.json', { form: { location: 'Paris' } });
      assert.equal(w.status, 200, w.text);
    } finally {
      await target.close();
    }

    // Again into the same (now non-empty) database: refused, then --replace.
    const refused = await plumage(['import', archive], targetEnv);
    assert.equal(refused.code, 1, show(refused));
    assert.equal(refused.stdout, '');
    assert.match(refused.stderr, /^plumage: the database is not empty \(3 users, 3 apps, 5 access_tokens, 1 bearer_tokens\); give --replace/m, show(refused));
    const replaced = await plumage(['import', archive, '--replace', '--quiet', '--json'], targetEnv);
    assert.equal(replaced.code, 0, show(replaced));
    assert.doesNotMatch(replaced.stderr, /^import:/m, '--quiet: no progress');
    assert.equal((JSON.parse(replaced.stdout) as { replaced: boolean }).replaced, true);
    const again = await startTestServer(targetInput);
    try {
      const vc = await signedFetch(again.url, creds[0]!, 'GET', '/1.1/account/verify_credentials.json', { query: { include_email: 'true' } });
      assert.deepEqual(vc.json, before_.answers[`verify_credentials ${creds[0]!.token}`]!.body, 'the archive replaced the edited row');
    } finally {
      await again.close();
    }

    // And back: PostgreSQL + S3 → archive → SQLite + files, compared with the original again.
    const back = path.join(work, 'back.tar');
    const reexported = await plumage(['export', back, '--quiet'], targetEnv);
    assert.equal(reexported.code, 0, show(reexported));
    const homeDir = path.join(work, 'home');
    const reimported = await plumage(['import', back, '--quiet'], { PLUMAGE_DATA_DIR: homeDir });
    assert.equal(reimported.code, 0, show(reimported));
    const home = await startTestServer({ publicUrl: PUBLIC_URL, dataDir: homeDir });
    try {
      assert.deepEqual(await listKeys(home), keys);
      const round = await snapshot(home.url, creds, revoked, bearer, keys);
      assert.deepEqual(round.answers, before_.answers);
      for (const key of keys) assert.equal(round.media[key]!.sha, before_.media[key]!.sha, key);
    } finally {
      await home.close();
    }
  });

  test('a corrupt, a truncated or a foreign archive is refused and leaves nothing behind', async () => {
    const plain = path.join(work, 'plain.tar');
    const exported = await plumage(['export', plain, '--quiet'], srcEnv);
    assert.equal(exported.code, 0, show(exported));
    assert.doesNotMatch(exported.stderr, /^export:/m, '--quiet: no progress');
    const bytes = fs.readFileSync(plain);
    assert.notDeepEqual([...bytes.subarray(0, 2)], [0x1f, 0x8b], 'not gzipped');
    const overwrite = await plumage(['export', plain], srcEnv);
    assert.equal(overwrite.code, 1, show(overwrite));
    assert.match(overwrite.stderr, /exists; give --force/);

    // The same archive with one byte of its LAST image changed: every other image has been
    // written by the time the checksum fails, and must be removed again.
    const corrupt = path.join(work, 'corrupt.tar');
    const extract = tar.extract();
    const pack = tar.pack();
    const done = new Promise<void>((resolve, reject) => {
      pack.pipe(fs.createWriteStream(corrupt)).on('finish', resolve).on('error', reject);
    });
    const entries: Array<{ name: string; body: Buffer }> = [];
    extract.end(bytes);
    for await (const e of extract) {
      const chunks: Buffer[] = [];
      for await (const c of e) chunks.push(c as Buffer);
      entries.push({ name: e.header.name, body: Buffer.concat(chunks) });
    }
    const last = entries.at(-1)!;
    assert.match(last.name, /^blobs\//);
    last.body[Math.floor(last.body.length / 2)]! ^= 0xff;
    for (const e of entries) pack.entry({ name: e.name, size: e.body.length }, e.body);
    pack.finalize();
    await done;

    const truncated = path.join(work, 'truncated.tar');
    fs.writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length * 0.7)));
    const gz = zlib.gzipSync(bytes);
    const truncatedGz = path.join(work, 'truncated.tar.gz');
    fs.writeFileSync(truncatedGz, gz.subarray(0, Math.floor(gz.length * 0.7)));
    const foreign = path.join(work, 'foreign.tar');
    fs.writeFileSync(foreign, 'this is not an archive at all\n'.repeat(100));

    const cases: Array<[string, RegExp]> = [
      [corrupt, new RegExp(`${last.name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} does not match its checksum: the archive is corrupt`)],
      [truncated, /the archive is truncated/],
      [truncatedGz, /the archive is truncated/],
      [foreign, /not a Plumage archive|the archive is corrupt|truncated/],
    ];
    const dirs = cases.map((_, i) => path.join(work, `refuse-${i}`));
    const runs = await Promise.all(cases.map(([file], i) => plumage(['import', file, '--quiet'], { PLUMAGE_DATA_DIR: dirs[i]! })));
    for (const [i, r] of runs.entries()) {
      assert.equal(r.code, 1, show(r));
      assert.equal(r.stdout, '', show(r));
      assert.match(r.stderr, /^plumage: .+\n$/, show(r));
      assert.match(r.stderr, cases[i]![1], show(r));
      assert.deepEqual(await contents(dirs[i]!), { rows: 0, keys: [] }, `nothing half-imported from ${path.basename(cases[i]![0])}`);
    }

    // The intact plain archive imports into SQLite + files too.
    const plainDir = path.join(work, 'plain-target');
    const ok = await plumage(['import', plain, '--quiet'], { PLUMAGE_DATA_DIR: plainDir });
    assert.equal(ok.code, 0, show(ok));
    assert.deepEqual(await contents(plainDir), { rows: 12, keys });
  });
});
