"""What people write instead of the dialog's text: their own words, in ten languages."""

from __future__ import annotations

import pytest

from bot.matcher import Matcher
from bot.text import fold, tokens

# Our own cases, one kind each: the problem described, never the code or the dialog's text.
COUNTRY = [
    "spotify thinks I am in the wrong country since I moved to spain",
    "logging in from abroad on my free plan stopped working",
]
ACCOUNT = ["spotify banned my account out of nowhere", "my account got suspended yesterday"]
DEVICES = ["my speaker doesn't show up in the device list anymore"]
REGION_TRACKS = ["half of my playlist is greyed out since I moved"]
# Casual chat in nine languages (no codes); each names its entry's problem in its own words.
LANGUAGES = [
    ("ребят, спотифай пишет что страна в профиле не совпадает, что делать?", "accounts:408"),
    ("мне аккаунт заблокировали, что делать", "accounts:403"),
    ("登录的时候说我的国家和个人资料不一样", "accounts:408"),
    ("有些歌变灰了放不了", "NOT_AVAILABLE_IN_CURRENT_REGION"),
    ("hola, me sale que el país de mi perfil no coincide y no me deja entrar", "accounts:408"),
    ("mi altavoz no aparece en dispositivos", "connect:device-picker"),
    ("minha conta do spotify foi desativada do nada", "accounts:403"),
    ("mein spotify konto ist plötzlich gesperrt", "accounts:403"),
    ("salut, spotify me dit que le pays ne correspond pas", "accounts:408"),
    ("zablokowali mi konto na spotify", "accounts:403"),
    ("spotify hesabım kapatıldı neden", "accounts:403"),
    ("パスワードが間違っていますって出るけど合ってる", "accounts:3"),
    # Phrases of catalog/words/: situations the entries' own keywords never name.
    (
        "ich hab zu viele tabs im browser offen und der web player stoppt",
        "max_subscriptions_reached",
    ),
    ("le lecteur web dit que la lecture protégée est désactivée", "EME_NO_SUPPORTED_KEYSYSTEM"),
]
# Chat slang: "пасс" and "акк", 梯子 (a VPN) and 节点 (its server), "acc", "net".
SLANG = [
    ("сменил пасс и меня выкинуло с акка везде", "accounts:127"),
    ("挂梯子换了个节点就登不上了", "auth:73"),
    ("mein acc wurde gebannt wegen ner mod apk", "accounts:403"),
    ("spotify dice que no tengo net pero el navegador va bien", "accounts:4"),
    ("zmieniłem hasło na telefonie i wywaliło mnie wszędzie", "accounts:127"),
]
# Inflected and compound word forms meet the catalog's ("profilimle" is "with my profile").
WORD_FORMS = [
    ("spotify ülkemin profilimle eşleşmediğini söylüyor", "accounts:408"),
    ("got an account suspension notice today", "accounts:403"),
]
# Another product named beside the code, not as its owner: Spotify's code still answers.
NOT_THE_OWNER = [
    ("error 17 since I installed discord", "accesspoint:17"),
    ("got error 17 on my work laptop", "accesspoint:17"),
    ("this weird error 4 again on my iphone", "accounts:4"),
]
# The error's owner named, in English and German: its number is not Spotify's code.
OTHER_OWNERS = ["Steam Fehlercode 18", "my ps4 shows error 4", "HTTP 404 on my website"]
# A long story with one telling sentence.
STORY = (
    "So I opened the app this morning like every day, made coffee and wanted my usual playlist"
    " on the train to work. Turns out I was banned. No idea why, I pay every month and never"
    " shared it with anyone, and the support chat keeps me waiting for hours."
)
# One problem per language that is not Spotify's, and chat of only function words.
NOT_SPOTIFY = [
    "мой принтер не печатает",
    "我的电脑蓝屏了怎么办",
    "mi coche no arranca",
    "hola que tal, mi hermano no sabe nada de esto",
]


@pytest.mark.parametrize("query", COUNTRY)
def test_a_country_mismatch_in_users_words(matcher: Matcher, query):
    assert matcher.match(query).best.entry.id == "accounts:408"


@pytest.mark.parametrize("query", ACCOUNT)
def test_a_suspended_or_banned_account_described(matcher: Matcher, query):
    assert matcher.match(query).best.entry.id == "accounts:403"


@pytest.mark.parametrize(
    ("query", "expected"),
    [(q, "connect:device-picker") for q in DEVICES]
    + [(q, "NOT_AVAILABLE_IN_CURRENT_REGION") for q in REGION_TRACKS],
)
def test_devices_and_region_locked_tracks_described(matcher: Matcher, query, expected):
    assert matcher.match(query).best.entry.id == expected


