// A browser without JavaScript, for tests of the web pages over plain HTTP: a cookie jar, and
// fetch with redirects left to the test. Signs in through the real sign-in form.
import assert from 'node:assert/strict';

export class Visitor {
  readonly cookies = new Map<string, string>();
  constructor(readonly base: string) {}

  async go(path: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; text: string }> {
    const headers = new Headers(init.headers);
    if (!headers.has('accept')) headers.set('accept', 'text/html');
    if (this.cookies.size) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(this.base + path, { ...init, headers, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i);
      const value = pair!.slice(i + 1);
      if (value === '' || /Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return { status: res.status, headers: res.headers, text: await res.text() };
  }

  /** The CSRF token of a page's forms. */
  csrf(page: string): string {
    const m = /name="csrf_token" value="([^"]+)"/.exec(page);
    assert.ok(m, 'the page has a CSRF field');
    return m[1]!;
  }

  post(path: string, fields: Record<string, string> | FormData) {
    if (fields instanceof FormData) return this.go(path, { method: 'POST', body: fields });
    return this.go(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
  }

  async signIn(screenName: string, password: string): Promise<void> {
    const login = await this.go('/login');
    const res = await this.post('/login', { csrf_token: this.csrf(login.text), screen_name: screenName, password, next: '/settings/design' });
    assert.equal(res.status, 303, res.text.slice(0, 300));
    assert.ok(this.cookies.has('plumage_session'), 'signed in');
  }
}
