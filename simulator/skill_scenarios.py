"""The five skill products, played the way the backend's agent would: check the inputs the skill
asks for, say what it will do (streamed), call its tools, and leave tracks that reflect the work.

A missing input gets the agent's own kind of answer ("I need an audio track to sync to") and
changes nothing. Replies end with one of the agent's web-editor phrases (``GUI_HINTS``), so the
client's translation of them is exercised end to end; ``#sim:gui=<name>`` picks one.
"""

from __future__ import annotations

import re

from simulator import draft as drafts
from simulator.turns import JsonObject, TurnContext

GUI_HINTS: dict[str, tuple[str, str]] = {
    "preview-or-export": ("Preview it in the timeline or click Export.", "可以在时间线中预览，或点击导出。"),
    "click-export": ("Click [Export] to render the MP4.", "点击[导出]即可渲染 MP4。"),
    "export-button": ("When it looks right, use the Export button.", "满意后点一下导出按钮。"),
    "hit-export": ("Happy with it? Hit Export.", "满意的话就可以导出了。"),
    "preview": ("Preview in timeline to check the result.", "可以在时间轴中预览效果。"),
    "open-media": ("Open the [Media] panel to see your files.", "打开素材面板可以查看你的文件。"),
    "open-timeline": ("Open [Timeline] to check the tracks.", "打开时间轴面板查看轨道。"),
    "drag": (
        "To move it, drag the clip onto the timeline, then drop it after the intro.",
        "想调整位置的话，把片段拖拽到时间轴上，放在片头后面。",
    ),
}
_DEFAULT_HINTS = ("preview-or-export", "click-export", "export-button", "preview")

_QUOTED = re.compile(r"[\"“「『]([^\"”」』]{2,2000})[\"”」』]")
_AFTER_COLON = re.compile(r"[:：]\s*(.{2,})$", re.DOTALL)
_VOICE = re.compile(
    r"\b(warm|calm|deep|energetic|friendly|female|male|british|american|documentary)\b|女声|男声|温暖|低沉|活力",
    re.IGNORECASE,
)
_PERCENT = re.compile(r"(\d{1,3})\s*%")
_MIX = re.compile(r"\b(mix|under|keep the original|background)\b|混|保留原声", re.IGNORECASE)
_WORDS_PER_SECOND = 2.5  # ~150 words a minute, a natural narration pace
_HAN_PER_SECOND = 4.0


def _uploads(ctx: TurnContext, file_type: str) -> list[JsonObject]:
    return [
        info
        for info in ctx.session.video_infos
        if info.get("file_type") == file_type and info.get("source") == "upload"
    ]


def _ms(info: JsonObject, default: float = 10.0) -> int:
    return round(float(info.get("duration") or default) * 1000)


def _hint(ctx: TurnContext) -> str:
    name = ctx.plan.gui_hint if ctx.plan.gui_hint in GUI_HINTS else ctx.rng.choice(_DEFAULT_HINTS)
    english, chinese = GUI_HINTS[name or _DEFAULT_HINTS[0]]
    return ctx.pick(english, chinese or english)


def _summary(ctx: TurnContext) -> str:
    return drafts.describe(ctx.session.draft, chinese=ctx.chinese)


async def _finish(ctx: TurnContext, done: str) -> None:
    """The closing words, unless this is one of the edits that end without any text."""
    await ctx.work(ctx.config.edit_seconds / 3)
    if ctx.plan.silent:
        return
    await ctx.say(f"{done} {_summary(ctx)}{'。' if ctx.chinese else '. '}{_hint(ctx)}")


async def _missing(ctx: TurnContext, english: str, chinese: str) -> None:
    await ctx.work(ctx.config.chat_seconds)
    ctx.think("A required input is missing; ask for it instead of guessing.")
    await ctx.say(ctx.pick(english, chinese))


def _script_in(text: str) -> str:
    """The words to be spoken: a quoted passage, what follows a colon, or else the message itself."""
    quoted = _QUOTED.search(text)
    if quoted:
        return quoted.group(1).strip()
    after = _AFTER_COLON.search(text)
    if after is None:
        return ""
    words = after.group(1)
    if len(words.split()) >= 3 or re.search(r"[\u4e00-\u9fff]{6}", words):
        return words.strip()
    return ""


