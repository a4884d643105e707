"""Drives unmodified tweepy against a Plumage test server over HTTPS.

Run by test/http/tweepy-tls.test.ts with /usr/bin/python3 (the Debian python3-tweepy) and
REQUESTS_CA_BUNDLE pointing at the server's self-signed certificate.

argv: HOST:PORT CONSUMER_KEY CONSUMER_SECRET TOKEN TOKEN_SECRET
env:  PLUMAGE_NEW_NAME, PLUMAGE_NEW_LOCATION, PLUMAGE_NEW_DESCRIPTION (the profile to set)

Prints one JSON object on stdout. A step that fails is reported in the object ("error"), so
the Node side can show what went wrong; the exit status is 0 once the JSON is printed.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tweepy_common import run_client  # noqa: E402  (after the path set-up above)


def main():
    host, ck, cs, token, ts = sys.argv[1:6]

    def body(tweepy, api, step, out):
        step("verify_credentials")
        me = api.verify_credentials()
        out["verify"] = {"id_str": me.id_str, "screen_name": me.screen_name, "has_email": hasattr(me, "email")}

        step("verify_credentials(include_email=True)")
        me2 = api.verify_credentials(include_email=True)
        out["verify_email"] = {"id_str": me2.id_str, "screen_name": me2.screen_name}

        step("update_profile")
        updated = api.update_profile(
            name=os.environ["PLUMAGE_NEW_NAME"],
            location=os.environ["PLUMAGE_NEW_LOCATION"],
            description=os.environ["PLUMAGE_NEW_DESCRIPTION"],
        )
        out["id_str"] = updated.id_str
        out["screen_name"] = updated.screen_name
        out["name"] = updated.name
        out["location"] = updated.location
        out["description"] = updated.description

        step("wrong consumer secret")
        bad = tweepy.API(tweepy.OAuth1UserHandler(ck, cs + "x", token, ts), host=host)
        try:
            bad.verify_credentials()
            out["wrong_secret"] = {"raised": None}
        except tweepy.errors.Unauthorized as e:
            out["wrong_secret"] = {
                "raised": "Unauthorized",
                "status": e.response.status_code,
                "api_codes": e.api_codes,
                "api_messages": e.api_messages,
            }
        except tweepy.errors.TweepyException as e:
            out["wrong_secret"] = {"raised": type(e).__name__, "detail": str(e)}
        out["api_codes"] = out["wrong_secret"].get("api_codes")

    run_client(host, ck, cs, token, ts, body)


if __name__ == "__main__":
    main()
