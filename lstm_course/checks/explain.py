"""An exception in the learner's own terms: their line, their variables, their shapes.

Pure functions, strings and dicts in, text out (nothing here runs the learner's code):

    headline(error)                          'ValueError: matmul: ...' without NumPy's jargon
    explain(error, line, shapes, dims)       a few sentences, or '' when there is nothing to add

`error` is the outcome's 'ValueError: ...' text, `line` the learner's line ('line 3: x = ...'
or just the code), `shapes` the outcome's error_shapes ({'x': [4, 8], 'params.W_n': [8, 5],
'h': 'None', ...}) and `dims` the case's sizes ({'B': 4, 'H': 5, 'D': 3}). The line is parsed
with `ast` (tolerantly: a line cut out of a longer statement still parses most of the time)
and the shape of every sub-expression inferred from the variables' shapes, so that the
operation that failed can be named with its operands: `x @ W_n.T`, `stm * W_f`,
`np.concatenate([stm, event], axis=0)`.
"""

from __future__ import annotations

import ast
import re

__all__ = ["headline", "explain", "shape_text"]

_MATMUL = re.compile(
    r"matmul: Input operand (\d) has a mismatch in its core dimension (\d), with gufunc "
    r"signature \S+ \(size (\d+) is different from (\d+)\)"
)
_GUFUNC = re.compile(r",? with gufunc signature \S+")
_UNPACK = re.compile(r"(too many|not enough) values to unpack \(expected (\d+)(?:, got (\d+))?\)")
_LINE = re.compile(r"^line \d+:\s?")

# functions that keep their argument's shape
_SAME_SHAPE = {
    "sigmoid",
    "tanh",
    "relu",
    "exp",
    "log",
    "abs",
    "sqrt",
    "square",
    "negative",
    "copy",
    "clip",
    "tanh_prime",
    "sigmoid_prime",
    "dsigmoid",
    "dtanh",
    "maximum",
    "minimum",
    "float64",
    "asarray",
    "array",
}
_JOIN = {"concatenate", "hstack", "vstack", "column_stack", "row_stack", "stack", "concat"}
_RETURNS = {
    "lstm_cell": "(STM_t, LTM_t)",
    "lstm_forward": "(stms, (STM_T, LTM_T))",
    "lstm_cell_forward": "((STM_t, LTM_t), cache)",
}


# --------------------------------------------------------------------------- shapes and sizes


def _labels(dims: dict) -> dict:
    """size -> its unique name ('B', 'H', 'D', 'H+D', ...); sizes shared by two names drop out."""
    dims = {k: v for k, v in (dims or {}).items() if isinstance(v, int) and not isinstance(v, bool)}
    cands = dict(dims)
    if "H" in dims and "D" in dims:
        cands["H+D"] = dims["H"] + dims["D"]
    if "H" in dims and "B" not in dims:
        cands["4H"] = 4 * dims["H"]
    by_size: dict = {}
    for name, size in cands.items():
        by_size.setdefault(size, []).append(name)
    return {size: names[0] for size, names in by_size.items() if len(names) == 1}


def shape_text(shape, dims=None) -> str:
    """'(4, 8) = (B, H+D)' (just '(4, 8)' when a size has no unique name)."""
    shape = tuple(shape)
    text = repr(shape)
    labels = _labels(dims or {})
    if shape and all(n in labels for n in shape):
        names = ", ".join(labels[n] for n in shape) + ("," if len(shape) == 1 else "")
        text += f" = ({names})"
    return text


def _size_text(n, dims) -> str:
    label = _labels(dims or {}).get(n)
    return f"{label} = {n}" if label else str(n)


def _matmul(a, b):
    """np.matmul's result shape, or None when the sizes do not fit."""
    if not a or not b:
        return None
    a2 = (1,) + a if len(a) == 1 else a
    b2 = b + (1,) if len(b) == 1 else b
    if a2[-1] != b2[-2]:
        return None
    batch = _broadcast(a2[:-2], b2[:-2])
    if batch is None:
        return None
    out = batch + ((a2[-2],) if len(a) > 1 else ()) + ((b2[-1],) if len(b) > 1 else ())
    return out


