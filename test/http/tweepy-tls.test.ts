// tweepy (Debian python3-tweepy, unmodified) against the test server over native HTTPS
// (PLUMAGE_TLS_CERT/KEY): tweepy hard-codes https://, so this is how Python users connect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertStoredProfile } from '../helpers/images.ts';
import { PYTHON, lastStep, pythonEnv, recordRequests, requireTweepy, runChild, scriptOutput, startTlsTestServer, type TlsTestServer } from '../helpers/script-clients.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLIENT = path.join(here, 'tweepy_client.py');

test('tweepy over HTTPS: verify_credentials, update_profile round-trip, wrong secret → Unauthorized [32]', async () => {
  await requireTweepy();

  let tls: TlsTestServer | undefined;
  try {
    tls = await startTlsTestServer('plumage-tweepy-');
    const { server, cert } = tls;
    const alice = await server.account('alice');
    // The raw request lines, to check how tweepy sent the profile (before Fastify parses them).
    const seen = recordRequests(server.app.server, { maxBodyBytes: 0 });

    const wanted = { name: 'Tweepy + Friends ~*!', location: 'Zürich', description: 'a b&c=d' };
    const r = await runChild(PYTHON, [CLIENT, `127.0.0.1:${server.port}`, alice.consumerKey, alice.consumerSecret, alice.token, alice.tokenSecret], {
      env: pythonEnv({
        REQUESTS_CA_BUNDLE: cert,
        PLUMAGE_NEW_NAME: wanted.name,
        PLUMAGE_NEW_LOCATION: wanted.location,
        PLUMAGE_NEW_DESCRIPTION: wanted.description,
      }),
    });
    const out = scriptOutput(r, 'tweepy_client.py', (o) => `tweepy failed at step "${lastStep(o)}": ${String(o.error)}\n${String(o.traceback)}`);

    assert.deepEqual(out.verify, { id_str: alice.userId, screen_name: 'alice', has_email: false });
    assert.deepEqual(out.verify_email, { id_str: alice.userId, screen_name: 'alice' });

    // What tweepy got back from update_profile: every value exactly as sent.
    assert.equal(out.id_str, alice.userId);
    assert.equal(out.screen_name, 'alice');
    assert.equal(out.name, wanted.name);
    assert.equal(out.location, wanted.location);
    assert.equal(out.description, wanted.description);

    // tweepy put the profile in the query string of the POST, spaces as '+'.
    const requestLines = seen.map((s) => s.line);
    const update = requestLines.filter((l) => l.startsWith('POST /1.1/account/update_profile.json?'));
    assert.equal(update.length, 1, `one update_profile request expected, saw: ${requestLines.join(' | ')}`);
    const query = new URL(update[0]!.slice('POST '.length), 'https://127.0.0.1').search;
    assert.match(query, /[?&]name=Tweepy\+%2B\+Friends\+/);
    assert.match(query, /[?&]description=a\+b%26c%3Dd(&|$)/);
    assert.match(query, /[?&]location=Z%C3%BCrich(&|$)/);
    assert.equal(requestLines.length, 4, `four requests expected: ${requestLines.join(' | ')}`);

    // The wrong consumer secret: 401 code 32, raised as tweepy's Unauthorized.
    assert.deepEqual(out.wrong_secret, {
      raised: 'Unauthorized',
      status: 401,
      api_codes: [32],
      api_messages: ['Could not authenticate you.'],
    });
    assert.deepEqual(out.api_codes, [32]);

    // And the profile really changed in storage.
    const stored = await server.deps.profile.byId(alice.userId);
    assertStoredProfile(stored, { ...wanted, screenName: 'alice' });
  } finally {
    await tls?.close();
  }
});
