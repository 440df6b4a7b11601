"""What a plain chat message asks for, before anything reaches the editing agent.

Only a *whole* message is matched: "export please" exports, but "add a title then export" is an
edit instruction and goes to the agent (which then offers Export itself). Matching is on a
normalised form (case, width, punctuation, emoji and polite fillers removed), in English and
Chinese. Slash commands are parsed separately by :func:`parse_command`.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import unquote, urlsplit

from core.chat import Action


class Intent(enum.StrEnum):
    """What a message is for; everything that is not a bot intent is ``CHAT`` for the agent."""

    EXPORT = "export"
    CREDITS = "credits"
    STATUS = "status"
    UPLOAD = "upload"
    CHAT = "chat"
    EMPTY = "empty"


@dataclass(frozen=True, slots=True)
class Command:
    """A slash command: ``/skill@nemo_bot music`` is ``Command("skill", "music")``."""

    name: str
    args: str


@dataclass(frozen=True, slots=True)
class Routed:
    """A routed message: its intent, the media URLs in it (to import first) and its stripped text.

    ``resolution`` is set for an export that names one ("export in 4k" → ``"2160p"``); the render
    body's ``output`` carries it (docs §2.8).
    """

    intent: Intent
    urls: tuple[str, ...] = ()
    text: str = ""
    resolution: str | None = None


# What the backend accepts (docs §2.5; the CLI also takes .jpeg), by kind.
VIDEO_EXTENSIONS: Final = frozenset({"mp4", "mov", "avi", "webm", "mkv"})
IMAGE_EXTENSIONS: Final = frozenset({"jpg", "jpeg", "png", "gif", "webp"})
AUDIO_EXTENSIONS: Final = frozenset({"mp3", "wav", "m4a", "aac"})
MEDIA_EXTENSIONS: Final = VIDEO_EXTENSIONS | IMAGE_EXTENSIONS | AUDIO_EXTENSIONS

_COMMAND = re.compile(r"/(?P<name>[A-Za-z0-9_]+)(?:@(?P<bot>[A-Za-z0-9_]+))?(?=\s|$)(?P<args>.*)", re.DOTALL)
_MAX_COMMAND = 32  # Telegram's and Discord's limit for a command name

_COMMAND_ACTIONS: Final[Mapping[str, Action]] = {
    "export": Action.EXPORT,
    "status": Action.STATUS,
    "credits": Action.CREDITS,
    "balance": Action.CREDITS,
    "new": Action.NEW,
    "reset": Action.NEW,
    "cancel": Action.CANCEL,
    "stop": Action.CANCEL,
    "help": Action.HELP,
    "start": Action.HELP,
}

# A media URL ends its path with an accepted extension. The host/path part excludes brackets and
# full-width punctuation so "(https://x/a.mp4)" and "https://x/a.mp4，当背景" stop at the extension;
# after the extension only another URL character (or a dot followed by one) continues the path,
# so "a.mp4." at the end of a sentence is still a match while "a.mp4.zip" is not.
_EXT_ALTERNATION = "|".join(sorted(MEDIA_EXTENSIONS, key=len, reverse=True))
_MEDIA_URL = re.compile(
    r"https?://[^\s<>\"'`()\[\]{}，。！？、；：（）【】「」《》]+?\.(?:" + _EXT_ALTERNATION + r")"
    r"(?![a-z0-9_\-/%=&+~@$*]|\.[a-z0-9_])"
    # Query and fragment: printable ASCII except quotes and angle brackets (a negated range of
    # non-ASCII would also exclude "s" and "k" under IGNORECASE, through "ſ" and the Kelvin sign).
    r"(?:[?#][!#-&(-;=?-_a-~]*)?",
    re.IGNORECASE,
)
_TRAILING_PUNCTUATION = ".,;:!?)]}'\""
_ANY_URL = re.compile(r"https?://[^\s<>\"'`()\[\]{}，。！？、；：（）【】「」《》]+", re.IGNORECASE)
# Cloud drives and file-sharing services: their links name no extension, but they are files.
SHARE_HOSTS: Final = frozenset(
    {
        "drive.google.com",
        "docs.google.com",
        "dropbox.com",
        "dl.dropboxusercontent.com",
        "onedrive.live.com",
        "1drv.ms",
        "icloud.com",
        "box.com",
        "app.box.com",
        "wetransfer.com",
        "we.tl",
        "mega.nz",
        "pan.baidu.com",
        "aliyundrive.com",
        "alipan.com",
        "share.weiyun.com",
        "pan.quark.cn",
        "123pan.com",
    }
)
_SHARE_SUFFIXES: Final = (".sharepoint.com", ".lanzoui.com", ".lanzoux.com", ".lanzout.com")

# "1080p", "in 4k", "at full hd": an export's resolution, as the render body's `output` names it.
_RESOLUTION = re.compile(
    r"(?:\b(?:in|at|as|to)\s+)?(?<![\w])(?P<res>480p|720p|1080p|1440p|2160p|2k|4k|uhd|full\s+hd|fhd|hd)(?![\w])"
)
_RESOLUTIONS: Final[Mapping[str, str]] = {
    "480p": "480p",
    "720p": "720p",
    "hd": "720p",
    "1080p": "1080p",
    "full hd": "1080p",
    "fhd": "1080p",
    "1440p": "1440p",
    "2k": "1440p",
    "2160p": "2160p",
    "4k": "2160p",
    "uhd": "2160p",
}

# "@nemo_bot export" and Discord's "<@123> export": a mention addresses, it is not the request.
_MENTION = re.compile(r"<@[!&]?\d+>|(?<![\w@])@[A-Za-z0-9_]{3,32}\b")
_HAN = r"\u3400-\u4dbf\u4e00-\u9fff"
_HAN_GAP = re.compile(rf"(?<=[{_HAN}]) (?=[{_HAN}a-z0-9])|(?<=[a-z0-9]) (?=[{_HAN}])")
_HAN_EDGE = re.compile(rf"(?<=[{_HAN}])(?=[a-z0-9])|(?<=[a-z0-9])(?=[{_HAN}])")


def _longest_first(alternatives: str) -> tuple[str, ...]:
    # Longest first, so "thank you" comes off before "you" could, and "我想要" before "我想".
    return tuple(sorted(alternatives.split("|"), key=len, reverse=True))


# Politeness around a request. English ones match whole words only; Chinese ones any characters.
_PREFIXES: Final = _longest_first(
    "please|pls|plz|kindly|ok|okay|alright|great|perfect|cool|nice|good|looks good|hey|hi|hello|now|"
    "just|so|and|then|can you|could you|would you|will you|can i|could i|go ahead and|let's|lets|let me|"
    "i want to|i wanna|i'd like to|i would like to|i need to|time to|"
    "请你|请|麻烦你|麻烦|帮我|帮忙|给我|我要|我想要|我想|现在|可以|能不能|能否|你|好的|好|不错|完美|行|那就|那|然后|再"
)
_SUFFIXES: Final = _longest_first(
    "please|pls|plz|now|thanks|thank you|thx|ty|for me|asap|right now|"
    "吧|一下|了|啊|呀|吗|呢|哦|喔|嘛|谢谢|谢啦|现在|好吗|好不好|可以吗|行吗|行不行"
)

_EN_OBJECT = (
    r"(?:(?:the|my|this|that|our|your)\s+)?(?:final\s+|finished\s+|edited\s+|whole\s+)?"
    r"(?:video|clip|movie|mp4|project|result|file|edit|cut)"
)
_EN_MEDIA = (
    r"(?:videos?|clips?|files?|footage|photos?|images?|pictures?|pics?|audio|music|songs?|media|assets?)"
)
_ZH_OBJECT = r"(?:视频|成片|作品|影片|片子|短片|mp4|文件|结果|它|这个)"
_ZH_MEDIA = r"(?:视频|文件|素材|图片|照片|音频|音乐|歌曲|歌)"


def _patterns(*sources: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{source})" for source in sources))


_EXPORT = _patterns(
    rf"(?:export|render|download)(?:\s+(?:it|this|that|{_EN_OBJECT}))?(?:\s+(?:as|to|in|into)\s+(?:an?\s+)?mp4)?",
    rf"(?:send|give|get)(?:\s+me)?\s+{_EN_OBJECT}",
    r"(?:send|give)\s+it\s+to\s+me",
    r"(?:send|give|get)(?:\s+me)?\s+(?:the\s+)?(?:download|export|video|mp4)\s+link",
    rf"(?:i\s+(?:want|need)|i'd\s+like)\s+{_EN_OBJECT}",
    rf"(?:把|将)?(?:(?:这个|我的|最终的?|剪好的)?{_ZH_OBJECT})?(?:导出|下载|渲染|输出)(?:来|出来|成)?{_ZH_OBJECT}?",
    rf"(?:把|将)?{_ZH_OBJECT}?(?:发|发送|传)(?:给)?我{_ZH_OBJECT}?",
)
_CREDITS = _patterns(
    r"(?:my\s+|remaining\s+|credit\s+)?(?:credits?|balance)(?:\s+(?:left|remaining|balance))?",
    r"remaining",
    r"how\s+(?:many|much)\s+(?:credits?|balance)(?:\s+(?:do\s+i\s+have|have\s+i\s+got|i\s+have|are|is|do\s+i"
    r"\s+still\s+have))?(?:\s+(?:left|remaining|remain))?",
    r"(?:check|show|see|view|get|what's|what\s+is|whats)(?:\s+me)?\s+(?:my\s+|the\s+)?(?:credits?|balance|"
    r"credit\s+balance)(?:\s+left)?",
    r"(?:查看?|查询|看看?|显示)?(?:一下)?(?:我的|剩余的?|剩下的?|还剩的?)?(?:积分|余额|点数|额度)"
    r"(?:余额|还剩多少|剩余|还有多少|有多少|多少)?",
    r"剩余|还剩多少|剩多少",
    r"(?:我)?还(?:剩|有)多少(?:积分|余额|点数|额度)",
)
_STATUS = _patterns(
    r"(?:project\s+|current\s+)?status(?:\s+(?:update|check))?",
    r"(?:show|list|view|see|check|display)(?:\s+me)?\s+(?:the\s+|my\s+|all\s+)?(?:current\s+)?"
    r"(?:tracks?|timeline|project|status|project\s+status|state|progress)",
    r"(?:the\s+)?(?:tracks?|timeline)",
    r"what(?:'s|\s+is|s)\s+(?:on|in)\s+(?:the\s+|my\s+)?(?:timeline|tracks?|project)(?:\s+(?:now|so\s+far))?",
    r"what(?:'s|\s+is|s)\s+(?:the\s+|my\s+)?(?:status|progress)",
    r"what\s+do\s+i\s+have(?:\s+so\s+far)?",
    r"(?:查看?|查询|看看?|显示|列出|检查)?(?:一下)?(?:当前的?|现在的?|项目的?|我的)?"
    r"(?:状态|轨道|时间轴|时间线|进度|项目状态)(?:列表)?",
    r"(?:时间轴|时间线|轨道)上?(?:有什么|有啥|都有什么|有哪些)",
)
_UPLOAD = _patterns(
    rf"(?:upload|import)(?:\s+(?:(?:a|an|the|my|some|this|these|more|another)\s+)?{_EN_MEDIA})?",
    rf"how\s+(?:do|can|should)\s+i\s+(?:upload|import|send)(?:\s+(?:(?:a|an|the|my|some)\s+)?{_EN_MEDIA})?",
    rf"(?:上传|导入)(?:一个|一些|几个|个)?{_ZH_MEDIA}?",
    rf"(?:怎么|如何|怎样)(?:上传|导入){_ZH_MEDIA}?",
)
# With media URLs, a short presentation ("here's my video", "这是素材") still means "upload these".
_PRESENT = _patterns(
    rf"here(?:'s|\s+is|\s+are|s)?(?:\s+(?:it|they|(?:(?:my|the|a|an|some)\s+)?{_EN_MEDIA}))?",
    r"here\s+you\s+go",
    rf"(?:this|these)(?:\s+(?:one|{_EN_MEDIA}))?",
    rf"(?:这是|这里是|这些是|给你)?(?:我的|这个|这些)?{_ZH_MEDIA}?",
)
# Far longer than any polite "please export the final video now, thanks"; longer text is an
# instruction, and skipping it keeps the filler stripping (quadratic in the worst case) cheap.
_MAX_REQUEST: Final = 160
_CONNECTORS = re.compile(r"\b(?:and|plus|also)\b|和|还有|以及|跟")
_INTENT_PATTERNS: Final = (
    (Intent.EXPORT, _EXPORT),
    (Intent.CREDITS, _CREDITS),
    (Intent.STATUS, _STATUS),
    (Intent.UPLOAD, _UPLOAD),
)


def parse_command(text: str, bot_username: str | None = None) -> Command | None:
    """The slash command at the start of ``text``, or ``None``.

    Names are lower-cased and limited to ``[a-z0-9_]{1,32}``. ``/cmd@name`` counts only when
    ``name`` is ``bot_username`` (case-insensitive); when the adapter does not know its username,
    any addressee is accepted, since there is nothing to compare with.
    """
    match = _COMMAND.fullmatch(text.strip())
    if match is None:
        return None
    name = match["name"].lower()
    if len(name) > _MAX_COMMAND:
        return None
    addressee = match["bot"]
    ours = (bot_username or "").lstrip("@").lower()
    if addressee is not None and ours and addressee.lower() != ours:
        return None
    return Command(name, match["args"].strip())


def command_action(name: str) -> Action | None:
    """The action a command name stands for (with aliases: reset, stop, balance, start), or ``None``."""
    return _COMMAND_ACTIONS.get(name.strip().lstrip("/").lower())


def _is_media_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    path = unquote(parts.path).lower()
    extension = path.rpartition(".")[2]
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc) and extension in MEDIA_EXTENSIONS


def _media_url_spans(text: str) -> list[tuple[int, int, str]]:
    spans = []
    for match in _MEDIA_URL.finditer(text):
        url = match.group()
        if "?" in url or "#" in url:
            # Only the query can have swallowed sentence punctuation; the path ends at the extension.
            url = url.rstrip(_TRAILING_PUNCTUATION)
        if _is_media_url(url):
            spans.append((match.start(), match.start() + len(url), url))
    return spans


def is_share_link(url: str) -> bool:
    """Whether ``url`` points into a cloud drive or file-sharing service (Google Drive, Dropbox…)."""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return False
    host = host.removeprefix("www.")
    return host in SHARE_HOSTS or host.endswith(_SHARE_SUFFIXES)


def _link_spans(text: str) -> list[tuple[int, int, str]]:
    spans = []
    for match in _ANY_URL.finditer(text):
        url = match.group().rstrip(_TRAILING_PUNCTUATION)
        try:
            parts = urlsplit(url)
        except ValueError:
            continue
        if parts.netloc:
            spans.append((match.start(), match.start() + len(url), url))
    return spans


def find_links(text: str) -> tuple[str, ...]:
    """Every http(s) link in ``text``, in order, once each ("/upload <any link>" imports them)."""
    return tuple(dict.fromkeys(url for _, _, url in _link_spans(text)))


def export_resolution(text: str) -> str | None:
    """The resolution ``text`` names ("1080p", "4k", "full hd"), normalised (``"2160p"``), or None."""
    match = _RESOLUTION.search(_normalize(text))
    return _RESOLUTIONS[" ".join(match["res"].split())] if match else None


def find_media_urls(text: str) -> tuple[str, ...]:
    """The http(s) URLs in ``text`` whose path ends in an accepted media extension, in order, once each."""
    return tuple(dict.fromkeys(url for _, _, url in _media_url_spans(text)))


def _normalize(text: str) -> str:
    """Lower-case words and Han runs separated by single spaces; punctuation, emoji and marks dropped."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("’", "'").replace("‘", "'")
    kept = [ch if unicodedata.category(ch)[0] in "LN" or ch == "'" else " " for ch in text]
    words = (word.strip("'") for word in "".join(kept).split())
    joined = " ".join(word for word in words if word)
    return _HAN_EDGE.sub(" ", joined)


