"""The import graph of the production packages (``docproc``, ``workers``), read from the source
with ``ast``: which module imports which, each module's layer, imports that go up a layer, and
import circles. ``tests/test_layers.py`` holds the code to the layout's rules with it, and
``bench/code_layout.py`` reports the figures for any checkout. Imports made only for type
checking (``if TYPE_CHECKING:``) do not count."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support.paths import REPO

PACKAGES = ("docproc", "workers")

# Lower numbers are lower layers; a module may import its own layer and those below.
LAYERS = {
    "docproc.settings": 0,
    "docproc.env": 0,
    "docproc.sign_in_settings": 0,
    "docproc.task_queues": 0,
    "docproc.celery_app": 0,
    "docproc.pipeline": 1,
    "docproc.models": 1,
    "docproc.services": 2,
    "docproc.api": 3,
    "docproc.web": 3,
    "docproc.console": 3,
    "docproc.compliance": 3,
    "docproc.management": 3,
    "docproc.admin": 3,
    "docproc.urls": 3,
    "docproc.wsgi": 3,
    "docproc.apps": 3,
    "workers": 3,
}
# Within a layer, what one part may not import: the pipeline never touches the ORM.
FORBIDDEN = {"docproc.pipeline": ("docproc.models",)}


def module_name(path: Path, root: Path = REPO) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def sources(root: Path = REPO) -> dict[str, Path]:
    """Every module of the production packages under ``root`` (migrations aside), by name."""
    found = {}
    for package in PACKAGES:
        for path in (root / package).rglob("*.py"):
            if "migrations" not in path.parts:
                found[module_name(path, root)] = path
    return found


def _type_checking_only(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules ``name`` imports (anywhere in it, functions included)."""
    tree = ast.parse(path.read_text(), str(path))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if _type_checking_only(node, parents):
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            # The longest project module the target names ("docproc.pipeline.embed.embed_texts"
            # -> "docproc.pipeline.embed").
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
                break
    return found


def graph(root: Path = REPO) -> dict[str, set[str]]:
    """Which project modules each module imports."""
    found = sources(root)
    known = set(found)
    return {name: imports(name, path, known) for name, path in found.items()}


def layer(name: str) -> tuple[str, int] | None:
    for prefix in sorted(LAYERS, key=len, reverse=True):
        if name == prefix or name.startswith(prefix + "."):
            return prefix, LAYERS[prefix]
    return None


def upward_imports(edges: dict[str, set[str]]) -> list[str]:
    """``"module -> target"`` for each import that goes up a layer, or that a layer forbids."""
    upward = []
    for name, targets in edges.items():
        own = layer(name)
        for target in targets:
            theirs = layer(target)
            if own is None or theirs is None:
                continue
            if theirs[1] > own[1] or any(target.startswith(f) for f in FORBIDDEN.get(own[0], ())):
                upward.append(f"{name} -> {target}")
    return sorted(upward)


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return groups
