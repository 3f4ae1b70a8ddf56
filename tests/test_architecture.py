"""The shape of the package: no import cycle, data flowing one way, the public surface pinned.

Imports are read from the source (every `import`, also those inside functions, which hide a
cycle rather than remove it). `from pkg import name` is an edge to the submodule `pkg.name`
when there is one, else to the package's `__init__`; a submodule's implicit import of its
parent package is not an edge (a package's `__init__` may gather its submodules' names).
"""

from __future__ import annotations

import ast
from pathlib import Path

import docket

SRC = Path(docket.__file__).parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """The docket modules `path` imports (absolute names)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("docket"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("docket"):
                continue
            for alias in node.names:  # `from . import write` imports a submodule
                sub = f"{target}.{alias.name}"
                if (SRC.parent / Path(*sub.split("."))).with_suffix(".py").exists() or \
                        (SRC.parent / Path(*sub.split(".")) / "__init__.py").exists():
                    out.add(sub)
                else:
                    out.add(target)
    return out


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in SRC.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        edges = _imports(path) & modules.keys()
        edges.discard(name)
        if name != "docket":
            edges.discard("docket")
        graph[name] = edges
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of `graph`, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_cycle():
    cycle = _cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_the_library_never_imports_the_command_line():
    graph = _graph()
    for name, edges in graph.items():
        if name.startswith("docket.cli"):
            continue
        assert not {e for e in edges if e.startswith("docket.cli")}, name


def test_the_library_imports_no_click():
    for path in SRC.rglob("*.py"):
        if _module_name(path).startswith("docket.cli"):
            continue
        tree = ast.parse(path.read_text())
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert "click" not in names, path


def test_the_library_never_prints():
    for path in SRC.rglob("*.py"):
        if _module_name(path).startswith("docket.cli"):
            continue
        calls = [n for n in ast.walk(ast.parse(path.read_text()))
                 if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                 and n.func.id == "print"]
        assert not calls, f"{path} prints"


# -- the public surface (SPEC §8): what scripts and notebooks import -----------------------------
def test_the_public_surface_is_pinned():
    import inspect

    import docket
    from docket import merkle

    assert sorted(docket.__all__) == ["EventLog", "Receipt", "__version__"]
    params = {name: list(inspect.signature(getattr(docket.EventLog, name)).parameters)
              for name in ("append", "read", "state", "compliance", "verify", "checkpoint",
                           "follow")}
    assert params["append"][:3] == ["self", "events", "expected_version"]
    assert params["read"][:3] == ["self", "stream", "after_seq"] and "limit" in params["read"]
    assert params["state"][:4] == ["self", "stream", "as_of", "known_at"]
    assert params["compliance"][:4] == ["self", "stream", "as_of", "known_at"]
    assert params["follow"][:2] == ["self", "after_seq"]
    assert inspect.signature(docket.EventLog.follow).parameters["after_seq"].default == 0
    for name in ("verify", "checkpoint"):
        assert all(p.default is not inspect.Parameter.empty or p.kind in (
            p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.name == "self"
            for p in inspect.signature(getattr(docket.EventLog, name)).parameters.values()), name
    merkle_params = {name: list(inspect.signature(getattr(merkle, name)).parameters)
                     for name in ("root", "inclusion_proof", "consistency_proof",
                                  "verify_inclusion", "verify_consistency")}
    assert merkle_params == {
        "root": ["leaves"], "inclusion_proof": ["leaves", "index"],
        "consistency_proof": ["leaves", "old_size"],
        "verify_inclusion": ["leaf", "index", "size", "proof", "root"],
        "verify_consistency": ["old_size", "new_size", "old_root", "new_root", "proof"]}