@pytest.mark.parametrize(("query", "expected"), LANGUAGES)
def test_a_description_in_another_language_finds_its_entry_as_a_suggestion(
    matcher: Matcher, query, expected
):
    """Describing words make a "Did you mean" list, never an unasked answer."""
    result = matcher.match(query)
    assert result.best is not None and result.best.entry.id == expected, result.to_json()
    assert not result.confident


@pytest.mark.parametrize(("query", "expected"), SLANG)
def test_chat_slang_in_another_language_finds_its_entry(matcher: Matcher, query, expected):
    result = matcher.match(query)
    assert result.best is not None and result.best.entry.id == expected, result.to_json()
    assert not result.confident


@pytest.mark.parametrize("query", NOT_SPOTIFY)
def test_another_languages_other_problems_find_nothing(matcher: Matcher, query):
    assert not matcher.match(query).matches


@pytest.mark.parametrize(("query", "expected"), WORD_FORMS)
def test_inflected_words_meet_the_catalogs(matcher: Matcher, query, expected):
    assert matcher.match(query).best.entry.id == expected


@pytest.mark.parametrize(("query", "expected"), NOT_THE_OWNER)
def test_a_product_named_beside_the_code_does_not_silence_it(matcher: Matcher, query, expected):
    """In a Discord help server, "since I installed discord" is not Discord's error 17."""
    result = matcher.match(query)
    assert result.confident and result.best.entry.id == expected, result.to_json()


@pytest.mark.parametrize("query", OTHER_OWNERS)
def test_a_code_that_another_product_owns_is_only_listed(matcher: Matcher, query):
    assert not matcher.match(query).confident


def test_one_telling_sentence_is_not_drowned_by_the_story_around_it(matcher: Matcher):
    assert matcher.match(STORY).best.entry.id == "accounts:403"


def test_chinese_and_japanese_are_cut_into_pairs_and_accents_fold():
    assert tokens(fold("国家不匹配")) == ["国家", "家不", "不匹", "匹配"]
    assert tokens(fold("Żółć ĞÜŞ")) == ["zolc", "gus"]


def test_a_client_librarys_http_status_is_read_as_the_status(matcher: Matcher):
    """ "http status: 429, code:-1" is the rate limit, not error 1 or the installer's -1."""
    result = matcher.match("SpotifyException: http status: 429, code:-1 - /v1/tracks/x")
    assert result.best.entry.id == "webapi:429" and result.confident


def test_a_short_message_is_not_found_inside_longer_different_words(matcher: Matcher):
    """ "No connection" (reconnecting) is not "No internet connection"."""
    result = matcher.match('spotify also says "No internet connection" though windows is online')
    assert result.best.entry.id == "accounts:4"
    assert matcher.match("it just says No connection").best.entry.id == (
        "authorization-status:no-connection"
    )


def test_a_short_message_is_not_found_in_other_words_a_few_letters_away(matcher: Matcher):
    """ "not connecting" is two letters from "No connection", and another thing to say."""
    result = matcher.match("the speaker app says no device found and the tv is not connecting")
    assert all(not m.reason.startswith("message") for m in result.matches), result.to_json()
    disabled = matcher.match("I logged in today and my account is disabled")
    assert disabled.best.reason.startswith("message"), disabled.to_json()


def test_a_message_that_opens_longer_dialogs_is_any_of_them(matcher: Matcher):
    """ "Spotify can't play this right now." also begins two longer dialogs: all three tie."""
    result = matcher.match("it just says Spotify can't play this right now.")
    assert result.ambiguous and not result.confident
    assert {m.entry.id for m in result.matches[:3]} == {
        "ONE_TRACK_UNPLAYABLE",
        "NOT_AVAILABLE_IN_NON_PREMIUM",
        "FRAGMENT_REQUEST_FAILED_WITH_STATUS",
    }


def test_a_camel_case_log_word_is_read_as_its_words(matcher: Matcher):
    """librespot logs "TravelRestriction": the travel restriction of the country mismatch."""
    log = "Exception in thread main SpotifyAuthenticationException: TravelRestriction"
    assert matcher.match(log).best.entry.id == "accounts:408"


def test_a_reason_after_the_code_in_other_words_makes_it_a_guess(matcher: Matcher):
    """ "INVALID_CLIENT: Invalid redirect URI" is another error of the same service."""
    other = matcher.match("it shows INVALID_CLIENT: Invalid redirect URI after I log in")
    assert other.best.entry.id == "webapi:401-invalid_client" and not other.confident
    assert matcher.match("INVALID_CLIENT: Invalid client secret").confident


