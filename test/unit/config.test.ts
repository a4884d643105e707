// loadConfig: defaults, PLUMAGE_PUBLIC_URL normalisation, the TLS pair, booleans, numbers, freezing.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, inputFromEnv, loadConfig, type ConfigInput } from '../../src/config.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumage-config-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
// loadConfig only reads the files; it leaves parsing the PEM to the TLS layer.
const certFile = path.join(dir, 'cert.pem');
const keyFile = path.join(dir, 'key.pem');
fs.writeFileSync(certFile, 'CERT BYTES\n');
fs.writeFileSync(keyFile, 'KEY BYTES\n');

/** Asserts loadConfig refuses the input with a ConfigError whose message matches. */
function refuses(input: ConfigInput, message: RegExp): void {
  assert.throws(() => loadConfig(input, dir), (e: unknown) => {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    assert.match(e.message, message);
    return true;
  });
}

describe('defaults', () => {
  test('an empty input gives the documented defaults', () => {
    const c = loadConfig({}, dir);
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.port, 3000);
    assert.equal(c.dataDir, path.join(dir, 'data'));
    assert.equal(c.publicUrl, 'http://127.0.0.1:3000');
    assert.equal(c.publicUrlExplicit, false);
    assert.equal(c.publicHttpsUrl, 'http://127.0.0.1:3000');
    assert.equal(c.tls, null);
    assert.equal(c.trustProxy, false);
    assert.equal(c.timestampSkew, 300);
    assert.equal(c.requireTls, false);
    assert.equal(c.logLevel, 'info');
    assert.deepEqual(c.limits, { avatarBytes: 716800, backgroundBytes: 819200, bannerBytes: 5242880, maxPixels: 50_000_000 });
  });

  test('the data folder resolves against the working directory; an absolute one stays', () => {
    assert.equal(loadConfig({ dataDir: 'var/plumage' }, dir).dataDir, path.join(dir, 'var', 'plumage'));
    const abs = path.join(os.tmpdir(), 'elsewhere');
    assert.equal(loadConfig({ dataDir: abs }, dir).dataDir, abs);
    assert.equal(loadConfig({}).dataDir, path.resolve(process.cwd(), 'data'));
  });

  test('the default public URL follows host and port', () => {
    assert.equal(loadConfig({ host: 'example.test', port: '8080' }, dir).publicUrl, 'http://example.test:8080');
    assert.equal(loadConfig({ host: '0.0.0.0' }, dir).publicUrl, 'http://127.0.0.1:3000');
    assert.equal(loadConfig({ host: '::1' }, dir).publicUrl, 'http://[::1]:3000');
  });

  test('a malformed host is refused', () => {
    refuses({ host: 'exa mple' }, /^PLUMAGE_HOST /);
    refuses({ host: 'a/b' }, /^PLUMAGE_HOST /);
  });

  test('inputFromEnv reads PLUMAGE_* variables and ignores empty values and other names', () => {
    const input = inputFromEnv({
      PLUMAGE_HOST: '0.0.0.0',
      PLUMAGE_PORT: '8443',
      PLUMAGE_PUBLIC_URL: '',
      PLUMAGE_TIMESTAMP_SKEW: '60',
      PLUMAGE_MAX_PIXELS: '1000',
      HOST: 'ignored',
      PORT: '1',
    });
    assert.deepEqual(input, { host: '0.0.0.0', port: '8443', timestampSkew: '60', maxPixels: '1000' });
    const c = loadConfig(input, dir);
    assert.equal(c.port, 8443);
    assert.equal(c.timestampSkew, 60);
    assert.equal(c.limits.maxPixels, 1000);
  });
});

