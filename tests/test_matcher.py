"""The matcher, per kind of input people paste (cases of our own, apart from the dev set)."""

from __future__ import annotations

import pytest

from bot.matcher import Matcher
from tests.support import FIREWALL_IDS

# (query, the entry it must name first, whether the bot may answer it unasked)
CODES = [
    ("AUTH 73", "auth:73"),
    ("auth73", "auth:73"),
    ("AUTH:1", "auth:1"),
    ("Error code: accesspoint:39", "accesspoint:39"),
    ("(Error code: 17)", "accesspoint:17"),
    ("accesspoint 50", "accesspoint:50"),
    ("accounts–54", "accounts:53-55"),
    ("accounts\uff1a53", "accounts:53-55"),
    ("accounts\u221255", "accounts:53-55"),
    ("code 4", "accounts:4"),
    ("Error 24", "installer:24"),
    ("errorcode 30", "error:30"),
    ("com.spotify.installer −2", "com.spotify.installer:-2"),
    ("desktop login accounts 4", "desktop_login_accounts:4"),
    ("EME_NO_SUPPORTED_KEYSYSTEM", "EME_NO_SUPPORTED_KEYSYSTEM"),
    ("media decoding error on some tracks", "MEDIA_DECODING_ERROR"),
    ("HTTP 403 RESTRICTION_VIOLATED", "webapi:403-RESTRICTION_VIOLATED"),
    ("BANNED_BY_USER_TRACK", "BANNED_BY_USER"),
    ("17", "accesspoint:17"),
    ("spotify eror 2026", "error:2026"),
    ("Spotify in my car says error 17", "accesspoint:17"),
    # A Spotify reason code stays one even beside another product's name.
    (
        "my discord bot gets 403 PREMIUM_REQUIRED from the player endpoint",
        "webapi:403-PREMIUM_REQUIRED",
    ),
]
OCR = [
    ("acc0unts:4O3", "accounts:403"),
    ("session:1O3", "session:103"),
    ("Error code: accesspoint:5O", "accesspoint:50"),
    ("auth:7З", "auth:73"),
    ("Your sessi0n has expired, p1ease try again.", "desktop_login_accounts:4"),
    ("Use of this device is n0t enab1ed for your account.", "accounts:406"),
]
MESSAGES = [
    ("Your country does not match the one set in your profile.", "accounts:408"),
    ("Email is already connected to another user.", "accounts:413"),
    ("Please turn off offline mode and try again.", "NOT_AVAILABLE_OFFLINE"),
    ("Sorry, this version of Spotify is for macOS 12.0 or later.", "macos:unsupported-platform"),
    ("Hmm... we can't seem to play this content.", "video-unsupported-key-system"),
]
CAPTIONS = [
    ("Spotify\n\nAccount disabled.\nOK", "accounts:403"),
    ("Spotify\n\nSomething went wrong\nRELOAD PAGE", "error.generic"),
    ("[x] Spotify — Your client is being updated.  OK", "accounts:402"),
    (
        "got this on my mac: An error occurred while trying to mount the downloaded Spotify disk "
        "image. any idea?",
        "com.spotify.installer:-3",
    ),
]
INTL = [
    ("Spotify Fehlercode auth:73", "auth:73"),
    ("código de error: 17", "accesspoint:17"),
    ("erreur 2026 spotify", "error:2026"),
    ("spotify ошибка 2026", "error:2026"),
    ("kod błędu 4", "accounts:4"),
    ("код ошибки 2026", "error:2026"),
    ("エラーコード 17", "accesspoint:17"),
    ("Spotify virhekoodi 30", "error:30"),
    ("hata kodu: 2026", "error:2026"),
]
PARAPHRASES = [
    ("spotify says I've been signed out everywhere", "accounts:127"),
    ("stuck in offline mode and can't get back online", "error:2"),
    ("mac installer can't mount the dmg", "com.spotify.installer:-3"),
    (
        "too many devices have downloads, can't download on my new phone",
        "offline:device-limit-reached",
    ),
    ("hosts file blocks spotify", "accesspoint:39"),
    ("clock is wrong and login expires", "desktop_login_accounts:4"),
    # Long stories: the context around the problem must not drown its few telling words.
    (
        "I've used Spotify on this laptop for years and never had an issue. Last week I moved to a"
        " new flat with a different router, and now the desktop app just sits there saying no"
        " internet connection, although Chrome and every other app load pages fine",
        "accounts:4",
    ),
    (
        "okay so long story: bought a used macbook, wiped it, went to get spotify from the website,"
        " double clicked the download and the disk image just refuses to mount, never seen that"
        " before",
        "com.spotify.installer:-3",
    ),
    (
        "our family shares one premium plan and my sister streams at the same time as me in another"
        " room, and the app on my computer keeps telling me to close the other tab or device before"
        " it plays anything",
        "max_subscriptions_reached",
    ),
]
# Displayed messages retyped with a typo in every word.
TYPOS = [("Acount disabeld.", "accounts:403"), ("Emial is alredy conected", "accounts:413")]
NEGATIVES = [
    "my discord says something went wrong when I upload a picture of my cat",
    "how do I make a collaborative playlist",
    "lol",
    "thanks everyone!",
    "pls help spotify",
    "windows update error 0x80070005",
    "steam error code 18",
    "netflix error code 7",
    "COD 4 keeps crashing",
    "call of duty error 4",
    "HTTP 404 on my website",
    "steam says too many requests",
    "HTTP 500 from my company's API",
    "apple music says something went wrong",
    "Account disabled on my roblox",
    "my printer shows error 4",
    "nintendo switch error 2026",
    "the fridge display shows error 4",
    "my oven beeps and says error 30",
    'Reddit keeps saying "Too many requests" every time I refresh',
    "github api: too many requests",
    "discord.errors.HTTPException: 429 Too Many Requests (error code: 0): You are being rate"
    " limited.",
    'Traceback (most recent call last):\n  File "x.py", line 2\nKeyError: 2',
    "error code 404 on my website",
    "I can't find my liked songs",
    "",
    "   \n\t",
]
UNKNOWN_CODES = ["auth:999", "accesspoint:99", "error 9999", "installer:77", "error code 31337"]


