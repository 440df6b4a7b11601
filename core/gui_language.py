"""Rewrite the agent's web-editor instructions into things a chat user can actually do.

The NemoVideo agent talks as if the user sat in its web editor ("click Export", "open the Media
panel", "drag the clip", "在时间轴中预览"). In a chat none of that exists, so:

* export clicks become "use Export (the button below, or /export)" and offer the Export button;
* "preview it in the timeline" becomes "see the track list below" and asks the core to append it;
* other labelled clicks become commands (/status, /credits…) or "reply “Generate”";
* drag/drop/panel/double-click clauses become "just tell me what to change, e.g. …".

No "click"/"点击" instruction survives. Everything else in the text is left as it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from core.chat import Action
from core.i18n import contains_cjk


@dataclass(frozen=True, slots=True)
class GuiTranslation:
    """The rewritten text, the actions to offer as buttons, and what state to show below it.

    ``show_timeline`` asks for the track list (what "preview it in the timeline" or "open the
    Timeline panel" would show); ``show_media`` for the uploaded files (the Media panel).
    """

    text: str
    actions: tuple[Action, ...] = ()
    show_timeline: bool = False
    show_media: bool = False


_EXPORT_EN: Final = "use Export (the button below, or /export)"
_EXPORT_ZH: Final = "使用“导出”（下方按钮，或发送 /export）"
_EXPORT_BUTTON_EN: Final = "the Export button below (or /export)"
_EXPORT_BUTTON_ZH: Final = "下方的“导出”按钮（或发送 /export）"
_TIMELINE_EN: Final = "see the track list below"
_TIMELINE_ZH: Final = "查看下方的轨道列表"
_UPLOAD_EN: Final = "send the file here in the chat (or paste a link)"
_UPLOAD_ZH: Final = "直接在聊天里发送文件（或粘贴链接）"
_LINK_EN: Final = "open the link"
_LINK_ZH: Final = "打开链接"
_TELL_EN: Final = "just tell me what to change (e.g. “trim the first clip to 5 seconds”)"
_TELL_ZH: Final = "直接告诉我想怎么改（比如“把第一段剪到 5 秒”）"
_MEDIA_EN: Final = "your uploaded files are listed below"
_MEDIA_ZH: Final = "下方列出了你上传的素材"
_TRACKS_EN: Final = "the track list is below"
_TRACKS_ZH: Final = "下方是轨道列表"
_MOVE_EN: Final = "just tell me, e.g. “move {what} {where}”"
_MOVE_ZH: Final = "直接告诉我，比如“把{what}移到{where}”"
_REPLY_EN: Final = "reply “{label}”"
_REPLY_ZH: Final = "回复“{label}”"

# Labels on web-editor buttons that map to a chat command, by lower-cased label.
_LABEL_ACTIONS: Final[dict[str, Action]] = {
    **dict.fromkeys(
        ("export", "download", "render", "export video", "导出", "下载", "渲染", "导出视频"), Action.EXPORT
    ),
    **dict.fromkeys(
        ("status", "timeline", "tracks", "project status", "状态", "轨道", "时间轴"), Action.STATUS
    ),
    **dict.fromkeys(
        ("credits", "balance", "top up", "buy credits", "upgrade", "积分", "余额", "充值", "升级"),
        Action.CREDITS,
    ),
    **dict.fromkeys(("new", "new project", "start over", "新建", "新项目", "新建项目"), Action.NEW),
    **dict.fromkeys(("cancel", "stop", "取消", "停止"), Action.CANCEL),
    **dict.fromkeys(("help", "帮助"), Action.HELP),
}
_UPLOAD_LABELS: Final = frozenset(
    {
        "upload",
        "upload media",
        "add media",
        "import",
        "import media",
        "上传",
        "导入",
        "添加素材",
        "上传素材",
        "添加媒体",
    }
)

_Q = r"[\"'“”‘’「」【】\[\]*`]{0,2}"  # quotes, brackets or Markdown emphasis around a button label
# Only imperative forms ("click", "tap", "press"; "clicking"): "the song hits Top 10" is no button.
_VERB = r"(?<![\w-])(?i:click|tap|press|hit)(?i:ing)?\s+(?i:on\s+)?(?i:the\s+)?"
_OPEN = r"(?:[\"'“‘「【\[`]|\*\*)"
_CLOSE = r"(?:[\"'”’」】\]`]|\*\*)"
_ZH_VERB = r"(?:点击|单击|点一下|点按|轻点|按下|按一下|点)(?:一下)?"
_ZH_WHERE = r"(?:页面|界面|编辑器)?(?:右上角|右上方|左上角|上方|顶部|下方|底部|左侧|右侧)?(?:的)?"
_NOT_DONE = r"(?!\s*[(（](?:the button below|下方按钮))"  # keeps a second pass from rewriting again

_PHRASES: Final = re.compile(
    "|".join(
        (
            # "Click the **Export** button in the top right corner"
            rf"(?P<export>{_VERB}{_Q}(?i:export|download|render)\b(?i:\s+video)?{_Q}(?i:\s+(?:button|icon|option))?"
            r"(?i:\s+(?:in|at|on)\s+(?:the\s+)?(?:top|upper|bottom|lower)(?:[\s-](?:right|left))?"
            rf"(?:\s+corner|\s+of\s+the\s+(?:screen|page|editor))?)?(?i:\s+below)?){_NOT_DONE}",
            rf"(?P<export_zh>(?:请)?{_ZH_VERB}{_ZH_WHERE}{_Q}(?:导出|下载)(?:视频)?{_Q}(?:按钮|图标)?){_NOT_DONE}",
            rf"(?P<export_button>(?i:the\s+)?{_Q}(?i:export|download){_Q}\s+(?i:button)(?!\s+below))",
            rf"(?P<export_button_zh>(?:的)?{_Q}导出{_Q}按钮(?!（))",
            # "Preview it in the timeline", "take a look at the timeline"
            r"(?P<timeline>(?i:(?:preview|view|check|see|watch|play|review)\s+(?:(?:it|this|that|them|the\s+(?:video|"
            r"result|clip|edit|changes?)|your\s+(?:video|edit|changes?))\s+)?(?:in|on)\s+(?:the\s+)?timeline"
            r"|(?:take\s+a\s+look\s+at|look\s+at|check\s+out)\s+the\s+timeline|in\s+the\s+timeline\s+preview))",
            r"(?P<timeline_zh>(?:在|到)(?:下方的?)?(?:时间轴|时间线|轨道)(?:中|上|里|面板中)?(?:预览|查看|播放)(?:一下)?"
            r"(?:效果|视频|结果)?|预览时间轴)",
            # "click here", "click the link below"
            r"(?P<link>(?i:click|tap)(?i:ing)?\s+(?i:on\s+)?\[?(?i:here|(?:the|this)\s+link(?:\s+below|\s+above)?)\]?)",
            r"(?P<link_zh>(?:点击|点)(?:这里|此处|(?:这个|下方的?|上方的?)?链接))",
            # Any other labelled button: quoted, Capitalised, or followed by "button".
            rf"(?P<label_verb>{_VERB})(?:{_OPEN}(?P<quoted>[^\"'“”‘’「」【】*`\n]{{1,40}}){_CLOSE}|(?P<cap>[A-Z][\w-]*(?:\s+[A-Z][\w-]*)"
            r"{0,2})|(?P<low>[\w-]+(?:\s+[\w-]+)?)(?=\s+(?i:button|icon|tab|option)))(?:\s+(?i:button|icon|tab|option))?",
            rf"(?P<label_zh>{_ZH_VERB}{_ZH_WHERE}(?:[“「【\"](?P<zq>[^”」】\"\n]{{1,12}})[”」】\"](?:按钮|图标|选项)?"
            r"|(?P<zb>[\u4e00-\u9fffA-Za-z0-9]{1,8}?)(?:按钮|图标|选项)))",
        )
    )
)

_KINDS: Final = tuple(
    name for name in _PHRASES.groupindex if name not in {"quoted", "cap", "low", "zq", "zb"}
)

# Clauses that only make sense with a mouse in the web editor; the whole clause is replaced.
_MANUAL_EN = re.compile(
    r"\b(?:click(?:s|ed|ing)?|double[\s-]?click\w*|right[\s-]?click\w*|drag(?:s|ged|ging)?|hover(?:ing)?\s+over"
    r"|drop\s+(?:it|them|(?:the|your)\s+[\w-]+)\s+(?:onto|into|here|after|before|between|at)|panels?|sidebar|toolbar|inspector|playhead"
    r"|scrubber|(?:open|go\s+to|switch\s+to|navigate\s+to|head\s+(?:over\s+)?to)\s+the\s+(?:[\w-]+\s+){0,2}"
    r"(?:tab|menu|window|dialog|editor|page|settings))\b",
    re.IGNORECASE,
)
_MANUAL_ZH = re.compile(
    r"点击|单击|双击|右键|右击|拖拽|拖动|拖到|拖入|拖放|拖曳|拖进|侧边栏|工具栏|面板|播放头|属性栏|菜单栏|"
    r"打开.{0,10}?(?:窗口|标签页|编辑器|菜单)"
)
# "Open the Media panel", "open [Timeline]", "go to the Export tab", "打开素材面板", "打开【时间轴】".
_PANEL_EN = re.compile(
    r"\b(?:open(?:ing)?|go\s+to|switch\s+to|check|look\s+at|head\s+(?:over\s+)?to|navigate\s+to)\s+"
    r"(?:the\s+|your\s+)?(?:[\[【](?P<b>[^\]】\n]{1,30})[\]】](?:\s+(?:panel|tab|library|sidebar|window|view))?"
    r"|(?P<w>[\w-]+(?:\s+[\w-]+)?)\s+(?:panel|tab|library|sidebar|window|view)\b|(?P<t>timeline)\b)",
    re.IGNORECASE,
)
_PANEL_ZH = re.compile(
    r"打开(?:左侧|右侧|下方|上方|顶部)?(?:的)?(?:[\[【「“](?P<b>[^\]】」”\n]{1,10})[\]】」”](?:面板|库|窗口|标签页|栏)?"
    r"|(?P<w>[\u4e00-\u9fffA-Za-z]{1,6}?)(?:面板|库|窗口|标签页|栏))"
)
_AND_THEN = re.compile(r"\s*(?:and|then|&)\s+\w+|\s*(?:并|然后|再)", re.IGNORECASE)
_MEDIA_PANELS = re.compile(r"media|asset|librar|upload|file|素材|媒体|文件|上传", re.IGNORECASE)
_EXPORT_PANELS = re.compile(r"export|download|render|导出|下载", re.IGNORECASE)
# Dragging something somewhere, and the drop that says where: the chat edit that does the same.
_DRAG_EN = re.compile(
    r"\bdrag(?:ging|s)?\s+(?P<what>it|them|(?:the|this|that|your|these|those)\s+[\w-]+"
    r"(?:\s+(?!(?:onto|into|to|after|before|over|on|in|from|between|and)\b)[\w-]+)?)"
    r"(?:\s+(?P<where>(?:after|before|between|to\s+the\s+(?:end|start|beginning))\b[^,.;!?\n]*))?",
    re.IGNORECASE,
)
_DROP_EN = re.compile(
    r"\b(?:drop|place|put)\s+(?P<what>it|them|(?:the|your)\s+[\w-]+)\s+"
    r"(?P<where>(?:after|before|between|at|to\s+the\s+(?:end|start|beginning))\b[^,.;!?\n]*)",
    re.IGNORECASE,
)
_DRAG_ZH = re.compile(r"把(?P<what>[^，。,；！？\s]{1,12}?)(?:拖拽|拖动|拖到|拖入|拖放|拖曳|拖进|拖)")
_DROP_ZH = re.compile(r"(?:放在|放到|移到|置于)(?P<where>[^，。,；！？\s]{1,15})")
_ABOUT_UPLOAD = re.compile(
    r"\b(?:upload\w*|import\w*|media\s+library|library)\b|上传|导入|素材库|媒体库", re.IGNORECASE
)
_MENTIONS_EXPORT = re.compile(r"导出|\bExport\b")
_CLAUSE_END = re.compile(r"[,;，；。！？!?]+\s*|(?<![\d\s])[.:]+(?:\s+|$)|\s+[—–]\s+")
# Every rewrite above needs one of these words (a superset: each pattern's verb, noun or Chinese
# stem), so text without any of them comes out unchanged and is not scanned again and again.
_MAY_REWRITE = re.compile(
    r"click|tap|press|hit|button|timeline|drag|drop|place|put|hover|panel|sidebar|toolbar|inspector"
    r"|playhead|scrubber|open|go\s+to|switch|navigate|head|check|look"
    r"|点|按|单击|双击|右键|右击|拖|侧边栏|工具栏|面板|播放头|属性栏|菜单栏|打开|时间轴|时间线|轨道"
    r"|放在|放到|移到|置于",
    re.IGNORECASE,
)
_LIST_MARKER = re.compile(r"^\s*(?:[-*•]|\d+[.)、])\s*")
_SENTENCE_END = re.compile(r"(?:[.!?。！？]\s*|^\s*)$")


def _zh_context(match: re.Match[str], lang: str) -> bool:
    """Reply in Chinese when the match is Chinese, or an English phrase sits in a Chinese line."""
    if contains_cjk(match.group()):
        return True
    text = match.string
    line_start = text.rfind("\n", 0, match.start()) + 1
    line_end = text.find("\n", match.end())
    return lang == "zh" and contains_cjk(text[line_start : line_end if line_end >= 0 else len(text)])


def _capitalised(original: str, replacement: str) -> str:
    if original[:1].isupper() and replacement[:1].islower():
        return replacement[0].upper() + replacement[1:]
    return replacement


class _Rewriter:
    """One pass over one text, remembering which actions and extras the rewrites asked for."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.actions: list[Action] = []
        self.show_timeline = False
        self.show_media = False
        # Advice already given (said once per reply, however many clauses ask for it).
        self.given: set[str] = set()

    def copy(self) -> _Rewriter:
        twin = _Rewriter(self.lang)
        twin.actions = list(self.actions)
        twin.show_timeline, twin.show_media = self.show_timeline, self.show_media
        twin.given = set(self.given)
        return twin

    def translate(self, text: str) -> str:
        """One piece of a reply: labelled phrases first, then whole mouse-only clauses."""
        if not _MAY_REWRITE.search(text):
            return text  # one cheap scan for most streamed text, instead of the nine below
        return self.rewrite(text)

    def rewrite(self, text: str) -> str:
        """:meth:`translate` without the quick check (the property tests compare the two)."""
        return self.clauses(_PHRASES.sub(self.phrase, text))

    def _offer(self, action: Action) -> None:
        if action not in self.actions:
            self.actions.append(action)

    def _for_label(self, label: str, zh: bool) -> str:
        key = " ".join(label.lower().split())
        action = _LABEL_ACTIONS.get(key)
        if action is Action.EXPORT:
            self._offer(action)
            return _EXPORT_ZH if zh else _EXPORT_EN
        if action is not None:
            self._offer(action)
            return f"发送 /{action.value}" if zh else f"send /{action.value}"
        if key in _UPLOAD_LABELS:
            return _UPLOAD_ZH if zh else _UPLOAD_EN
        return (_REPLY_ZH if zh else _REPLY_EN).format(label=label.strip())

    def phrase(self, match: re.Match[str]) -> str:
        kind = next((name for name in _KINDS if match[name] is not None), "")
        zh = _zh_context(match, self.lang)
        if kind.startswith("export"):
            self._offer(Action.EXPORT)
            if kind.startswith("export_button"):
                with_article = match.group().lower().startswith("the")
                text = _EXPORT_BUTTON_ZH if zh else _EXPORT_BUTTON_EN[0 if with_article else 4 :]
            else:
                text = _EXPORT_ZH if zh else _EXPORT_EN
        elif kind.startswith("timeline"):
            self.show_timeline = True
            text = _TIMELINE_ZH if zh else _TIMELINE_EN
        elif kind.startswith("link"):
            text = _LINK_ZH if zh else _LINK_EN
        elif kind == "label_zh":
            text = self._for_label(match["zq"] or match["zb"] or "", zh=True)
        else:  # label_verb
            text = self._for_label(match["quoted"] or match["cap"] or match["low"] or "", zh=zh)
        following = match.string[match.end() : match.end() + 1]
        if text[-1:].isascii() and text[-1:].isalnum() and (following.isalnum() or following == "_"):
            text += " "  # "/status查看" would run the command into the next word
        return _capitalised(match.group(), text)

    def clauses(self, text: str) -> str:
        """Replace each mouse-only clause; say "just tell me" once, not once per clause."""
        given = self.given
        lines = []
        for line in text.split("\n"):
            pieces: list[list[str]] = []
            dropped = False
            position = 0
            move = _move_advice(line)
            for end in [*_CLAUSE_END.finditer(line), None]:
                body = line[position : end.start() if end else len(line)]
                separator = end.group() if end else ""
                position = end.end() if end else len(line)
                advice = self._panel(body) or self._advice(body, move)
                if advice is not None:
                    if advice in given:
                        dropped = True
                        if pieces:
                            pieces[-1][1] = separator or pieces[-1][1]
                        continue
                    given.add(advice)
                    at_start = not pieces or bool(_SENTENCE_END.search(pieces[-1][1]))
                    body = self._manual(body, advice, at_start=at_start)
                pieces.append([body, separator])
            rebuilt = "".join(body + separator for body, separator in pieces)
            if dropped and not _LIST_MARKER.sub("", rebuilt).strip(" \t.,;:!?。，；！？"):
                continue  # the whole line was a repeat of the advice already given
            lines.append(rebuilt)
        return "\n".join(lines)

    def _panel(self, body: str) -> str | None:
        """A clause that only opens a panel: what that panel shows, told in the chat."""
        match = _PANEL_EN.search(body) or _PANEL_ZH.search(body)
        if match is None:
            return None
        rest = body[: match.start()] + body[match.end() :]
        if (
            _MANUAL_EN.search(rest)
            or _MANUAL_ZH.search(rest)
            or _DRAG_EN.search(rest)
            or _AND_THEN.match(body, match.end())
        ):
            return None  # "open the panel and change the font": the manual edit is the instruction
        name = match["b"] or match["w"] or match.groupdict().get("t") or ""
        zh = contains_cjk(body)
        if _EXPORT_PANELS.search(name):
            self._offer(Action.EXPORT)
            return _EXPORT_ZH if zh else _EXPORT_EN
        if _MEDIA_PANELS.search(name):
            self.show_media = True
            return _MEDIA_ZH if zh else _MEDIA_EN
        self.show_timeline = True
        return _TRACKS_ZH if zh else _TRACKS_EN

    @staticmethod
    def _advice(body: str, move: str | None) -> str | None:
        dragging = move is not None and (_DROP_EN.search(body) or _DROP_ZH.search(body))
        if not (_MANUAL_EN.search(body) or _MANUAL_ZH.search(body) or dragging):
            return None
        zh = contains_cjk(body)
        if _ABOUT_UPLOAD.search(body):
            return _UPLOAD_ZH if zh else _UPLOAD_EN
        if move is not None and (_DRAG_EN.search(body) or _DRAG_ZH.search(body) or dragging):
            return move
        return _TELL_ZH if zh else _TELL_EN

    def _manual(self, body: str, advice: str, *, at_start: bool) -> str:
        marker = _LIST_MARKER.match(body)
        prefix = marker.group() if marker else body[: len(body) - len(body.lstrip())]
        content = body[len(prefix) :]
        if at_start or marker:
            advice = advice[0].upper() + advice[1:]
        trailing = content[len(content.rstrip()) :]
        return prefix + advice + trailing


def _move_advice(line: str) -> str | None:
    """For a line that drags something somewhere: the chat request that does the same move."""
    drag, drop = _DRAG_EN.search(line), _DROP_EN.search(line)
    if drag is not None or drop is not None:
        where = (drag["where"] if drag is not None else None) or (drop["where"] if drop is not None else None)
        what = drag["what"] if drag is not None else (drop["what"] if drop is not None else "it")
        if where:
            what = "the clip" if what.lower() in ("it", "them") else what.lower()
            return _MOVE_EN.format(what=what, where=where.strip())
        return None
    drag_zh, drop_zh = _DRAG_ZH.search(line), _DROP_ZH.search(line)
    if drop_zh is not None:
        what = drag_zh["what"] if drag_zh is not None else "它"
        return _MOVE_ZH.format(what=what, where=drop_zh["where"])
    return None


def translate_gui(text: str, lang: str) -> GuiTranslation:
    """``text`` with web-editor instructions rewritten for a chat, plus the buttons to offer.

    ``lang`` is the chat's language (``en``/``zh``); a rewrite follows the language of the phrase
    it replaces, and uses ``lang`` only for English GUI words inside a Chinese line.
    """
    rewriter = _Rewriter(lang)
    rewritten = rewriter.translate(text)
    if Action.EXPORT not in rewriter.actions and _MENTIONS_EXPORT.search(rewritten):
        rewriter.actions.append(Action.EXPORT)  # "满意后就可以导出了": offer the export it speaks of
    return GuiTranslation(rewritten, tuple(rewriter.actions), rewriter.show_timeline, rewriter.show_media)


# Where a streamed reply's text is settled: after a line break, or a sentence end and its spaces.
_SEGMENT_END = re.compile(r"\n|[.!?。！？](?=\s)\s*|[。！？]")
# Longer than any word _MAY_REWRITE looks for, so one split across two feeds is still found.
_TRIGGER_SPAN = 32
_MAX_TAIL = 400  # a "sentence" longer than this is settled at a space, keeping the work linear


class IncrementalGuiTranslator:
    """:func:`translate_gui` for a reply that grows while the agent speaks.

    ``feed`` takes the whole text so far and returns it translated. Settled sentences and lines are
    translated once and cached; only the unsettled tail is translated again on the next call, so a
    reply of n characters costs O(n) in all, not O(n²). When the text stops extending what was
    settled (the agent's final text replaced its partials differently), it starts over.
    """

    def __init__(self, lang: str) -> None:
        self._lang = lang
        self._reset()

    def _reset(self) -> None:
        self._rewriter = _Rewriter(self._lang)
        self._settled_raw = ""
        self._settled = ""
        # The unsettled tail as last seen, when it held no word any rule needs: the next, longer tail
        # is then scanned only where it grew, so each character is looked at about once.
        self._clean_tail = ""

    def feed(self, text: str) -> str:
        """``text`` (the whole reply so far) with its web-editor instructions rewritten."""
        if not text.startswith(self._settled_raw):
            self._reset()
        start = len(self._settled_raw)
        cut = start
        for match in _SEGMENT_END.finditer(text, start):
            cut = match.end()
        if len(text) - cut > _MAX_TAIL:
            space = text.rfind(" ", cut, len(text) - _MAX_TAIL // 2)
            cut = space + 1 if space >= cut else len(text) - _MAX_TAIL // 2
        if cut > start:
            self._settled += self._rewriter.translate(text[start:cut])
            self._settled_raw = text[:cut]
        tail = text[cut:]
        if not tail:
            return self._settled
        grown = self._clean_tail and tail.startswith(self._clean_tail)
        fresh = tail[max(0, len(self._clean_tail) - _TRIGGER_SPAN) :] if grown else tail
        if not _MAY_REWRITE.search(fresh):
            self._clean_tail = tail
            return self._settled + tail
        self._clean_tail = ""
        return self._settled + self._rewriter.copy().translate(tail)
