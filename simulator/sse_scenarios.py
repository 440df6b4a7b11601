"""The agent's scripted turns: what it says, which tools it calls, and how each changes the state.

State changes land when a tool's functionResponse is emitted, mid-turn, so a client that lost
the stream sees them appear by polling the state endpoint.
"""

from __future__ import annotations

import re

from simulator import draft as drafts
from simulator import skill_scenarios
from simulator.turn_plan import EditAction, Scenario
from simulator.turns import Script, TurnContext

_QUOTED = re.compile(r"[\"“”「『'‘]([^\"“”」』'’]{1,60})[\"“”」』'’]")
_SECONDS = re.compile(r"(\d+(?:\.\d+)?)\s*(?:s\b|sec|secs|seconds?|秒)", re.IGNORECASE)
_FACTOR = re.compile(r"(\d+(?:\.\d+)?)\s*[x×倍]", re.IGNORECASE)
_PORTRAIT = re.compile(r"vertical|portrait|9:16|tiktok|shorts|reels?\b|竖屏|竖版", re.IGNORECASE)
_SQUARE = re.compile(r"square|1:1|方形", re.IGNORECASE)
_GREETING = re.compile(r"^\s*(hi|hello|hey|yo|good (morning|evening))\b|你好|嗨|哈喽", re.IGNORECASE)
_FILLER = re.compile(
    r"\b(please|generate|create|make|produce|me|a|an|the|of|video|clip|with|about|second|seconds|"
    r"\d+s?|vertical|portrait)\b|请|帮我|生成|制作|一个|一段|视频|秒",
    re.IGNORECASE,
)
_MOODS = ("Lo-fi Sunrise", "Cinematic Rise", "Upbeat Pop", "Calm Piano", "Neon Drive")
_EXPORT_HINT = ("Preview it in the timeline or click Export.", "可以在时间线中预览，或点击导出。")


def title_from(text: str) -> str:
    quoted = _QUOTED.search(text)
    if quoted:
        return quoted.group(1).strip()
    words = [word for word in _FILLER.sub(" ", text).split() if word.isalnum() or len(word) > 2]
    title = " ".join(words[:4]).strip(" ,.!?，。！？")
    if not title:
        return "My Video"
    return title.title() if title.isascii() else title[:12]


def seconds_in(text: str) -> float | None:
    match = _SECONDS.search(text)
    return float(match.group(1)) if match else None


async def chat(ctx: TurnContext) -> None:
    await ctx.work(ctx.config.chat_seconds)
    if ctx.plan.nothing_to_edit:
        reply = ctx.pick(
            "There's nothing on the timeline yet. "
            "Upload a video or ask me to generate one, then I can edit it.",
            "时间线上还没有内容。先上传视频或让我生成一个，我再帮你编辑。",
        )
    elif _GREETING.search(ctx.text) and ctx.plan.skill in skill_scenarios.GREETINGS:
        reply = ctx.pick(*skill_scenarios.GREETINGS[ctx.plan.skill])
    elif _GREETING.search(ctx.text):
        reply = ctx.pick(
            "Hi! I'm Nemo, your AI video editor. Ask me to generate a video from an idea, "
            "or upload a clip and I'll add music, titles, captions or trim it.",
            "你好！我是 Nemo，你的 AI 视频剪辑助手。告诉我你的想法，我可以生成视频，"
            "也可以给你上传的素材加音乐、标题、字幕或剪辑。",
        )
    else:
        reply = ctx.rng.choice(
            [
                ctx.pick(
                    "Good question! I can generate clips up to 15 seconds, "
                    "then add BGM, titles and captions.",
                    "好问题！我可以生成最长 15 秒的视频，再加上背景音乐、标题和字幕。",
                ),
                ctx.pick(
                    "Sure. Describe the scene, the mood and the aspect ratio, and I'll take it from there.",
                    "没问题。描述一下画面、氛围和画幅比例，剩下的交给我。",
                ),
                ctx.pick(
                    "When the timeline looks right, click Export in the editor to render the MP4.",
                    "时间线满意后，在编辑器里点击导出即可渲染 MP4。",
                ),
            ]
        )
    ctx.think("The user is chatting; no tool needed.")
    await ctx.say(reply)