@pytest.mark.parametrize(("query", "expected"), CODES + OCR + MESSAGES + CAPTIONS + INTL)
def test_codes_messages_captions_ocr_and_languages_are_answered(matcher: Matcher, query, expected):
    """A code or a whole displayed message names one entry, sure enough to answer unasked."""
    result = matcher.match(query)
    assert result.best is not None and result.best.entry.id == expected, result.to_json()
    assert result.confident


@pytest.mark.parametrize(("query", "expected"), PARAPHRASES)
def test_own_words_rank_first_but_never_answer_unasked(matcher: Matcher, query, expected):
    """Words alone rank the right entry first and leave the bot asking 'Did you mean…'."""
    result = matcher.match(query)
    assert result.best is not None and result.best.entry.id == expected, result.to_json()
    assert not result.confident


@pytest.mark.parametrize(("query", "expected"), TYPOS)
def test_a_retyped_message_with_typos_still_finds_its_entry(matcher: Matcher, query, expected):
    """No word of the paste is spelt as in the message, yet the message is found by likeness."""
    result = matcher.match(query)
    assert result.best is not None and result.best.entry.id == expected, result.to_json()
    assert result.best.reason.startswith("message"), result.to_json()


@pytest.mark.parametrize("query", NEGATIVES + UNKNOWN_CODES)
def test_chatter_other_products_and_unknown_codes_get_no_confident_answer(matcher, query):
    """Nothing here is a Spotify error the catalog knows: never a confident answer."""
    assert not matcher.match(query).confident


