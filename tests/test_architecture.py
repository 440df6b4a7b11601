"""The dependency rule: core/ never imports a platform or storage library."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# prometheus_client too: core/metrics.py keeps plain counters and bots/ops.py exports them.
FORBIDDEN = (
    "telegram", "discord", "aiosqlite", "aiohttp", "psycopg", "psycopg_pool", "prometheus_client",
    "storage", "bots", "simulator",
)  # fmt: skip


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize(
    "path", sorted((ROOT / "core").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_core_modules_import_no_platform_or_storage_library(path: Path) -> None:
    """Adapters map and send; the rules in core/ stay platform-free."""
    assert not _imports(path) & set(FORBIDDEN)