async def generation(ctx: TurnContext) -> None:
    prompt = ctx.text.strip() or "a short video"
    seconds = min(15, max(2, round(seconds_in(prompt) or 10)))
    width, height = (1080, 1920) if _PORTRAIT.search(prompt) else (1920, 1080)
    if _SQUARE.search(prompt):
        width = height = 1080
    title = title_from(prompt)
    ctx.think(f"Plan: seedance for the raw {seconds}s clip, then BGM and a title track.")
    await ctx.say(
        ctx.pick(
            f"Sure — generating your {seconds}-second video now. The raw clip takes a few minutes; "
            "then I'll add music and a title.",
            f"好的，正在生成一段 {seconds} 秒的视频。原始片段需要几分钟，之后我会加上音乐和标题。",
        )
    )
    aspect = "9:16" if height > width else ("1:1" if width == height else "16:9")
    args = {"prompt": prompt, "duration": seconds, "aspect_ratio": aspect, "resolution": "1080p"}
    call = ctx.call_tool("generate_video_with_seedance", args)
    await ctx.work(ctx.config.generation_seconds)
    clip_id = ctx.ids.hex(16)
    url = ctx.cdn(f"generated/{clip_id}_{width}x{height}_{seconds * 1000}.mp4")
    session = ctx.session
    session.set_canvas(width, height)
    session.draft["m"]["title"] = title
    drafts.append_clip(session.draft, url, seconds * 1000, id=f"seg_{clip_id[:8]}", name=title)
    media = {"type": "video", "url": url, "duration": seconds, "width": width, "height": height}
    session.state["generated_media"].append(
        {**media, "prompt": prompt, "tool": "generate_video_with_seedance"}
    )
    session.video_infos.append(
        {
            "filename": f"{clip_id}.mp4",
            "file_type": "video",
            "cdn_url": url,
            "duration": float(seconds),
            "width": width,
            "height": height,
            "fps": 24,
            "hash": clip_id,
            "source": "generated",
        }
    )
    ctx.tool_result(call, "generate_video_with_seedance", {"status": "success", "video_url": url})
    await ctx.say(
        ctx.pick(
            f"Raw clip ready ({seconds}s, {width}×{height}). Adding background music and a title next…",
            f"原始片段已就绪（{seconds} 秒，{width}×{height}）。接下来添加背景音乐和标题……",
        )
    )
    await _add_music(ctx)
    _add_title(ctx, title)
    await ctx.work(ctx.config.edit_seconds / 3)
    await ctx.say(
        ctx.pick(
            f"Your video is ready! {drafts.describe(session.draft)}. {_EXPORT_HINT[0]}",
            f"视频已完成！{drafts.describe(session.draft, chinese=True)}。{_EXPORT_HINT[1]}",
        )
    )


async def _add_music(ctx: TurnContext) -> str:
    draft = ctx.session.draft
    uploaded = [info for info in ctx.session.video_infos if info.get("file_type") == "audio"]
    if uploaded:  # the user's own audio beats generated music
        tool, name, src = "edit_multitrack", str(uploaded[-1]["filename"]), str(uploaded[-1]["cdn_url"])
        call = ctx.call_tool(tool, {"operations": [{"op": "add_audio", "src": src}]})
        await ctx.work(ctx.config.edit_seconds / 3)
    else:
        tool, name = "generate_music", ctx.rng.choice(_MOODS)
        call = ctx.call_tool(tool, {"mood": name, "duration": round(int(draft["d"]) / 1000)})
        await ctx.work(ctx.config.music_seconds)
        src = ctx.cdn(f"generated/{ctx.ids.hex(16)}_music.mp3")
        ctx.session.state["generated_media"].append({"type": "audio", "url": src, "name": name})
    drafts.set_music(draft, name, src, volume=0.35)
    ctx.tool_result(call, tool, {"status": "success"})
    return name