def test_a_closing_question_of_one_word_does_not_pick_the_entry(matcher: Matcher):
    """'Am I doing something wrong?' says nothing; "wrong" alone must not make it a password."""
    result = matcher.match(
        "Songs in my liked list are greyed out since I moved abroad. Am I doing something wrong?"
    )
    assert result.best is not None, result.to_json()
    assert result.best.entry.id == "NOT_AVAILABLE_IN_CURRENT_REGION", result.to_json()


def test_an_issue_templates_headings_name_no_error(matcher: Matcher):
    """A bug report's empty template ("Describe the bug", "Expected behavior") says nothing."""
    template = (
        "**Describe the bug**\nA clear and concise description of what the bug is.\n"
        "**To Reproduce**\nSteps to reproduce the behavior\n**Expected behavior**\n"
        "A clear and concise description of what you expected to happen."
    )
    assert not matcher.match(template).matches
    filled = template.replace("of what the bug is.", "spotify says my account is disabled")
    assert matcher.match(filled).best.entry.id == "accounts:403"


@pytest.mark.parametrize(
    "query",
    [
        "Spotify won't let me log in while my VPN is on. It says my region is blocked, so"
        " annoying, I need it",
        "спотифай не пускает с впн, пишет регион заблокирован. без впн заходит, а мне он нужен",
    ],
)
def test_a_clause_of_one_word_adds_no_suggestion(matcher: Matcher, query):
    """ "…, I need it" is no clue: "need" must not list the Premium-required entries."""
    ids = [m.entry.id for m in matcher.match(query).matches[:3]]
    assert "auth:73" in ids, ids
    assert not any("409" in i or "PREMIUM" in i for i in ids), ids


def test_a_bare_number_beside_a_dialog_is_that_dialogs_own_code(matcher: Matcher):
    """ "(Error code:2)" under auth:2's dialog is auth:2, not the other error 2."""
    pasted = "it says Service is temporarily unavailable, please try again later. (Error code:2)"
    result = matcher.match(pasted)
    assert result.confident and result.best.entry.id == "auth:2", result.to_json()
    assert matcher.match("Error code: 2").best.entry.id == "error:2"


def test_a_dot_inside_a_domain_or_version_ends_no_sentence(matcher: Matcher):
    """ "The web player at open." is no sentence of its own to list web-player errors by."""
    result = matcher.match(
        "The web player at open.spotify.com says playback of protected content is not"
        " enabled. Chrome works fine"
    )
    ids = [m.entry.id for m in result.matches[:3]]
    assert ids[0] == "EME_NO_SUPPORTED_KEYSYSTEM" and "max_subscriptions_reached" not in ids, ids


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("spotify stopped connecting after I added an ad blocking hosts list", "accesspoint:39"),
        ("my pihole blocklist broke spotify, nothing loads", "accesspoint:39"),
        (
            "playback dies every time my laptop switches from wifi to ethernet",
            "authorization-status:no-connection",
        ),
        (
            "spotify keeps nagging me to update and wont play a single song",
            ("CLIENT_VERSION_SUNSETTED"),
        ),
        (
            "I can't use offline mode on my phone, it won't let me download anything,"
            " apparently that needs premium",
            "NOT_AVAILABLE_IN_NON_PREMIUM",
        ),
        (
            "songs keep skipping in the browser, only a couple of seconds of each one plays",
            "EME_LICENSE_REQUEST_FAILED_WITH_STATUS",
        ),
        ("spotify stopped loading after i set up pihole on my router last week", "accesspoint:39"),
        (
            "the network connectivity status indicator shows no internet access on my laptop"
            " although I'm online, so spotify says there is no internet connection",
            "accounts:4",
        ),
    ],
)
def test_english_words_beyond_the_keywords(matcher: Matcher, query, expected):
    """catalog/words/en.yaml: what real reports describe that the entries' keywords never say."""
    result = matcher.match(query)
    assert result.best is not None and result.best.entry.id == expected, result.to_json()
    assert not result.confident


@pytest.mark.parametrize(
    "query",
    [
        "the installer says Error code: 17 and quits",
        "SpotifySetup.exe fails with error code 17",
        "el instalador de spotify me da error 17",
    ],
)
def test_a_bare_number_beside_the_installer_is_the_installers(matcher: Matcher, query):
    """The installer numbers its own errors: its 17 is not the firewall's, so it only lists."""
    assert not matcher.match(query).confident
    own = matcher.match("the installer says error 18")
    assert own.confident and own.best.entry.id == "installer:18"
