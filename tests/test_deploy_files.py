"""The Dockerfile and compose.yaml, read without a Docker engine: they must name real things.

Every command they run exists in ``nemobot``'s parser, every variable they set is a setting nemobot
reads, every file they copy exists, and the install is the README's locked one with the Makefile's uv.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import yaml

from bots.cli import _parser
from bots.discord_bot.settings import DiscordSettings
from bots.telegram.settings import TelegramSettings
from core.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) pairs, continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    return [
        (parts[0].upper(), parts[1] if len(parts) > 1 else "")
        for parts in (line.strip().split(None, 1) for line in joined.splitlines() if line.strip())
    ]


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def nemobot_commands() -> set[str]:
    parser = _parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert sub.choices is not None
    return set(sub.choices)


def known_variables() -> set[str]:
    fields: set[str] = set()
    for model in (Settings, TelegramSettings, DiscordSettings):
        fields |= {name.upper() for name in model.model_fields}
    return fields


def test_the_image_is_multi_stage_and_runs_as_a_non_root_user() -> None:
    """Two FROMs, the runtime copies from the build stage, and USER is not root."""
    steps = dockerfile()
    froms = [args for op, args in steps if op == "FROM"]
    assert len(froms) >= 2
    assert any(" AS " in f.upper() for f in froms)
    assert any(op == "COPY" and args.startswith("--from=") for op, args in steps)
    users = [args for op, args in steps if op == "USER"]
    assert users
    assert users[-1] not in ("root", "0")


def test_the_image_installs_the_lock_file_with_the_makefiles_uv() -> None:
    """uv pinned as in the Makefile; `uv sync --frozen` as the README's install; no dev tools."""
    steps = dockerfile()
    runs = " ".join(args for op, args in steps if op == "RUN")
    makefile_uv = re.search(r"^UV_VERSION := (\S+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert makefile_uv is not None
    assert f"uv=={makefile_uv.group(1)}" in runs
    syncs = [args for op, args in steps if op == "RUN" and "uv sync" in args]
    assert syncs
    assert all("--frozen" in s and "--no-dev" in s for s in syncs)
    assert "$(UV) sync --frozen" in (ROOT / "Makefile").read_text()


def test_every_copied_file_exists_and_every_package_is_copied() -> None:
    """COPY sources are real paths, and the wheel's packages (pyproject) all reach the image."""
    steps = dockerfile()
    copied: set[str] = set()
    for op, args in steps:
        if op == "COPY" and not args.startswith("--from="):
            *sources, _target = shlex.split(args)
            for source in sources:
                assert (ROOT / source).exists(), source
                copied.add(source.rstrip("/"))
    packages = re.search(r"packages = \[([^\]]*)\]", (ROOT / "pyproject.toml").read_text())
    assert packages is not None
    assert {p.strip().strip('"') for p in packages.group(1).split(",")} <= copied


def test_the_image_runs_a_real_nemobot_command_with_a_real_data_dir_setting() -> None:
    """ENTRYPOINT nemobot, CMD one of its subcommands; ENV names are settings nemobot reads."""
    steps = dockerfile()
    entry = [args for op, args in steps if op == "ENTRYPOINT"][-1]
    cmd = [args for op, args in steps if op == "CMD"][-1]
    assert yaml.safe_load(entry) == ["nemobot"]
    assert yaml.safe_load(cmd)[0] in nemobot_commands()
    env = " ".join(args for op, args in steps if op == "ENV")
    for name in re.findall(r"\b(NEMO\w+|DATABASE_URL)=", env):
        assert name in known_variables(), name
    assert re.search(r"\[project\.scripts\]\s*nemobot = ", (ROOT / "pyproject.toml").read_text())


def test_compose_runs_the_bot_on_postgres_with_volumes_for_data_and_key() -> None:
    """bot + postgres; the bot's command is real, its variables are settings, its data dir a volume."""
    spec = compose()
    services = spec["services"]
    assert {"bot", "postgres"} <= set(services)
    bot = services["bot"]
    assert bot["build"] == "."
    assert (ROOT / "Dockerfile").is_file()
    assert bot["command"][0] in nemobot_commands()
    for name in bot["environment"]:
        assert name in known_variables(), name
    assert bot["environment"]["DATABASE_URL"].startswith("postgresql://")
    assert bot["environment"]["DATABASE_URL"].endswith("@postgres:5432/nemobot")
    data_dir = bot["environment"]["NEMOBOT_DATA_DIR"]
    volumes = {v.split(":")[0]: v.split(":")[1] for v in bot["volumes"]}
    assert data_dir in volumes.values()
    assert set(volumes) <= set(spec["volumes"])
    ops_port = bot["environment"]["NEMOBOT_OPS_PORT"]
    assert any(p.endswith(f":{ops_port}") for p in bot["ports"])
    assert "/healthz" in " ".join(bot["healthcheck"]["test"])
    assert bot["env_file"] == ".env"
    assert (ROOT / ".env.example").is_file()


def test_compose_offers_the_local_bot_api_server_as_an_option() -> None:
    """The local Bot API server is behind a profile, so a plain `up` does not start it."""
    services = compose()["services"]
    assert services["telegram-bot-api"]["profiles"] == ["local-bot-api"]
    header = (ROOT / "compose.yaml").read_text().split("services:")[0]
    for name in re.findall(r"\b(TELEGRAM_[A-Z_]+)=", header):
        assert name in known_variables(), name


def test_make_alone_lists_the_targets_and_run_starts_the_bots() -> None:
    """`make` prints the targets (doing nothing else); `make run` runs `nemobot run`."""
    import shutil
    import subprocess

    make = shutil.which("make")
    assert make is not None
    shown = subprocess.run(
        [make, "-s", "-C", str(ROOT)], capture_output=True, text=True, timeout=30, check=True
    ).stdout
    for target in ("demo", "run", "doctor", "test"):
        assert f"make {target} " in shown
    planned = subprocess.run(
        [make, "-n", "-C", str(ROOT), "run"], capture_output=True, text=True, timeout=30, check=True
    ).stdout
    assert ".venv/bin/nemobot run" in planned


def test_every_setting_is_documented_in_env_example_and_readme() -> None:
    """A host learns every variable from .env.example and the README's table."""
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in sorted(known_variables()):
        assert re.search(rf"^{name}=", example, re.MULTILINE), name
        # The table abbreviates families: `NEMOBOT_RECOVERY_FIRST_S` / `_NEXT_S` / `_POLLS`.
        parts = name.split("_")
        spellings = [name, "`_" + "_".join(parts[-2:]) + "`"]
        if len(parts[-1]) > 3:
            spellings.append(f"`_{parts[-1]}`")
        assert any(spelling in readme for spelling in spellings), name
