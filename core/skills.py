"""Skill profiles: the modes a chat can be in, each with its own welcome, examples and attribution.

A profile's ``name`` and ``version`` are what the backend sees in the ``X-Skill-Source`` and
``X-Skill-Version`` headers (docs §1.2), so they follow the published NemoVideo skills.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from core.i18n import Lang
from core.nemo.models import SkillAttribution


@dataclass(frozen=True, slots=True)
class SkillProfile:
    """One mode of the bot: how it greets, what it suggests, and how it identifies itself upstream."""

    name: str
    version: str
    title: dict[Lang, str]
    greeting: dict[Lang, str]
    examples: dict[Lang, tuple[str, ...]]
    tips: dict[Lang, tuple[str, ...]]
    preferred_formats: tuple[str, ...]

    def attribution(self, platform: str) -> SkillAttribution:
        """The ``X-Skill-*`` headers' values for calls made on ``platform`` (``telegram``, ``discord``…)."""
        return SkillAttribution(source=self.name, version=self.version, platform=platform)

    def welcome(self, lang: Lang) -> str:
        """The greeting, example prompts and tips, ready to send as one chat message."""
        try_saying, tips = ("试试这样说：", "小贴士：") if lang == "zh" else ("Try saying:", "Tips:")
        # Examples are quoted, unless they already quote something themselves.
        examples = "\n".join(
            f"• {example}" if "“" in example else f"• “{example}”" for example in self.examples[lang]
        )
        hints = "\n".join(f"• {tip}" for tip in self.tips[lang])
        return f"{self.greeting[lang]}\n\n{try_saying}\n{examples}\n\n{tips}\n{hints}"


DEFAULT_SKILL: Final = "nemo-video"