describe('PLUMAGE_PUBLIC_URL', () => {
  test('trailing slashes are removed and the path is kept', () => {
    const c = loadConfig({ publicUrl: 'https://api.example.org/' }, dir);
    assert.equal(c.publicUrl, 'https://api.example.org');
    assert.equal(c.publicUrlExplicit, true);
    assert.equal(c.publicHttpsUrl, 'https://api.example.org');
    assert.equal(loadConfig({ publicUrl: 'http://example.org:8080/plumage///' }, dir).publicUrl, 'http://example.org:8080/plumage');
    assert.equal(loadConfig({ publicUrl: 'HTTPS://API.Example.ORG' }, dir).publicUrl, 'https://api.example.org');
  });

  test('a default port is dropped, like clients drop it from the base string', () => {
    assert.equal(loadConfig({ publicUrl: 'https://api.example.org:443/' }, dir).publicUrl, 'https://api.example.org');
    assert.equal(loadConfig({ publicUrl: 'http://api.example.org:80' }, dir).publicUrl, 'http://api.example.org');
  });

  test('a query, a fragment or credentials are refused', () => {
    refuses({ publicUrl: 'https://api.example.org/?x=1' }, /^PLUMAGE_PUBLIC_URL must not carry a query/);
    refuses({ publicUrl: 'https://api.example.org/#top' }, /^PLUMAGE_PUBLIC_URL must not carry a query, fragment/);
    refuses({ publicUrl: 'https://user:pw@api.example.org' }, /^PLUMAGE_PUBLIC_URL must not carry/);
  });

  test('a scheme other than http or https is refused, and so is a non-URL', () => {
    refuses({ publicUrl: 'ftp://api.example.org' }, /^PLUMAGE_PUBLIC_URL must start with http:\/\/ or https:\/\//);
    refuses({ publicUrl: 'ws://api.example.org' }, /^PLUMAGE_PUBLIC_URL must start with http/);
    refuses({ publicUrl: 'api.example.org' }, /^PLUMAGE_PUBLIC_URL is not a URL/);
  });
});

describe('TLS', () => {
  test('a certificate without a key, or a key without a certificate, is refused', () => {
    refuses({ tlsCert: certFile }, /^PLUMAGE_TLS_CERT and PLUMAGE_TLS_KEY must be given together$/);
    refuses({ tlsKey: keyFile }, /^PLUMAGE_TLS_CERT and PLUMAGE_TLS_KEY must be given together$/);
  });

  test('an unreadable file is named', () => {
    refuses({ tlsCert: path.join(dir, 'missing.pem'), tlsKey: keyFile }, /^PLUMAGE_TLS_CERT: cannot read .*missing\.pem \(ENOENT\)$/);
    refuses({ tlsCert: certFile, tlsKey: path.join(dir, 'nokey.pem') }, /^PLUMAGE_TLS_KEY: cannot read .*nokey\.pem \(ENOENT\)$/);
  });

  test('the pair is loaded and the default public URL becomes https', () => {
    const c = loadConfig({ tlsCert: certFile, tlsKey: keyFile, port: '8443' }, dir);
    assert.ok(c.tls);
    assert.equal(c.tls.cert.toString(), 'CERT BYTES\n');
    assert.equal(c.tls.key.toString(), 'KEY BYTES\n');
    assert.equal(c.publicUrl, 'https://127.0.0.1:8443');
    assert.equal(c.publicHttpsUrl, 'https://127.0.0.1:8443');
  });

  test('with TLS and an http public URL, the https twin serves the _https fields', () => {
    const c = loadConfig({ tlsCert: certFile, tlsKey: keyFile, publicUrl: 'http://example.org:8080/p/' }, dir);
    assert.equal(c.publicUrl, 'http://example.org:8080/p');
    assert.equal(c.publicHttpsUrl, 'https://example.org:8080/p');
  });

  test('an explicit https public URL is kept when TLS terminates elsewhere', () => {
    const c = loadConfig({ publicUrl: 'https://api.example.org' }, dir);
    assert.equal(c.tls, null);
    assert.equal(c.publicUrl, 'https://api.example.org');
  });
});

describe('booleans', () => {
  for (const v of ['1', 'true', 'TRUE', ' True ', 'yes', 'on']) {
    test(`"${v}" is true`, () => {
      const c = loadConfig({ trustProxy: v, requireTls: v }, dir);
      assert.equal(c.trustProxy, true);
      assert.equal(c.requireTls, true);
    });
  }
  for (const v of ['0', 'false', 'False', 'no', 'off']) {
    test(`"${v}" is false`, () => {
      const c = loadConfig({ trustProxy: v, requireTls: v }, dir);
      assert.equal(c.trustProxy, false);
      assert.equal(c.requireTls, false);
    });
  }
  test('anything else is refused, naming the variable', () => {
    refuses({ trustProxy: 'maybe' }, /^PLUMAGE_TRUST_PROXY must be true or false, got "maybe"$/);
    refuses({ requireTls: '2' }, /^PLUMAGE_REQUIRE_TLS must be true or false, got "2"$/);
  });
});

describe('numbers', () => {
  test('ports 0 and 65535 are the bounds', () => {
    assert.equal(loadConfig({ port: '0' }, dir).port, 0);
    assert.equal(loadConfig({ port: '65535' }, dir).port, 65535);
    refuses({ port: '65536' }, /^PLUMAGE_PORT must be between 0 and 65535, got 65536$/);
  });

  test('a port that is not a whole number is refused', () => {
    refuses({ port: 'abc' }, /^PLUMAGE_PORT must be a whole number, got "abc"$/);
    refuses({ port: '-1' }, /^PLUMAGE_PORT must be a whole number/);
    refuses({ port: '80.5' }, /^PLUMAGE_PORT must be a whole number/);
    refuses({ port: '1e3' }, /^PLUMAGE_PORT must be a whole number/);
  });

  test('the timestamp skew is between 1 second and a day', () => {
    assert.equal(loadConfig({ timestampSkew: '1' }, dir).timestampSkew, 1);
    assert.equal(loadConfig({ timestampSkew: '86400' }, dir).timestampSkew, 86400);
    refuses({ timestampSkew: '0' }, /^PLUMAGE_TIMESTAMP_SKEW must be between 1 and 86400, got 0$/);
    refuses({ timestampSkew: '86401' }, /^PLUMAGE_TIMESTAMP_SKEW must be between 1 and 86400, got 86401$/);
  });

  test('upload limits are bounded', () => {
    assert.equal(loadConfig({ avatarBytes: '1024' }, dir).limits.avatarBytes, 1024);
    refuses({ avatarBytes: '0' }, /^PLUMAGE_MAX_AVATAR_BYTES must be between 1 and 67108864, got 0$/);
    refuses({ bannerBytes: '67108865' }, /^PLUMAGE_MAX_BANNER_BYTES must be between/);
    refuses({ maxPixels: 'lots' }, /^PLUMAGE_MAX_PIXELS must be a whole number/);
  });

  test('log levels come from the pino list', () => {
    assert.equal(loadConfig({ logLevel: 'silent' }, dir).logLevel, 'silent');
    refuses({ logLevel: 'verbose' }, /^PLUMAGE_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent$/);
  });
});

test('the result is frozen, limits included', () => {
  const c = loadConfig({}, dir);
  assert.ok(Object.isFrozen(c));
  assert.ok(Object.isFrozen(c.limits));
  assert.throws(() => {
    (c as { port: number }).port = 1;
  }, TypeError);
  assert.throws(() => {
    (c.limits as { maxPixels: number }).maxPixels = 1;
  }, TypeError);
  assert.equal(c.port, 3000);
  assert.equal(c.limits.maxPixels, 50_000_000);
});

describe('PLUMAGE_RATE_LIMITS', () => {
  test('unset and "on" give the documented defaults', () => {
    for (const rateLimits of [undefined, 'on', ' ON ']) {
      const c = loadConfig({ rateLimits }, dir);
      assert.equal(c.rateLimits.enabled, true);
      assert.equal(c.rateLimits.limits['account/verify_credentials'], 75);
      assert.equal(c.rateLimits.limits['users/show'], 900);
      assert.equal(c.rateLimits.limits['users/profile_banner'], 180);
      assert.equal(c.rateLimits.limits['application/rate_limit_status'], 180);
      assert.equal(c.rateLimits.limits['account/update_profile_colors'], 300);
      assert.equal(c.rateLimits.limits['account/update_profile_image'], 300);
    }
  });
  test('"off" disables them', () => {
    assert.equal(loadConfig(inputFromEnv({ PLUMAGE_RATE_LIMITS: 'off' }), dir).rateLimits.enabled, false);
  });
  test('overrides per endpoint, and "post" for every POST account endpoint', () => {
    const c = loadConfig({ rateLimits: 'users/show=1800, post=1000,account/update_profile_image=20' }, dir);
    assert.equal(c.rateLimits.limits['users/show'], 1800);
    assert.equal(c.rateLimits.limits['account/verify_credentials'], 75);
    assert.equal(c.rateLimits.limits['account/update_profile_colors'], 1000);
    assert.equal(c.rateLimits.limits['account/remove_profile_banner'], 1000);
    assert.equal(c.rateLimits.limits['account/update_profile_image'], 20);
    assert.ok(Object.isFrozen(c.rateLimits.limits));
  });
  test('unknown endpoints, zero and garbage are refused by name', () => {
    refuses({ rateLimits: 'statuses/update=5' }, /PLUMAGE_RATE_LIMITS: unknown endpoint "statuses\/update"/);
    refuses({ rateLimits: 'users/show=0' }, /at least 1/);
    refuses({ rateLimits: 'users/show=lots' }, /PLUMAGE_RATE_LIMITS must be "on", "off" or a list/);
    refuses({ rateLimits: 'users/show=5;' }, /PLUMAGE_RATE_LIMITS must be/);
  });
});
