# plumage request signs with any app's credentials (or --as a local account) and prints the
# status line and the JSON body.
set -eu
creds="--url $API_BASE --consumer-key $CONSUMER_KEY --consumer-secret $CONSUMER_SECRET --token $ACCESS_TOKEN --token-secret $ACCESS_TOKEN_SECRET"

npx plumage request $creds GET /1.1/account/verify_credentials.json
npx plumage request $creds POST /1.1/account/update_profile_colors.json -d profile_link_color=FF00AA
