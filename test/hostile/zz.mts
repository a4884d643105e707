import { loadConfig } from '../../src/config.ts';
import { createDeps } from '../../src/deps.ts';
import { buildApp } from '../../src/http/app.ts';
import { tempDir } from '../helpers/server.ts';
import { signedRequest } from '../helpers/signing.ts';
const deps = await createDeps(loadConfig({ dataDir: tempDir() }));
const app = await buildApp(deps, { logger: { level: 'error' } });
const u = await deps.accounts.addUser({ screenName: 'a' });
const a = await deps.accounts.addApp('x', 'read-write');
const { token } = await deps.accounts.issueToken(a.consumerKey, 'a');
const c = { consumerKey: a.consumerKey, consumerSecret: a.consumerSecret, token: token.token, tokenSecret: token.secret, userId: u.id, screenName: 'a' };
const bodies: Array<[string, string, string]> = [
  ['never', 'multipart/form-data; boundary=nothere', '--zzz\r\nContent-Disposition: form-data; name="image"\r\n\r\nabc\r\n--zzz--\r\n'],
  ['noclose', 'multipart/form-data; boundary=zzz', '--zzz\r\nContent-Disposition: form-data; name="image"\r\n\r\nabc\r\n'],
  ['garbage', 'multipart/form-data; boundary=abc', 'lkjasdlkfjalskdjflaksjdf'],
  ['longb', `multipart/form-data; boundary=${'b'.repeat(300)}`, `--${'b'.repeat(300)}\r\nContent-Disposition: form-data; name="image"\r\n\r\nabc\r\n--${'b'.repeat(300)}--\r\n`],
];
for (const [n, ct, body] of bodies) {
  const { url, init } = signedRequest('http://localhost:80', c, 'POST', '/1.1/account/update_profile_image.json', { body, contentType: ct });
  const r = await app.inject({ method: 'POST', url: url.pathname, headers: init.headers as any, payload: body });
  console.log(n, r.statusCode, r.body);
}
await app.close(); await deps.close();
