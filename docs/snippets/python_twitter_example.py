# python-twitter 3 against Plumage: base_url takes http or https as it is.
import os

import twitter

api = twitter.Api(
    consumer_key=os.environ["CONSUMER_KEY"],
    consumer_secret=os.environ["CONSUMER_SECRET"],
    access_token_key=os.environ["ACCESS_TOKEN"],
    access_token_secret=os.environ["ACCESS_TOKEN_SECRET"],
    base_url=os.environ["API_BASE"] + "/1.1",
)

me = api.VerifyCredentials()
print("screen_name:", me.screen_name)

me = api.UpdateProfile(profile_link_color="FF00AA")
print("profile_link_color:", me.profile_link_color)