def _stages(text: str) -> list[str]:
    """``text`` and each shorter form as polite fillers come off its ends (Chinese gaps closed)."""
    stages = [text]
    changed = True
    while changed and text:
        changed = False
        for filler in _PREFIXES:
            if (
                text == filler
                or text.startswith(filler + " ")
                or (not filler.isascii() and text.startswith(filler))
            ):
                text, changed = text[len(filler) :].lstrip(), True
                break
        for filler in _SUFFIXES:
            if (
                text == filler
                or text.endswith(" " + filler)
                or (not filler.isascii() and text.endswith(filler))
            ):
                text, changed = text[: len(text) - len(filler)].rstrip(), True
                break
        stages.append(text)
    # Chinese has no spaces between words; "导出 视频" and "导出视频" are the same request.
    return [_HAN_GAP.sub("", stage) for stage in stages]


def _match_intent(stages: list[str]) -> Intent | None:
    # Every stage is tried: "现在的状态" is a request as written, "请导出一下" only once stripped.
    for stage in stages:
        for intent, pattern in _INTENT_PATTERNS:
            if pattern.fullmatch(stage):
                return intent
    return None


def _urls_and_rest(text: str, spans: list[tuple[int, int, str]]) -> tuple[tuple[str, ...], str | None]:
    """The URLs at ``spans`` (each once, in order) and what the message asks besides them: its last
    stage, normalized; ``None`` when that is too long to be a bare upload request."""
    urls = tuple(dict.fromkeys(url for _, _, url in spans))
    remainder = text
    for start, end, _ in reversed(spans):
        remainder = remainder[:start] + " " + remainder[end:]
    rest = _normalize(_MENTION.sub(" ", remainder))
    if len(rest) > _MAX_REQUEST:
        return urls, None
    return urls, " ".join(_stages(_CONNECTORS.sub(" ", rest))[-1].split())


