"""The ``nemobot`` command: ``demo``, ``console``, ``simulator``, ``run`` (the chat platforms), ``check``
(what works in this configuration) and ``migrate-store`` (SQLite to PostgreSQL)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bots.logs import use_json_lines
from bots.startup import StartupFailed
from core.redact import configure_logging
from core.settings import Settings, SettingsError, load_settings
from storage import SchemaTooNewError
from storage.pg_migrations import PgSchemaTooNewError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nemobot", description="NemoVideo chat bot")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("demo", help="chat in the terminal against the built-in simulator (no network)")
    commands.add_parser("console", help="chat in the terminal against NEMO_API_URL")
    commands.add_parser("run", help="run the Telegram and/or Discord bots that have a token set")
    commands.add_parser(
        "check", help="validate the settings and reach the store, NemoVideo and each configured platform"
    )
    move = commands.add_parser(
        "migrate-store", help="copy a SQLite deployment's data into PostgreSQL (tokens stay encrypted)"
    )
    move.add_argument("--from", dest="source", required=True, help="sqlite:///path/to/nemobot.db")
    move.add_argument("--to", dest="target", required=True, help="postgresql://user@host/dbname")

    sim = commands.add_parser("simulator", help="serve the offline NemoVideo simulator")
    sim.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    sim.add_argument("--port", type=int, default=8765, help="port (default: 8765)")
    sim.add_argument("--seed", type=int, default=0, help="seed for deterministic ids and replies")
    sim.add_argument(
        "--time-scale", type=float, default=0.03, help="multiplier for simulated GPU and render time"
    )
    return parser


async def _serve_simulator(args: argparse.Namespace, settings: Settings) -> None:
    from simulator import SimulatorConfig
    from simulator.server import serve

    config = SimulatorConfig.demo(
        seed=args.seed, data_dir=settings.nemobot_data_dir / "simulator", time_scale=args.time_scale
    )
    await serve(args.host, args.port, config)


async def _console(settings: Settings) -> int:
    from bots.app import running_bot
    from bots.console import ConsoleSession, console_outbound

    async with running_bot(settings) as bot:
        out = console_outbound(settings.nemobot_data_dir)
        bot.attach("console", out)
        await bot.resume()
        return await ConsoleSession(bot, out, sys.stdin).run()


async def _demo(settings: Settings) -> int:
    from simulator import Simulator, SimulatorConfig

    # The in-process simulator stands in for the remote backend: its server-side complaints (a
    # stream the bot closed on Ctrl+C or /cancel) would be invisible in production, so they stay
    # out of the conversation on screen.
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    with tempfile.TemporaryDirectory(prefix="nemobot-demo-") as folder:
        root = Path(folder)
        simulator = Simulator(
            SimulatorConfig.demo(seed=secrets.randbelow(2**31), data_dir=root / "simulator")
        )
        async with simulator.running("127.0.0.1", 0) as api_url:
            demo = settings.model_copy(
                update={
                    "nemo_api_url": api_url,
                    "nemo_token": None,
                    "nemobot_data_dir": root / "data",
                    # A demo is throw-away: never write into a configured deployment's database.
                    "database_url": None,
                    # The simulator is quick; a demo should not wait half a minute after a drop.
                    "nemobot_recovery_first_s": 2.0,
                    "nemobot_recovery_next_s": 3.0,
                }
            )
            from bots.app import running_bot
            from bots.console import ConsoleSession, console_outbound

            async with running_bot(demo) as bot:
                out = console_outbound(settings.nemobot_data_dir)
                bot.attach("console", out)
                return await ConsoleSession(bot, out, sys.stdin).run()


async def _migrate_store(source: str, target: str) -> int:
    import psycopg

    from bots.startup import one_line
    from storage import StoreUrlError, parse_store_url
    from storage.transfer import TransferError, copy_sqlite_to_postgres

    try:
        origin = parse_store_url(source, Path())
        destination = parse_store_url(target, Path())
    except StoreUrlError as exc:
        print(f"migrate-store: {exc}", file=sys.stderr)  # noqa: T201 - a command-line tool's answer
        return 2
    if origin.sqlite_path is None or destination.postgres_url is None:
        print(  # noqa: T201
            "migrate-store copies from a sqlite:/// URL to a postgresql:// URL", file=sys.stderr
        )
        return 2
    try:
        counts = await copy_sqlite_to_postgres(origin.sqlite_path, destination.postgres_url)
    except (TransferError, FileNotFoundError) as exc:
        print(f"migrate-store: {exc}", file=sys.stderr)  # noqa: T201
        return 1
    except psycopg.OperationalError as exc:
        print(f"migrate-store: {destination.describe()} is not reachable ({one_line(exc)})", file=sys.stderr)  # noqa: T201
        return 1
    summary = ", ".join(f"{count} {table}" for table, count in counts.items())
    print(f"copied {summary} to {destination.describe()}")  # noqa: T201
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)  # noqa: T201 - start-up errors go to the terminal
        return 2
    # Belt and braces: the patterns in core.redact catch these too, but exact values are certain.
    known_secrets = tuple(
        value
        for value in (
            settings.nemo_token.get_secret_value() if settings.nemo_token else "",
            os.environ.get("TELEGRAM_BOT_TOKEN", ""),
            os.environ.get("DISCORD_BOT_TOKEN", ""),
            settings.database_url.get_secret_value() if settings.database_url else "",
        )
        if len(value) >= 8
    )
    interactive_chat = args.command in ("demo", "console")
    # In a terminal chat, only warnings reach the screen so they don't interleave with the conversation.
    level = settings.nemobot_log_level
    configure_logging("WARNING" if interactive_chat and level == "INFO" else level, known_secrets)
    if settings.nemobot_log_format == "json":
        use_json_lines()
    try:
        if args.command == "simulator":
            asyncio.run(_serve_simulator(args, settings))
        elif args.command == "demo":
            return asyncio.run(_demo(settings))
        elif args.command == "console":
            return asyncio.run(_console(settings))
        elif args.command == "run":
            from bots.run import run_platforms

            return asyncio.run(run_platforms(settings))
        elif args.command == "check":
            from bots.check import run_checks

            return asyncio.run(run_checks(settings))
        elif args.command == "migrate-store":
            return asyncio.run(_migrate_store(args.source, args.target))
    except StartupFailed as exc:
        print(f"nemobot: {exc}", file=sys.stderr)  # noqa: T201 - one line, no traceback
        return 1
    except (SchemaTooNewError, PgSchemaTooNewError) as exc:
        print(f"nemobot: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    except SettingsError as exc:
        print(exc, file=sys.stderr)  # noqa: T201 - start-up errors go to the terminal
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
