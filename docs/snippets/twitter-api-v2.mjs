// twitter-api-v2 against Plumage: point the v1.1 client at the server. The library always
// calls https.request; an http.Agent lets it speak plain http.
import http from 'node:http';
import { TwitterApi } from 'twitter-api-v2';

const base = process.env.API_BASE;
const client = new TwitterApi(
  {
    appKey: process.env.CONSUMER_KEY,
    appSecret: process.env.CONSUMER_SECRET,
    accessToken: process.env.ACCESS_TOKEN,
    accessSecret: process.env.ACCESS_TOKEN_SECRET,
  },
  base.startsWith('http:') ? { httpAgent: new http.Agent() } : {},
);
const v1 = client.v1;
v1.setPrefix(`${base}/1.1/`);

let me = await v1.verifyCredentials();
console.log('screen_name:', me.screen_name);

me = await v1.post('account/update_profile_colors.json', { profile_link_color: 'FF00AA' });
console.log('profile_link_color:', me.profile_link_color);