def _spoken_ms(script: str) -> int:
    han = len(re.findall(r"[\u4e00-\u9fff]", script))
    words = len(re.findall(r"[A-Za-z0-9']+", script))
    return max(2000, round((words / _WORDS_PER_SECOND + han / _HAN_PER_SECOND) * 1000))


def _voice(ctx: TurnContext) -> str:
    match = _VOICE.search(ctx.text)
    return match.group(0).lower() if match else ctx.pick("natural", "自然")


def _place_video(ctx: TurnContext, info: JsonObject, *, name: str | None = None, **extra: object) -> None:
    """Make ``info`` the only clip on the video track (the skills work on one clip at a time)."""
    track = drafts.ensure_track(ctx.session.draft, drafts.VIDEO)
    track["sg"] = []
    ctx.session.draft["d"] = 0
    segment = drafts.append_clip(ctx.session.draft, str(info["cdn_url"]), _ms(info), file=info["filename"])
    segment["name"] = name or str(info["filename"])
    segment.update(extra)
    if "width" in info:
        ctx.session.set_canvas(int(info["width"]), int(info["height"]))


def _set_audio(
    ctx: TurnContext, name: str, src: str, duration_ms: int, volume: float, **extra: object
) -> None:
    track = drafts.ensure_track(ctx.session.draft, drafts.AUDIO)
    track["sg"] = [{"name": name, "src": src, "start": 0, "d": duration_ms, "volume": volume, **extra}]


# Lip-sync ------------------------------------------------------------------------------------


async def _speak(ctx: TurnContext, script: str) -> JsonObject:
    """Voice a script with the TTS tool; the result stands in for an uploaded audio file."""
    call = ctx.call_tool("generate_voiceover", {"text": script, "voice": _voice(ctx)})
    await ctx.work(ctx.config.voiceover_seconds)
    url = ctx.cdn(f"generated/{ctx.ids.hex(16)}_speech.mp3")
    ctx.tool_result(call, "generate_voiceover", {"status": "success", "audio_url": url})
    seconds = _spoken_ms(script) / 1000
    return {"filename": "speech.mp3", "cdn_url": url, "duration": seconds, "file_type": "audio"}


async def lipsync(ctx: TurnContext) -> None:
    videos, audios = _uploads(ctx, "video"), _uploads(ctx, "audio")
    if not videos:
        await _missing(
            ctx,
            "I need a video with the speaker's face to sync. Upload an MP4 or MOV (front-facing, "
            "well lit), then the audio to match.",
            "我需要一段能看到说话人脸部的视频。请上传 MP4 或 MOV（正脸、光线充足），再上传要对口型的音频。",
        )
        return
    script = _script_in(ctx.text)
    if not audios and script:
        audios = [await _speak(ctx, script)]  # the words to say, voiced first, then synced
    if not audios:
        await _missing(
            ctx,
            f"I need an audio track to sync to. Upload the voice-over or recording (MP3, WAV, M4A or "
            f"AAC) and I'll match {videos[-1]['filename']} to it.",
            f"我需要一段用来对口型的音频。请上传配音或录音（MP3、WAV、M4A 或 AAC），我再让 "
            f"{videos[-1]['filename']} 对上它。",
        )
        return
    video, audio = videos[-1], audios[-1]
    seconds = min(_ms(video), _ms(audio, 30.0)) / 1000
    await ctx.say(
        ctx.pick(
            f"Got it — syncing {video['filename']} to {audio['filename']} ({seconds:g}s). "
            "Lip-sync takes about a minute.",
            f"好的——正在让 {video['filename']} 对上 {audio['filename']} 的口型"
            f"（{seconds:g} 秒），大约需要一分钟。",
        )
    )
    call = ctx.call_tool(
        "lip_sync_video", {"video": video["cdn_url"], "audio": audio["cdn_url"], "resolution": "1080p"}
    )
    await ctx.work(ctx.config.lipsync_seconds)
    duration = round(seconds * 1000)
    url = ctx.cdn(f"generated/{ctx.ids.hex(16)}_lipsync.mp4")
    synced = dict(video, cdn_url=url, duration=seconds)
    _place_video(ctx, synced, name=f"Lip-synced {video['filename']}", lipsync=True, audio=audio["filename"])
    _set_audio(ctx, f"Voice: {audio['filename']}", str(audio["cdn_url"]), duration, 1.0, role="dialogue")
    ctx.session.state["generated_media"].append({"type": "video", "url": url, "tool": "lip_sync_video"})
    ctx.tool_result(call, "lip_sync_video", {"status": "success", "video_url": url, "duration": seconds})
    await _finish(
        ctx, ctx.pick("Done — the mouth now follows the new audio.", "完成——口型已经对上新的音频。")
    )


