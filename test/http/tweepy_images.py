"""Drives unmodified tweepy through Plumage's profile appearance endpoints over HTTPS.

Run by test/http/tweepy-images.test.ts with /usr/bin/python3 (the Debian python3-tweepy) and
REQUESTS_CA_BUNDLE pointing at the server's self-signed certificate. Every call is made the
way a tweepy user would make it: the methods tweepy 4.12 has (update_profile_image,
update_profile_banner, get_profile_banner, remove_profile_banner), and its public generic
API.request for the two calls it dropped in v4 (update_profile_colors,
update_profile_background_image). tweepy sends images as multipart file parts and every other
parameter in the query string.

argv: HOST:PORT CONSUMER_KEY CONSUMER_SECRET TOKEN TOKEN_SECRET SCREEN_NAME PHASE
      PHASE "upload": avatar, background, colours, banner, get_profile_banner;
      PHASE "remove": remove_profile_banner, get_profile_banner (404), the refused uploads.
      (Two runs, so the Node side can fetch the banner variants while they exist.)
env:  PLUMAGE_AVATAR, PLUMAGE_BACKGROUND, PLUMAGE_BANNER (image files to upload, phase upload),
      PLUMAGE_SVG, PLUMAGE_HTML (files that must be refused as profile images, phase remove)

Prints one JSON object on stdout. A step that fails is reported in the object ("error"), so
the Node side can show what went wrong; the exit status is 0 once the JSON is printed.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tweepy_common import run_client  # noqa: E402  (after the path set-up above)


COLOUR_PARAMS = (
    "profile_background_color",
    "profile_link_color",
    "profile_sidebar_border_color",
    "profile_sidebar_fill_color",
    "profile_text_color",
)


def main():
    host, ck, cs, token, ts, screen_name, phase = sys.argv[1:8]

    def body(tweepy, api, step, out):
        def refused(call):
            """Runs a call that must fail; returns what tweepy raised."""
            try:
                result = call()
                return {"raised": None, "result": repr(result)}
            except tweepy.errors.HTTPException as e:
                return {
                    "raised": type(e).__name__,
                    "status": e.response.status_code,
                    "api_codes": e.api_codes,
                    "api_messages": e.api_messages,
                }
            except tweepy.errors.TweepyException as e:
                return {"raised": type(e).__name__, "detail": str(e)}

        if phase == "upload":
            upload(api, screen_name, step, out)
        elif phase == "remove":
            remove(api, screen_name, step, out, refused)
        else:
            raise ValueError(f"unknown phase {phase!r}")

    run_client(host, ck, cs, token, ts, body, phase=phase)


def upload(api, screen_name, step, out):
    step("update_profile_image")
    me = api.update_profile_image(os.environ["PLUMAGE_AVATAR"], include_entities=False, skip_status=True)
    out["avatar"] = me._json

    step("update_profile_background_image (generic request)")
    with open(os.environ["PLUMAGE_BACKGROUND"], "rb") as f:
        me = api.request(
            "POST", "account/update_profile_background_image",
            endpoint_parameters=("tile", "use", "include_entities", "skip_status"),
            files={"image": f}, payload_type="user",
            tile="true", skip_status=True,
        )
    out["background"] = me._json

    step("update_profile_colors (generic request)")
    me = api.request(
        "POST", "account/update_profile_colors",
        endpoint_parameters=COLOUR_PARAMS + ("include_entities", "skip_status"),
        payload_type="user",
        profile_link_color="#f0a",
        profile_background_color="c0ffee",
        profile_sidebar_border_color="#AbCdEf",
        profile_sidebar_fill_color="fff",
        profile_text_color="#123456",
        skip_status=True,
    )
    out["colours"] = me._json

    step("update_profile_banner")
    out["banner_result"] = repr(api.update_profile_banner(
        os.environ["PLUMAGE_BANNER"], width=1500, height=500, offset_left=100, offset_top=200,
    ))

    step("get_profile_banner")
    out["banner"] = api.get_profile_banner(screen_name=screen_name)

    step("verify_credentials (with banner)")
    out["with_banner"] = api.verify_credentials()._json


def remove(api, screen_name, step, out, refused):
    step("remove_profile_banner")
    out["remove_result"] = repr(api.remove_profile_banner())

    step("get_profile_banner after removal")
    out["banner_after_removal"] = refused(lambda: api.get_profile_banner(screen_name=screen_name))

    step("update_profile_image with an SVG")
    out["svg"] = refused(lambda: api.update_profile_image(os.environ["PLUMAGE_SVG"], skip_status=True))

    step("update_profile_image with HTML named .png")
    out["html"] = refused(lambda: api.update_profile_image(os.environ["PLUMAGE_HTML"], skip_status=True))

    step("verify_credentials (final)")
    out["final"] = api.verify_credentials()._json


if __name__ == "__main__":
    main()
