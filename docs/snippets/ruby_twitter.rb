# The Ruby twitter gem 7 against Plumage. The gem has no base URL option: replace the constant
# every request is built from.
require 'twitter'

Twitter::REST::Request.send(:remove_const, :BASE_URL)
Twitter::REST::Request.const_set(:BASE_URL, ENV.fetch('API_BASE'))

client = Twitter::REST::Client.new do |c|
  c.consumer_key = ENV.fetch('CONSUMER_KEY')
  c.consumer_secret = ENV.fetch('CONSUMER_SECRET')
  c.access_token = ENV.fetch('ACCESS_TOKEN')
  c.access_token_secret = ENV.fetch('ACCESS_TOKEN_SECRET')
end

me = client.verify_credentials
puts "screen_name: #{me.screen_name}"

me = client.update_profile(profile_link_color: 'FF00AA')
puts "profile_link_color: #{me.profile_link_color}"
