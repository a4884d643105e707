// Logs never carry credentials: OAuth parameters and base64 images can travel in the query
// string, and the Authorization header holds the token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.ts';
import { createDeps } from '../../src/deps.ts';
import { buildApp } from '../../src/http/app.ts';
import { loggerOptions } from '../../src/server.ts';
import { tempDir } from '../helpers/server.ts';
import { signedRequest } from '../helpers/signing.ts';

test('request logs keep the path but never the query string or the Authorization header', async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _e, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const logger = pino(loggerOptions('info'), sink);
  const deps = await createDeps(loadConfig({ dataDir: tempDir() }), { log: logger });
  const app = await buildApp(deps, { loggerInstance: logger });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  try {
    const user = await deps.accounts.addUser({ screenName: 'alice' });
    const a = await deps.accounts.addApp('log', 'read-write');
    const { token } = await deps.accounts.issueToken(a.consumerKey, 'alice');
    const creds = { consumerKey: a.consumerKey, consumerSecret: a.consumerSecret, token: token.token, tokenSecret: token.secret, userId: user.id, screenName: 'alice' };
    const { url: u, init } = signedRequest(url, creds, 'GET', '/1.1/account/verify_credentials.json', { oauthInQuery: true });
    assert.equal((await fetch(u, init)).status, 200);
    const h = signedRequest(url, creds, 'GET', '/1.1/users/show.json', { query: { screen_name: 'alice' } });
    assert.equal((await fetch(h.url, h.init)).status, 200);
    const all = lines.join('');
    assert.match(all, /"path":"\/1\.1\/account\/verify_credentials\.json"/);
    for (const secret of [token.token, a.consumerKey, 'oauth_signature', 'screen_name=alice', 'OAuth ']) {
      assert.equal(all.includes(secret), false, `logs contain ${secret}`);
    }
  } finally {
    await app.close();
    await deps.close();
  }
});
