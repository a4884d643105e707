// Pure parts of the web pages: the escaping template helper, WCAG contrast, scrypt passwords,
// and which OAuth callbacks are approved.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cssString, escapeHtml, html, raw } from '../../src/web/html.ts';
import { contrastRatio, contrastWarnings } from '../../src/web/contrast.ts';
import { PasswordRuleError, hashPassword, verifyPassword } from '../../src/web/passwords.ts';
import { callbackApproved, parseCallbackUrl } from '../../src/web/oauth-flow.service.ts';

test('html`` escapes every interpolated value, keeps Html as markup, joins arrays, drops null/false', () => {
  assert.equal(escapeHtml(`<a href="x" onclick='y'>&\``), '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&#96;');
  const name = '<script>alert(1)</script>';
  assert.equal(html`<p title="${name}">${name}</p>`.value, '<p title="&lt;script&gt;alert(1)&lt;/script&gt;">&lt;script&gt;alert(1)&lt;/script&gt;</p>');
  assert.equal(html`<ul>${['a<', 'b&'].map((x) => html`<li>${x}</li>`)}</ul>`.value, '<ul><li>a&lt;</li><li>b&amp;</li></ul>');
  assert.equal(html`${null}${undefined}${false}${0}${raw('<br>')}`.value, '0<br>');
  assert.equal(cssString('http://x/a"b\\c\n'), '"http://x/a\\22 b\\5c c\\a "');
});

test('contrast: WCAG ratios and the warnings of a theme', () => {
  assert.equal(Math.round(contrastRatio('000000', 'FFFFFF') * 100) / 100, 21);
  assert.equal(contrastRatio('777777', '777777'), 1);
  assert.equal(Math.round(contrastRatio('767676', 'FFFFFF') * 100) / 100, 4.54);
  assert.deepEqual(contrastWarnings({ text: '333333', link: '1B6FA8', sidebarFill: 'DDEEF6' }), []);
  assert.deepEqual(contrastWarnings({ text: 'FAFAFA', link: '000000', sidebarFill: 'FFFFFF' }).map((w) => w.what), ['Text on the sidebar', 'Text on the profile card']);
});

test('passwords: scrypt with a random salt, verified only by the same password, rules enforced', async () => {
  const a = await hashPassword('correct horse battery');
  const b = await hashPassword('correct horse battery');
  assert.notEqual(a, b, 'a fresh salt each time');
  assert.match(a, /^scrypt\$16384\$8\$1\$/);
  assert.equal(await verifyPassword('correct horse battery', a), true);
  assert.equal(await verifyPassword('correct horse batterY', a), false);
  assert.equal(await verifyPassword('correct horse battery', 'plain-text'), false);
  assert.equal(await verifyPassword('correct horse battery', a.replace(/.{4}$/, 'AAA=')), false);
  await assert.rejects(hashPassword('short'), PasswordRuleError);
  await assert.rejects(hashPassword('x'.repeat(1025)), PasswordRuleError);
});

test('OAuth callbacks: http(s) only, same origin as the registered one, under its path', () => {
  assert.equal(parseCallbackUrl('javascript:alert(1)'), null);
  assert.equal(parseCallbackUrl('https://user:pw@app.example/cb'), null);
  assert.equal(parseCallbackUrl('not a url'), null);
  const reg = 'https://app.example/oauth/';
  const ok = (u: string) => callbackApproved(reg, parseCallbackUrl(u)!);
  assert.equal(ok('https://app.example/oauth/callback?state=1'), true);
  assert.equal(ok('https://app.example/oauth/'), true);
  assert.equal(ok('https://app.example/other'), false);
  assert.equal(ok('http://app.example/oauth/callback'), false);
  assert.equal(ok('https://app.example:8443/oauth/callback'), false);
  assert.equal(ok('https://app.example.evil.example/oauth/callback'), false);
  assert.equal(callbackApproved(undefined, parseCallbackUrl('https://app.example/oauth/x')!), false);
});