_PROFILES = (
    SkillProfile(
        name="nemo-video",
        version="1.9",
        title={"en": "AI video editor", "zh": "AI 视频剪辑"},
        greeting={
            "en": (
                "Hi! I'm NemoVideo, an AI video editor you can chat with. Send me videos, photos or music "
                "(or links to them) and tell me what you want – I'll edit, generate and caption it, then "
                "export an MP4 for you."
            ),
            "zh": (
                "你好！我是 NemoVideo，可以聊天的 AI 视频剪辑师。把视频、图片或音乐（或它们的链接）发给我，"
                "说说想要的效果——我来剪辑、生成、加字幕，最后为你导出 MP4。"
            ),
        },
        examples={
            "en": (
                "Make a 15-second highlight reel with upbeat music",
                "Add English subtitles to my video",
                "Generate a 10-second city timelapse at night",
            ),
            "zh": (
                "用欢快的音乐剪一个 15 秒的精彩集锦",
                "给我的视频加上中文字幕",
                "生成一段 10 秒的城市夜景延时视频",
            ),
        },
        tips={
            "en": (
                "Upload everything first, then describe the whole edit in one message.",
                "Send /status to see the timeline and /export when it looks right.",
            ),
            "zh": (
                "先上传所有素材，再用一条消息描述完整的剪辑要求。",
                "发送 /status 查看时间轴，满意后发送 /export 导出。",
            ),
        },
        preferred_formats=("mp4", "mov", "jpg", "png", "mp3"),
    ),
    SkillProfile(
        name="lipsyncvideo-ai",
        version="1.0",
        title={"en": "Lip-sync video", "zh": "口型同步视频"},
        greeting={
            "en": (
                "Hi! I lip-sync faces to audio. Send a video of a face and the audio (or the words) it "
                "should say, and I'll match the mouth to it."
            ),
            "zh": (
                "你好！我可以让视频里的人物对上音频的口型。"
                "发送一段人脸视频和要说的音频（或台词），我来对口型。"
            ),
        },
        examples={
            "en": (
                "Lip-sync my video to the song I uploaded",
                "Make him say: “Thanks for watching, see you next week!”",
                "Dub this clip with the Spanish audio I sent",
            ),
            "zh": (
                "让我的视频对上刚上传的歌曲口型",
                "让他说：“感谢观看，下周见！”",
                "用我发的英文音频给这段视频配音对口型",
            ),
        },
        tips={
            "en": (
                "Shorter clips give tighter sync – under 30 seconds works best.",
                "Use a front-facing, well-lit face.",
                "Clear audio without background music syncs best.",
            ),
            "zh": (
                "片段越短口型越准，30 秒以内效果最好。",
                "人脸尽量正对镜头、光线充足。",
                "音频清晰、没有背景音乐时效果最好。",
            ),
        },
        preferred_formats=("mp4", "mov", "mp3", "wav", "m4a"),
    ),
    SkillProfile(
        name="ai-voiceover-for-video",
        version="1.0",
        title={"en": "AI voice-over for video", "zh": "视频 AI 配音"},
        greeting={
            "en": "Hi! I add AI voice-over narration to your videos. Send a video and tell me what to say.",
            "zh": "你好！我可以为你的视频加上 AI 配音解说。发送视频，再告诉我要说什么。",
        },
        examples={
            "en": (
                "Add a warm female voice-over reading this script: …",
                "Narrate my travel video in a calm documentary style",
                "Replace the original audio with an English voice-over",
            ),
            "zh": (
                "用温暖的女声朗读这段文案作为旁白：……",
                "用平静的纪录片风格为我的旅行视频配旁白",
                "把原声换成英文配音",
            ),
        },
        tips={
            "en": (
                "Paste the exact script for word-for-word narration.",
                "Pick a voice and language, e.g. “deep male voice, British English”.",
            ),
            "zh": ("粘贴完整文案，配音会逐字朗读。", "说明音色和语言，比如“低沉男声，普通话”。"),
        },
        preferred_formats=("mp4", "mov", "webm"),
    ),
    SkillProfile(
        name="ai-voiceover-for",
        version="1.0",
        title={"en": "AI voice-over generator", "zh": "AI 配音生成"},
        greeting={
            "en": (
                "Hi! I turn text into natural AI voice-overs – for ads, intros, explainers or anything "
                "else. Send the script, and a video or images if the voice should go over them."
            ),
            "zh": (
                "你好！我能把文字变成自然的 AI 配音，适用于广告、片头、讲解等。"
                "发送文案；如需配到画面上，也可以附上视频或图片。"
            ),
        },
        examples={
            "en": (
                "Turn this script into a friendly voice-over for my podcast intro",
                "Make a 30-second ad voice-over in an energetic tone",
                "Read this product description aloud in Mandarin",
            ),
            "zh": (
                "把这段文案做成亲切的播客片头配音",
                "做一段 30 秒、语气有活力的广告配音",
                "用英文朗读这段产品介绍",
            ),
        },
        tips={
            "en": (
                "Paste the full script in one message.",
                "Say the voice, tone and language you want.",
                "Upload a video or images if you want the voice laid over visuals.",
            ),
            "zh": (
                "把完整文案放在一条消息里发送。",
                "说明想要的音色、语气和语言。",
                "如需配到画面上，请上传视频或图片。",
            ),
        },
        preferred_formats=("mp4", "mp3", "wav", "jpg", "png"),
    ),
    SkillProfile(
        name="music-video-generator",
        version="1.0",
        title={"en": "Music video generator", "zh": "音乐视频生成"},
        greeting={
            "en": (
                "Hi! I make music videos from a song and your photos. "
                "Send the song and some pictures to start."
            ),
            "zh": "你好！我可以用一首歌和你的照片做成音乐视频。发送歌曲和几张照片就能开始。",
        },
        examples={
            "en": (
                "Make a music video for this song with my photos",
                "Create a dreamy, slow-motion music video with film grain",
                "Cut the photos to the beat of the chorus",
            ),
            "zh": (
                "用我的照片为这首歌做一个音乐视频",
                "做一个梦幻、慢动作、带胶片颗粒感的音乐视频",
                "让照片跟着副歌的节拍切换",
            ),
        },
        tips={
            "en": (
                "Upload the song plus 3–20 photos.",
                "Say the mood you want, e.g. energetic, nostalgic or dreamy.",
            ),
            "zh": ("上传歌曲和 3–20 张照片。", "说说想要的氛围，比如活力、怀旧或梦幻。"),
        },
        preferred_formats=("mp3", "wav", "m4a", "jpg", "jpeg", "png", "webp"),
    ),
    SkillProfile(
        name="audio-video-to",
        version="1.0",
        title={"en": "Merge audio and video", "zh": "音视频合并"},
        greeting={
            "en": (
                "Hi! I merge and sync audio with video – replace a soundtrack, add music "
                "or line up a recording."
            ),
            "zh": "你好！我可以合并并同步音频和视频——替换原声、添加音乐或对齐录音。",
        },
        examples={
            "en": (
                "Replace the video's sound with this audio track",
                "Sync the recorded audio with my video",
                "Mix the music under the original sound at 30% volume",
            ),
            "zh": ("用这段音频替换视频原声", "把录好的音频和视频对齐", "把音乐以 30% 音量混在原声下面"),
        },
        tips={
            "en": (
                "Keep the audio and video the same length, or say which one to trim.",
                "Send the video and the audio as separate files.",
            ),
            "zh": ("音频和视频尽量等长，或者告诉我剪哪一个。", "把视频和音频作为两个文件分别发送。"),
        },
        preferred_formats=("mp4", "mov", "mp3", "wav", "m4a", "aac"),
    ),
)

