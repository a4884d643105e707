// /docs, the interactive API reference: served from this server's own files, with headers that
// keep it that way; a real browser (Debian's chromium through playwright-core) renders it from
// /1.1/openapi.json without a single request to another origin.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { chromium } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const CHROMIUM = '/usr/bin/chromium';

/** Every URL an HTML page or a stylesheet names (src, href, url(...)). */
function referencedUrls(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/\b(?:src|href)\s*=\s*["']([^"']+)["']/gi)) out.push(m[1]!);
  for (const m of text.matchAll(/url\(\s*["']?([^"')]+)["']?\s*\)/gi)) out.push(m[1]!);
  return out;
}

describe('/docs', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  test('the page and every file it names come from this server, with a strict CSP', async () => {
    const page = await fetch(`${server.url}/docs`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    const csp = page.headers.get('content-security-policy') ?? '';
    for (const directive of ["default-src 'none'", "script-src 'self'", "connect-src 'self'", "img-src 'self' data:", "frame-ancestors 'none'", "base-uri 'none'"]) {
      assert.ok(csp.split(/;\s*/).includes(directive), `CSP lacks ${directive}: ${csp}`);
    }
    assert.doesNotMatch(csp, /https?:|\*|unsafe-eval/, 'the CSP allows no other origin and no eval');
    assert.doesNotMatch(/script-src[^;]*/.exec(csp)![0], /unsafe-inline/, 'no inline script');
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(page.headers.get('referrer-policy'), 'no-referrer');

    const html = await page.text();
    const assets = referencedUrls(html);
    assert.ok(assets.length >= 4, `the page names ${assets.join(', ')}`);
    const origin = new URL(server.url).origin;
    const queue = assets.map((a) => new URL(a, `${server.url}/docs`));
    const fetched = new Set<string>();
    while (queue.length > 0) {
      const u = queue.shift()!;
      if (u.protocol === 'data:' || fetched.has(u.href)) continue;
      assert.equal(u.origin, origin, `${u.href} is on another origin`);
      fetched.add(u.href);
      const r = await fetch(u);
      assert.equal(r.status, 200, u.href);
      assert.ok(r.headers.get('content-security-policy'), `${u.pathname} has no CSP`);
      if (u.pathname.endsWith('.css')) queue.push(...referencedUrls(await r.text()).map((a) => new URL(a, u)));
      else await r.arrayBuffer();
    }
    assert.ok([...fetched].some((u) => u.endsWith('/swagger-ui-bundle.js')));

    const init = await (await fetch(`${server.url}/docs/static/swagger-initializer.js`)).text();
    // The online validator badge would call validator.swagger.io.
    assert.match(init, /validatorUrl: null/);
  });

  test('the page reads the same document as /1.1/openapi.json', async () => {
    const [ui, api] = await Promise.all([fetch(`${server.url}/docs/json`), fetch(`${server.url}/1.1/openapi.json`)]);
    assert.deepEqual(await ui.json(), await api.json());
  });

  test('a browser renders every operation with no request to another origin and no CSP violation', async () => {
    assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing (CI installs the Debian package chromium)`);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      const problems: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console: ${m.text()}`);
      });
      await page.goto(`${server.url}/docs`);
      // Swagger UI has fetched the document and drawn one block per operation.
      await page.locator('.opblock').first().waitFor({ timeout: 30_000 });
      const summaries = await page.locator('.opblock-summary-path').allInnerTexts();
      const doc = (await (await fetch(`${server.url}/1.1/openapi.json`)).json()) as { paths: Record<string, object> };
      const operations = Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0);
      assert.equal(summaries.length, operations);
      assert.ok(summaries.some((s) => s.includes('/1.1/account/update_profile_image.json')), summaries.join(' '));
      const origin = new URL(server.url).origin;
      const foreign = requests.filter((u) => !u.startsWith('data:') && new URL(u).origin !== origin);
      assert.deepEqual(foreign, []);
      assert.ok(requests.some((u) => u.endsWith('/docs/json')), requests.join(' '));
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
    }
  });
});
