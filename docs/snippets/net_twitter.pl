# Net::Twitter 4 against Plumage. ssl => 0 is needed for an http apiurl: the default ssl => 1
# rewrites http: to https:.
use strict;
use warnings;
use Net::Twitter;

my $base = $ENV{API_BASE};
my $nt = Net::Twitter->new(
    traits              => [qw/API::RESTv1_1 OAuth/],
    consumer_key        => $ENV{CONSUMER_KEY},
    consumer_secret     => $ENV{CONSUMER_SECRET},
    access_token        => $ENV{ACCESS_TOKEN},
    access_token_secret => $ENV{ACCESS_TOKEN_SECRET},
    apiurl              => "$base/1.1",
    ssl                 => ($base =~ /^https:/ ? 1 : 0),
);

my $me = $nt->verify_credentials;
print "screen_name: $me->{screen_name}\n";

$me = $nt->update_profile_colors({ profile_link_color => 'FF00AA' });
print "profile_link_color: $me->{profile_link_color}\n";
