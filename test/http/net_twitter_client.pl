#!/usr/bin/perl
# Drives unmodified Net::Twitter (Debian libnet-twitter-perl 4.01043) through Plumage over plain HTTP.
#
# Run by test/http/net-twitter.test.ts with /usr/bin/perl. Net::Twitter needs `ssl => 0` for an
# http apiurl (the default ssl => 1 rewrites http: to https:, clients.md §1); the profile
# endpoints, uploads included, all go to apiurl (its upload_url is only for media/upload).
# Colours and the profile go as urlencoded bodies; any array-ref argument (an image) switches
# the whole request to multipart with the boundary xYzZY, every other parameter a text part.
#
# argv: BASE_URL CONSUMER_KEY CONSUMER_SECRET TOKEN TOKEN_SECRET SCREEN_NAME PHASE
#       PHASE "upload": verify_credentials, wrong secret, colours, profile, avatar, background,
#                       banner, profile_banner;
#       PHASE "remove": remove_profile_banner, profile_banner (404), an SVG as the avatar.
#       (Two runs, so the Node side can fetch the banner variants while they exist.)
# env:  PLUMAGE_AVATAR, PLUMAGE_BACKGROUND, PLUMAGE_BANNER (images, phase upload),
#       PLUMAGE_SVG (must be refused as the avatar, phase remove),
#       PLUMAGE_NEW_NAME, PLUMAGE_NEW_LOCATION, PLUMAGE_NEW_URL, PLUMAGE_NEW_DESCRIPTION (UTF-8)
#
# Prints one JSON object on stdout. A step that dies unexpectedly is reported in the object
# ("error"), so the Node side can show what went wrong; the exit status is 0 once the JSON is
# printed.
use strict;
use warnings;
use Encode qw(decode_utf8);
use JSON::PP ();
use Scalar::Util qw(blessed);

my ($base_url, $ck, $cs, $token, $ts, $screen_name, $phase) = @ARGV;
my %out = (version => undef, phase => $phase, steps => []);
my $json = JSON::PP->new->utf8->canonical->allow_blessed->convert_blessed;

sub finish {
    print $json->encode(\%out), "\n";
    exit 0;
}

sub step { push @{ $out{steps} }, $_[0] }

# A user hash as Net::Twitter returns it, with the 64-bit id kept exact as a string.
sub user {
    my ($u) = @_;
    $u->{id} = "$u->{id}" if ref $u eq 'HASH' && defined $u->{id};
    return $u;
}

# Runs a call that must fail; returns what Net::Twitter died with.
sub refused {
    my ($call) = @_;
    my $result = eval { $call->() };
    my $e = $@;
    return { died => JSON::PP::false, result => $result } unless $e;
    return { died => JSON::PP::true, class => ref($e) || 'string', text => "$e" }
        unless blessed $e && $e->isa('Net::Twitter::Error');
    return {
        died               => JSON::PP::true,
        class              => ref $e,
        code               => 0 + $e->code,
        twitter_error_code => $e->twitter_error_code,
        twitter_error_text => $e->twitter_error_text,
        twitter_error      => $e->twitter_error,
    };
}

unless (eval { require Net::Twitter; 1 }) {
    $out{error} = "require Net::Twitter failed: $@";
    finish();
}
$out{version} = $Net::Twitter::VERSION;

sub client {
    my ($consumer_secret) = @_;
    return Net::Twitter->new(
        traits              => [qw/API::RESTv1_1 OAuth/],
        consumer_key        => $ck,
        consumer_secret     => $consumer_secret,
        access_token        => $token,
        access_token_secret => $ts,
        apiurl              => $base_url,
        ssl                 => 0,
    );
}

sub env_text { decode_utf8($ENV{ $_[0] } // die "$_[0] is not set\n") }

eval {
    my $nt = client($cs);
    if ($phase eq 'upload') {
        step('verify_credentials');
        $out{verify} = user($nt->verify_credentials);

        step('verify_credentials with a wrong consumer secret');
        my $bad = client($cs . 'x');
        $out{wrong_secret} = refused(sub { $bad->verify_credentials });

        step('update_profile_colors');
        $out{colours} = user($nt->update_profile_colors({
            profile_background_color     => 'C0DEED',
            profile_link_color           => '#f0a',
            profile_text_color           => '333',
            profile_sidebar_fill_color   => 'fff',
            profile_sidebar_border_color => '#AbCdEf',
            skip_status                  => 1,
        }));

        step('update_profile');
        $out{profile} = user($nt->update_profile({
            name        => env_text('PLUMAGE_NEW_NAME'),
            location    => env_text('PLUMAGE_NEW_LOCATION'),
            url         => env_text('PLUMAGE_NEW_URL'),
            description => env_text('PLUMAGE_NEW_DESCRIPTION'),
        }));

        step('update_profile_image');
        $out{avatar} = user($nt->update_profile_image({ image => [ $ENV{PLUMAGE_AVATAR} ], skip_status => 1 }));

        step('update_profile_background_image');
        $out{background} = user($nt->update_profile_background_image({
            image => [ $ENV{PLUMAGE_BACKGROUND} ], tile => 1, use => 1,
        }));

        step('update_profile_banner');
        $out{banner_result} = $nt->update_profile_banner({ banner => [ $ENV{PLUMAGE_BANNER} ] });

        step('profile_banner');
        $out{banner} = $nt->profile_banner({ screen_name => $screen_name });

        step('verify_credentials (with banner)');
        $out{with_banner} = user($nt->verify_credentials({ include_entities => 0 }));
    }
    elsif ($phase eq 'remove') {
        step('remove_profile_banner');
        $out{remove_result} = $nt->remove_profile_banner;

        step('profile_banner after removal');
        $out{banner_after_removal} = refused(sub { $nt->profile_banner({ screen_name => $screen_name }) });

        step('update_profile_image with an SVG');
        $out{svg} = refused(sub { $nt->update_profile_image({ image => [ $ENV{PLUMAGE_SVG} ] }) });

        step('verify_credentials (final)');
        $out{final} = user($nt->verify_credentials);
    }
    else {
        die "unknown phase '$phase'\n";
    }
    1;
} or do {
    my $e = $@;
    $out{error} = blessed $e && $e->isa('Net::Twitter::Error')
        ? 'Net::Twitter::Error: HTTP ' . $e->code . ' ' . $e->error . ' ' . ($e->http_response->decoded_content // '')
        : "$e";
};

finish();