def test_a_shared_message_is_ambiguous_and_a_code_decides(matcher: Matcher):
    """Seven entries share the firewall message: all listed; the code in the dialog picks one."""
    shared = matcher.match("A firewall may be blocking Spotify.", limit=3)
    assert shared.ambiguous and not shared.confident
    # all, past the limit, the one its words describe best first
    assert sorted(m.entry.id for m in shared.matches) == sorted(FIREWALL_IDS)
    assert shared.best.entry.id == "accesspoint:17"  # its title names the firewall too
    decided = matcher.match("A firewa11 may be blocking Spotify. (Error code: session:1O3)")
    assert decided.confident and decided.best.entry.id == "session:103"


def test_each_match_says_why_and_scores_are_ordered(matcher: Matcher):
    """Reasons name the code, message or words; scores fall from best to worst."""
    code = matcher.match("auth 73").best
    assert code.reason.startswith("code") and code.score == 100
    message = matcher.match("Account disabled.").best
    assert message.reason.startswith('message "Account disabled."')
    words = matcher.match("listening limit for free accounts").matches
    assert words[0].reason.startswith("words:")
    assert [m.score for m in words] == sorted((m.score for m in words), reverse=True)


def test_a_long_paste_is_cut_and_says_so(matcher: Matcher):
    """Past 4,000 characters the rest is not searched, and the result says so."""
    result = matcher.match("lorem ipsum " * 1000 + "auth:73")
    assert result.truncated and len(result.query) == 4000
    assert result.best is None or result.best.entry.id != "auth:73"


def test_autocomplete_ranks_ids_by_prefix_and_fills_an_empty_field(matcher: Matcher):
    """The empty field shows 25 entries at once; a typed prefix puts its ids first."""
    assert len(matcher.complete("")) == 25
    assert matcher.complete("accounts:4")[0].id.startswith("accounts:4")
    # Words work too: every entry whose dialog names a firewall is offered, one of them first.
    offered = [entry.id for entry in matcher.complete("firewall")]
    assert offered[0] in FIREWALL_IDS and set(FIREWALL_IDS) <= set(offered)


def test_a_status_alone_lists_the_web_api_error_its_name_answers(matcher: Matcher):
    """401 is also an expired token: the status lists invalid_client; the name answers it."""
    expired = matcher.match(
        "SpotifyException: http status: 401, code:-1 - The access token expired"
    )
    assert not expired.confident
    assert expired.best is not None and expired.best.entry.id == "webapi:401-invalid_client"
    named = matcher.match("token request: HTTP 401 invalid_client")
    assert named.confident and named.best.entry.id == "webapi:401-invalid_client"
    # A status whose catalog name is its own reason phrase means one thing: rate limiting.
    limited = matcher.match("SpotifyException: http status: 429, code:-1")
    assert limited.confident and limited.best.entry.id == "webapi:429"


def test_a_status_of_another_hosts_request_is_not_a_web_api_error(matcher: Matcher):
    """A 403 from the licence server names the licence error; from api.spotify.com, the API's."""
    licence = matcher.match(
        "songs stop after a few seconds, console: HTTP 403 on"
        " https://gue1-spclient.spotify.com/widevine-license/v1/audio/license"
    )
    assert licence.best is not None
    assert licence.best.entry.id == "EME_LICENSE_REQUEST_FAILED_WITH_STATUS", licence.to_json()
    api = matcher.match("HTTP 403 on https://api.spotify.com/v1/me/player/next")
    assert api.best is not None and api.best.entry.id.startswith("webapi:403"), api.to_json()


