# tweepy 4 against Plumage (a script named tweepy.py would shadow the module). tweepy always
# builds https://<host>/1.1/<endpoint>.json; host may carry a path prefix. For a plain-http
# server, swap the scheme before requests signs the call.
import os
from urllib.parse import urlsplit

import tweepy

base = urlsplit(os.environ["API_BASE"])  # e.g. http://127.0.0.1:3000
auth = tweepy.OAuth1UserHandler(
    os.environ["CONSUMER_KEY"], os.environ["CONSUMER_SECRET"],
    os.environ["ACCESS_TOKEN"], os.environ["ACCESS_TOKEN_SECRET"],
)
api = tweepy.API(auth, host=base.netloc + base.path.rstrip("/"))

if base.scheme == "http":
    send = api.session.request
    api.session.request = lambda method, url, *args, **kwargs: send(
        method, "http://" + url[len("https://"):], *args, **kwargs)

me = api.verify_credentials()
print("screen_name:", me.screen_name)

# update_profile_colors has no tweepy method; the generic request reaches it.
me = api.request(
    "POST", "account/update_profile_colors",
    endpoint_parameters=("profile_link_color",), payload_type="user",
    profile_link_color="FF00AA",
)
print("profile_link_color:", me.profile_link_color)
