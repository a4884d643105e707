// twitter-lite against Plumage. It builds https://api.twitter.com/1.1; set the instance's url.
import Twitter from 'twitter-lite';

const client = new Twitter({
  consumer_key: process.env.CONSUMER_KEY,
  consumer_secret: process.env.CONSUMER_SECRET,
  access_token_key: process.env.ACCESS_TOKEN,
  access_token_secret: process.env.ACCESS_TOKEN_SECRET,
});
client.url = `${process.env.API_BASE}/1.1`;

let me = await client.get('account/verify_credentials');
console.log('screen_name:', me.screen_name);

me = await client.post('account/update_profile_colors', { profile_link_color: 'FF00AA' });
console.log('profile_link_color:', me.profile_link_color);
