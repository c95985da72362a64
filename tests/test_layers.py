"""The layers of docs/architecture.md, checked on the source: every `import` (at module level or
inside a function) points down; library code never reaches the CLI; no two modules of a package
import each other, directly or around a circle."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "vitrine"

# What each package may import from vitrine, lowest first. The root library modules (BASE) may be
# imported by every layer and import only each other.
BASE = {"atomic", "config", "errors", "paths", "progress", "results", "weights"}
ORDER = ["storage", "catalog", "text", "diffusion", "evaluate", "recommend", "studio", "tryon", "app", "service",
         "storefront", "abtest"]
ALLOWED = {"storage": set(), "catalog": {"storage"}, "text": set(), "diffusion": {"storage", "catalog", "text"},
           "evaluate": {"storage", "catalog", "text", "diffusion"}, "recommend": {"storage", "catalog", "text"},
           "studio": {"storage", "catalog", "text", "diffusion", "evaluate", "recommend"},
           "tryon": {"storage", "catalog", "text", "diffusion", "evaluate", "recommend", "studio"},
           "app": {"storage", "catalog", "text", "diffusion", "evaluate", "recommend", "studio", "tryon"},
           "service": {"storage", "catalog", "recommend", "app"},
           "storefront": {"storage", "catalog", "app", "service"},
           "abtest": {"storage", "catalog", "evaluate"}}
# The CLI layer: the root's cli, command and demo modules and each package's cli.py. It may import
# anything; nothing else may import it.
CLI_ROOT = {"cli", "command", "demo", "__main__"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_cli(module: str) -> bool:
    parts = module.split(".")
    return (len(parts) == 2 and parts[1] in CLI_ROOT) or parts[-1] == "cli"


def imports_of(path: Path) -> set[str]:
    """Every vitrine module the file imports, wherever the import statement stands."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}  # `from vitrine.app import fit` is a module
    return {name for name in found if name.split(".")[0] == "vitrine" and name != "vitrine"}


MODULES = {module_name(p): p for p in ROOT.rglob("*.py")}
GRAPH = {m: {i for i in imports_of(p) if i in MODULES and i != m} for m, p in MODULES.items()}


def test_packages_import_only_the_layers_below_them():
    wrong = []
    for module, targets in GRAPH.items():
        if module == "vitrine" or is_cli(module):
            continue
        package = module.split(".")[1]
        for target in targets:
            other = target.split(".")[1] if "." in target else ""
            if package in BASE:
                ok = other in BASE
            elif package in ALLOWED:
                ok = other in BASE or other == package or other in ALLOWED[package]
            else:
                ok = True
            if not ok:
                wrong.append(f"{module} imports {target}")
    assert wrong == []


def test_library_code_never_imports_the_cli_layer():
    wrong = [f"{m} imports {t}" for m, targets in GRAPH.items() if not is_cli(m)
             for t in targets if is_cli(t)]
    assert wrong == []


def test_every_package_has_its_rules_and_its_place():
    packages = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists() or
                p.is_dir() and any(p.glob("*.py"))} - {"__pycache__"}
    assert packages == set(ORDER) and set(ALLOWED) == set(ORDER)
    for i, package in enumerate(ORDER):  # the rules only ever point down the order
        assert ALLOWED[package] <= set(ORDER[:i]), package


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One circle of the graph (its modules in order), or None: a depth-first search."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_module_circles_inside_a_package():
    for package in ORDER:
        inside = {m: {t for t in targets if t.startswith(f"vitrine.{package}.")}
                  for m, targets in GRAPH.items() if m.startswith(f"vitrine.{package}.")}
        assert _cycle(inside) is None, f"vitrine.{package}: {' → '.join(_cycle(inside))}"


def test_the_circle_finder_finds_circles():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
