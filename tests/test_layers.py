"""The house's layers, read from the source: no import circles in engine/ or gui/, and each
package imports only what its docstring allows.

The rules are checked over the import graph (every ``import`` anywhere in a module, inside
functions and ``TYPE_CHECKING`` blocks too: a lazy import still ties two modules together for a
reader). The last tests build a small tree that breaks each kind of rule and show the checker
catches it, so a rule here cannot pass by checking nothing.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

QT = ("PySide6", "pyqtgraph", "shiboken6")
# The run thread's machinery; engine.run.config (a run's settings and their checks) and
# engine.run.machine (plain machine facts) are data a result or a file may name.
RUN_THREAD = ("engine.run.runner", "engine.run.state", "engine.run.monitor",
              "engine.run.sampler", "engine.run.fixtures", "engine.run.leftovers",
              "engine.run.lesson_plan", "engine.run.gil", "engine.run.gil_probe")
# What runs inside a worker process (and on a remote Dask worker) must not drag in the layers
# above it: each would be imported in every spawned worker.
ABOVE_WORKERS = ("engine.run", "engine.figures", "engine.files", "engine.cli", "gui", *QT)

#: package -> the modules (or packages) it must never import, and why.
RULES: dict[str, tuple[tuple[str, ...], str]] = {
    "engine": (("gui", *QT), "the engine runs headless, in the CLI and in every worker"),
    "engine.tasks": (ABOVE_WORKERS, "tasks are imported by every worker"),
    "engine.backends": (("engine.figures", "engine.files", "engine.cli", "engine.run.runner",
                         "engine.run.state", "engine.run.monitor", "engine.run.sampler"),
                        "a backend runs tasks and reports events; the run thread drives it"),
    "engine.worker": (ABOVE_WORKERS, "the worker side runs in every worker process"),
    "engine.records": (ABOVE_WORKERS, "records cross process boundaries"),
    "engine.workload": (ABOVE_WORKERS, "workloads are shipped to workers"),
    "engine.figures": ((*RUN_THREAD, "engine.files", "engine.cli"),
                       "figures are computed from a result, live or loaded from a file"),
    "engine.files": ((*RUN_THREAD, "engine.cli"), "opening a file never runs anything"),
    "gui.plots": (("gui.pages", "gui.panels", "gui.bridge", "gui.main_window",
                   "gui.session_files", "gui.app"), "a plot draws what it is given"),
    "gui.panels": (("gui.pages", "gui.plots", "gui.bridge", "gui.main_window",
                    "gui.session_files", "gui.app"), "a panel edits settings and says so"),
    "gui.pages": (("gui.main_window", "gui.session_files", "gui.app"),
                  "the window composes the pages, never the other way round"),
}


def _module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path, packages: tuple[str, ...] = ("engine", "gui")) -> dict[str, set[str]]:
    """module -> what it imports: our modules by full name, anything else by its top name.

    ``from pkg import sub`` counts as importing ``pkg.sub`` when that is a module. An import of
    one's own parent package is not an edge: Python runs a package's ``__init__`` before any of
    its modules anyway, so it makes no circle a reader must untangle.
    """
    files = {_module_name(p, root): p for pkg in packages for p in (root / pkg).rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                subs = {f"{node.module}.{a.name}" for a in node.names} & files.keys()
                found.update(subs or {node.module})
        ours = {f for f in found if f in files}
        theirs = {f.split(".")[0] for f in found - ours if f.split(".")[0] not in packages}
        ancestors = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
        graph[name] = (ours | theirs) - ancestors - {name}
    return graph


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def broken_rules(graph: dict[str, set[str]]) -> list[str]:
    """One line per forbidden import, naming the first rule it breaks."""
    out = []
    for module, imports in sorted(graph.items()):
        for name in sorted(imports):
            why = next((f"{package}: {why}" for package, (banned, why) in RULES.items()
                        if _within(module, package) and any(_within(name, b) for b in banned)),
                       None)
            if why:
                out.append(f"{module} imports {name} ({why})")
    return out


def circles(graph: dict[str, set[str]]) -> list[str]:
    found: list[str] = []
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            found.append(" → ".join([*path[path.index(name):], name]))
            return
        if name in done:
            return
        for other in sorted(graph.get(name, ())):
            if other in graph:
                visit(other, [*path, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])
    return found


def test_no_module_imports_a_module_that_imports_it_back() -> None:
    assert circles(import_graph(ROOT)) == []


def test_each_package_imports_only_what_its_rules_allow() -> None:
    assert broken_rules(import_graph(ROOT)) == []


def test_every_package_says_what_lives_there_and_what_it_never_imports() -> None:
    for pkg in ("engine", "gui"):
        for init in (ROOT / pkg).rglob("__init__.py"):
            if init.parent.name == "engine":
                continue  # engine/__init__.py stays empty: it runs in every spawned worker
            doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
            assert doc, f"{init.relative_to(ROOT)} has no docstring"
    for package in ("gui.plots", "gui.panels", "gui.pages", "engine.figures", "engine.files"):
        init = ROOT.joinpath(*package.split("."), "__init__.py")
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        assert "never" in doc, f"{package}'s docstring does not say what it may not import"


def test_engine_init_stays_empty() -> None:
    tree = ast.parse((ROOT / "engine" / "__init__.py").read_text(encoding="utf-8"))
    assert all(isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant) for n in tree.body)


@pytest.fixture
def broken_tree(tmp_path: Path) -> Path:
    """A small tree with one of each mistake the rules exist to catch."""
    files = {
        "engine/__init__.py": "",
        "engine/figures/__init__.py": '"""Figures."""',
        "engine/figures/stats.py": "from engine.run.runner import execute\n",
        "engine/run/__init__.py": '"""Runs."""',
        "engine/run/runner.py": "def execute(): pass\n",
        "engine/tasks/__init__.py": '"""Tasks."""',
        "engine/tasks/custom.py": "from engine.tasks import registry\n",
        "engine/tasks/registry.py": "def f():\n    from engine.tasks.custom import x\n",
        "engine/worker.py": "import PySide6.QtCore\n",
        "gui/__init__.py": '"""Window."""',
        "gui/plots/__init__.py": '"""Plots."""',
        "gui/plots/cpu.py": "from gui.pages.live import LivePage\n",
        "gui/pages/__init__.py": '"""Pages."""',
        "gui/pages/live.py": "class LivePage: pass\n",
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    return tmp_path


def test_the_checker_catches_a_forbidden_import(broken_tree: Path) -> None:
    broken = broken_rules(import_graph(broken_tree))
    assert [line.split(" (")[0] for line in broken] == [
        "engine.figures.stats imports engine.run.runner",
        "engine.worker imports PySide6",
        "gui.plots.cpu imports gui.pages.live",
    ]


def test_the_checker_catches_a_circle_even_through_a_lazy_import(broken_tree: Path) -> None:
    assert circles(import_graph(broken_tree)) == [
        "engine.tasks.custom → engine.tasks.registry → engine.tasks.custom"]