PROFILES: Final[Mapping[str, SkillProfile]] = MappingProxyType(
    {profile.name: profile for profile in _PROFILES}
)

# Words users type for a mode; keys are normalised like queries (see _normalise).
_ALIASES: Final[Mapping[str, str]] = {
    **dict.fromkeys(("default", "nemo", "general", "edit", "editor", "剪辑", "默认"), "nemo-video"),
    **dict.fromkeys(("lipsync", "lip-sync", "口型", "对口型", "口型同步"), "lipsyncvideo-ai"),
    **dict.fromkeys(
        ("voiceover", "voice-over", "narration", "narrate", "旁白", "解说"), "ai-voiceover-for-video"
    ),
    **dict.fromkeys(("voice", "tts", "text-to-speech", "配音"), "ai-voiceover-for"),
    **dict.fromkeys(("music", "music-video", "mv", "音乐", "音乐视频"), "music-video-generator"),
    **dict.fromkeys(("merge", "sync", "audio", "合并", "音视频", "音画同步"), "audio-video-to"),
}


def _normalise(query: str) -> str:
    return "-".join(query.strip().lstrip("/").lower().replace("_", " ").replace("-", " ").split())


def get_profile(name: str | None) -> SkillProfile:
    """The profile called ``name``; the default profile for ``None`` or an unknown name."""
    return PROFILES.get(name or "", PROFILES[DEFAULT_SKILL])


def find_profile(query: str) -> SkillProfile | None:
    """The profile a user means: exact name, alias, or a prefix only one profile has; else ``None``."""
    key = _normalise(query)
    if not key:
        return None
    if key in PROFILES:
        return PROFILES[key]
    if key in _ALIASES:
        return PROFILES[_ALIASES[key]]
    if len(key) < 2:
        return None  # one letter is too little to guess from
    names = {name for name in PROFILES if name.startswith(key)}
    names |= {name for alias, name in _ALIASES.items() if alias.startswith(key)}
    return PROFILES[names.pop()] if len(names) == 1 else None


def describe_profiles(lang: Lang) -> str:
    """One line per profile (``• music-video-generator – Music video generator``), for /skill."""
    return "\n".join(f"• {profile.name} – {profile.title[lang]}" for profile in _PROFILES)
