"""Everything the bot says, in English and Chinese: ``key -> {"en": …, "zh": …}``.

Placeholders are ``{name}`` and are filled by :func:`core.i18n.t`; values arrive already
formatted (sizes as ``"812 MB"``, links as full URLs, ``{changes}``/``{files}`` as bullet lines).
Texts are plain (no Markdown) so every platform shows them as written. Both languages of a key
must use the same placeholders; the tests check it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from core.texts_access import ACCESS_TEXTS
from core.texts_door import DOOR_TEXTS

_GENERAL: Final[Mapping[str, Mapping[str, str]]] = {
    # /help and /start: what to send and every command.
    "help": {
        "en": (
            "Send me videos, photos or audio (or links to them), then describe the edit in your own "
            "words, e.g. “cut the first 5 seconds and add upbeat music”.\n\n"
            "/upload – how to add files\n"
            "/status – what's on the timeline\n"
            "/credits – your credit balance\n"
            "/export – render the MP4 and get a link\n"
            "/new – start a fresh project\n"
            "/skill – switch mode, e.g. /skill music\n"
            "/lang – language: /lang en or /lang zh\n"
            "/cancel – stop waiting for the current reply\n"
            "/token – use your own NemoVideo account (private chat)\n"
            "/whoami – your id, for the bot's operator\n"
            "/help – this message"
        ),
        "zh": (
            "把视频、图片或音频（或它们的链接）发给我，再用自己的话描述想怎么剪，"
            "比如“剪掉开头 5 秒，加上欢快的音乐”。\n\n"
            "/upload – 如何添加素材\n"
            "/status – 查看时间轴上的内容\n"
            "/credits – 查看积分余额\n"
            "/export – 导出 MP4 并获取链接\n"
            "/new – 开始新项目\n"
            "/skill – 切换模式，例如 /skill music\n"
            "/lang – 切换语言：/lang en 或 /lang zh\n"
            "/cancel – 停止等待当前回复\n"
            "/token – 使用你自己的 NemoVideo 账户（私聊）\n"
            "/whoami – 查看你的 ID（供机器人管理员使用）\n"
            "/help – 显示本帮助"
        ),
    },
    # Another job of this chat runs first; {ahead} = how many are before this one.
    "queued": {
        "en": "⏳ Queued – {ahead} ahead of you. I'll start as soon as they're done.",
        "zh": "⏳ 已排队，前面还有 {ahead} 个任务，轮到你时我会马上开始。",
    },
    # A long step (e.g. generation) is still running; {minutes} since the turn started.
    "still_working": {
        "en": "⏳ Still working ({minutes} min so far) – generating video can take a few minutes.",
        "zh": "⏳ 仍在处理（已 {minutes} 分钟）——生成视频可能需要几分钟。",
    },
    # The agent edited without a word; {changes} = bullet lines from the state diff.
    "turn_silent_changes": {
        "en": "✅ Done. What changed:\n{changes}",
        "zh": "✅ 完成。改动如下：\n{changes}",
    },
    # The agent finished without text and the project did not change.
    "turn_silent_nochange": {
        "en": "The editor finished without changing anything. Try describing the edit another way.",
        "zh": "编辑器已处理完，但项目没有变化。换个说法描述一下想要的效果试试。",
    },
    # The reply stream broke; we watch the project instead of resending (no double charge).
    "stream_dropped": {
        "en": (
            "The connection to the editor dropped. I'm checking what it did – I won't resend your "
            "message, so you won't be charged twice."
        ),
        "zh": "与编辑器的连接断开了。我正在查看它完成了什么——不会重复发送你的消息，所以不会重复扣费。",
    },
    # After a drop the project did change; {changes} = bullet lines.
    "stream_recovered": {
        "en": "✅ The editor finished anyway. What changed:\n{changes}",
        "zh": "✅ 编辑器还是完成了。改动如下：\n{changes}",
    },
    # After a drop nothing changed within the waiting time.
    "stream_lost": {
        "en": "I waited, but the editor didn't change anything. Please send your request again.",
        "zh": "等了一会儿，编辑器没有做出任何改动。请再发一次你的要求。",
    },
    # The turn exceeded the time limit.
    "turn_timeout": {
        "en": (
            "⌛ The editor took too long to answer, but it may still be working. "
            "Check /status in a few minutes."
        ),
        "zh": "⌛ 编辑器太久没有回应，但它可能仍在处理。几分钟后用 /status 看看。",
    },
    # The 15-minute cap ended the stream; we watch the project instead (never resend).
    "turn_timeout_checking": {
        "en": (
            "⌛ This is taking longer than 15 minutes, so I've stopped waiting for the reply. The editor "
            "may still be working – I'm checking the project instead (I won't resend your message)."
        ),
        "zh": (
            "⌛ 已超过 15 分钟，我不再等待回复。编辑器可能仍在处理——"
            "我改为查看项目进展（不会重复发送你的消息）。"
        ),
    },
    # After the cap and the state checks, nothing changed yet.
    "turn_timeout_nochange": {
        "en": (
            "The project hasn't changed yet. The editor may still be working on it – check /status in a "
            "few minutes before asking again, so it isn't done (and charged) twice."
        ),
        "zh": (
            "项目暂时还没有变化。编辑器可能仍在处理——请过几分钟用 /status 看看，"
            "再决定是否重新提出，以免重复处理和扣费。"
        ),
    },
    # First message of a chat: the token and session are being created.
    "connecting": {"en": "🔌 Connecting to NemoVideo…", "zh": "🔌 正在连接 NemoVideo…"},
    "connected": {
        "en": "✅ Ready – sending your request to the editor…",
        "zh": "✅ 已就绪——正在把你的请求发给编辑器…",
    },
    # /cancel stopped a turn: we stop relaying, but the backend has no cancel for a turn.
    "cancelled": {
        "en": (
            "Stopped. I've stopped relaying the reply, but the editor may still finish this step on its "
            "side – check /status in a minute."
        ),
        "zh": "已停止转发回复，但编辑器可能仍会在后台完成这一步——稍后用 /status 看看。",
    },
    # /cancel with nothing running.
    "nothing_to_cancel": {"en": "Nothing is running right now.", "zh": "当前没有正在进行的任务。"},
    # /credits: {available} spendable, {frozen} reserved by running jobs, {total} both.
    "credits": {
        "en": "💳 Credits: {available} available, {frozen} reserved for running jobs ({total} in total).",
        "zh": "💳 积分：可用 {available}，进行中任务预留 {frozen}（共 {total}）。",
    },
    # 2001 for an anonymous account; {link} = registration link that keeps this project.
    "credits_exhausted_anon": {
        "en": "Your free credits are used up. Sign up to get more and keep this project: {link}",
        "zh": "免费积分已用完。注册即可获得更多积分并保留当前项目：{link}",
    },
    # 2001 for a registered account; {link} = where to top up.
    "credits_exhausted": {
        "en": "You're out of credits. Top up here, then try again: {link}",
        "zh": "积分不足。请在这里充值后再试：{link}",
    },
    # 402: export blocked by the account tier, not by credits.
    "export_blocked": {
        "en": (
            "Export isn't available on this account yet – it's about the plan, not your credits. "
            "Register or upgrade to unlock it: {link}"
        ),
        "zh": "当前账户暂不能导出——这与积分无关，而是账户类型的限制。注册或升级即可解锁：{link}",
    },
    # 4001 or a file type we refuse up front; {formats} = accepted formats.
    "upload_unsupported": {
        "en": "I can't use “{name}”: that file type isn't supported. Supported: {formats}.",
        "zh": "无法使用“{name}”：不支持该文件类型。支持的格式：{formats}。",
    },
    # 4002 from the editor; {size} may be empty when unknown.
    "upload_too_large_backend": {
        "en": "“{name}” is too large for the editor ({size}). Please trim or compress it and send it again.",
        "zh": "“{name}”太大了，编辑器无法接收（{size}）。请剪短或压缩后再发送。",
    },
    # Over the chat platform's download cap; a link still works.
    "upload_too_large_platform": {
        "en": (
            "“{name}” ({size}) is over the {limit} this chat app lets me download. Send a link instead, "
            "e.g. a cloud-drive or Dropbox share link to the file."
        ),
        "zh": "“{name}”（{size}）超过了此聊天应用允许我下载的 {limit}。请改发文件链接，例如网盘分享链接。",
    },
    # A voice message (Telegram/Discord voice notes are OGG/Opus, which the editor does not take).
    "upload_voice_note": {
        "en": (
            "I can't use voice messages – the editor takes audio files (MP3, WAV, M4A, AAC). "
            "To use your recording as a voice-over, save it as an audio file and send that, "
            "or type what the voice-over should say."
        ),
        "zh": (
            "暂时无法使用语音消息——编辑器只接受音频文件（MP3、WAV、M4A、AAC）。"
            "如果想把录音用作旁白，请保存为音频文件再发送，或者直接打字告诉我旁白要说什么。"
        ),
    },
    # A zero-byte file.
    "upload_empty_file": {
        "en": "“{name}” is empty. Please send the file again.",
        "zh": "“{name}”是空文件，请重新发送。",
    },
    # Files the editor accepted; {files} = one line per file.
    "upload_received": {
        "en": "📥 Got it:\n{files}\nNow tell me what to do with it.",
        "zh": "📥 已收到：\n{files}\n现在告诉我想怎么处理吧。",
    },
    # Upload progress; {percent} without the % sign.
    "upload_progress": {
        "en": "📤 Uploading {name}… {bar} {percent}%",
        "zh": "📤 正在上传 {name}… {bar} {percent}%",
    },
    # /upload or "upload" alone: how to add media.
    "upload_hint": {
        "en": (
            "Send a video, photo or audio file right here in the chat, or paste a link to one "
            "(MP4, MOV, JPG, PNG, MP3…). Large files work best as a link."
        ),
        "zh": (
            "直接在聊天里发送视频、图片或音频文件，或粘贴文件链接（MP4、MOV、JPG、PNG、MP3…）。"
            "大文件建议发链接。"
        ),
    },
    # /status before anything was uploaded or generated.
    "status_empty": {
        "en": (
            "Nothing here yet. Send a video or photos, or ask me to generate something, "
            "e.g. “a 10-second sunset clip”."
        ),
        "zh": "项目还是空的。发一段视频或几张图片，或者让我生成一段，比如“生成一段 10 秒的日落视频”。",
    },
    # /status: {timeline} = track lines, {uploads} = uploaded file lines.
    "status": {
        "en": "🎬 Timeline\n{timeline}\n\n📁 Uploads\n{uploads}",
        "zh": "🎬 时间轴\n{timeline}\n\n📁 已上传\n{uploads}",
    },
    # /export with an empty timeline.
    "export_not_ready": {
        "en": (
            "There's nothing on the timeline to export yet. Ask me to put your clips on it first, "
            "e.g. “make a video from my uploads”."
        ),
        "zh": "时间轴上还没有可导出的内容。先让我把素材放上去，比如“用我上传的素材做一个视频”。",
    },
    # The title of an export's progress card (where the platform draws cards, e.g. Discord).
    "card_export": {"en": "Export", "zh": "导出"},
    # Render submitted.
    "export_started": {"en": "🎞 Exporting your video…", "zh": "🎞 正在导出视频…"},
    # Render progress; {percent} without the % sign, {bar} a text progress bar.
    "export_progress": {"en": "🎞 Exporting… {bar} {percent}%", "zh": "🎞 正在导出… {bar} {percent}%"},
    # Done, file not attached (text message); {link} = MP4 URL.
    "export_done": {"en": "✅ Your video is ready: {link}", "zh": "✅ 视频已导出：{link}"},
    # Caption of the attached MP4.
    "export_done_file": {
        "en": "✅ Your video is ready. Download: {link}",
        "zh": "✅ 视频已导出。下载：{link}",
    },
    # MP4 over the platform's upload cap; {size}/{limit} formatted, {link} = MP4 URL.
    "export_too_big": {
        "en": (
            "✅ Your video is ready ({size}), but that's over this chat's {limit} limit, "
            "so here's the link: {link}"
        ),
        "zh": "✅ 视频已导出（{size}），但超过了此聊天 {limit} 的上限，请通过链接下载：{link}",
    },
    # The MP4 could not be fetched to attach it (not a size problem); {link} = MP4 URL.
    "export_download_failed": {
        "en": (
            "✅ Your video is ready. I couldn't fetch the file to attach it here, but the link works: {link}"
        ),
        "zh": "✅ 视频已导出。我没能取回文件发到这里，但可以通过链接下载：{link}",
    },
    # The progress card's last state once the result message is out.
    "export_delivered": {"en": "✅ Export finished.", "zh": "✅ 导出完成。"},
    # The end of a reply too long to show in full (core/replies.py caps it at a few messages).
    "reply_rest_in_editor": {
        "en": "… (the rest is in the web editor)",
        "zh": "……（其余内容请在网页编辑器中查看）",
    },
    "upload_url_refused": {
        "en": "🚫 {url} points into a private or local network, so it can't be imported. "
        "Use a public link, or send the file itself.",
        "zh": "🚫 {url} 指向内网或本机地址，无法导入。请使用公开链接，或直接发送文件。",
    },
    "export_unchanged": {
        "en": "♻️ Nothing changed since the last export, so here it is again (no new render). "
        "Send /export force to render it anew.",
        "zh": "♻️ 自上次导出后没有改动，再次发送上次的结果（不重新渲染）。发送 /export force 可重新渲染。",
    },
    # First render failed; retrying once with a new render id.
    "export_failed_retrying": {
        "en": "The export hit a snag – trying once more…",
        "zh": "导出遇到问题，正在重试一次…",
    },
    # Render failed twice; {reason} = short cause.
    "export_failed": {
        "en": "❌ The export failed ({reason}). Your project is safe – try /export again in a bit.",
        "zh": "❌ 导出失败（{reason}）。项目不受影响，稍后再试一次 /export。",
    },
    # Reason used in export_failed when polling gave up.
    "export_stuck": {"en": "it took too long", "zh": "耗时过长"},
    # The user cancelled a running export.
    "export_cancelled": {"en": "Export cancelled.", "zh": "已取消导出。"},
    # /cancel (or Cancel) while files were uploading: the upload stops; nothing was added.
    "upload_cancelled": {
        "en": "Upload stopped – nothing from it was added to the project.",
        "zh": "已停止上传——这次上传的内容没有加入项目。",
    },
    # After a bot restart an export job is picked up again.
    "export_resumed": {
        "en": "I restarted while exporting – picking your export up where it left off…",
        "zh": "导出期间我重启了一下——正在接着完成你的导出…",
    },
    # Browser link to the same project; {link} = claim link.
    "web_link": {
        "en": "Open in the web editor: {link}",
        "zh": "在网页编辑器中打开：{link}",
    },
    # /new done.
    "session_new": {
        "en": "✨ New project started. Send your media or tell me what to make.",
        "zh": "✨ 已开始新项目。发送素材或告诉我想做什么吧。",
    },
    # 1002: the backend forgot the session; a new one was made.
    "session_expired": {
        "en": (
            "Your previous editing session expired, so I started a new one. "
            "Earlier uploads are gone – please send them again."
        ),
        "zh": "之前的编辑会话已过期，我开了一个新的。之前上传的素材已失效，请重新发送。",
    },
    # The operator's NEMO_TOKEN was rejected (not the user's fault).
    "auth_failed": {
        "en": (
            "The bot can't sign in to NemoVideo right now (its token was rejected). "
            "The bot's operator needs to fix NEMO_TOKEN."
        ),
        "zh": "机器人目前无法登录 NemoVideo（令牌被拒绝），需要机器人管理员修复 NEMO_TOKEN。",
    },
    # 5xx or network trouble.
    "backend_unavailable": {
        "en": "NemoVideo isn't reachable right now. Please try again in a few minutes.",
        "zh": "暂时无法连接 NemoVideo，请几分钟后再试。",
    },
    # 429 or our own per-user limits; {seconds} to wait.
    "rate_limited": {
        "en": "Too many requests – please wait {seconds} seconds and try again.",
        "zh": "请求太频繁，请等待 {seconds} 秒后再试。",
    },
    # No NEMO_TOKEN and the backend's cap of new anonymous accounts per server IP is reached.
    "anonymous_ceiling": {
        "en": (
            "I can't open a NemoVideo account for this chat: this bot runs without its own NemoVideo "
            "token, and NemoVideo only allows about 10 free trial accounts per server each week. "
            "Waiting won't help. The bot's operator can set an operator token (NEMO_TOKEN), or you "
            "can use your own account: send /token nmv_usr_… in a private chat with me."
        ),
        "zh": (
            "无法为此聊天开通 NemoVideo 账户：本机器人没有配置自己的 NemoVideo 令牌，而 NemoVideo "
            "每台服务器每周只允许约 10 个免费试用账户，等待也无济于事。请机器人管理员设置运营令牌"
            "（NEMO_TOKEN），或者在与我的私聊中发送 /token nmv_usr_… 使用你自己的账户。"
        ),
    },
    # /whoami: {user} = the sender's id as NEMOBOT_ALLOWED / NEMOBOT_ADMINS take it, {chat} = this chat's.
    "whoami": {
        "en": (
            "Your id: {user}\nThis chat: {chat}\n"
            "An operator can allow you (or this chat) by adding it to NEMOBOT_ALLOWED."
        ),
        "zh": "你的 ID：{user}\n此聊天：{chat}\n管理员把它加入 NEMOBOT_ALLOWED 即可允许你（或此聊天）使用。",
    },
    # An error reported by the agent inside the stream; {reason} = short text.
    "agent_error": {
        "en": "The editor ran into a problem: {reason}. Try again or rephrase your request.",
        "zh": "编辑器遇到问题：{reason}。请重试或换个说法。",
    },
    # An empty or whitespace-only message.
    "empty_message": {
        "en": "Send me a message describing the edit, or a file to upload.",
        "zh": "请描述想做的编辑，或者发送要上传的文件。",
    },
    # Over our text limit; {limit} characters.
    "message_too_long": {
        "en": "That message is too long – please keep it under {limit} characters.",
        "zh": "消息太长了，请控制在 {limit} 个字符以内。",
    },
    # Anything unexpected.
    "error_generic": {
        "en": "Something went wrong on my side. Please try again.",
        "zh": "出了点问题，请再试一次。",
    },
    # /skill <name> done; {skill} = profile name.
    "skill_switched": {"en": "Switched to {skill}.", "zh": "已切换到 {skill}。"},
    # /skill without argument; {current} = active profile, {skills} = the profiles (lines or a list).
    "skill_list": {
        "en": "Current mode: {current}. Switch with /skill <name>:\n{skills}",
        "zh": "当前模式：{current}。用 /skill <名称> 切换：\n{skills}",
    },
    # /skill with an unknown or ambiguous name.
    "skill_unknown": {
        "en": "I don't know the mode “{skill}”. Available:\n{skills}",
        "zh": "没有叫“{skill}”的模式。可选：\n{skills}",
    },
    # /lang done (each language's text is in that language).
    "lang_switched": {"en": "OK, I'll speak English from now on.", "zh": "好的，之后我会用中文回复。"},
    # /lang with an unknown argument.
    "lang_unknown": {
        "en": "I speak English and Chinese: send /lang en or /lang zh.",
        "zh": "我会说英文和中文：发送 /lang en 或 /lang zh。",
    },
    # A /command we don't have; {command} as typed.
    "unknown_command": {
        "en": "I don't know {command}. Send /help to see what I can do.",
        "zh": "没有 {command} 这个命令。发送 /help 查看我能做什么。",
    },
    # A button from an old message (restart, new project) was pressed.
    "button_stale": {
        "en": "That button has expired. Send /help to see what you can do now.",
        "zh": "这个按钮已失效。发送 /help 查看现在可以做什么。",
    },
    # The chat or user is not on the allow list.
    "not_allowed": {
        "en": "Sorry, this bot isn't available here. If you know its operator, send them your id: {user}",
        "zh": "抱歉，此机器人在这里不可用。如果你认识它的管理员，请把你的 ID 发给对方：{user}",
    },
    # After a bot restart mid-turn; {changes} = bullet lines (may be a "no change" line).
    "restarted_during_turn": {
        "en": "I restarted while working on your last message. Here's what the editor changed:\n{changes}",
        "zh": "处理你上一条消息时我重启了。编辑器的改动如下：\n{changes}",
    },
    # /cancel also dropped queued messages; {count} how many.
    "cancelled_queue": {
        "en": "Dropped {count} queued messages; they won't be sent to the editor.",
        "en_one": "Dropped {count} queued message; it won't be sent to the editor.",
        "zh": "已丢弃 {count} 条排队中的消息，它们不会发送给编辑器。",
    },
    # A "what changed" line: {count} new files among the project's media.
    "changes_new_media": {
        "en": "+{count} media files in the project",
        "en_one": "+{count} media file in the project",
        "zh": "项目新增 {count} 个素材文件",
    },
    # An uploaded file's type in /status.
    "media_video": {"en": "video", "zh": "视频"},
    "media_image": {"en": "image", "zh": "图片"},
    "media_audio": {"en": "audio", "zh": "音频"},
    "media_other": {"en": "media", "zh": "素材"},
    # A bullet-list stand-in when a state diff found nothing (used inside restarted_during_turn).
    "no_visible_change": {"en": "No visible change in the project.", "zh": "项目没有可见的变化。"},
    # Console: a typed path that does not exist; {name} as typed.
    "upload_file_missing": {
        "en": "I can't find a file at {name}. Check the path and try again.",
        "zh": "找不到文件 {name}，请检查路径后重试。",
    },
    # Button labels, one per core.chat.Action (see core.i18n.action_label).
    "btn_export": {"en": "Export", "zh": "导出"},
    "btn_status": {"en": "Status", "zh": "状态"},
    "btn_credits": {"en": "Credits", "zh": "积分"},
    "btn_new": {"en": "New project", "zh": "新项目"},
    "btn_cancel": {"en": "Cancel", "zh": "取消"},
    "btn_help": {"en": "Help", "zh": "帮助"},
}

CATALOG: Final[Mapping[str, Mapping[str, str]]] = {**_GENERAL, **ACCESS_TEXTS, **DOOR_TEXTS}