def route(text: str) -> Routed:
    """The intent of a whole message (commands are handled before, by :func:`parse_command`).

    Media URLs are always reported; a message that is only such URLs (perhaps with "upload",
    "here's my video", "上传") is ``UPLOAD``, while a URL inside an instruction stays ``CHAT``.
    ``text`` is the message without surrounding whitespace, URLs included, for the agent.
    """
    if not _is_visible(text):
        return Routed(Intent.EMPTY)
    stripped = text.strip()
    spans = _media_url_spans(stripped)
    if spans:
        urls, rest = _urls_and_rest(stripped, spans)
        if rest is not None and (not rest or _UPLOAD.fullmatch(rest) or _PRESENT.fullmatch(rest)):
            return Routed(Intent.UPLOAD, urls, stripped)
        return Routed(Intent.CHAT, urls, stripped)
    links = _link_spans(stripped)
    if links:
        # Any link with "upload"/"上传" is an import; a bare cloud-drive or share link is one too.
        urls, rest = _urls_and_rest(stripped, links)
        if rest is not None:
            shared = all(is_share_link(url) for url in urls)
            if (rest and _UPLOAD.fullmatch(rest)) or (shared and (not rest or _PRESENT.fullmatch(rest))):
                return Routed(Intent.UPLOAD, urls, stripped)
        return Routed(Intent.CHAT, (), stripped)
    request = _normalize(_MENTION.sub(" ", stripped))
    if len(request) > _MAX_REQUEST:
        return Routed(Intent.CHAT, (), stripped)
    intent = _match_intent(_stages(request))
    if intent is None and (resolution := _RESOLUTION.search(request)) is not None:
        without = " ".join((request[: resolution.start()] + " " + request[resolution.end() :]).split())
        if _match_intent(_stages(without)) is Intent.EXPORT:
            value = _RESOLUTIONS[" ".join(resolution["res"].split())]
            return Routed(Intent.EXPORT, (), stripped, resolution=value)
    return Routed(intent or Intent.CHAT, (), stripped)


def _is_visible(text: str) -> bool:
    """Whether ``text`` has anything besides whitespace and invisible (format, control) characters."""
    return any(not ch.isspace() and unicodedata.category(ch) not in ("Cf", "Cc") for ch in text)
