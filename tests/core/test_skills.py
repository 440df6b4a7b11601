"""Skill profiles: welcomes, attribution headers and finding a profile by what users type."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.i18n import LANGS, Lang
from core.intents import MEDIA_EXTENSIONS
from core.nemo.models import SkillAttribution
from core.settings import SettingsError, load_settings
from core.skills import DEFAULT_SKILL, PROFILES, SkillProfile, describe_profiles, find_profile, get_profile

SEEDS = (
    "nemo-video",
    "lipsyncvideo-ai",
    "ai-voiceover-for-video",
    "ai-voiceover-for",
    "music-video-generator",
    "audio-video-to",
)
_HAN = re.compile(r"[\u4e00-\u9fff]")


def test_there_is_one_profile_per_seed_skill_keyed_by_its_name() -> None:
    assert tuple(PROFILES) == SEEDS
    assert all(profile.name == name for name, profile in PROFILES.items())


def test_the_default_profile_is_the_general_editor_at_version_1_9() -> None:
    assert DEFAULT_SKILL == "nemo-video"
    assert PROFILES[DEFAULT_SKILL].version == "1.9"


@pytest.mark.parametrize("name", SEEDS[1:])
def test_the_specialised_profiles_are_at_their_published_version(name: str) -> None:
    # lipsyncvideo-ai's frontmatter says 1.0.1; the others' 1.0.
    assert PROFILES[name].version == ("1.0.1" if name == "lipsyncvideo-ai" else "1.0")


@pytest.mark.parametrize("name", SEEDS)
def test_each_profile_has_content_in_both_languages(name: str) -> None:
    profile = PROFILES[name]
    for lang in LANGS:
        assert profile.title[lang]
        assert profile.greeting[lang]
        assert len(profile.examples[lang]) == 3
        assert 2 <= len(profile.tips[lang]) <= 3
    assert all(
        _HAN.search(text) for text in (profile.greeting["zh"], *profile.examples["zh"], *profile.tips["zh"])
    )
    assert not any(
        _HAN.search(text) for text in (profile.greeting["en"], *profile.examples["en"], *profile.tips["en"])
    )


@pytest.mark.parametrize("name", SEEDS)
def test_preferred_formats_are_formats_the_backend_accepts(name: str) -> None:
    formats = PROFILES[name].preferred_formats
    assert formats
    assert set(formats) <= MEDIA_EXTENSIONS


@pytest.mark.parametrize("name", SEEDS)
@pytest.mark.parametrize("lang", LANGS)
def test_the_welcome_has_the_greeting_every_example_and_every_tip(name: str, lang: Lang) -> None:
    profile = PROFILES[name]
    welcome = profile.welcome(lang)
    assert welcome.startswith(profile.greeting[lang])
    assert ("试试这样说：" if lang == "zh" else "Try saying:") in welcome
    assert ("小贴士：" if lang == "zh" else "Tips:") in welcome
    assert all(example in welcome for example in profile.examples[lang])
    assert all(tip in welcome for tip in profile.tips[lang])
    assert "{" not in welcome


def test_the_welcome_reads_as_one_chat_message() -> None:
    profile = SkillProfile(
        name="x",
        version="0",
        title={"en": "X", "zh": "X"},
        greeting={"en": "Hello!", "zh": "你好！"},
        examples={"en": ("cut it", "say “hi”"), "zh": ("剪一下",)},
        tips={"en": ("be brief",), "zh": ("简短",)},
        preferred_formats=("mp4",),
    )
    assert profile.welcome("en") == "Hello!\n\nTry saying:\n• “cut it”\n• say “hi”\n\nTips:\n• be brief"
    assert profile.welcome("zh") == "你好！\n\n试试这样说：\n• “剪一下”\n\n小贴士：\n• 简短"


@pytest.mark.parametrize("name", SEEDS)
def test_attribution_sends_the_profile_name_and_version_for_the_platform(name: str) -> None:
    profile = PROFILES[name]
    attribution = profile.attribution("telegram")
    assert attribution == SkillAttribution(source=name, version=profile.version, platform="telegram")
    assert attribution.headers() == {
        "X-Skill-Source": name,
        "X-Skill-Version": profile.version,
        "X-Skill-Platform": "telegram",
    }


@pytest.mark.parametrize("name", [None, "", "no-such-skill", "NEMO-VIDEO"])
def test_get_profile_falls_back_to_the_default_for_unknown_names(name: str | None) -> None:
    assert get_profile(name) is PROFILES[DEFAULT_SKILL]


@pytest.mark.parametrize("name", SEEDS)
def test_get_profile_returns_a_known_profile_by_name(name: str) -> None:
    assert get_profile(name) is PROFILES[name]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("music-video-generator", "music-video-generator"),
        ("  Audio-Video-To ", "audio-video-to"),
        ("ai-voiceover-for", "ai-voiceover-for"),
        ("ai_voiceover_for_video", "ai-voiceover-for-video"),
        ("lipsync", "lipsyncvideo-ai"),
        ("lip sync", "lipsyncvideo-ai"),
        ("lip", "lipsyncvideo-ai"),
        ("voiceover", "ai-voiceover-for-video"),
        ("voice-over", "ai-voiceover-for-video"),
        ("voice", "ai-voiceover-for"),
        ("music", "music-video-generator"),
        ("Music Video", "music-video-generator"),
        ("audio", "audio-video-to"),
        ("merge", "audio-video-to"),
        ("default", "nemo-video"),
        ("nemo", "nemo-video"),
        ("/music", "music-video-generator"),
        ("配音", "ai-voiceover-for"),
        ("口型", "lipsyncvideo-ai"),
        ("音乐", "music-video-generator"),
    ],
)
def test_find_profile_accepts_names_aliases_and_unique_prefixes(query: str, expected: str) -> None:
    profile = find_profile(query)
    assert profile is not None
    assert profile.name == expected


@pytest.mark.parametrize("query", ["", "   ", "ai-voice", "ai", "a", "karaoke", "video-x"])
def test_find_profile_refuses_unknown_or_ambiguous_queries(query: str) -> None:
    assert find_profile(query) is None


@given(st.text())
def test_find_profile_never_raises(query: str) -> None:
    profile = find_profile(query)
    assert profile is None or profile.name in PROFILES


@pytest.mark.parametrize("lang", LANGS)
def test_the_profile_list_has_one_line_per_profile_with_its_title(lang: Lang) -> None:
    lines = describe_profiles(lang).splitlines()
    assert len(lines) == len(SEEDS)
    for line, name in zip(lines, SEEDS, strict=True):
        assert line == f"• {name} – {PROFILES[name].title[lang]}"


def test_profiles_cannot_be_changed_at_runtime() -> None:
    with pytest.raises(TypeError):
        PROFILES["x"] = PROFILES[DEFAULT_SKILL]  # type: ignore[index]


@pytest.mark.parametrize("name", SEEDS)
@pytest.mark.parametrize("lang", LANGS)
def test_each_profile_has_an_faq_with_the_limit_and_the_free_credits(name: str, lang: Lang) -> None:
    faq = PROFILES[name].faq_text(lang)
    assert faq.startswith("常见问题：" if lang == "zh" else "FAQ:")
    assert "100" in faq, "the free credits"
    if name != "music-video-generator":
        assert "500 MB" in faq


@pytest.mark.parametrize("name", SEEDS)
@pytest.mark.parametrize("lang", LANGS)
def test_the_upload_hint_names_the_preferred_formats_and_the_limit(name: str, lang: Lang) -> None:
    hint = PROFILES[name].upload_hint(lang)
    assert all(fmt.upper() in hint for fmt in PROFILES[name].preferred_formats)
    assert "500 MB" in hint


@pytest.mark.parametrize(
    ("name", "facts"),
    [
        ("lipsyncvideo-ai", ("60 seconds", "1080p", "60–90 seconds", "MP3, WAV, M4A or AAC")),
        ("ai-voiceover-for-video", ("Shorter scripts", "narrate")),
        ("ai-voiceover-for", ("script", "simple background")),
        ("music-video-generator", ("two minutes", "beat", "3–20 photos")),
        ("audio-video-to", ("replace", "mix", "separate files")),
    ],
)
def test_each_profile_states_its_skills_facts(name: str, facts: tuple[str, ...]) -> None:
    profile = PROFILES[name]
    text = " ".join([profile.welcome("en"), profile.faq_text("en")]).lower()
    assert all(fact.lower() in text for fact in facts), facts


def test_no_profile_promises_text_to_lip_sync() -> None:
    """The lip-sync skill syncs audio the user provides; "make him say…" is not what it describes."""
    profile = PROFILES["lipsyncvideo-ai"]
    for lang in LANGS:
        text = profile.welcome(lang) + profile.faq_text(lang)
        assert "make him say" not in text.lower()
        assert "让他说" not in text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("lipsync", "lipsyncvideo-ai"),
        ("Music Video", "music-video-generator"),
        ("配音", "ai-voiceover-for"),
        ("audio-video-to", "audio-video-to"),
        (" nemo ", "nemo-video"),
    ],
)
def test_nemo_skill_takes_the_names_and_aliases_skill_takes(value: str, expected: str) -> None:
    assert load_settings(_env_file=None, nemo_skill=value).nemo_skill == expected


@pytest.mark.parametrize("value", ["karaoke", "ai", ""])
def test_an_unknown_nemo_skill_stops_start_up_listing_the_valid_ones(value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None, nemo_skill=value)
    message = str(caught.value)
    assert "NEMO_SKILL" in message
    assert all(name in message for name in SEEDS)