def _broadcast(a, b):
    out = []
    for x, y in zip(
        reversed((1,) * (len(b) - len(a)) + a), reversed((1,) * (len(a) - len(b)) + b), strict=True
    ):
        if x != y and 1 not in (x, y):
            return None
        out.append(max(x, y) if 1 in (x, y) else x)
    return tuple(reversed(out))


# --------------------------------------------------------------------------- parsing the line


def _code(line: str) -> str:
    return _LINE.sub("", (line or "").strip()).strip()


def _parse(code: str):
    """The line as an ast.Module, tolerating a line cut out of a longer statement."""
    if not code:
        return None
    code = re.sub(r"^(?:[+*/@%]+|-(?=\s))\s*", "", code)  # a continuation line: `+ b @ W)`
    tries = [code]
    stripped = code.rstrip(",\\ ")
    tries += [stripped, stripped.rstrip(")]}"), "(" + stripped + ")"]
    if code.startswith(("return ", "if ", "elif ", "while ", "for ")):
        tries.append(code.split(" ", 1)[1].rstrip(":"))
    if re.match(r"^(def|class|with|if|elif|while|for)\b.*:$", code):
        tries.append(code + " pass")
    for src in tries:
        for text in (src, src + ")", src + "))", src + "]"):
            try:
                return ast.parse(text), text
            except (SyntaxError, ValueError):
                continue
    return None


