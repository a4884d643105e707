"""Drives unmodified python-twitter (Debian python3-twitter 3.3) through Plumage over plain HTTP.

Run by test/http/python-twitter.test.ts with /usr/bin/python3. python-twitter takes an http
base URL as it is (clients.md §1) and reaches every profile endpoint through base_url (its
upload_url is only for media/upload). It sends every POST as an urlencoded body, images as
base64 in the field `image` (`banner` for the banner); UpdateImage, UpdateBackgroundImage and
UpdateBanner only look at the status: 2xx -> True, 400 -> TwitterError('Image data could not
be processed'), 422 -> TwitterError('The image could not be resized or is too large.').

argv: BASE_URL CONSUMER_KEY CONSUMER_SECRET TOKEN TOKEN_SECRET
env:  PLUMAGE_AVATAR, PLUMAGE_BACKGROUND, PLUMAGE_BANNER (images to upload),
      PLUMAGE_SVG, PLUMAGE_HTML (files that must be refused as profile images),
      PLUMAGE_NEW_NAME, PLUMAGE_NEW_URL, PLUMAGE_NEW_LOCATION, PLUMAGE_NEW_DESCRIPTION,
      PLUMAGE_NEW_LINK_COLOR (the UpdateProfile values)

Prints one JSON object on stdout. A step that fails is reported in the object ("error",
"traceback"), so the Node side can show what went wrong; the exit status is 0 once the JSON
is printed.
"""
import json
import os
import sys
import traceback
import warnings


def main():
    base_url, ck, cs, token, ts = sys.argv[1:6]
    out = {"version": None, "steps": []}

    def step(name):
        out["steps"].append(name)

    try:
        import twitter
    except ImportError as e:
        print(json.dumps({"error": f"import twitter failed: {e}"}))
        return
    out["version"] = twitter.__version__

    def api_with(consumer_secret):
        return twitter.Api(
            consumer_key=ck,
            consumer_secret=consumer_secret,
            access_token_key=token,
            access_token_secret=ts,
            base_url=base_url,
        )

    def user_view(u):
        """What python-twitter hands its caller: the User model's fields, plus a few raw ones it drops."""
        view = {k: getattr(u, k) for k in u.param_defaults if k != "status"}
        view["id"] = str(u.id)  # a 64-bit id does not survive JSON.parse as a number
        raw = getattr(u, "_json", {})
        for k in ("id_str", "profile_image_url_https", "profile_background_image_url_https", "profile_use_background_image"):
            view[k] = raw.get(k)
        return view

    def refused(call):
        """Runs a call that must fail; returns what python-twitter raised."""
        try:
            return {"raised": None, "result": repr(call())}
        except twitter.TwitterError as e:
            return {"raised": type(e).__name__, "message": e.message}

    try:
        api = api_with(cs)
        bad = api_with(cs + "x")

        step("VerifyCredentials(include_email=True)")
        out["before"] = user_view(api.VerifyCredentials(include_email=True))

        step("VerifyCredentials with a wrong consumer secret")
        out["wrong_secret"] = refused(lambda: bad.VerifyCredentials())

        step("UpdateImage with a wrong consumer secret")
        out["wrong_secret_image"] = refused(lambda: bad.UpdateImage(os.environ["PLUMAGE_AVATAR"]))

        step("UpdateProfile")
        out["profile"] = user_view(api.UpdateProfile(
            name=os.environ["PLUMAGE_NEW_NAME"],
            profileURL=os.environ["PLUMAGE_NEW_URL"],
            location=os.environ["PLUMAGE_NEW_LOCATION"],
            description=os.environ["PLUMAGE_NEW_DESCRIPTION"],
            profile_link_color=os.environ["PLUMAGE_NEW_LINK_COLOR"],
        ))

        step("UpdateImage")
        out["image_result"] = api.UpdateImage(os.environ["PLUMAGE_AVATAR"], skip_status=True)

        step("UpdateBackgroundImage(tile=True)")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out["background_result"] = api.UpdateBackgroundImage(os.environ["PLUMAGE_BACKGROUND"], tile=True, skip_status=True)
        out["background_warnings"] = [type(w.message).__name__ for w in caught]

        step("UpdateBanner")
        out["banner_result"] = api.UpdateBanner(os.environ["PLUMAGE_BANNER"])

        step("UpdateImage with an SVG")
        out["svg"] = refused(lambda: api.UpdateImage(os.environ["PLUMAGE_SVG"]))

        step("UpdateImage with HTML named .png")
        out["html"] = refused(lambda: api.UpdateImage(os.environ["PLUMAGE_HTML"]))

        step("VerifyCredentials (final)")
        out["after"] = user_view(api.VerifyCredentials(include_email=True))
    except Exception as e:  # report, do not crash: the Node side asserts on the JSON
        out["error"] = f"{type(e).__name__}: {e}"
        out["traceback"] = traceback.format_exc()

    print(json.dumps(out))


if __name__ == "__main__":
    main()
