"""The house's rules, read from the source with ``ast``: the library never imports the app or the
reports wing; a report imports the library and ``reports.tables``, never another report; no
import circle, even through imports inside functions; no module much over 400 lines."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "colorize_cnn"
MAX_LINES = 420  # "about 400"
ENTRY_POINTS = ("colorize_cnn.__main__",)  # `python -m colorize_cnn`: the command line's front door


def modules():
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imported(path, known):
    """The package's modules that ``path`` imports, anywhere in it (module level or in a function)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in names if name in known and name != "colorize_cnn"}


def graph():
    known = modules()
    return {name: imported(path, known) - {name} for name, path in known.items()}


def wing(name):
    parts = name.split(".")
    return parts[1] if len(parts) > 2 and parts[1] in ("app", "reports") else "library"


def test_the_library_never_imports_the_app_or_the_reports():
    arrows = [(name, target) for name, targets in graph().items() for target in targets
              if wing(name) == "library" and name not in ENTRY_POINTS and wing(target) != "library"]
    assert arrows == []


def test_a_report_imports_no_other_report_and_the_app_no_report():
    arrows = [(name, target) for name, targets in graph().items() for target in targets
              if wing(target) == "reports" and target not in ("colorize_cnn.reports", "colorize_cnn.reports.tables")
              and (wing(name) == "app" or (wing(name) == "reports" and name != target))]
    assert arrows == []


def test_no_import_circle():
    edges, cycles = graph(), []

    def visit(name, path):
        for target in sorted(edges[name]):
            if target in path:
                cycles.append(path[path.index(target):] + [target])
            elif target not in done:
                visit(target, path + [target])
        done.add(name)

    done = set()
    for name in sorted(edges):
        if name not in done:
            visit(name, [name])
    assert cycles == []


def test_no_module_is_much_over_400_lines():
    long = {name: len(path.read_text().splitlines()) for name, path in modules().items()}
    assert {name: lines for name, lines in long.items() if lines > MAX_LINES} == {}