# Voice-over for a video ----------------------------------------------------------------------


async def _voiceover_track(ctx: TurnContext, script: str, duration_ms: int) -> None:
    voice = _voice(ctx)
    call = ctx.call_tool(
        "generate_voiceover",
        {"text": script, "voice": voice, "language": "zh-CN" if ctx.chinese else "en"},
    )
    await ctx.work(ctx.config.voiceover_seconds)
    url = ctx.cdn(f"generated/{ctx.ids.hex(16)}_voiceover.mp3")
    ctx.session.state["generated_media"].append({"type": "audio", "url": url, "tool": "generate_voiceover"})
    ctx.tool_result(call, "generate_voiceover", {"status": "success", "audio_url": url})
    label = ctx.pick(f"Voice-over ({voice})", f"配音（{voice}）")
    call = ctx.call_tool(
        "edit_multitrack", {"operations": [{"op": "add_audio", "src": url, "role": "voiceover"}]}
    )
    _set_audio(ctx, label, url, duration_ms, 1.0, role="voiceover", text=script[:200])
    ctx.tool_result(call, "edit_multitrack", {"status": "success"})


async def voiceover_for_video(ctx: TurnContext) -> None:
    videos = _uploads(ctx, "video")
    if not videos:
        await _missing(
            ctx,
            "I need the video to put the voice-over on. Upload it, then paste the script — or ask me "
            "to narrate it and I'll write the words.",
            "我需要一段视频来配旁白。请先上传视频，再粘贴文案——或者让我来写解说词。",
        )
        return
    video = videos[-1]
    script = _script_in(ctx.text)
    written = not script
    if written:
        script = ctx.pick(
            f"Here is {video['filename']}: a quick look at the moments that matter, one scene at a time.",
            f"这是 {video['filename']}：一个场景接一个场景，带你看看最重要的瞬间。",
        )
    await ctx.say(
        ctx.pick(
            ("I'll write a short narration and record it" if written else "Recording your script")
            + f" over {video['filename']}.",
            ("我来写一段简短的解说并配音" if written else "正在为你的文案配音")
            + f"，配到 {video['filename']} 上。",
        )
    )
    _place_video(ctx, video, volume=0.2)  # the original sound ducks under the narration
    await _voiceover_track(ctx, script, min(_ms(video), _spoken_ms(script)))
    await _finish(ctx, ctx.pick("Done — the voice-over is on the video.", "完成——配音已经加到视频上。"))


# Voice-over from a script alone ----------------------------------------------------------------


