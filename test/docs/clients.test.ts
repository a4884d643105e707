// docs/clients.md: every snippet it shows is a file under docs/snippets/, shown verbatim, and
// each one runs, unmodified, with the real client library against a real server over plain
// HTTP and over HTTPS (a self-signed certificate, trusted through the variable the document
// names), printing the account's screen_name and changing its link colour.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { PERL, PYTHON, perlEnv, pythonEnv, runChild, startTlsTestServer, type TlsTestServer } from '../helpers/script-clients.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SNIPPETS = path.join(root, 'docs/snippets');
const CLIENTS_MD = path.join(root, 'docs/clients.md');

interface Snippet {
  file: string;
  /** The interpreter. */
  cmd: string;
  /** The variable that makes the client trust a private CA (as docs/clients.md says). */
  caVariable: string;
  env(extra: Record<string, string>): NodeJS.ProcessEnv;
}

const nodeEnv = (extra: Record<string, string>) => ({ ...process.env, NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost', ...extra });

const CLIENTS: Snippet[] = [
  { file: 'tweepy_example.py', cmd: PYTHON, caVariable: 'REQUESTS_CA_BUNDLE', env: pythonEnv },
  { file: 'python_twitter_example.py', cmd: PYTHON, caVariable: 'REQUESTS_CA_BUNDLE', env: pythonEnv },
  { file: 'net_twitter.pl', cmd: PERL, caVariable: 'PERL_LWP_SSL_CA_FILE', env: perlEnv },
  { file: 'ruby_twitter.rb', cmd: '/usr/bin/ruby', caVariable: 'SSL_CERT_FILE', env: nodeEnv },
  { file: 'twitter-api-v2.mjs', cmd: process.execPath, caVariable: 'NODE_EXTRA_CA_CERTS', env: nodeEnv },
  { file: 'twit.cjs', cmd: process.execPath, caVariable: 'NODE_EXTRA_CA_CERTS', env: nodeEnv },
  { file: 'twitter-lite.mjs', cmd: process.execPath, caVariable: 'NODE_EXTRA_CA_CERTS', env: nodeEnv },
  { file: 'plumage-request.sh', cmd: 'bash', caVariable: 'NODE_EXTRA_CA_CERTS', env: nodeEnv },
];

/** The fenced blocks of clients.md that follow a `<!-- snippet: FILE -->` marker. */
function shownSnippets(markdown: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of markdown.matchAll(/<!-- snippet: ([\w.-]+) -->\n```[\w-]*\n([\s\S]*?)```\n/g)) out.set(m[1]!, m[2]!);
  return out;
}

test('docs/clients.md shows every snippet file verbatim, and names the client of each', () => {
  const shown = shownSnippets(fs.readFileSync(CLIENTS_MD, 'utf8'));
  const files = fs.readdirSync(SNIPPETS).sort();
  assert.deepEqual([...shown.keys()].sort(), files);
  assert.deepEqual(CLIENTS.map((c) => c.file).sort(), files, 'every snippet is run below');
  for (const file of files) assert.equal(shown.get(file), fs.readFileSync(path.join(SNIPPETS, file), 'utf8'), `${file} differs from its copy in docs/clients.md`);
  const md = fs.readFileSync(CLIENTS_MD, 'utf8');
  for (const c of CLIENTS) assert.ok(md.includes(c.caVariable), `clients.md does not name ${c.caVariable}`);
});

// Two at a time: each run is mostly an interpreter starting up.
describe('the snippets of docs/clients.md, run against a server', { concurrency: 2 }, () => {
  let plain: TestServer;
  let tls: TlsTestServer;
  let n = 0;
  before(async () => {
    [plain, tls] = await Promise.all([startTestServer(), startTlsTestServer('plumage-clients-doc-')]);
  });
  after(async () => {
    await plain?.close();
    await tls?.close();
  });

  for (const client of CLIENTS) {
    for (const scheme of ['http', 'https'] as const) {
      test(`${client.file} over ${scheme}`, async () => {
        const server = scheme === 'http' ? plain : tls.server;
        const account = await server.account(`doc${++n}_${scheme}`);
        const before = await server.deps.profile.byId(account.userId);
        assert.notEqual(before.colours.link, 'FF00AA');
        const r = await runChild(client.cmd, [path.join(SNIPPETS, client.file)], {
          cwd: root,
          env: client.env({
            API_BASE: server.url,
            CONSUMER_KEY: account.consumerKey,
            CONSUMER_SECRET: account.consumerSecret,
            ACCESS_TOKEN: account.token,
            ACCESS_TOKEN_SECRET: account.tokenSecret,
            ...(scheme === 'https' ? { [client.caVariable]: tls.cert } : {}),
          }),
        });
        const said = `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
        assert.equal(r.code, 0, said);
        assert.match(r.stdout, new RegExp(`screen_name\\W+${account.screenName}\\b`), said);
        assert.match(r.stdout, /profile_link_color\W+FF00AA\b/, said);
        const after = await server.deps.profile.byId(account.userId);
        assert.equal(after.colours.link, 'FF00AA');
      });
    }
  }
});