def _add_title(ctx: TurnContext, title: str) -> None:
    duration = min(3000, int(ctx.session.draft["d"]))
    operation = {"op": "add_text", "text": title, "start": 0, "d": duration, "style": "title"}
    call = ctx.call_tool("edit_multitrack", {"operations": [operation]})
    drafts.add_text(ctx.session.draft, title, 0, duration, "title")
    ctx.tool_result(call, "edit_multitrack", {"status": "success", "tracks": len(ctx.session.draft["t"])})


async def _assemble(ctx: TurnContext) -> int:
    """Put uploaded videos and images that are not on the timeline yet at the end of the video track."""
    placed = {
        segment.get("src")
        for track in drafts.tracks(ctx.session.draft, drafts.VIDEO)
        for segment in track["sg"]
    }
    media = [
        info
        for info in ctx.session.video_infos
        if info.get("file_type") in ("video", "image")
        and info.get("source") == "upload"
        and info["cdn_url"] not in placed
    ]
    names = [info["filename"] for info in media]
    call = ctx.call_tool("edit_multitrack", {"operations": [{"op": "add_clips", "files": names}]})
    await ctx.work(ctx.config.edit_seconds / 3)
    for info in media:
        duration_ms = round(float(info.get("duration", 3.0)) * 1000)
        drafts.append_clip(ctx.session.draft, info["cdn_url"], duration_ms, file=info["filename"])
    first = next((info for info in media if "width" in info), None)
    if first is not None:
        ctx.session.set_canvas(int(first["width"]), int(first["height"]))
    ctx.tool_result(call, "edit_multitrack", {"status": "success", "clips": len(media)})
    return len(media)


async def edit(ctx: TurnContext) -> None:
    action = ctx.plan.action or EditAction.ADD_MUSIC
    session = ctx.session
    ctx.think(f"Edit request: {action.value}.")
    needs_clips = action is EditAction.ASSEMBLE or not drafts.has_video(session.draft)
    added = await _assemble(ctx) if needs_clips else 0
    summary = await _apply(ctx, action, added)
    await ctx.work(ctx.config.edit_seconds / 2)
    if ctx.plan.scenario is Scenario.SILENT_EDIT:
        return  # silent turns close after the tool calls: the client must diff state
    chinese = ctx.chinese
    await ctx.say(
        f"{summary} {drafts.describe(session.draft, chinese=chinese)}。{_EXPORT_HINT[1]}"
        if chinese
        else f"{summary} {drafts.describe(session.draft)}. {_EXPORT_HINT[0]}"
    )


