// twit against Plumage. twit has no base URL option; it reads REST_ROOT at request time.
const Twit = require('twit');
require('twit/lib/endpoints').REST_ROOT = `${process.env.API_BASE}/1.1/`;

const T = new Twit({
  consumer_key: process.env.CONSUMER_KEY,
  consumer_secret: process.env.CONSUMER_SECRET,
  access_token: process.env.ACCESS_TOKEN,
  access_token_secret: process.env.ACCESS_TOKEN_SECRET,
});

(async () => {
  let { data: me } = await T.get('account/verify_credentials');
  console.log('screen_name:', me.screen_name);

  ({ data: me } = await T.post('account/update_profile_colors', { profile_link_color: 'FF00AA' }));
  console.log('profile_link_color:', me.profile_link_color);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