async def voiceover_from_script(ctx: TurnContext) -> None:
    script = _script_in(ctx.text)
    if not script and len(ctx.text.split()) >= 25:
        script = ctx.text  # a long message is the script itself
    if not script:
        await _missing(
            ctx,
            "Send me the script you want read aloud — paste the full text in one message, in quotes "
            "or after a colon, and say the voice you'd like.",
            "请把要朗读的文案发给我——完整文案放在一条消息里（用引号括起来或写在冒号后面），并说明想要的音色。",
        )
        return
    duration = _spoken_ms(script)
    await ctx.say(
        ctx.pick(
            f"Recording your script as a voice-over ({_voice(ctx)} voice, about {duration / 1000:.0f}s).",
            f"正在用{_voice(ctx)}的声音为你的文案配音（约 {duration / 1000:.0f} 秒）。",
        )
    )
    visuals = _uploads(ctx, "video") + _uploads(ctx, "image")
    track = drafts.ensure_track(ctx.session.draft, drafts.VIDEO)
    track["sg"] = []
    ctx.session.draft["d"] = 0
    if visuals:
        share = max(1000, duration // len(visuals))
        for info in visuals:
            drafts.append_clip(ctx.session.draft, str(info["cdn_url"]), share, file=info["filename"])
    else:
        background = ctx.cdn(f"generated/{ctx.ids.hex(16)}_waveform.mp4")
        drafts.append_clip(
            ctx.session.draft, background, duration, name=ctx.pick("Waveform background", "声波背景")
        )
    await _voiceover_track(ctx, script, duration)
    await _finish(ctx, ctx.pick("Done — your voice-over is ready.", "完成——配音已生成。"))


# Music video ---------------------------------------------------------------------------------


async def music_video(ctx: TurnContext) -> None:
    songs = _uploads(ctx, "audio")
    visuals = _uploads(ctx, "image") + _uploads(ctx, "video")
    if not songs:
        await _missing(
            ctx,
            "I need a song to cut to. Upload an MP3, WAV or M4A (songs under two minutes work best), "
            "then I'll put your photos on the beat.",
            "我需要一首歌来卡点。请上传 MP3、WAV 或 M4A（两分钟以内效果最好），我再把照片卡到节拍上。",
        )
        return
    if not visuals:
        await _missing(
            ctx,
            f"I have the song ({songs[-1]['filename']}), but I need photos or clips to put on the "
            "beat. Upload 3–20 photos or a few short clips.",
            f"歌曲（{songs[-1]['filename']}）已收到，但还需要照片或视频片段来卡点。"
            "请上传 3–20 张照片或几段短片。",
        )
        return
    song = songs[-1]
    length = min(_ms(song, 60.0), 120_000)  # the music video follows the song, up to two minutes
    await ctx.say(
        ctx.pick(
            f"Finding the beat of {song['filename']} and cutting your {len(visuals)} photos/clips to it.",
            f"正在分析 {song['filename']} 的节拍，把你的 {len(visuals)} 张照片/片段卡到节拍上。",
        )
    )
    call = ctx.call_tool("analyze_beats", {"audio": song["cdn_url"]})
    await ctx.work(ctx.config.beat_sync_seconds / 2)
    bpm = ctx.rng.choice((96, 104, 112, 120, 128))
    bar_ms = round(4 * 60_000 / bpm)  # one cut per bar of four beats
    ctx.tool_result(call, "analyze_beats", {"status": "success", "bpm": bpm, "beats": length * bpm // 60_000})
    cuts = max(1, length // bar_ms)
    call = ctx.call_tool(
        "edit_multitrack",
        {"operations": [{"op": "cut_to_beat", "files": [v["filename"] for v in visuals], "bpm": bpm}]},
    )
    await ctx.work(ctx.config.beat_sync_seconds / 2)
    track = drafts.ensure_track(ctx.session.draft, drafts.VIDEO)
    track["sg"] = []
    ctx.session.draft["d"] = 0
    for index in range(cuts):
        info = visuals[index % len(visuals)]
        segment = drafts.append_clip(
            ctx.session.draft, str(info["cdn_url"]), bar_ms, file=info["filename"], beat=index * 4
        )
        segment["name"] = str(info["filename"])
        segment["fx"] = ["ken_burns"] if info.get("file_type") == "image" else []
    _set_audio(ctx, str(song["filename"]), str(song["cdn_url"]), cuts * bar_ms, 1.0, role="music")
    first = visuals[0]
    if "width" in first:
        ctx.session.set_canvas(int(first["width"]), int(first["height"]))
    ctx.tool_result(call, "edit_multitrack", {"status": "success", "cuts": cuts})
    await _finish(
        ctx,
        ctx.pick(
            f"Done — {cuts} cuts on the beat ({bpm} BPM), one every bar.",
            f"完成——按节拍（{bpm} BPM）每小节切换一次，共 {cuts} 个镜头。",
        ),
    )


# Audio + video merge -------------------------------------------------------------------------


async def merge(ctx: TurnContext) -> None:
    videos, audios = _uploads(ctx, "video"), _uploads(ctx, "audio")
    if not videos:
        await _missing(
            ctx,
            "I need the video to put the sound on. Upload it (MP4 or MOV) along with the audio.",
            "我需要一段视频来配上声音。请上传视频（MP4 或 MOV）和音频。",
        )
        return
    if not audios:
        await _missing(
            ctx,
            f"I need an audio track to merge with {videos[-1]['filename']}. Upload it as a separate "
            "file (MP3, WAV, M4A or AAC).",
            f"我需要一段音频来和 {videos[-1]['filename']} 合并。"
            "请把音频作为单独的文件上传（MP3、WAV、M4A 或 AAC）。",
        )
        return
    video, audio = videos[-1], audios[-1]
    percent = _PERCENT.search(ctx.text)
    mixing = bool(_MIX.search(ctx.text)) or percent is not None
    volume = min(100, int(percent.group(1))) / 100 if percent else 1.0
    await ctx.say(
        ctx.pick(
            ("Mixing" if mixing else "Replacing the sound of")
            + f" {video['filename']} with {audio['filename']}"
            + (f" at {volume:.0%}." if mixing else "."),
            ("正在把" if mixing else "正在用")
            + f" {audio['filename']} "
            + (
                f"以 {volume:.0%} 音量混入 {video['filename']}。"
                if mixing
                else f"替换 {video['filename']} 的原声。"
            ),
        )
    )
    call = ctx.call_tool(
        "merge_audio_video",
        {"video": video["cdn_url"], "audio": audio["cdn_url"], "mode": "mix" if mixing else "replace"},
    )
    await ctx.work(ctx.config.merge_seconds)
    _place_video(ctx, video, volume=1.0 if mixing else 0.0)
    _set_audio(
        ctx,
        str(audio["filename"]),
        str(audio["cdn_url"]),
        min(_ms(video), _ms(audio, 30.0)),
        volume,
        role="merged",
    )
    ctx.tool_result(call, "merge_audio_video", {"status": "success"})
    await _finish(
        ctx,
        ctx.pick(
            "Done — " + ("the audio is mixed in." if mixing else "the video now plays your audio."),
            "完成——" + ("音频已混入。" if mixing else "视频已换成你的音频。"),
        ),
    )


GREETINGS: dict[str, tuple[str, str]] = {
    "lipsyncvideo-ai": (
        "Hi! Upload a video of the speaker and the audio to sync, and I'll match the mouth to it.",
        "你好！上传说话人的视频和要对口型的音频，我来让口型对上。",
    ),
    "ai-voiceover-for-video": (
        "Hi! Upload your video and paste the script (or ask me to narrate it) — I'll add the voice-over.",
        "你好！上传视频并粘贴文案（或让我来写解说），我来加配音。",
    ),
    "ai-voiceover-for": (
        "Hi! Paste your script and tell me the voice you want; I'll turn it into a voice-over.",
        "你好！粘贴文案并告诉我想要的音色，我来把它变成配音。",
    ),
    "music-video-generator": (
        "Hi! Upload a song and some photos or clips, and I'll cut them to the beat.",
        "你好！上传一首歌和一些照片或片段，我来按节拍剪成音乐视频。",
    ),
    "audio-video-to": (
        "Hi! Upload a video and an audio file, and tell me whether to replace the sound or mix it in.",
        "你好！上传视频和音频，告诉我是替换原声还是混音。",
    ),
}

SKILL_SCRIPTS = {
    "lipsyncvideo-ai": lipsync,
    "ai-voiceover-for-video": voiceover_for_video,
    "ai-voiceover-for": voiceover_from_script,
    "music-video-generator": music_video,
    "audio-video-to": merge,
}


async def skill(ctx: TurnContext) -> None:
    """The session's skill product (the general editor chats when a turn names no skill)."""
    script = SKILL_SCRIPTS.get(ctx.plan.skill)
    if script is None:
        await ctx.work(ctx.config.chat_seconds)
        await ctx.say(
            ctx.pick(
                "Tell me what to make or change — I can generate clips, add music, titles and captions.",
                "告诉我想做什么——我可以生成片段，添加音乐、标题和字幕。",
            )
        )
        return
    await script(ctx)
