"""The package's layout: no import cycles, and modules a reader can hold.

The import graph is read from the source (ast), not by importing: every
``import``/``from ... import`` in every module under alma_countme/ and
countme_harness/ (the real-dnf harness and the tools built on it), at any
depth (inside functions too, where a cycle hides best), absolute or relative,
resolved to the module of the package it names.
"""

import ast
import os

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGES = ("alma_countme", "countme_harness")
MAX_LINES = 400
def package_modules():
    """{dotted name: path} of every module under alma_countme/ and countme_harness/."""
    modules = {}
    for package in PACKAGES:
        for directory, subdirs, files in os.walk(os.path.join(TOP, package)):
            subdirs[:] = sorted(name for name in subdirs if name != "__pycache__")
            for name in sorted(files):
                if not name.endswith(".py"):
                    continue
                path = os.path.join(directory, name)
                parts = os.path.relpath(path, TOP)[:-3].split(os.sep)
                if parts[-1] == "__init__":
                    parts.pop()
                modules[".".join(parts)] = path
    return modules


def imported_names(name, path):
    """The absolute dotted names one module imports; ``from X import y`` gives X.y.

    X.y is a module (``from alma_countme.sim.common import rand``) or a name in X
    (``from alma_countme.model import WINDOW``): :func:`import_graph` resolves
    it to the longest package module it starts with.
    """
    is_package = os.path.basename(path) == "__init__.py"
    with open(path, encoding="utf-8") as stream:
        tree = ast.parse(stream.read(), filename=path)
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[:len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module
            names.extend("{}.{}".format(source, alias.name) for alias in node.names)
    return names


def import_graph():
    """{module: set of package modules it imports} (a name resolves to the longest module it starts with)."""
    modules = package_modules()
    graph = {}
    for name, path in modules.items():
        targets = set()
        for imported in imported_names(name, path):
            parts = imported.split(".")
            for length in range(len(parts), 0, -1):
                candidate = ".".join(parts[:length])
                if candidate in modules:
                    targets.add(candidate)
                    break
        targets.discard(name)
        graph[name] = targets
    return graph


def find_cycle(graph):
    """One import cycle as a list of modules (first == last), or None."""
    state = {}  # module -> "open" while on the stack, "done" after

    def visit(module, stack):
        state[module] = "open"
        stack.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == "open":
                return stack[stack.index(target):] + [target]
            if target not in state:
                cycle = visit(target, stack)
                if cycle:
                    return cycle
        stack.pop()
        state[module] = "done"
        return None

    for module in sorted(graph):
        if module not in state:
            cycle = visit(module, [])
            if cycle:
                return cycle
    return None


def test_the_graph_sees_the_package():
    # Guards the cycle test against a graph with no edges.
    graph = import_graph()
    assert {"alma_countme.cookie", "alma_countme.settings"} <= graph["alma_countme.runtime"]  # relative
    # inside a function:
    assert "alma_countme.sim.generation.engine" in graph["alma_countme.sim.commands.generate"]
    assert "alma_countme.repotools.repotemplates" in graph["alma_countme.repotools.render_cli"]
    assert "countme_harness.chroots" in graph["countme_harness.clients"]  # from . import chroots


def test_a_cycle_is_found_and_named():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_relative_imports_resolve_within_the_package(tmp_path):
    module = tmp_path / "mod.py"
    module.write_text("from . import sibling\nfrom .. import model\n\ndef f():\n    from .x import y\n")
    assert imported_names("alma_countme.sim.mod", str(module)) == [
        "alma_countme.sim.sibling", "alma_countme.model", "alma_countme.sim.x.y"]


def test_no_import_cycles():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_no_module_over_400_lines_without_a_reason():
    oversized = []
    for path in package_modules().values():
        relative = os.path.relpath(path, TOP).replace(os.sep, "/")
        with open(path, encoding="utf-8") as stream:
            text = stream.read()
        lines = text.count("\n")
        docstring = ast.get_docstring(ast.parse(text)) or ""
        if lines > MAX_LINES and "over 400 lines" not in docstring.lower():
            oversized.append("{} ({} lines)".format(relative, lines))
    assert oversized == [], "split, or give the reason in the docstring: " + ", ".join(oversized)


# The simulator's subpackages, lowest first: each imports only from its own
# layer and those before it, so a reader can start at the bottom.
SIM_LAYERS = ("common", "config", "logs", "generation", "traffic", "reports", "commands")


def _layer(module):
    """The layer index of a module of alma_countme: -1 for the shipped top level, else by subpackage."""
    parts = module.split(".")
    if len(parts) <= 2 and not (len(parts) == 2 and parts[1] in ("sim", "repotools")):
        return ("top", -1)
    if parts[1] == "repotools":
        return ("repotools", 0)
    if len(parts) == 2 or parts[2] not in SIM_LAYERS:  # alma_countme.sim, .sim.__main__
        return ("sim", len(SIM_LAYERS))
    return ("sim", SIM_LAYERS.index(parts[2]))


def test_every_sim_module_sits_in_a_layer():
    loose = [name for name in package_modules() if name.startswith("alma_countme.sim.")
             and name.split(".")[2] not in SIM_LAYERS and name != "alma_countme.sim.__main__"]
    assert loose == [], "put these in one of %s: %s" % (", ".join(SIM_LAYERS), ", ".join(loose))


def test_imports_only_go_down():
    upward = []
    for module, targets in import_graph().items():
        if not module.startswith("alma_countme"):
            continue
        kind, level = _layer(module)
        for target in targets:
            if not target.startswith("alma_countme"):
                continue
            target_kind, target_level = _layer(target)
            if target_kind == "top":
                continue  # the shipped modules are the bottom of everything
            if kind == "top" or target_kind != kind or target_level > level:
                upward.append("%s -> %s" % (module, target))
    assert upward == [], "imports that go up or sideways: " + ", ".join(sorted(upward))