async def _apply(ctx: TurnContext, action: EditAction, added: int) -> str:
    draft = ctx.session.draft
    duration = int(draft["d"])
    match action:
        case EditAction.ASSEMBLE:
            return ctx.pick(
                f"Done — put {added} clip(s) on the timeline.", f"完成——已将 {added} 个素材放到时间线上。"
            )
        case EditAction.ADD_TITLE:
            title = title_from(ctx.text) if _QUOTED.search(ctx.text) else ctx.pick("My Video", "我的视频")
            _add_title(ctx, title)
            return ctx.pick(f'Done — added the title "{title}".', f"完成——已添加标题「{title}」。")
        case EditAction.ADD_CAPTIONS:
            lines = max(1, duration // 3000)
            operations = [
                {"op": "add_text", "start": i * 3000, "d": 3000, "style": "caption"} for i in range(lines)
            ]
            call = ctx.call_tool("edit_multitrack", {"operations": operations})
            for index in range(lines):
                text = ctx.pick(f"Caption {index + 1}", f"字幕 {index + 1}")
                drafts.add_text(draft, text, index * 3000, min(3000, duration - index * 3000), "caption")
            ctx.tool_result(call, "edit_multitrack", {"status": "success", "captions": lines})
            return ctx.pick(f"Done — added {lines} captions.", f"完成——已添加 {lines} 条字幕。")
        case EditAction.ADD_MUSIC:
            name = await _add_music(ctx)
            return ctx.pick(
                f'Done — added "{name}" as background music at 35%.',
                f"完成——已添加背景音乐「{name}」，音量 35%。",
            )
        case EditAction.TRIM:
            wanted = seconds_in(ctx.text)
            target = round(wanted * 1000) if wanted else round(duration * 0.8)
            if wanted and re.search(r"\b(first|last|remove|cut off)\b|去掉|删掉", ctx.text, re.IGNORECASE):
                target = duration - round(wanted * 1000)
            target = max(500, min(duration, target))
            call = ctx.call_tool("edit_multitrack", {"operations": [{"op": "trim", "d": target}]})
            drafts.retime(draft, target)
            ctx.tool_result(call, "edit_multitrack", {"status": "success", "duration": target})
            return ctx.pick(
                f"Done — trimmed to {target / 1000:g}s.", f"完成——已剪辑为 {target / 1000:g} 秒。"
            )
        case EditAction.SPEED:
            factor_match = _FACTOR.search(ctx.text)
            slower = re.search(r"slow|减速|慢", ctx.text, re.IGNORECASE)
            factor = float(factor_match.group(1)) if factor_match else (0.5 if slower else 2.0)
            factor = min(8.0, max(0.25, factor))
            call = ctx.call_tool("edit_multitrack", {"operations": [{"op": "speed", "factor": factor}]})
            drafts.retime(draft, max(100, round(duration / factor)), speed=factor)
            ctx.tool_result(call, "edit_multitrack", {"status": "success", "speed": factor})
            return ctx.pick(
                f"Done — playback speed is now {factor:g}×.", f"完成——播放速度已调整为 {factor:g} 倍。"
            )
        case EditAction.ADD_EFFECT:
            effect = "fade" if re.search(r"fade|transition|转场", ctx.text, re.IGNORECASE) else "film_grain"
            call = ctx.call_tool("edit_multitrack", {"operations": [{"op": "add_effect", "effect": effect}]})
            changed = drafts.apply_effect(draft, effect)
            ctx.tool_result(call, "edit_multitrack", {"status": "success", "segments": changed})
            return ctx.pick(f"Done — applied {effect}.", f"完成——已应用特效 {effect}。")


async def analysis(ctx: TurnContext) -> None:
    videos = [info for info in ctx.session.video_infos if info.get("file_type") == "video"]
    call = ctx.call_tool("understand_video", {"files": [info["filename"] for info in videos]})
    await ctx.work(ctx.config.edit_seconds)
    tags = ["outdoor", "people", "city", "nature", "night", "music", "sports", "food"]
    for info in videos:
        chosen = sorted(ctx.rng.sample(tags, 3))
        ctx.session.state["video_analyses"][info["hash"]] = {
            "filename": info["filename"],
            "scenes": ctx.rng.randint(2, 9),
            "tags": chosen,
            "summary": f"{info['filename']}: {', '.join(chosen)}",
        }
    ctx.tool_result(call, "understand_video", {"status": "success", "analysed": len(videos)})
    first = ctx.session.state["video_analyses"][videos[0]["hash"]]
    await ctx.say(
        ctx.pick(
            f"I looked at {len(videos)} video(s). {first['summary']} — {first['scenes']} scenes. "
            "Want me to cut a highlight reel?",
            f"我分析了 {len(videos)} 个视频。{first['summary']}，共 {first['scenes']} 个场景。"
            "要我剪一段精彩集锦吗？",
        )
    )


SCRIPTS: dict[Scenario, Script] = {
    Scenario.CHAT: chat,
    Scenario.GENERATION: generation,
    Scenario.EDIT: edit,
    Scenario.SILENT_EDIT: edit,
    Scenario.ANALYSIS: analysis,
    Scenario.SKILL: skill_scenarios.skill,
}
