"""Static checks of a submission's source, in the grader's process (nothing is executed).

* `defining_cells`: which code cells define which exercise function (``def learn_gate(`` or
  ``learn_gate = ...`` at the top level of the cell).
* `reference_use`: does the cell that defines an exercise reach for the package's own answer?
  ``lstm_course.learn_gate``, ``from lstm_course.gates import learn_gate``,
  ``getattr(L, "learn_gate")``, ``get_exercise("learn_gate").reference`` /
  ``.reference_source()``, ``EXERCISES[...]``, or rebinding the name to
  ``yours_or_reference(...)``. Such an exercise is marked failed with a message.

This is a heuristic (see docs/instructors.md, "Limits"): obfuscated access (``__import__``,
``importlib``, strings built at run time) passes it; the grader's run-time tripwire on the
reference functions catches the plain cases of that, and the rest is left to review.
"""

from __future__ import annotations

import ast

__all__ = ["defining_cells", "reference_use", "parse_cell"]

PACKAGE = "lstm_course"
REGISTRY_NAMES = {"EXERCISES", "get_exercise", "reference_source", "mistake_source"}


def parse_cell(source: str):
    """The cell's AST, or None when it does not parse (IPython magics are blanked first)."""
    lines = []
    for line in source.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("%", "!", "?")) or (
            stripped.endswith("?") and stripped[:1].isalpha()
        ):
            lines.append("")  # keep line numbers
        else:
            lines.append(line)
    try:
        return ast.parse("\n".join(lines))
    except (SyntaxError, ValueError):
        return None


def _top_level_names(tree) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                for n in ast.walk(t):
                    if isinstance(n, ast.Name):
                        names.add(n.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names.add((alias.asname or alias.name).split(".")[0])
    return names


def defining_cells(cells: list[str], names) -> dict[str, list[int]]:
    """{exercise name: indices (into `cells`) of the code cells that define it at top level}.

    A cell that does not parse is attributed by text (``def name(``), so that a syntax error
    in an exercise cell is reported against that exercise.
    """
    out: dict[str, list[int]] = {n: [] for n in names}
    for i, src in enumerate(cells):
        tree = parse_cell(src)
        if tree is None:
            for n in names:
                if f"def {n}(" in src or f"def {n} (" in src:
                    out[n].append(i)
            continue
        defined = _top_level_names(tree)
        for n in names:
            if n in defined:
                out[n].append(i)
    return out


def _package_aliases(trees) -> set[str]:
    """Names bound to lstm_course or one of its modules by import statements."""
    aliases = {PACKAGE}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name == PACKAGE or a.name.startswith(PACKAGE + "."):
                        aliases.add(a.asname or a.name.split(".")[0])
            elif (
                isinstance(node, ast.ImportFrom)
                and node.module
                and (node.module == PACKAGE or node.module.startswith(PACKAGE + "."))
            ):
                for a in node.names:
                    # `from lstm_course import gates, exercises` binds modules
                    if a.name in {
                        "gates",
                        "cell",
                        "sequence",
                        "exercises",
                        "checks",
                        "fused",
                        "pytorch_layout",
                        "hints",
                        "torch",
                    }:
                        aliases.add(a.asname or a.name)
    return aliases


def _root_name(node):
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.value if not isinstance(node, ast.Call) else node.func
    return node.id if isinstance(node, ast.Name) else None


def reference_use(cell_source: str, name: str, notebook_sources=()) -> str:
    """'' if fine, else a sentence saying how the cell reaches for the package's `name`."""
    tree = parse_cell(cell_source)
    if tree is None:
        return ""
    others = [t for t in (parse_cell(s) for s in notebook_sources) if t is not None]
    aliases = _package_aliases([tree, *others])
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and (node.module == PACKAGE or node.module.startswith(PACKAGE + "."))
        ):
            for a in node.names:
                if a.name == name or a.name == "*":
                    what = f"from {node.module} import {a.name}"
                    return f"the cell that defines {name} imports the package's own answer ({what})"
        if isinstance(node, ast.Attribute):
            if node.attr == name and _root_name(node.value) in aliases:
                return f"the cell that defines {name} uses the package's own {ast.unparse(node)}"
            if node.attr in {"reference", "reference_source"}:
                return (
                    f"the cell that defines {name} uses an exercise's reference "
                    f"({ast.unparse(node)})"
                )
        if isinstance(node, ast.Name) and node.id in REGISTRY_NAMES:
            return f"the cell that defines {name} uses the exercise registry ({node.id})"
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "getattr"
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value == name
            and _root_name(node.args[0]) in aliases
        ):
            return f"the cell that defines {name} uses the package's own {name} via getattr"
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            fn = node.value.func
            fname = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")
            targets = {n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
            if fname == "yours_or_reference" and name in targets:
                return (
                    f"the cell rebinds {name} to yours_or_reference(...), which may be the "
                    f"package's answer"
                )
    return ""
