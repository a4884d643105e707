"""What tweepy_client.py and tweepy_images.py share: import tweepy, build the API for the
credentials on the command line, run the script's steps, and print one JSON object.

A step that fails is reported in the object ("error", "traceback"), so the Node side can show
what went wrong; the exit status is 0 once the JSON is printed.
"""
import json
import traceback


def run_client(host, ck, cs, token, ts, body, **fields):
    """Calls body(tweepy, api, step, out) and prints out as JSON.

    out starts as {"tweepy_version", **fields, "steps"}; step(name) records the step about to
    run, so a failure names it. If tweepy cannot be imported, only that error is printed.
    """
    out = {"tweepy_version": None, **fields, "steps": []}
    try:
        import tweepy
    except ImportError as e:
        print(json.dumps({"error": f"import tweepy failed: {e}"}))
        return
    out["tweepy_version"] = tweepy.__version__

    def step(name):
        out["steps"].append(name)

    try:
        api = tweepy.API(tweepy.OAuth1UserHandler(ck, cs, token, ts), host=host)
        body(tweepy, api, step, out)
    except Exception as e:  # report, do not crash: the Node side asserts on the JSON
        out["error"] = f"{type(e).__name__}: {e}"
        out["traceback"] = traceback.format_exc()

    print(json.dumps(out))