def _name(node) -> str:
    """'np.concatenate' for a call's function, 'params.W_n' for an attribute chain."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _name(node.value)
        return f"{base}.{node.attr}" if base else ""
    return ""


def _key(node) -> str:
    """The error_shapes key of a variable-like node: 'x', 'params.W_n', "cache['x']"."""
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        base = _name(node.value)
        if base and isinstance(node.slice.value, str):
            return f"{base}[{node.slice.value!r}]"
    return _name(node)


def _int(node):
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and type(node.operand.value) is int
    ):
        return -node.operand.value
    return None


class _Infer:
    """Post-order shape inference over one line; records each operation whose shapes clash."""

    def __init__(self, src: str, shapes: dict):
        self.src = src
        self.shapes = shapes or {}
        self.failures: list = []  # (kind, node, details...)
        self.nones: list = []  # variables of the line that are None

    def text(self, node) -> str:
        try:
            seg = ast.get_source_segment(self.src, node)
        except Exception:  # noqa: BLE001
            seg = None
        if seg is None:
            try:
                seg = ast.unparse(node)
            except Exception:  # noqa: BLE001
                seg = "..."
        return " ".join(seg.split())

    def var(self, key):
        v = self.shapes.get(key)
        if isinstance(v, (list, tuple)) and all(type(n) is int for n in v):
            return tuple(v)
        if v == "None" and key not in self.nones:
            self.nones.append(key)
        if v in ("int", "float", "bool", "complex") or (
            isinstance(v, str) and v.startswith("numpy.") and v != "numpy.ndarray"
        ):
            return ()
        return None

    def visit(self, node):
        try:
            return self._visit(node)
        except RecursionError:
            return None

    def _visit(self, node):  # noqa: C901, PLR0911, PLR0912 - one case per kind of node
        if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)):
            key = _key(node)
            if key and key in self.shapes:
                return self.var(key)
            if isinstance(node, ast.Attribute):
                base = self.visit(node.value)
                if node.attr == "T" and base is not None:
                    return tuple(reversed(base))
                return None
            if isinstance(node, ast.Subscript):
                self.visit(node.value)
            return None
        if isinstance(node, ast.Constant):
            return () if isinstance(node.value, (int, float)) else None
        if isinstance(node, ast.UnaryOp):
            return self.visit(node.operand)
        if isinstance(node, ast.BinOp):
            for side in (node.left, node.right):
                if isinstance(side, (ast.List, ast.Tuple)):
                    self.failures.append(("list", node, side))
            a, b = self.visit(node.left), self.visit(node.right)
            if a is None or b is None:
                return None
            if isinstance(node.op, ast.MatMult):
                out = _matmul(a, b)
                if out is None:
                    self.failures.append(("matmul", node, node.left, node.right, a, b))
                return out
            out = _broadcast(a, b)
            if out is None:
                self.failures.append(("broadcast", node, node.left, node.right, a, b))
            return out
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, (ast.Tuple, ast.List)):
            for e in node.elts:
                self.visit(e)
            return None
        for child in ast.iter_child_nodes(node):
            self.visit(child)
        return None

    def _call(self, node):
        fname = _name(node.func)
        short = fname.rsplit(".", 1)[-1]
        args = [self.visit(a) for a in node.args]
        kw = {k.arg: k.value for k in node.keywords if k.arg}
        for k in node.keywords:
            self.visit(k.value)
        if short in _JOIN and node.args:
            if short == "concat":
                parts, axis = list(node.args), -1
            else:
                first = node.args[0]
                parts = list(first.elts) if isinstance(first, (ast.List, ast.Tuple)) else []
                axis_node = kw.get("axis", node.args[1] if len(node.args) > 1 else None)
                axis = _int(axis_node) if axis_node is not None else None
                if axis is None and axis_node is not None:
                    return None
            return self._join(node, short, parts, axis)
        if short in ("dot", "matmul") and (len(args) == 2 or isinstance(node.func, ast.Attribute)):
            if len(args) == 2 and fname.startswith(("np.", "numpy.")) or fname in ("dot", "matmul"):
                left, right, a, b = node.args[0], node.args[1], args[0], args[1]
            elif len(args) == 1 and isinstance(node.func, ast.Attribute):
                left, right, a = node.func.value, node.args[0], self.visit(node.func.value)
                b = args[0]
            else:
                return None
            if a is None or b is None:
                return None
            out = _matmul(a, b)
            if out is None:
                self.failures.append(("matmul", node, left, right, a, b))
            return out
        if short in _SAME_SHAPE and args:
            if short in ("maximum", "minimum") and len(args) == 2:
                return _broadcast(args[0], args[1]) if None not in args else None
            return args[0]
        return None

    def _join(self, node, fname, parts, axis):
        shapes = [self.visit(p) for p in parts]
        if not parts or any(s is None for s in shapes):
            return None
        if fname in ("vstack", "row_stack"):
            shapes2, ax = [s if len(s) > 1 else (1,) + s for s in shapes], 0
        elif fname == "hstack":
            ax = 0 if all(len(s) == 1 for s in shapes) else 1
            shapes2 = shapes
        elif fname == "column_stack":
            shapes2, ax = [s if len(s) > 1 else s + (1,) for s in shapes], 1
        elif fname == "stack":
            if len(set(shapes)) != 1:
                self.failures.append(("join", node, parts, shapes, axis, fname))
                return None
            nd = len(shapes[0]) + 1
            ax = axis if axis is not None else 0
            ax = ax + nd if ax < 0 else ax
            return shapes[0][:ax] + (len(shapes),) + shapes[0][ax:] if 0 <= ax < nd else None
        else:
            shapes2, ax = shapes, (0 if axis is None else axis)
        nd = len(shapes2[0])
        if any(len(s) != nd for s in shapes2) or nd == 0:
            self.failures.append(("join", node, parts, shapes, axis, fname))
            return None
        ax = ax + nd if ax < 0 else ax
        if not 0 <= ax < nd:
            self.failures.append(("join", node, parts, shapes, axis, fname))
            return None
        rest = {s[:ax] + s[ax + 1 :] for s in shapes2}
        if len(rest) != 1:
            self.failures.append(("join", node, parts, shapes, axis, fname))
            return None
        size = sum(s[ax] for s in shapes2)
        return shapes2[0][:ax] + (size,) + shapes2[0][ax + 1 :]


# --------------------------------------------------------------------------- the texts


def headline(error: str) -> str:
    """The exception's text without NumPy's internals (gufunc signatures)."""
    error = error or ""
    m = _MATMUL.search(error)
    if m:
        op, dim, got, other = m.groups()
        plain = (
            "the sizes around @ do not fit"
            if (op, dim) == ("1", "0")
            else (f"the sizes around @ do not fit ({got} and {other})")
        )
        return error[: m.start()] + plain + error[m.end() :]
    error = _GUFUNC.sub("", error)
    if "could not be broadcast together with shapes" in error:
        error = error.rstrip()
    return error


def _matmul_text(inf, node, left, right, a, b, dims) -> str:
    lt, rt = inf.text(left), inf.text(right)
    what = f"{lt} @ {rt}" if isinstance(node, ast.BinOp) else inf.text(node)
    text = (
        f"In `{what}`, {lt} has shape {shape_text(a, dims)} and {rt} has shape "
        f"{shape_text(b, dims)}. `@` needs the left operand's last size to equal the right "
        f"operand's first size; here they are {_size_text(a[-1], dims)} and "
        f"{_size_text(b[0] if len(b) == 1 else b[-2], dims)}."
    )
    labels = _labels(dims)
    lesson = " In the lesson the batch is in the rows: [STM, E] @ W, (B, H+D) @ (H+D, H) -> (B, H)."
    lesson = lesson if "B" in (dims or {}) else ""
    if isinstance(right, ast.Attribute) and right.attr == "T":
        base = tuple(reversed(b))
        if _matmul(a, base) is not None:
            bt = inf.text(right.value)
            return text + (
                f"\n{bt} itself has shape {shape_text(base, dims)}, which already fits: "
                f"drop the .T and write `{lt} @ {bt}` ({bt}.T has shape {shape_text(b, dims)})."
            )
    if isinstance(left, ast.Attribute) and left.attr == "T":
        base = tuple(reversed(a))
        if _matmul(base, b) is not None:
            bt = inf.text(left.value)
            return text + f"\n{bt} itself already fits: drop the .T and write `{bt} @ {rt}`."
    partial = labels.get(a[-1]) in ("H", "D")
    if len(a) == 2 and len(b) == 2 and labels.get(b[-2]) == "H+D" and partial:
        which = "H columns (the STM alone?)" if labels[a[-1]] == "H" else "D columns (E alone?)"
        return text + (
            f"\n{lt} has {which}, but {rt} expects H+D = {b[-2]} rows: multiply the "
            "concatenation [STM, E] = np.concatenate([stm, event], axis=-1), shape (B, H+D)."
        )
    if len(a) == 2 and len(b) == 2 and _matmul(b, a) is not None:
        return text + (
            f"\nThe other order fits: `{rt} @ {lt}` gives {shape_text(_matmul(b, a), dims)}."
            + lesson
        )
    if len(b) == 2 and _matmul(a, tuple(reversed(b))) is not None:
        return text + (
            f"\n`{lt} @ {rt}.T` would fit: is {rt} stored the other way round? "
            "The lesson's weights have shape (H+D, H) and multiply [STM, E] from the right."
        )
    return text + lesson


def _broadcast_text(inf, node, left, right, a, b, dims) -> str:
    sym = {ast.Mult: "*", ast.Add: "+", ast.Sub: "-", ast.Div: "/", ast.Pow: "**"}.get(
        type(node.op), "an elementwise operation"
    )
    lt, rt = inf.text(left), inf.text(right)
    text = (
        f"In `{inf.text(node)}`, {lt} has shape {shape_text(a, dims)} and {rt} has shape "
        f"{shape_text(b, dims)}. `{sym}` works entry by entry: it needs equal shapes "
        "(or shapes that broadcast, such as (B, H) and (H,))."
    )
    product = _matmul(a, b)
    if sym == "*" and product is not None:
        text += (
            f"\nDid you mean `@`, the matrix product? `{lt} @ {rt}` gives shape "
            f"{shape_text(product, dims)}."
        )
    elif sym == "+" and product is not None:
        text += (
            f"\nA weight is multiplied with `@`, not added: `{lt} @ {rt}` gives shape "
            f"{shape_text(product, dims)}."
        )
    return text


def _join_text(inf, node, parts, shapes, axis, fname, dims) -> str:
    call = inf.text(node)
    listed = ", ".join(
        f"{inf.text(p)} {shape_text(s, dims)}" for p, s in zip(parts, shapes, strict=True)
    )
    fix = "np.concatenate([stm, event], axis=-1)"
    if fname == "stack":
        return (
            f"`{call}` puts its arrays along a NEW axis and needs equal shapes: {listed}. "
            f"To join [STM, E] side by side use {fix}: shape (B, H+D)."
        )
    if len({len(s) for s in shapes}) > 1:
        return (
            f"`{call}` joins arrays with the same number of axes, but got {listed}. "
            "Keep every array 2-D, (B, ...), with the batch on axis 0."
        )
    nd = len(shapes[0])
    along = (
        0 if fname in ("vstack", "row_stack") or (fname == "concatenate" and axis is None) else axis
    )
    if along is not None and not -nd <= along < nd:
        return (
            f"`{call}`: these arrays have {nd} axes, numbered 0 to {nd - 1} (or -1 for the "
            f"last), so axis={along} does not exist. Join along the last axis, axis=-1."
        )
    why = "" if fname != "concatenate" or axis is not None else " (np.concatenate's default)"
    if along is not None and along % nd == 0 and nd >= 2:
        return (
            f"`{call}` joins along axis 0{why}, the batch, stacking rows: {listed} would need "
            "the same number of columns. Join along the last axis, axis=-1: "
            f"{fix} has shape (B, H+D)."
        )
    return f"`{call}` joins along axis {along}, so the arrays' other sizes must match: {listed}."


def _unpack_text(inf, tree, error, dims) -> str:
    m = _UNPACK.search(error)
    assign = next((n for n in ast.walk(tree) if isinstance(n, (ast.Assign, ast.For))), None)
    if assign is None:
        return ""
    target = assign.targets[0] if isinstance(assign, ast.Assign) else assign.target
    value = assign.value if isinstance(assign, ast.Assign) else assign.iter
    if not isinstance(target, (ast.Tuple, ast.List)):
        return ""
    n = len(target.elts)
    rhs = inf.text(value)
    names = inf.text(target)
    if "non-iterable NoneType" in error:
        return (
            f"`{rhs}` is None, so there is nothing to unpack into {names}: does the function "
            "it comes from end with a `return`?"
        )
    if not m:
        return ""
    got = (
        f" gives {m.group(3)} values"
        if m.group(3)
        else (" gives more values" if m.group(1) == "too many" else " gives fewer values")
    )
    shape = inf.visit(value)
    if shape:
        return (
            f"`{rhs}` is an array of shape {shape_text(shape, dims)}: unpacking an array splits "
            f"it along axis 0 (the batch), into {shape[0]} rows, not into the {n} names of "
            f"`{names}`."
        )
    text = f"`{rhs}`{got}, but `{names}` has {n} names."
    v = inf.shapes.get(_key(value))
    if isinstance(v, str) and v.startswith(("tuple of", "list of")):
        text = f"`{rhs}` is a {v}, but `{names}` has {n} names."
    if isinstance(value, ast.Call):
        fname = _name(value.func).rsplit(".", 1)[-1]
        ret = _RETURNS.get(fname)
        text += f" Check what {fname or 'the call'} returns" + (
            f": {fname} returns {ret}." if ret else " (a tuple of a different length?)."
        )
    return text


def _none_text(inf, tree) -> str:
    if inf.nones:
        who = inf.nones[0]
        text = f"`{who}` is None here."
        if who.rsplit(".", 1)[-1] in ("W_u", "b_u"):
            text += " The standard variant's parameters have no W_u, b_u (they are None)."
        else:
            text += (
                " A variable is None when it holds the result of a function without a "
                "`return` (or was set to None)."
            )
        return text
    calls = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            fname = _name(node.func)
            if fname and not fname.startswith(("np.", "numpy.")) and fname not in calls:
                calls.append(fname)
    text = (
        "Something on this line is None: most often the result of a function that has no "
        "`return` (it computes a value but does not return it)."
    )
    if calls:
        text += " Called here: " + ", ".join(f"{c}(...)" for c in calls) + "; does each return?"
    return text


def explain(error: str, line: str, shapes=None, dims=None) -> str:
    """A few sentences on what went wrong, in the learner's terms ('' when nothing to add).

    Never raises: a line or an error it cannot read gives ''.
    """
    try:
        return _explain(error or "", line or "", shapes or {}, dims or {})
    except Exception:  # noqa: BLE001 - an explanation is optional
        return ""


def _explain(error, line, shapes, dims) -> str:  # noqa: C901, PLR0911, PLR0912
    kind, _, message = error.partition(": ")
    code = _code(line)
    parsed = _parse(code)
    inf = tree = None
    if parsed is not None:
        tree, src = parsed
        inf = _Infer(src, shapes)
        inf.visit(tree)

    def first(*kinds):
        return next((f for f in inf.failures if f[0] in kinds), None) if inf else None

    f = first("list")
    if f and re.search(r"inhomogeneous|sequence|matmul|broadcast|not aligned|operand", message):
        items = inf.text(f[2])
        return (
            f"`{items}` is a Python list of arrays, not one joined array: NumPy turns it into "
            "a stack of arrays (or fails when their shapes differ). Join [STM, E] with "
            "np.concatenate([stm, event], axis=-1), shape (B, H+D)."
        )
    if "matmul" in message or "not aligned" in message:
        f = first("matmul")
        if f:
            return _matmul_text(inf, *f[1:], dims)
        m = _MATMUL.search(message)
        lesson = "`@` needs the left operand's last size to equal the right operand's first size"
        if m and (m.group(1), m.group(2)) == ("1", "0"):
            lesson += (
                f"; here they are {_size_text(int(m.group(4)), dims)} and "
                f"{_size_text(int(m.group(3)), dims)}"
            )
        return lesson + (
            ". In the lesson the batch is in the rows: [STM, E] @ W, (B, H+D) @ (H+D, H) -> (B, H)."
        )
    if "could not be broadcast" in message:
        f = first("broadcast")
        if f:
            return _broadcast_text(inf, *f[1:], dims)
        return (
            "An elementwise operation (+, -, *, /) got arrays whose shapes differ: it needs "
            "equal shapes (or shapes that broadcast, such as (B, H) and (H,)). A product of a "
            "batch with a weight is `@`, not `*`."
        )
    if (
        "concatenation axis" in message
        or "same number of dimensions" in message
        or "must have the same shape" in message
        or kind == "AxisError"
        or "out of bounds for array of dimension" in message
    ):
        f = first("join")
        if f:
            return _join_text(inf, *f[1:], dims)
        if "concatenation axis" in message:
            return (
                "The arrays being joined differ in a size other than the joining axis: "
                "[STM, E] joins (B, H) and (B, D) along the last axis, "
                "np.concatenate([stm, event], axis=-1), giving (B, H+D); axis 0 is the batch."
            )
        if "out of bounds for array of dimension" in message:
            return "Arrays here are 2-D, (B, ...): axis 0 is the batch, axis -1 the last."
        return ""
    if "values to unpack" in message or "cannot unpack non-iterable" in message:
        return _unpack_text(inf, tree, message, dims) if tree is not None else ""
    if "NoneType" in message:
        return _none_text(inf, tree) if tree is not None else ""
    if kind == "NameError":
        m = re.search(r"name '(\w+)' is not defined", message)
        if m:
            name = m.group(1)
            text = (
                f"`{name}` does not exist when your function runs: run the cell that "
                "defines or imports it first (check its spelling too)."
            )
            if name in ("sigmoid", "tanh", "concat"):
                text += f" The package has one: from lstm_course import {name}."
            return text
        return ""
    if (
        code
        and kind == "TypeError"
        and re.search(
            r"positional arguments? but \d+ (were|was) given|missing \d+ required|"
            r"unexpected keyword argument",
            message,
        )
    ):
        return (
            "A call on this line does not match the called function's parameters: compare "
            "its arguments, one by one and in order, with that function's `def` line."
        )
    return ""
