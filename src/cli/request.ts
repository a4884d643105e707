// `plumage request`: a twurl-like signed request, so a newcomer can call the API without
// writing a client. It signs as a client would (the server verifies independently).
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { Command } from 'commander';
import { percentEncode } from '../oauth1/percent-encode.ts';
import { normalizeBaseUrl, signatureBaseString } from '../oauth1/base-string.ts';
import { hmacSha1, signingKey } from '../oauth1/sign.ts';
import { CliError, configFrom, withConfigOptions, withDeps } from './context.ts';
import { examples } from './help.ts';

interface Credentials {
  consumerKey: string;
  consumerSecret: string;
  token: string;
  tokenSecret: string;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function splitPair(flag: string, raw: string): [string, string] {
  const eq = raw.indexOf('=');
  if (eq <= 0) throw new CliError(`${flag} expects name=value, got "${raw}"`);
  return [raw.slice(0, eq), raw.slice(eq + 1)];
}

/** The OAuth 1.0a Authorization header for a request (RFC 5849 §3.5.1). */
export function authorizationHeader(method: string, url: URL, signed: Array<[string, string]>, c: Credentials, now = Date.now()): string {
  const oauth: Array<[string, string]> = [
    ['oauth_consumer_key', c.consumerKey],
    ['oauth_nonce', crypto.randomBytes(16).toString('hex')],
    ['oauth_signature_method', 'HMAC-SHA1'],
    ['oauth_timestamp', String(Math.floor(now / 1000))],
    ['oauth_token', c.token],
    ['oauth_version', '1.0'],
  ];
  const query = [...url.searchParams.entries()];
  const base = signatureBaseString(method, normalizeBaseUrl(url.protocol.slice(0, -1), url.host, url.pathname), [...oauth, ...query, ...signed]);
  oauth.push(['oauth_signature', hmacSha1(base, signingKey(c.consumerSecret, c.tokenSecret))]);
  return 'OAuth ' + oauth.map(([k, v]) => `${percentEncode(k)}="${percentEncode(v)}"`).join(', ');
}

export function requestCommand(): Command {
  return withConfigOptions(new Command('request'))
    .description('send a signed request and print the status and the JSON body')
    .argument('<method>', 'GET or POST')
    .argument('<path>', 'e.g. /1.1/account/verify_credentials.json')
    .option('--as <screen_name>', "act as this account, with the built-in local app's token")
    .option('--consumer-key <key>', "the app's consumer key (with --consumer-secret, --token, --token-secret)")
    .option('--consumer-secret <secret>', "the app's consumer secret")
    .option('--token <token>', 'the access token (oauth_token)')
    .option('--token-secret <secret>', 'the access token secret')
    .option('--url <base>', 'server base URL (default: the configured public URL)')
    .option('-d, --data <name=value>', 'a parameter: query string for GET, urlencoded body for POST', collect, [])
    .option('-F, --form <name=value|name=@file>', 'a multipart part; @file uploads a file', collect, [])
    .addHelpText('after', examples(
      'plumage request --as alice GET /1.1/account/verify_credentials.json',
      'plumage request --as alice POST /1.1/account/update_profile.json -d name="Alice L."',
      'plumage request --as alice POST /1.1/account/update_profile_image.json -F image=@me.png',
    ))
    .action(async function (this: Command, methodArg: string, pathArg: string) {
      const o = this.opts();
      const method = methodArg.toUpperCase();
      if (method !== 'GET' && method !== 'POST') throw new CliError(`method must be GET or POST, got ${methodArg}`);
      const config = configFrom(this);

      let creds: Credentials;
      if (o.as) {
        creds = await withDeps(this, async (deps) => {
          const { app, token } = await deps.accounts.localCredentials(o.as);
          return { consumerKey: app.consumerKey, consumerSecret: app.consumerSecret, token: token.token, tokenSecret: token.secret };
        });
      } else if (o.consumerKey && o.consumerSecret && o.token && o.tokenSecret) {
        creds = { consumerKey: o.consumerKey, consumerSecret: o.consumerSecret, token: o.token, tokenSecret: o.tokenSecret };
      } else {
        throw new CliError('give --as <screen_name>, or all of --consumer-key, --consumer-secret, --token and --token-secret');
      }

      const base = (o.url ?? config.publicUrl).replace(/\/+$/, '');
      const url = new URL(base + (pathArg.startsWith('/') ? pathArg : `/${pathArg}`));
      const data = (o.data as string[]).map((d) => splitPair('-d', d));
      const parts = (o.form as string[]).map((f) => splitPair('-F', f));
      if (parts.length > 0 && method !== 'POST') throw new CliError('-F needs POST');

      let body: string | FormData | undefined;
      let signed: Array<[string, string]> = [];
      const headers: Record<string, string> = {};
      if (method === 'GET' || parts.length > 0) {
        // Multipart bodies are never signed, so -d goes to the (signed) query string with them.
        for (const [k, v] of data) url.searchParams.append(k, v);
      } else if (data.length > 0) {
        signed = data;
        body = data.map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&');
        headers['content-type'] = 'application/x-www-form-urlencoded';
      }
      if (parts.length > 0) {
        const form = new FormData();
        for (const [k, v] of parts) {
          if (v.startsWith('@')) {
            const file = v.slice(1);
            let bytes: Buffer;
            try {
              bytes = fs.readFileSync(file);
            } catch {
              throw new CliError(`cannot read ${file}`);
            }
            form.append(k, new Blob([bytes]), path.basename(file));
          } else {
            form.append(k, v);
          }
        }
        body = form;
      }
      headers.authorization = authorizationHeader(method, url, signed, creds);

      let res: Response;
      try {
        res = await fetch(url, { method, headers, body });
      } catch (e) {
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        throw new CliError(`cannot reach ${url.origin}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
      }
      process.stdout.write(`HTTP ${res.status} ${res.statusText}\n`);
      const type = res.headers.get('content-type') ?? '';
      if (!/json|text/.test(type)) {
        // Media: say what came back rather than writing binary to a terminal.
        const bytes = Buffer.from(await res.arrayBuffer());
        if (bytes.length > 0) process.stdout.write(`(${bytes.length} bytes of ${type || 'unknown type'})\n`);
        if (res.status >= 400) process.exitCode = 1;
        return;
      }
      const text = await res.text();
      if (text !== '') {
        let shown = text;
        try {
          // Keep 64-bit ids exact: JSON.parse rounds them, so put the original digits back in order.
          const ids = [...text.matchAll(/"id":(-?\d+)/g)].map((m) => m[1]);
          let i = 0;
          shown = JSON.stringify(JSON.parse(text), null, 2).replace(/"id": -?[0-9.e+]+/g, (m) => (ids[i] !== undefined ? `"id": ${ids[i++]}` : m));
        } catch {
          // Not JSON (media, an HTML error page from a proxy): print as received.
        }
        process.stdout.write(`${shown}\n`);
      }
      if (res.status >= 400) process.exitCode = 1;
    });
}
