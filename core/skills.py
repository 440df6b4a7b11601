"""Skill profiles: the modes a chat can be in, each with its own welcome, examples and attribution.

A profile's ``name`` and ``version`` are what the backend sees in the ``X-Skill-Source`` and
``X-Skill-Version`` headers (docs §1.2), so they follow the published NemoVideo skills.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from core.i18n import Lang
from core.nemo.models import SkillAttribution


@dataclass(frozen=True, slots=True)
class SkillProfile:
    """One mode of the bot: how it greets, what it suggests, and how it identifies itself upstream.

    The texts say what the published skill of the same name describes: what it makes, the inputs
    it wants, the formats it prefers, speed tips, limits (500 MB) and the free credits — and promise
    nothing it does not describe.
    """

    name: str
    version: str
    title: dict[Lang, str]
    greeting: dict[Lang, str]
    examples: dict[Lang, tuple[str, ...]]
    tips: dict[Lang, tuple[str, ...]]
    # Shown in the upload hint, first the ones this skill works with best.
    preferred_formats: tuple[str, ...]
    # Question and answer pairs, shown by /help.
    faq: dict[Lang, tuple[tuple[str, str], ...]] = field(default_factory=dict)

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

    def faq_text(self, lang: Lang) -> str:
        """The FAQ as one block (``Q?`` then the answer), or "" when the profile has none."""
        pairs = self.faq.get(lang, ())
        if not pairs:
            return ""
        head = "常见问题：" if lang == "zh" else "FAQ:"
        return head + "\n" + "\n".join(f"• {question} {answer}" for question, answer in pairs)

    def upload_hint(self, lang: Lang) -> str:
        """How to add media in this mode, naming the formats it prefers."""
        formats = "、".join(f.upper() for f in self.preferred_formats)
        if lang == "zh":
            return f"直接在聊天里发送文件，或粘贴文件链接（{formats}，最大 500 MB）。大文件建议发链接。"
        formats = ", ".join(f.upper() for f in self.preferred_formats)
        return (
            f"Send the file right here in the chat, or paste a link to it ({formats}; up to 500 MB). "
            "Large files work best as a link."
        )


DEFAULT_SKILL: Final = "nemo-video"

_FREE_EN = ("Does it cost anything?", "New users get 100 free credits, no sign-up needed; export is free.")
_FREE_ZH = ("收费吗？", "新用户有 100 个免费积分，无需注册；导出免费。")
_SIZE_EN = ("How big can files be?", "Up to 500 MB each; compress or trim bigger ones, or send a link.")
_SIZE_ZH = ("文件多大？", "单个文件最大 500 MB；更大的请压缩、剪短或发送链接。")

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
        faq={
            "en": (
                (
                    "How long does it take?",
                    "Replies take seconds, edits 10–30 s, a generated clip 2–5 minutes.",
                ),
                _SIZE_EN,
                (
                    "Does it cost anything?",
                    "New users get 100 free credits: ~100 per generated clip, ~50 per edit; export is free.",
                ),
            ),
            "zh": (
                ("需要多久？", "回复几秒，编辑 10–30 秒，生成一段视频 2–5 分钟。"),
                _SIZE_ZH,
                ("收费吗？", "新用户有 100 个免费积分：生成一段约 100，编辑约 50；导出免费。"),
            ),
        },
    ),
    SkillProfile(
        name="lipsyncvideo-ai",
        version="1.0.1",
        title={"en": "Lip-sync video", "zh": "口型同步视频"},
        greeting={
            "en": (
                "Hi! I match audio to the lip movements in your video. Send a video of the speaker and "
                "the audio you want synced – a voice-over, a dub or a recording – and I'll sync the mouth "
                "to it and give you a 1080p MP4, in about 60–90 seconds."
            ),
            "zh": (
                "你好！我可以让视频里说话人的口型对上音频。发送说话人的视频和要同步的音频（配音、译制或录音），"
                "我来对口型并给你 1080p 的 MP4，大约 60–90 秒。"
            ),
        },
        examples={
            "en": (
                "Sync this voiceover to the speaker",
                "Replace the audio and match the lip movements",
                "Dub this clip with my recording",
            ),
            "zh": ("把这段配音对上说话人的口型", "替换音频并对上口型", "用我的录音给这段视频配音对口型"),
        },
        tips={
            "en": (
                "Shorter clips give tighter sync: under 60 seconds works best; split long videos first.",
                "Send the video (MP4 or MOV) and the audio (MP3, WAV, M4A or AAC) as separate files.",
                "Clear speech syncs best; with several speakers, they should take turns.",
            ),
            "zh": (
                "片段越短口型越准：60 秒以内最好，长视频请先分段。",
                "视频（MP4 或 MOV）和音频（MP3、WAV、M4A 或 AAC）分别作为文件发送。",
                "语音清晰时效果最好；多人说话时最好轮流发言。",
            ),
        },
        preferred_formats=("mp4", "mov", "mp3", "wav", "m4a", "aac"),
        faq={
            "en": (
                (
                    "How accurate is the sync?",
                    "Frame-level for clear speech; mumbling or fast talking may be slightly off.",
                ),
                ("Which audio formats?", "MP3, WAV, M4A and AAC."),
                _SIZE_EN,
                _FREE_EN,
            ),
            "zh": (
                ("口型有多准？", "清晰的语音可以精确到帧；含糊或语速很快时可能略有偏差。"),
                ("支持哪些音频格式？", "MP3、WAV、M4A 和 AAC。"),
                _SIZE_ZH,
                _FREE_ZH,
            ),
        },
    ),
    SkillProfile(
        name="ai-voiceover-for-video",
        version="1.0",
        title={"en": "AI voice-over for video", "zh": "视频 AI 配音"},
        greeting={
            "en": (
                "Hi! I add AI voice-over narration to your videos. Upload a video and paste the script – "
                "or ask me to narrate it and I'll write the words – and I'll lay the voice over the picture."
            ),
            "zh": (
                "你好！我可以为你的视频加上 AI 配音旁白。上传视频并粘贴文案——或者让我来写解说——"
                "我把声音配到画面上。"
            ),
        },
        examples={
            "en": (
                "Narrate my travel video in a calm documentary style",
                "Add a warm female voice-over reading: “Welcome to our studio tour.”",
                "Replace the original audio with an English voice-over",
            ),
            "zh": (
                "用平静的纪录片风格为我的旅行视频配旁白",
                "用温暖的女声朗读：“欢迎来到我们的工作室。”",
                "把原声换成英文配音",
            ),
        },
        tips={
            "en": (
                "Shorter scripts fit the picture better: about 2–3 words per second of video.",
                "Say the voice and language, e.g. “deep male voice, British English”.",
                "Clips under 60 seconds come back fastest.",
            ),
            "zh": (
                "文案越短越贴合画面：每秒视频约 3–4 个字。",
                "说明音色和语言，比如“低沉男声，普通话”。",
                "60 秒以内的片段处理最快。",
            ),
        },
        preferred_formats=("mp4", "mov", "webm"),
        faq={
            "en": (
                (
                    "Do I need a script?",
                    "No – ask me to narrate and I'll write one; paste yours for word-for-word narration.",
                ),
                _SIZE_EN,
                _FREE_EN,
            ),
            "zh": (
                ("一定要有文案吗？", "不用——让我来解说我会写一段；粘贴你的文案则逐字朗读。"),
                _SIZE_ZH,
                _FREE_ZH,
            ),
        },
    ),
    SkillProfile(
        name="ai-voiceover-for",
        version="1.0",
        title={"en": "AI voice-over generator", "zh": "AI 配音生成"},
        greeting={
            "en": (
                "Hi! I turn a script into a natural AI voice-over – for ads, intros, explainers or "
                "podcasts. Paste the script and say the voice you want; add a video or photos if the "
                "voice should go over them, otherwise you get an MP4 of the voice over a simple background."
            ),
            "zh": (
                "你好！我能把文案变成自然的 AI 配音，适用于广告、片头、讲解或播客。粘贴文案并说明想要的音色；"
                "如需配到画面上，可以附上视频或图片，否则会生成带简单背景的 MP4。"
            ),
        },
        examples={
            "en": (
                "Turn this into a friendly podcast intro: “Welcome back to the show!”",
                "Make an energetic ad voice-over: “Fresh coffee, delivered in ten minutes.”",
                "Read this aloud in a calm male voice: “Thank you for calling.”",
            ),
            "zh": (
                "做成亲切的播客片头配音：“欢迎回到我们的节目！”",
                "做一段有活力的广告配音：“新鲜咖啡，十分钟送达。”",
                "用平静的男声朗读：“感谢您的来电。”",
            ),
        },
        tips={
            "en": (
                "Paste the full script in one message, in quotes or after a colon.",
                "Say the voice, tone and language you want.",
                "Shorter scripts come back faster: about 150 words a minute.",
            ),
            "zh": (
                "把完整文案放在一条消息里，用引号括起来或写在冒号后面。",
                "说明想要的音色、语气和语言。",
                "文案越短越快：每分钟约 250 字。",
            ),
        },
        preferred_formats=("mp4", "jpg", "png", "mp3"),
        faq={
            "en": (
                (
                    "Do I need a video?",
                    "No – without one you get the voice over a simple background; "
                    "upload a video or photos to voice over them.",
                ),
                _SIZE_EN,
                _FREE_EN,
            ),
            "zh": (
                ("一定要有视频吗？", "不用——没有视频时配音会配上简单背景；上传视频或图片则配到画面上。"),
                _SIZE_ZH,
                _FREE_ZH,
            ),
        },
    ),
    SkillProfile(
        name="music-video-generator",
        version="1.0",
        title={"en": "Music video generator", "zh": "音乐视频生成"},
        greeting={
            "en": (
                "Hi! I make music videos from a song and your photos or clips, cut to the beat. "
                "Send the song and some pictures to start."
            ),
            "zh": "你好！我可以用一首歌和你的照片或片段，按节拍剪成音乐视频。发送歌曲和几张照片就能开始。",
        },
        examples={
            "en": (
                "Make a music video for this song with my photos",
                "Cut my photos to the beat of the song",
                "Make an energetic music video with these clips",
            ),
            "zh": (
                "用我的照片为这首歌做一个音乐视频",
                "让照片跟着歌曲的节拍切换",
                "用这些片段做一个有活力的音乐视频",
            ),
        },
        tips={
            "en": (
                "Songs under two minutes work best; upload the song plus 3–20 photos or a few short clips.",
                "Say the mood you want, e.g. energetic, nostalgic or dreamy.",
            ),
            "zh": (
                "两分钟以内的歌曲效果最好；上传歌曲和 3–20 张照片或几段短片。",
                "说说想要的氛围，比如活力、怀旧或梦幻。",
            ),
        },
        preferred_formats=("mp3", "wav", "m4a", "jpg", "jpeg", "png", "webp", "mp4"),
        faq={
            "en": (
                ("How long is the video?", "It follows the song, up to two minutes."),
                ("Which files?", "Songs as MP3, WAV or M4A; photos as JPG, PNG or WEBP; clips as MP4."),
                _FREE_EN,
            ),
            "zh": (
                ("视频多长？", "跟随歌曲长度，最长两分钟。"),
                ("支持哪些文件？", "歌曲 MP3、WAV 或 M4A；照片 JPG、PNG 或 WEBP；片段 MP4。"),
                _FREE_ZH,
            ),
        },
    ),
    SkillProfile(
        name="audio-video-to",
        version="1.0",
        title={"en": "Merge audio and video", "zh": "音视频合并"},
        greeting={
            "en": (
                "Hi! I merge audio with video: replace a video's sound with your audio track, or mix "
                "music or a recording in under the original sound."
            ),
            "zh": "你好！我可以合并音频和视频：用你的音频替换视频原声，或把音乐、录音混在原声下面。",
        },
        examples={
            "en": (
                "Replace the video's sound with this audio track",
                "Mix the music under the original sound at 30% volume",
                "Merge my recording with the video",
            ),
            "zh": ("用这段音频替换视频原声", "把音乐以 30% 音量混在原声下面", "把我的录音和视频合并"),
        },
        tips={
            "en": (
                "Send the video and the audio as separate files.",
                "Keep them about the same length: longer audio is trimmed to the video.",
            ),
            "zh": ("把视频和音频作为两个文件分别发送。", "两者尽量等长：较长的音频会按视频长度截断。"),
        },
        preferred_formats=("mp4", "mov", "mp3", "wav", "m4a", "aac"),
        faq={
            "en": (
                (
                    "Replace or mix?",
                    "Say “replace” to swap the sound, or “mix … at 30%” to keep the original underneath.",
                ),
                _SIZE_EN,
                _FREE_EN,
            ),
            "zh": (
                ("替换还是混音？", "说“替换”会换掉原声；说“以 30% 音量混入”会保留原声。"),
                _SIZE_ZH,
                _FREE_ZH,
            ),
        },
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
