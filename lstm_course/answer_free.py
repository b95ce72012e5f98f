"""The answer-free build: a copy of the package in which every marked body is a stub.

The package writes each graded function once, its teachable body between ``# BEGIN
SOLUTION`` and ``# END SOLUTION`` (see lstm_course.exercises.base); so do the other functions
that compute an answer (the cell's forward with its cache, for instance). The same markers
that make the student notebooks (lstm_course.release) make this build: each region becomes

    # YOUR CODE HERE
    raise NotImplementedError("not attempted yet: replace this line with your code")

so a kernel that imports the build has no code path that computes a graded answer, while
everything around the answers (validation, plotting, the checks' cases) still works. The
exercise registry still imports (an exercise whose function is a stub has no body, and the
known mistakes, text edits of the answers, are marked too: the build has none).

Functions that compute an answer without holding a marked region (the fused path, the PyTorch
module's forward, the gate readouts) say so themselves, on the line above their ``def``:

    # ANSWER-FREE STUB: it computes a graded answer; the answer-free build stubs its body

and their whole body after the docstring becomes ``raise NotImplementedError`` (there is no
list to keep: `stubbed_functions` finds the marks). The batch grader's sandbox imports this
build (lstm_course.grading.sandbox).

    lstm-course build-answer-free OUT_DIR      # OUT_DIR/lstm_course, importable from OUT_DIR
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

from .release import BEGIN, END, STUB_MESSAGE, strip_solution_source

__all__ = [
    "PACKAGE_DIR",
    "STUB_MARK",
    "marked_functions",
    "stubbed_functions",
    "handed_over",
    "build_answer_free",
]

PACKAGE_DIR = Path(__file__).resolve().parent

# The line above the def of a function that computes an answer without a marked region.
STUB_MARK = "# ANSWER-FREE STUB"
STUBBED_MESSAGE = "not available in the grading kernel (answer-free build)"


def marked_functions(package_dir=PACKAGE_DIR) -> list[tuple[str, str]]:
    """(module, function name) of every top-level function that holds a marked region."""
    out = []
    for path in sorted(Path(package_dir).rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if "BEGIN SOLUTION" not in text:
            continue
        rel = path.relative_to(Path(package_dir).parent).with_suffix("")
        module = ".".join(rel.parts).removesuffix(".__init__")
        lines = text.splitlines()
        for node in ast.parse(text).body:
            if isinstance(node, ast.FunctionDef):
                body = lines[node.lineno - 1 : node.end_lineno]
                if any(BEGIN.match(line) for line in body):
                    out.append((module, node.name))
    return out


def _stub_marked(text: str) -> list[str]:
    """Qualified names of the functions (methods too) of one source whose def line, or first
    decorator, has STUB_MARK on the line above it."""
    lines = text.splitlines()
    found = []

    def visit(nodes, prefix):
        for node in nodes:
            if isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.")
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                if first >= 2 and lines[first - 2].strip().startswith(STUB_MARK):
                    found.append(prefix + node.name)

    visit(ast.parse(text).body, "")
    return found


def _stubbed_by_file(package_dir=PACKAGE_DIR) -> dict[str, list[str]]:
    """File relative to the package -> the qualified names marked STUB_MARK in it."""
    out = {}
    for path in sorted(Path(package_dir).rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if STUB_MARK in text:
            names = _stub_marked(text)
            if names:
                out[path.relative_to(package_dir).as_posix()] = names
    return out


def stubbed_functions(package_dir=PACKAGE_DIR) -> list[tuple[str, str]]:
    """(module, qualified name) of every function marked STUB_MARK."""
    out = []
    for rel, names in _stubbed_by_file(package_dir).items():
        module = "lstm_course." + rel.removesuffix(".py").replace("/", ".")
        out.extend((module.removesuffix(".__init__"), q) for q in names)
    return out


def _find_function(tree, qualname: str):
    nodes, found = tree.body, None
    for part in qualname.split("."):
        found = next(
            (
                n
                for n in nodes
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                and n.name == part
            ),
            None,
        )
        if found is None:
            return None
        nodes = found.body
    return found if isinstance(found, (ast.FunctionDef, ast.AsyncFunctionDef)) else None


def stub_functions(text: str, qualnames, where: str = "file") -> str:
    """The source with each named function's body (after its docstring) replaced by a raise."""
    lines = text.splitlines()
    tree = ast.parse(text)
    spans = []
    for qualname in qualnames:
        node = _find_function(tree, qualname)
        if node is None:
            raise ValueError(f"answer-free build: {where} has no function {qualname}")
        body = node.body
        if (
            body
            and isinstance(body[0], ast.Expr)
            and isinstance(getattr(body[0], "value", None), ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            body = body[1:]
        if not body:
            continue
        first = body[0].lineno
        if hasattr(body[0], "decorator_list") and body[0].decorator_list:
            first = body[0].decorator_list[0].lineno
        indent = lines[first - 1][: len(lines[first - 1]) - len(lines[first - 1].lstrip())]
        spans.append(
            (first, node.end_lineno, f'{indent}raise NotImplementedError("{STUBBED_MESSAGE}")')
        )
    for first, last, stub in sorted(spans, reverse=True):
        lines[first - 1 : last] = [stub]
    return "\n".join(lines) + ("\n" if text.endswith("\n") else "")


def _stub_regions(text: str, keep=frozenset()) -> str:
    """Every marked region replaced by the stub, as in the student notebooks (markers gone:
    lstm_course.exercises.base.is_stub recognizes it), except in the top-level functions
    named in `keep`, which stay as they are."""
    kept_lines = set()
    if keep:
        for node in ast.parse(text).body:
            if isinstance(node, ast.FunctionDef) and node.name in keep:
                kept_lines.update(range(node.lineno, node.end_lineno + 1))
    out, inside = [], False
    for lineno, line in enumerate(text.splitlines(), 1):
        if lineno in kept_lines:
            out.append(line)
        elif m := BEGIN.match(line):
            inside = True
            out.append(f"{m['indent']}# YOUR CODE HERE")
            if m["indent"]:  # a function's body (a module-level region just goes)
                out.append(f'{m["indent"]}raise NotImplementedError("{STUB_MESSAGE}")')
        elif END.match(line) and inside:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def handed_over(lesson: str | None) -> set[str]:
    """Names of the answer-computing package functions a lesson's exercises build on (the
    lesson hands them over: lesson 05's lstm_cell calls the package's gates), found through the
    answers' calls, transitively, less the lesson's own exercises. Empty for no lesson."""
    import ast as _ast

    from .exercises import EXERCISES

    if not lesson:
        return set()
    bodies = {name: ex.body for name, ex in EXERCISES.items()}
    own = {name for name, ex in EXERCISES.items() if ex.notebook == lesson}
    computing = {name for _, name in marked_functions()} | {
        q.rsplit(".", 1)[-1] for _, q in stubbed_functions()
    }
    seen, todo = set(), list(own)
    while todo:
        body = bodies.get(todo.pop())
        if body is None:
            continue
        for n in _ast.walk(_ast.parse(body)):
            if isinstance(n, _ast.Call) and isinstance(n.func, _ast.Name):
                name = n.func.id
                if name not in seen:
                    seen.add(name)
                    todo.append(name)
    return (seen & computing) - own


def build_answer_free(out_dir, package_dir=PACKAGE_DIR, keep=()) -> Path:
    """Copy the package to out_dir/lstm_course with every marked region stubbed, except in the
    functions named in `keep` (see handed_over). Returns it."""
    keep = frozenset(keep)
    target = Path(out_dir) / "lstm_course"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(
        package_dir, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo")
    )
    by_file: dict[str, list[str]] = {}
    for rel, names in _stubbed_by_file(package_dir).items():
        for qualname in names:
            if qualname.rsplit(".", 1)[-1] not in keep:
                by_file.setdefault(rel, []).append(qualname)
    for path in sorted(target.rglob("*.py")):
        rel = path.relative_to(target).as_posix()
        text = original = path.read_text(encoding="utf-8")
        if "BEGIN SOLUTION" in text:
            strip_solution_source(text, rel)  # raises MarkerError on unbalanced markers
            text = _stub_regions(text, keep)
        if rel in by_file:
            text = stub_functions(text, by_file.pop(rel), rel)
        if text != original:
            path.write_text(text, encoding="utf-8")
    if by_file:
        raise ValueError(f"answer-free build: no such file(s) {sorted(by_file)}")
    return target