def test_another_programs_log_line_lists_its_entry_but_does_not_answer(matcher: Matcher):
    """librespot's login failure names the country error first; the bot still only asks."""
    result = matcher.match(
        "[2026-03-02T10:14:09Z ERROR librespot_core::session] Login failed with reason:"
        " Travel restriction"
    )
    assert result.best is not None and result.best.entry.id == "accounts:408", result.to_json()
    assert "(librespot)" in result.best.reason
    assert not result.confident


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("mopidy: Spotify login error: <ErrorType.UNABLE_TO_CONTACT_SERVER: 8>", "auth:1"),
        ("pyspotify raised spotify.Error: CLIENT_TOO_OLD on login", "CLIENT_VERSION_SUNSETTED"),
        # sp_error_message()'s texts, as players built on libspotify show them
        (
            "kodi addon popup: Client is to old, library will need to be updated. Connect?",
            "CLIENT_VERSION_SUNSETTED",
        ),
        ("the plugin says: The specified username is banned", "accounts:403"),
    ],
)
def test_libspotifys_error_names_list_their_entry(matcher: Matcher, line, expected):
    """libspotify's sp_error names and texts name the cause; they never answer alone."""
    result = matcher.match(line)
    assert result.best is not None and result.best.entry.id == expected, result.to_json()
    assert "(libspotify)" in result.best.reason and not result.confident


def test_a_links_scheme_and_api_version_are_not_words_of_the_error(matcher: Matcher):
    """ "https" and "/v1/" of a pasted link do not make a licence failure a Web API error."""
    result = matcher.match(
        "the call to the endpoint fails: widevine error at"
        " https://api.spotify.com/v1/widevine-license/v1/audio/license"
    )
    assert result.best is not None, result.to_json()
    assert result.best.entry.id == "EME_LICENSE_REQUEST_FAILED_WITH_STATUS", result.to_json()


@pytest.mark.parametrize(
    "line",
    [
        "the player logs Error: connection refused (os error 111) on my university wifi",
        "No connection could be made because the target machine actively refused it,"
        " right after I type my password",
    ],
)
def test_a_refused_connection_names_what_blocks_spotify(matcher: Matcher, line):
    """A socket's refusal is something on the way blocking Spotify, not "No connection"."""
    result = matcher.match(line)
    assert result.best is not None and result.best.entry.id == "error:7", result.to_json()
    assert not result.ambiguous and not result.confident, result.to_json()


def test_a_keyword_said_in_full_outweighs_words_met_by_chance(matcher: Matcher):
    """An app's "unable to detect a connected Spotify device" is the Web API's lost device."""
    result = matcher.match(
        "I can't connect to a device from the deck plugin, it tells me unable to detect a"
        " connected spotify device and to make sure I am logged in, but I'm logged in on the"
        " desktop app"
    )
    assert result.best is not None, result.to_json()
    assert result.best.entry.id == "webapi:404-NO_ACTIVE_DEVICE", result.to_json()
    assert not result.confident


def test_a_title_that_is_a_short_keyword_names_its_entry(matcher: Matcher):
    """An issue titled "Account banned" is the banned account, whatever its story says."""
    result = matcher.match(
        "Account banned\nI logged in with a third party tool for a few days and today the"
        " account is gone"
    )
    assert result.best is not None and result.best.entry.id == "accounts:403", result.to_json()
    assert not result.confident


def test_librespots_failed_range_request_names_the_failed_fragment(matcher: Matcher):
    """librespot's "Streamer error requesting range" is the CDN refusing part of the file."""
    result = matcher.match(
        "librespot log: Streamer error requesting range 0 +32768: StatusCode(503), the song stops"
    )
    assert result.best.entry.id == "FRAGMENT_REQUEST_FAILED_WITH_STATUS", result.to_json()
    assert "(librespot)" in result.best.reason and not result.confident


def test_entries_a_message_ties_are_ordered_by_the_rest_of_the_text(matcher: Matcher):
    """Three entries share "can't play this right now": a free plan points at Premium-only."""
    result = matcher.match(
        "Spotify can't play this right now. I'm on the free plan and it says I need Premium"
    )
    assert result.ambiguous and not result.confident, result.to_json()
    assert result.best.entry.id == "NOT_AVAILABLE_IN_NON_PREMIUM", result.to_json()
