// Secrets are compared in constant time (issue #7, item 7). Behaviourally: every signature
// check and every consumer-secret check goes through crypto.timingSafeEqual on equal-length
// buffers, whether the input is right, wrong, of another length or malformed (a spy replaces
// timingSafeEqual in node:crypto). Statically: no source file compares a secret, signature or
// password with ==, ===, != or !== (other than against undefined or null).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { fileURLToPath } from 'node:url';
import { signsAnyOf } from '../../src/oauth1/sign.ts';
import { signatureBaseString } from '../../src/oauth1/base-string.ts';
import { loadConfig } from '../../src/config.ts';
import { createDeps } from '../../src/deps.ts';
import { tempDir } from '../helpers/server.ts';

const cjsCrypto = createRequire(import.meta.url)('node:crypto') as typeof crypto;
const original = cjsCrypto.timingSafeEqual;
const calls: Array<[number, number]> = [];
cjsCrypto.timingSafeEqual = (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
  calls.push([a.byteLength, b.byteLength]);
  return original(a, b);
};
syncBuiltinESMExports();
after(() => {
  cjsCrypto.timingSafeEqual = original;
  syncBuiltinESMExports();
});

test('signature checks: one full-length timingSafeEqual per candidate, whatever was sent and whichever matches', () => {
  const digest = (base: string) => crypto.createHmac('sha1', 'k').update(base).digest();
  const urls = ['https://a.example/1.1/x.json', 'http://a.example/1.1/x.json'];
  const sets = [[['a', '1']] as Array<[string, string]>, []];
  // The signature of the last candidate: an early exit would show in the count for the others.
  const right = digest(signatureBaseString('GET', urls[1]!, sets[1]!)).toString('base64');
  for (const provided of [right, right.replace(/=$/, ''), 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=', 'short', '', '!!!not base64!!!', 'A'.repeat(4000)]) {
    calls.length = 0;
    const ok = signsAnyOf(provided, 'GET', urls, sets, digest);
    assert.equal(ok, provided === right || provided === right.replace(/=$/, ''), provided);
    assert.deepEqual(calls, [[20, 20], [20, 20], [20, 20], [20, 20]], `for ${JSON.stringify(provided.slice(0, 20))}`);
  }
});

test('consumer secrets on oauth2/token: compared with timingSafeEqual, even for an unknown key', async () => {
  const deps = await createDeps(loadConfig({ dataDir: tempDir() }));
  try {
    const app = await deps.accounts.addApp('ct', 'read-write');
    const basic = (k: string, s: string) => `Basic ${Buffer.from(`${k}:${s}`).toString('base64')}`;
    for (const [key, secret, ok] of [
      [app.consumerKey, app.consumerSecret, true],
      [app.consumerKey, 'wrong', false],
      [app.consumerKey, `${app.consumerSecret}x`, false],
      ['unknown-key', app.consumerSecret, false],
    ] as const) {
      calls.length = 0;
      const r = await deps.appAuth.issue(basic(key, secret), 'client_credentials').then(() => true, () => false);
      assert.equal(r, ok);
      assert.deepEqual(calls, [[32, 32]], `${key}:${secret}`);
    }
  } finally {
    await deps.close();
  }
});

test('no source file compares a secret, signature or password with an equality operator', () => {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');
  const secretish = String.raw`[\w.]*(?:secret|signature|password)[\w.]*(?:\([^)]*\))?`;
  const cmp = new RegExp(String.raw`(${secretish})\s*(?:===?|!==?)\s*([^\s);,]+)|([^\s(;,!]+)\s*(?:===?|!==?)\s*(${secretish})`, 'gi');
  const offending: string[] = [];
  for (const e of fs.readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!e.isFile() || !e.name.endsWith('.ts')) continue;
    const file = path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name);
    fs.readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      for (const m of line.matchAll(cmp)) {
        const other = m[2] ?? m[3] ?? '';
        if (/^(undefined|null|'[^']*'|\d+)$/.test(other.replace(/\)+$/, ''))) continue;
        offending.push(`${path.relative(root, file)}:${i + 1}: ${line.trim()}`);
      }
    });
  }
  assert.deepEqual(offending, []);
});
