// PLUMAGE_METRICS_TOKEN: off by default, a long token turns /metrics on, a weak one is refused
// without being repeated in the message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, inputFromEnv, loadConfig } from '../../src/config.ts';

test('PLUMAGE_METRICS_TOKEN: unset is off; 16+ printable characters; never echoed', () => {
  assert.equal(loadConfig({}).metricsToken, null);
  const token = 'a'.repeat(16) + '-_.~!';
  assert.equal(loadConfig(inputFromEnv({ PLUMAGE_METRICS_TOKEN: token })).metricsToken, token);
  for (const bad of ['short-secret', 'has a space in it here', 'x'.repeat(257)]) {
    assert.throws(
      () => loadConfig({ metricsToken: bad }),
      (e: unknown) => e instanceof ConfigError && /PLUMAGE_METRICS_TOKEN must be 16 to 256 printable characters/.test(e.message) && !e.message.includes(bad),
    );
  }
});
