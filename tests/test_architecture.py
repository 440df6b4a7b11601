"""The dependency rules: core/ never imports a platform or storage library, adapters enter the core
only through its door (``core.inbound``) and vocabulary, and no module imports in a circle."""

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
PACKAGES = ("core", "bots", "storage", "simulator")

# What an adapter may import from the core: the door and the vocabulary it speaks.
DOOR_AND_VOCABULARY = frozenset(
    {
        "core.inbound",  # the door: Core, Press, CoreUnavailable
        "core.chat",  # ChatKey, Inbound, Sender, Action, MessageRef, PlatformLimits
        "core.ports",  # Outbound (which adapters implement) and its PlatformError tree
        "core.i18n",  # Lang and t(), for the few words an adapter says itself
        "core.redact",  # keeping secrets out of logs
        "core.settings",  # SettingsError and the shared settings helpers
        "core.nemo.multipart",  # streaming a file in chunks (read_file_chunks, CHUNK_SIZE)
        "core.mp4_probe",  # an MP4's dimensions and duration, for the platform's video fields
        "core.metrics",  # counters an adapter bumps (platform 429s) and bots/ops.py exports
    }
)
# The composition roots build the core, so they may name it.
COMPOSITION_ROOTS = frozenset({"bots/app.py", "bots/cli.py", "bots/run.py"})


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(name: str) -> bool:
    base = ROOT.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports (TYPE_CHECKING imports included: a cycle there is still one);
    ``from pkg import sub`` counts as importing ``pkg.sub`` when that is a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                names.add(candidate if _is_module(candidate) else node.module)
    return names


def _product_files() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py"))


# Parsed once, at collection: CPython 3.11's ast.parse can fail with "AST constructor recursion
# depth mismatch" in a process where another test has already hit a RecursionError.
IMPORTS: dict[Path, set[str]] = {path: _imported_modules(path) for path in _product_files()}


@pytest.mark.parametrize(
    "path", sorted((ROOT / "core").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_core_modules_import_no_platform_or_storage_library(path: Path) -> None:
    """Adapters map and send; the rules in core/ stay platform-free."""
    tops = {name.split(".")[0] for name in IMPORTS[path]}
    assert not tops & set(FORBIDDEN)


@pytest.mark.parametrize(
    "path",
    [p for p in sorted((ROOT / "bots").rglob("*.py")) if str(p.relative_to(ROOT)) not in COMPOSITION_ROOTS],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_adapters_enter_the_core_only_through_the_door(path: Path) -> None:
    """No adapter reaches the core's gate, queues, store or command handler."""
    core_imports = {name for name in IMPORTS[path] if name.split(".")[0] == "core"}
    assert core_imports <= DOOR_AND_VOCABULARY, core_imports - DOOR_AND_VOCABULARY


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_in_a_circle() -> None:
    """A cycle (even one hidden behind TYPE_CHECKING) is a two-way dependency; there is none."""
    graph = {
        _module_name(path): {name for name in imported if name.split(".")[0] in PACKAGES and _is_module(name)}
        for path, imported in IMPORTS.items()
    }
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    """The check above can fail: a two-module loop and a self-loop are both reported."""
    assert _cycles({"a": {"b"}, "b": {"a", "c"}, "c": set(), "d": {"d"}}) == [["a", "b"], ["d"]]
