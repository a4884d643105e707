// PLUMAGE_MEDIA_URL: uploaded images are linked at a CDN or public bucket; the path under it
// is the blob key, the same path Plumage itself serves. The default avatar stays on Plumage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer } from '../helpers/server.ts';
import { signedFetch } from '../helpers/signing.ts';
import { fixture } from '../fixtures/images.ts';

test('with PLUMAGE_MEDIA_URL, avatar, background and banner URLs point at the CDN', async () => {
  const cdn = 'https://cdn.plumage.example/media';
  const server = await startTestServer({ mediaUrl: `${cdn}/` });
  try {
    const alice = await server.account('alice');
    const fresh = await signedFetch(server.url, alice, 'GET', '/1.1/account/verify_credentials.json');
    assert.equal(fresh.json.profile_image_url, `${server.url}/sticky/default_profile_images/default_profile_normal.png`);

    const upload = (field: string, name: Parameters<typeof fixture>[0], path: string) => {
      const form = new FormData();
      form.append(field, new Blob([fixture(name)]));
      return signedFetch(server.url, alice, 'POST', path, { body: form });
    };
    const avatar = await upload('image', 'progressive.jpg', '/1.1/account/update_profile_image.json');
    assert.equal(avatar.status, 200, avatar.text);
    assert.match(avatar.json.profile_image_url, /^https:\/\/cdn\.plumage\.example\/media\/profile_images\/\d+\/[0-9a-f]{16}_normal\.jpg$/);
    assert.equal(avatar.json.profile_image_url_https, avatar.json.profile_image_url);
    const bg = await upload('image', 'alpha.png', '/1.1/account/update_profile_background_image.json');
    assert.match(bg.json.profile_background_image_url, /^https:\/\/cdn\.plumage\.example\/media\/profile_background_images\//);
    assert.equal((await upload('banner', 'wide.jpg', '/1.1/account/update_profile_banner.json')).status, 201);
    const me = await signedFetch(server.url, alice, 'GET', '/1.1/account/verify_credentials.json');
    assert.match(me.json.profile_banner_url, new RegExp(`^${cdn.replace(/\./g, '\\.')}/profile_banners/${alice.userId}/\\d+$`));
    const sizes = await signedFetch(server.url, alice, 'GET', '/1.1/users/profile_banner.json');
    assert.ok(sizes.json.sizes.web.url.startsWith(`${cdn}/profile_banners/`));

    // The path under the CDN base is what Plumage serves too: the CDN's origin can be either.
    for (const u of [avatar.json.profile_image_url, bg.json.profile_background_image_url, sizes.json.sizes.web.url]) {
      const res = await fetch(u.replace(cdn, server.url));
      assert.equal(res.status, 200, u);
    }
  } finally {
    await server.close();
  }
});
