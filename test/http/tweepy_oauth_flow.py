"""The three-legged flow with tweepy's OAuth1UserHandler and callback="oob" (PIN), as a
desktop application does it. Run by test/http/web-oauth.test.ts with /usr/bin/python3.

argv: host (127.0.0.1:PORT), consumer key, consumer secret. Prints one JSON line with the
authorization URL, reads the PIN from stdin, then prints one JSON line with the access token
and what verify_credentials returned for it. tweepy hard-codes api.twitter.com for the OAuth
endpoints, so the one method that builds those URLs points at the test server instead.
"""
import json
import sys
import traceback


def main():
    host, ck, cs = sys.argv[1:4]
    import tweepy

    class PlumageAuth(tweepy.OAuth1UserHandler):
        def _get_oauth_url(self, endpoint):
            return f"https://{host}/oauth/{endpoint}"

    try:
        auth = PlumageAuth(ck, cs, callback="oob")
        url = auth.get_authorization_url()
        print(json.dumps({"authorize_url": url, "request_token": auth.request_token}), flush=True)
        pin = sys.stdin.readline().strip()
        token, secret = auth.get_access_token(pin)
        api = tweepy.API(auth, host=host)
        me = api.verify_credentials()
        print(json.dumps({"token": token, "secret": secret, "id_str": me.id_str, "screen_name": me.screen_name}), flush=True)
    except Exception as e:  # report, do not crash: the Node side asserts on the JSON
        print(json.dumps({"error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()}), flush=True)


main()
