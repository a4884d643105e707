# Drives the unmodified Ruby twitter gem (Debian ruby-twitter 7.0.0) through Plumage's account
# and profile appearance calls over HTTPS.
#
# Run by test/http/ruby-twitter.test.ts with /usr/bin/ruby and SSL_CERT_FILE pointing at the
# server's self-signed certificate. The gem has no base URL option: every path is
# Twitter::REST::Request::BASE_URL + "/1.1/...json", so the constant is replaced, as
# clients.md section 1 shows. That is the only change; every call below is an ordinary
# public method of Twitter::REST::Client, used the way a Ruby caller would use it.
#
# argv: BASE_URL CONSUMER_KEY CONSUMER_SECRET TOKEN TOKEN_SECRET PHASE
#       PHASE "upload":  verify_credentials, update_profile, update_profile_image,
#                        update_profile_background_image(tile: true),
#                        update_profile_banner(Base64.strict_encode64), profile_banner;
#       PHASE "wrapped": update_profile_banner(Base64.encode64: newline every 60 chars), profile_banner;
#       PHASE "remove":  remove_profile_banner, profile_banner (NotFound), an SVG as the profile
#                        image (BadRequest), a wrong consumer secret (Unauthorized), verify_credentials.
#       (Separate runs, so the Node side can fetch each banner's variants while they exist.)
# env:  PLUMAGE_NAME, PLUMAGE_LOCATION, PLUMAGE_URL, PLUMAGE_DESCRIPTION, PLUMAGE_LINK_COLOR
#       (update_profile values), PLUMAGE_AVATAR, PLUMAGE_BACKGROUND, PLUMAGE_BANNER,
#       PLUMAGE_BANNER_WRAPPED, PLUMAGE_SVG (image files).
#
# Prints one JSON object on stdout. A step that fails unexpectedly is reported in the object
# ("error", "backtrace", the last of "steps"), so the Node side can show what went wrong; the
# exit status is 0 once the JSON is printed.
require 'json'
require 'base64'

out = { 'gem_version' => nil, 'steps' => [] }
begin
  require 'twitter'
rescue LoadError => e
  puts JSON.generate('error' => "require 'twitter' failed (Debian package ruby-twitter): #{e.message}")
  exit 0
end
out['gem_version'] = Twitter::Version.to_s

base, ck, cs, token, ts, phase = ARGV
out['phase'] = phase

# The documented minimal change of the base URL (clients.md section 1).
Twitter::REST::Request.send(:remove_const, :BASE_URL)
Twitter::REST::Request.const_set(:BASE_URL, base)

def client_for(ck, cs, token, ts)
  Twitter::REST::Client.new do |c|
    c.consumer_key = ck
    c.consumer_secret = cs
    c.access_token = token
    c.access_token_secret = ts
  end
end

# What the Node side needs of a Twitter::User: the raw attributes (ids as strings: JSON numbers
# above 2^53 do not survive JavaScript) and what the gem's own accessors make of them.
def user_json(user)
  attrs = user.to_h.dup
  attrs.delete(:id)
  attrs.delete(:status)
  {
    'class' => user.class.name,
    'gem_id' => user.id.to_s,
    'gem_screen_name' => user.screen_name,
    'gem_name' => user.name,
    'gem_location' => user.location,
    'gem_description' => user.description,
    'gem_website' => user.website.to_s,
    'gem_profile_link_color' => user.profile_link_color,
    'gem_default_profile_image' => user.default_profile_image?,
    'gem_profile_image_url' => user.profile_image_url.to_s,
    'gem_profile_image_url_https' => {
      'normal' => user.profile_image_url_https.to_s,
      'mini' => user.profile_image_url_https(:mini).to_s,
      'bigger' => user.profile_image_url_https(:bigger).to_s,
      '400x400' => user.profile_image_url_https('400x400').to_s,
      'original' => user.profile_image_url_https(:original).to_s,
    },
    'gem_profile_banner_url_https' => user.profile_banner_uri? ? user.profile_banner_url_https(:web).to_s : nil,
    'gem_profile_background_tile' => user.profile_background_tile?,
    'attrs' => attrs,
  }
end

def banner_json(banner)
  {
    'class' => banner.class.name,
    'sizes' => banner.sizes.to_h { |name, size| [name.to_s, { 'w' => size.w, 'h' => size.h }] },
    'attrs' => banner.to_h,
  }
end

# Runs a call that must fail; returns what the gem raised.
def refused
  result = yield
  { 'raised' => nil, 'result' => result.inspect }
rescue Twitter::Error => e
  { 'raised' => e.class.name, 'code' => e.code, 'message' => e.message }
end

begin
  client = client_for(ck, cs, token, ts)
  step = ->(name) { out['steps'] << name }

  case phase
  when 'upload'
    step.call('verify_credentials')
    out['before'] = user_json(client.verify_credentials)

    step.call('update_profile')
    out['profile'] = user_json(client.update_profile(
      name: ENV.fetch('PLUMAGE_NAME'),
      location: ENV.fetch('PLUMAGE_LOCATION'),
      url: ENV.fetch('PLUMAGE_URL'),
      description: ENV.fetch('PLUMAGE_DESCRIPTION'),
      profile_link_color: ENV.fetch('PLUMAGE_LINK_COLOR'),
    ))

    step.call('update_profile_image')
    out['avatar'] = user_json(client.update_profile_image(File.new(ENV.fetch('PLUMAGE_AVATAR'))))

    step.call('update_profile_background_image')
    out['background'] = user_json(client.update_profile_background_image(File.new(ENV.fetch('PLUMAGE_BACKGROUND')), tile: true))

    step.call('update_profile_banner (Base64.strict_encode64)')
    out['banner_result'] = client.update_profile_banner(Base64.strict_encode64(File.binread(ENV.fetch('PLUMAGE_BANNER'))))

    step.call('profile_banner')
    out['banner'] = banner_json(client.profile_banner)

    step.call('verify_credentials (after)')
    out['after'] = user_json(client.verify_credentials)
  when 'wrapped'
    encoded = Base64.encode64(File.binread(ENV.fetch('PLUMAGE_BANNER_WRAPPED')))
    out['wrapped_newlines'] = encoded.count("\n")
    step.call('update_profile_banner (Base64.encode64)')
    out['banner_result'] = client.update_profile_banner(encoded)

    step.call('profile_banner')
    out['banner'] = banner_json(client.profile_banner)

    step.call('verify_credentials (after)')
    out['after'] = user_json(client.verify_credentials)
  when 'remove'
    step.call('remove_profile_banner')
    out['remove_result'] = client.remove_profile_banner

    step.call('profile_banner (none)')
    out['banner_after_removal'] = refused { client.profile_banner }

    step.call('update_profile_image (SVG)')
    out['svg'] = refused { client.update_profile_image(File.new(ENV.fetch('PLUMAGE_SVG'))) }

    step.call('wrong consumer secret')
    wrong = client_for(ck, "#{cs}x", token, ts)
    out['wrong_secret'] = refused { wrong.verify_credentials }
    out['wrong_secret_update'] = refused { wrong.update_profile(name: 'Mallory') }

    step.call('verify_credentials (final)')
    out['final'] = user_json(client.verify_credentials)
  else
    raise ArgumentError, "unknown phase #{phase.inspect}"
  end
rescue StandardError => e # report, do not crash: the Node side asserts on the JSON
  out['error'] = "#{e.class}: #{e.message}"
  out['error_code'] = e.code if e.respond_to?(:code)
  out['backtrace'] = e.backtrace&.first(15)
end

puts JSON.generate(out)
