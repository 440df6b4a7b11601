"""Texts for the rules behind the door: storing before acknowledging, who may reset shared work,
uploads cut by a restart, and the few words adapters say themselves (English and Chinese).

Merged into :data:`core.texts.CATALOG`; same rules: plain text, identical placeholders per language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

DOOR_TEXTS: Final[Mapping[str, Mapping[str, str]]] = {
    # The message could not be stored (disk full, database locked): nothing of it was accepted.
    "storage_unavailable": {
        "en": "I couldn't save your message just now, so I didn't act on it. Please send it again in a "
        "minute.",
        "zh": "暂时无法保存你的消息，因此没有处理。请稍后重新发送。",
    },
    # In a group: /cancel, Cancel, /new, /skill or /lang by someone else than whoever started the work.
    "reset_not_allowed": {
        "en": "Only whoever started the work in progress, a chat admin or a bot admin can do that here.",
        "zh": "只有发起当前任务的人、群管理员或机器人管理员可以在这里这样做。",
    },
    # /admin usage in a group: the report lists every chat and user, so it is not posted there.
    "admin_usage_private": {
        "en": "The usage report lists every chat and user, so I only show it in a private chat with me.",
        "zh": "用量报告包含所有聊天和用户，只能在与我的私聊中查看。",
    },
    # An upload was cut by a restart; {files} the file names.
    "upload_interrupted": {
        "en": "I was restarted while uploading {files}, and the upload did not finish. Please send the "
        "file(s) again.",
        "zh": "上传 {files} 时我重启了，上传没有完成。请重新发送这些文件。",
    },
    # Follows upload_interrupted when the files came with an instruction; {caption} the instruction.
    "upload_interrupted_caption": {
        "en": "With them, I'll then do what you asked: “{caption}”.",
        "zh": "收到后我会照你的要求处理：“{caption}”。",
    },
    # Export pressed (or typed) again while the chat's export is still running or waiting.
    "export_in_progress": {
        "en": "An export is already on its way here – I'll post the video when it's ready.",
        "zh": "导出已在进行中——视频完成后我会发到这里。",
    },
    # Discord: the deferred slash command's reply; the work itself shows up as normal channel messages.
    "working_below": {"en": "Working on it below ↓", "zh": "正在处理，请看下方 ↓"},
    # A platform would not hand over a file the user sent; {name} the file name.
    "download_failed": {
        "en": "I couldn't fetch {name}. Please send it again.",
        "zh": "无法获取 {name}，请重新发送。",
    },
}
