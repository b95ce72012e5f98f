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
import functools
import inspect
import re
import textwrap

__all__ = ["headline", "explain", "shape_text", "argument_slips", "wrong_shape", "course_signature"]

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
_REDUCE = {"sum", "mean", "max", "min", "prod"}
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


def _parse_source(source: str):
    """The learner's source as an ast.Module (None when it does not parse)."""
    try:
        return ast.parse(textwrap.dedent(source or ""))
    except (SyntaxError, ValueError):
        return None


def _flat(node) -> str:
    """The node's source on one line, its whitespace collapsed: what a message quotes."""
    return " ".join(ast.unparse(node).split())


def _parse(code: str):
    """The line as an ast.Module, tolerating a line cut out of a longer statement."""
    if not code:
        return None
    code = re.sub(r"^(?:[+*/@%]+|-(?=\s))\s*", "", code)  # a continuation line: `+ b @ W)`
    tries = [code]
    stripped = code.rstrip(",\\ ")
    tries += [stripped, stripped.rstrip(")]}"), "(" + stripped + ")"]
    item = re.match(r"^[\"'][^\"']*[\"']\s*:\s*(.+)$", stripped)  # a dict's item: `"k": a @ b}`
    if item:
        tries.append(item.group(1).rstrip(",)]} "))
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


def _int_value(node, inf):
    """An index or a slice bound as an int: a constant, a size name such as H (its value in
    this case), or a sum/difference of those; None when unknown."""
    n = _int(node)
    if n is not None:
        return n
    if isinstance(node, ast.Name) and inf.shapes.get(node.id) == "int" and node.id in inf.dims:
        return inf.dims[node.id]
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        a, b = _int_value(node.left, inf), _int_value(node.right, inf)
        if a is not None and b is not None:
            return a + b if isinstance(node.op, ast.Add) else a - b
    return None


def _is_scalar_index(node, inf) -> bool:
    if _int(node) is not None:
        return True
    if isinstance(node, (ast.Name, ast.Attribute)):
        return inf.shapes.get(_key(node)) == "int"
    return isinstance(node, ast.BinOp) and _int_value(node, inf) is not None


def _index(shape, index, inf):
    """The shape of array[index] for ints and basic slices (None when unknown)."""
    items = list(index.elts) if isinstance(index, ast.Tuple) else [index]
    if len(items) > len(shape):
        return None
    out = []
    for axis, item in enumerate(items):
        if isinstance(item, ast.Slice):
            bounds = [
                _int_value(b, inf) if b is not None else None
                for b in (item.lower, item.upper, item.step)
            ]
            if any(
                b is None and v is not None
                for b, v in zip(bounds, (item.lower, item.upper, item.step), strict=True)
            ):
                return None
            out.append(len(range(shape[axis])[slice(*bounds)]))
        elif _is_scalar_index(item, inf):
            continue
        else:
            return None
    return tuple(out) + tuple(shape[len(items) :])


class _Infer:
    """Post-order shape inference over one line; records each operation whose shapes clash."""

    def __init__(self, src: str, shapes: dict, dims=None, matmul_sizes=None, source=""):
        self.src = src
        self.source = source  # the learner's whole function, for the definitions of names
        self.shapes = shapes or {}
        self.dims = dims or {}
        self.matmul_sizes = matmul_sizes  # (left's last size, right's first size) from the error
        self.failures: list = []  # (kind, node, details...)
        self.nones: list = []  # variables of the line that are None
        self.choices: dict = {}  # id(node) -> the shapes a getattr(p, "W_" + k) can have

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
                base = self.visit(node.value)
                return _index(base, node.slice, self) if base is not None else None
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
            if isinstance(node.op, ast.MatMult) and self.matmul_sizes:
                a = a if a is not None else self._choose(node.left, -1, self.matmul_sizes[0])
                b = b if b is not None else self._choose(node.right, -2, self.matmul_sizes[1])
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

    def _choose(self, node, axis, size):
        """The one shape a getattr(...) can have whose `axis` has the size the error names."""
        fits = {c for c in self.choices.get(id(node), ()) if len(c) == 2 and c[axis] == size}
        return fits.pop() if len(fits) == 1 else None

    def _getattr(self, node):
        """getattr(p, "W_" + k): the shape shared by every field of p with that prefix."""
        if len(node.args) < 2:
            return None
        base, attr = _name(node.args[0]), node.args[1]
        prefix = None
        if isinstance(attr, ast.Constant) and isinstance(attr.value, str):
            key = f"{base}.{attr.value}"
            return self.var(key) if key in self.shapes else None
        if isinstance(attr, ast.BinOp) and isinstance(attr.op, ast.Add):
            if isinstance(attr.left, ast.Constant) and isinstance(attr.left.value, str):
                prefix = attr.left.value
        elif isinstance(attr, ast.JoinedStr) and attr.values:
            first = attr.values[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                prefix = first.value
        if not base or prefix is None:
            return None
        found = {
            self.var(k)
            for k in self.shapes
            if k.startswith(f"{base}.{prefix}") and self.var(k) is not None
        }
        self.choices[id(node)] = found
        return found.pop() if len(found) == 1 else None

    def _call(self, node):
        fname = _name(node.func)
        short = fname.rsplit(".", 1)[-1]
        if fname == "getattr":
            return self._getattr(node)
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
        if short in _REDUCE and isinstance(node.func, ast.Attribute):
            return self._reduce(node, fname, args, kw)
        if short in _SAME_SHAPE and args:
            if short in ("maximum", "minimum") and len(args) == 2:
                return _broadcast(args[0], args[1]) if None not in args else None
            return args[0]
        return None

    def _reduce(self, node, fname, args, kw):
        """x.sum(axis=k), np.sum(x, axis=k) (mean, max, ...): x's shape without axis k."""
        method = not fname.startswith(("np.", "numpy."))
        base = self.visit(node.func.value) if method else (args[0] if args else None)
        rest = node.args if method else node.args[1:]
        axis_node = kw.get("axis", rest[0] if rest else None)
        if base is None or kw.get("keepdims") is not None:
            return None
        if axis_node is None:
            return ()
        axis = _int(axis_node)
        if axis is None or not -len(base) <= axis < len(base):
            return None
        axis %= len(base)
        return base[:axis] + base[axis + 1 :]

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


def _axes_text(shape, dims) -> str:
    """'(B, H+D)' when every size has one name here, else the numbers '(4, 8)'."""
    labels = _labels(dims)
    if shape and all(n in labels for n in shape):
        return _sym_text(tuple(labels[n] for n in shape))
    return repr(tuple(shape))


# --------------------------------------------------------------------------- roles of operands

_WEIGHT_ROLE = re.compile(r"^(W(_\w+)?|weight\w*)$")
_NOT_GRADIENT = {"data", "dims", "dot", "dtype", "default", "dt", "d"}


def _bare_node(node):
    """(the operand without a trailing .T, whether it had one)."""
    if isinstance(node, ast.Attribute) and node.attr == "T":
        return node.value, True
    return node, False


def _role(node) -> str:
    """'weight', 'gradient' or 'value': what an operand is, read from its lesson name
    (W_f, p.W_u, getattr(p, "W_" + k), weight_ih; da_u, dstm; anything else)."""
    node, _ = _bare_node(node)
    if isinstance(node, ast.Call) and _name(node.func) == "getattr" and len(node.args) == 2:
        attr = node.args[1]
        first = attr.left if isinstance(attr, ast.BinOp) else attr
        if isinstance(first, ast.JoinedStr) and first.values:
            first = first.values[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return "weight" if _WEIGHT_ROLE.match(first.value + "x") else "value"
        return "value"
    name = _lesson_name(node)
    if _WEIGHT_ROLE.match(name):
        return "weight"
    if re.match(r"^d[A-Za-z]", name) and name not in _NOT_GRADIENT:
        return "gradient"
    return "value"


def _target_name(tree) -> str:
    """The lesson name the line assigns to: 'dW_u' for `dW_u = ...`, 'W_' for
    `grads["W_" + k] = ...`, 'f_t' for `f_t = ...` ('' when the line assigns nothing)."""
    assign = next((n for n in ast.walk(tree) if isinstance(n, (ast.Assign, ast.AugAssign))), None)
    if assign is None:
        return ""
    target = assign.targets[0] if isinstance(assign, ast.Assign) else assign.target
    if isinstance(target, ast.Subscript):
        key = target.slice
        if isinstance(key, ast.BinOp) and isinstance(key.left, ast.Constant):
            key = key.left
        if isinstance(key, ast.JoinedStr) and key.values:
            key = key.values[0]
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            return key.value
        return ""
    return _lesson_name(target)


def _weight_gradient_line(target, function) -> bool:
    """Whether the line computes a weight's gradient (dW_u = ..., grads["W_" + k] = ...)."""
    backward = function.endswith("_backward") or target.startswith("d")
    return backward and bool(re.match(r"^(dW|W_|W$)", target))


@functools.lru_cache(maxsize=1)
def _lesson_products() -> dict:
    """weight's lesson name -> [(exercise, the lesson's product, the input's definition)]
    read off the package's answers: 'W_u' -> [('use_gate', 'forget_out @ W_u', '')],
    'W_f' -> [('forget_gate', 'x @ W_f', 'x = concat(stm, event)')], ..."""
    try:
        from ..exercises import EXERCISES  # noqa: PLC0415 - judge side only
    except Exception:  # noqa: BLE001
        return {}
    out: dict = {}
    for name, ex in EXERCISES.items():
        try:
            source = ex.reference_source()
            tree = ast.parse(textwrap.dedent(source)) if source else None
        except Exception:  # noqa: BLE001 - an answer that cannot be read adds nothing
            continue
        if tree is None:
            continue
        defs = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                t = node.targets[0]
                if isinstance(t, ast.Name) and t.id not in defs:
                    defs[t.id] = _flat(node)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult)):
                continue
            right, transposed = _bare_node(node.right)
            if transposed or _role(right) != "weight" or _role(node.left) == "gradient":
                continue
            w = _lesson_name(right)
            left = node.left
            defined = defs.get(left.id, "") if isinstance(left, ast.Name) else ""
            product = _flat(node)
            out.setdefault(w, []).append((name, product, defined))
    return out


def _lesson_product(weight, function) -> str:
    """'in the lesson `x @ W_f` (x = concat(stm, event))' for a weight's lesson name."""
    found = _lesson_products().get(weight, [])
    own = [f for f in found if f[0] == function]
    if not own and len({(p, d) for _, p, d in found}) != 1:
        return ""
    _, product, defined = (own or found)[0]
    return f"`{product}`" + (f" (with `{defined}`)" if defined else "")


def _weights_taking(inf, size, dims, but=""):
    """The weights among the line's variables whose rows number `size` (their keys)."""
    out = []
    for key, v in inf.shapes.items():
        short = key.rsplit(".", 1)[-1]
        if key == but or short == but.rsplit(".", 1)[-1] or not _WEIGHT_ROLE.match(short):
            continue
        if isinstance(v, (list, tuple)) and len(v) == 2 and v[0] == size:
            out.append(key)
    return out


def _matmul_text(inf, node, left, right, a, b, dims, function="", target="") -> str:
    lt, rt = inf.text(left), inf.text(right)
    what = f"{lt} @ {rt}" if isinstance(node, ast.BinOp) else inf.text(node)
    text = (
        f"In `{what}`, {lt} has shape {shape_text(a, dims)} and {rt} has shape "
        f"{shape_text(b, dims)}. `@` needs the left operand's last size to equal the right "
        f"operand's first size; here they are {_size_text(a[-1], dims)} and "
        f"{_size_text(b[0] if len(b) == 1 else b[-2], dims)}."
    )
    if len(a) != 2 or len(b) != 2:
        return text
    return text + _matmul_advice(inf, left, right, a, b, dims, function, target)


def _matmul_advice(inf, left, right, a, b, dims, function, target) -> str:
    """What to write instead, given only when the operands' roles (a weight, an input, a
    gradient, read from their lesson names) make the fix the lesson's form and the fix's
    sizes fit ('' otherwise)."""
    (lb, l_t), (rb, r_t) = _bare_node(left), _bare_node(right)
    la = tuple(reversed(a)) if l_t else a  # the operands' own shapes, without the .T
    ra = tuple(reversed(b)) if r_t else b
    lr, rr = _role(left), _role(right)
    if "weight" not in (lr, rr):
        return _no_weight_advice(inf, (lb, la, lr), (rb, ra, rr), dims, function, target)
    if lr == rr:
        return ""
    w_left = lr == "weight"
    (w, ws, w_t), (x, xs, x_t) = (
        ((lb, la, l_t), (rb, ra, r_t)) if w_left else ((rb, ra, r_t), (lb, la, l_t))
    )
    wt, xt = inf.text(w), inf.text(x)
    backward = (rr if w_left else lr) == "gradient" or function.endswith("_backward")
    if backward:
        out = _matmul(xs, ws[::-1])
        if _weight_gradient_line(target, function) or out is None:
            return ""
        return (
            f"\nGoing back through `x @ W`, the gradient of x is `da @ W.T`: `{xt} @ {wt}.T` "
            f"is {_axes_text(xs, dims)} @ {_axes_text(ws[::-1], dims)} = {_axes_text(out, dims)}."
        )
    out = _matmul(xs, ws)
    if out is not None:
        if w_left:
            return (
                f"\nIn the lesson the input is on the left and the weight on the right: "
                f"`{xt} @ {wt}`, {_axes_text(xs, dims)} @ {_axes_text(ws, dims)} = "
                f"{_axes_text(out, dims)}, the batch in the rows."
            )
        if w_t:
            return (
                f"\n{wt} itself has shape {shape_text(ws, dims)}, which already fits: "
                f"drop the .T and write `{xt} @ {wt}` ({wt}.T has shape {shape_text(b, dims)})."
            )
        if x_t:
            return f"\n{xt} itself already fits: drop the .T and write `{xt} @ {wt}`."
        return ""
    pytorch = _labels(dims).get(ws[-1]) != "H"  # the lesson's weights are (in, H)
    if not w_left and not w_t and pytorch and _matmul(xs, ws[::-1]) is not None:
        return (
            f"\n`{xt} @ {wt}.T` would fit: is {wt} stored the other way round? The lesson's "
            "weights have shape (in, out), e.g. (H+D, H), and multiply the input from the right."
        )
    return _rows_text(inf, w, ws, x, xs, dims, function)


def _rows_text(inf, w, ws, x, xs, dims, function) -> str:
    """A weight given another input than its own: the input its rows take (the lesson's
    product, from the package's answers) and the weights the given input's size fits."""
    wt, xt = inf.text(w), inf.text(x)
    labels = _labels(dims)
    lesson = _lesson_product(_lesson_name(w), function)
    text = f"\n{wt} has {_size_text(ws[0], dims)} rows: it takes an input with {ws[0]} columns" + (
        f"; in the lesson {lesson}." if lesson else "."
    )
    others = _weights_taking(inf, xs[-1], dims, but=_key(w))
    text += f" {xt} has {_size_text(xs[-1], dims)} columns" + (
        ", like the rows of " + " and ".join(others[:3]) + "." if others else "."
    )
    if not others:
        theirs = [
            product
            for weight, found in _lesson_products().items()
            for name, product, _ in found
            if name == function and weight != _lesson_name(w) and product.startswith(xt + " @ ")
        ]
        if theirs:
            text += (
                " In the lesson it is multiplied in " + ", ".join(f"`{t}`" for t in theirs) + "."
            )
    lesson_concat = not lesson or "concat(stm, event)" in lesson
    if labels.get(xs[-1]) in ("H", "D") and labels.get(ws[0]) == "H+D" and lesson_concat:
        text += (
            " Multiply the concatenation [STM, E] = np.concatenate([stm, event], axis=-1), "
            "shape (B, H+D)."
        )
    return text


def _no_weight_advice(inf, left, right, dims, function, target) -> str:
    """A matrix product of two lesson quantities, neither a weight: a weight's gradient is
    input.T @ gradient; two quantities of one shape combine entry by entry."""
    (lb, la, lr), (rb, ra, rr) = left, right
    lt, rt = inf.text(lb), inf.text(rb)
    if _weight_gradient_line(target, function):
        if {lr, rr} != {"value", "gradient"}:
            return ""
        (inp, i_s), (grad, g_s) = ((lt, la), (rt, ra)) if lr == "value" else ((rt, ra), (lt, la))
        out = _matmul(i_s[::-1], g_s)
        if out is None:
            return ""
        return (
            f"\nA weight's gradient is `input.T @ d(pre-activation)`, shaped like the weight "
            f"(in, out): `{inp}.T @ {grad}` is {_axes_text(i_s[::-1], dims)} @ "
            f"{_axes_text(g_s, dims)} = {_axes_text(out, dims)}."
        )
    if la == ra:
        return (
            f"\n{lt} and {rt} have the same shape {shape_text(la, dims)}: `@` (np.dot, "
            "np.matmul) is the matrix product, of an input and a weight; the lesson combines "
            f"two quantities of one shape entry by entry, as in `{lt} * {rt}`, which keeps "
            "that shape."
        )
    return ""


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
    flipped = _transposed_product(inf, left, dims) or _transposed_product(inf, right, dims)
    if flipped:
        return text + flipped
    reduced = _reduced_text(inf, left, right, b, dims) or _reduced_text(inf, right, left, a, dims)
    if reduced:
        return text + reduced
    product = _matmul(a, b)
    if _role(right) != "weight" or _role(left) == "weight":
        product = None  # `@` is the lesson's form only for an input and a weight
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


def _definition(source, name):
    """The last assignment `name = ...` in the learner's source (None when there is none)."""
    tree = _parse_source(source)
    if tree is None:
        return None
    found = None
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            found = node
    return found


def _reduced_text(inf, side, other, other_shape, dims) -> str:
    """An operand made smaller than the other by a sum (mean, max, ...) in its definition:
    `f_t = sigmoid(...).sum(axis=1)` gives one number per row where the lesson keeps (B, H)."""
    shape = inf.visit(side)
    if not isinstance(side, ast.Name) or shape is None or not other_shape:
        return ""
    if len(shape) >= len(other_shape) and 1 not in shape:
        return ""
    assign = _definition(inf.source, side.id)
    if assign is None:
        return ""
    for node in ast.walk(assign.value):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        short = func.attr if isinstance(func, ast.Attribute) else _name(func)
        if short not in _REDUCE:
            continue
        method = isinstance(func, ast.Attribute) and _name(func.value) not in ("np", "numpy")
        base = node.func.value if method else (node.args[0] if node.args else None)
        base_shape = _Infer("", inf.shapes, inf.dims).visit(base) if base is not None else None
        head = _flat(assign)
        per_row = len(shape) == 1 and len(other_shape) == 2 and shape[0] == other_shape[0]
        what = "turns each example's row into one number" if per_row else "combines entries"
        text = (
            f"\n{side.id} has shape {shape_text(shape, dims)}: in `{head}` the {short}(...) "
            f"{what}, where the lesson keeps every entry, like {inf.text(other)} "
            f"{shape_text(other_shape, dims)}."
        )
        if base_shape is not None and tuple(base_shape) == tuple(other_shape):
            text += f" Without it, `{_flat(base)}` is that shape."
        return text
    return ""


def _tests(tree):
    """The conditions on a line: if/while/ternary tests, `and`/`or` operands, `not x` (and
    the line itself when its `if ...:` was read as a bare expression)."""
    body = getattr(tree, "body", [])
    if len(body) == 1 and isinstance(body[0], ast.Expr):
        yield body[0].value
    for node in ast.walk(tree):
        if isinstance(node, (ast.If, ast.IfExp, ast.While, ast.Assert)):
            yield node.test
        elif isinstance(node, ast.BoolOp):
            yield from node.values
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            yield node.operand


def _truth_text(inf, tree) -> str:
    """An array used as a condition (`if stm0:`, `not stm0`, `x == None`): NumPy cannot say
    whether an array of several entries is true."""
    for test in _tests(tree):
        shape = inf.visit(test) if isinstance(test, (ast.Name, ast.Attribute)) else None
        if shape:
            name = inf.text(test)
            return (
                f"`{name}` is an array, shape {shape_text(shape, dims=inf.dims)}: asking whether "
                "it is true (`if`, `not`, `or`) has no single answer for more than one entry. "
                f"To test whether the argument was given, write `{name} is None` (or "
                f"`{name} is not None`)."
            )
        if (
            isinstance(test, ast.Compare)
            and len(test.ops) == 1
            and isinstance(test.ops[0], (ast.Eq, ast.NotEq))
            and isinstance(test.comparators[0], ast.Constant)
            and test.comparators[0].value is None
        ):
            name = inf.text(test.left)
            word = "is" if isinstance(test.ops[0], ast.Eq) else "is not"
            return (
                f"`{inf.text(test)}` compares the array {name} with None entry by entry, "
                f"giving an array of True/False: write `{name} {word} None`."
            )
    return ""


def _split_text(inf, tree, dims) -> str:
    """np.split(a, n, axis=k) where axis k's size is not a multiple of n: the axis, its
    size, and the axis that holds n blocks of H when there is one."""
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and _name(node.func).rsplit(".", 1)[-1] == "split"):
            continue
        if len(node.args) < 2:
            continue
        shape = inf.visit(node.args[0])
        n = _int_value(node.args[1], inf)
        kw = {k.arg: k.value for k in node.keywords if k.arg}
        axis_node = kw.get("axis", node.args[2] if len(node.args) > 2 else None)
        axis = 0 if axis_node is None else _int(axis_node)
        if not shape or not n or axis is None or not -len(shape) <= axis < len(shape):
            continue
        axis %= len(shape)
        if shape[axis] % n == 0:
            continue
        array = inf.text(node.args[0])
        text = (
            f"`{inf.text(node)}` cuts axis {axis} of {array}, shape {shape_text(shape, dims)}, "
            f"into {n} equal parts, but axis {axis} has {_size_text(shape[axis], dims)} "
            f"entries, not a multiple of {n}."
        )
        h = dims.get("H") if isinstance(dims.get("H"), int) else None
        blocks = [j for j, size in enumerate(shape) if h and size == n * h and j != axis]
        if len(blocks) == 1:
            j = blocks[0]
            text += (
                f" The {n} blocks of H = {h} lie along axis {j} ({n}H = {shape[j]}): "
                f"`np.split({array}, {n}, axis={j})`."
            )
        return text
    return ""


def _ragged_text(inf, tree) -> str:
    """NumPy asked to make one array of arrays whose shapes differ (np.array of a list of
    arrays, np.linalg.norm(list(grads.values())))."""
    seqs = (ast.List, ast.Tuple, ast.ListComp, ast.GeneratorExp)
    found = None
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, ast.Call) and node.args:
            arg = node.args[0]
            listed = isinstance(arg, seqs) or (
                isinstance(arg, ast.Call) and _name(arg.func) in ("list", "tuple")
            )
            if listed and _name(node.func).startswith(("np.", "numpy.")):
                found = (inf.text(node.func), inf.text(arg))
                break
    what = f"`{found[0]}` got `{found[1]}`, a sequence of" if found else "NumPy got a sequence of"
    return (
        f"{what} arrays whose shapes differ: it cannot stack them into one array. Work array "
        "by array and combine the numbers (e.g. sum `np.sum(g ** 2)` over the arrays g), or "
        "join flattened copies: `np.concatenate([g.ravel() for g in ...])`."
    )


def _transposed_product(inf, node, dims) -> str:
    """`W.T @ x.T` (the batch in the columns, (H, B)) where the lesson writes `x @ W`, (B, H)."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult)):
        return ""
    left, right = node.left, node.right
    if not (isinstance(left, ast.Attribute) and left.attr == "T"):
        return ""
    if not (isinstance(right, ast.Attribute) and right.attr == "T"):
        return ""
    if _role(left.value) != "weight" or _role(right.value) == "weight":
        return ""  # the lesson's form x @ W only for a weight and its input
    w, x = inf.text(left.value), inf.text(right.value)
    shape = inf.visit(node)
    flipped = _axes_text(tuple(reversed(shape)), dims) if shape else ""
    return (
        f"\n`{inf.text(node)}` is `({x} @ {w}).T`: the batch in the columns. In the lesson the "
        f"batch is in the rows: write `{x} @ {w}`"
        + (f", shape {flipped}," if flipped else "")
        + " to which a bias adds row by row."
    )


def _join_text(inf, node, parts, shapes, axis, fname, dims) -> str:
    call = inf.text(node)
    listed = ", ".join(
        f"{inf.text(p)} {shape_text(s, dims)}" for p, s in zip(parts, shapes, strict=True)
    )
    fix = "np.concatenate([stm, event], axis=-1)"
    batch = _labels(dims).get(shapes[0][0]) == "B" if shapes and shapes[0] else False
    if not batch:  # not the lesson's [STM, E]: the sizes only
        return _join_sizes_text(call, listed, shapes, axis, fname)
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


def _join_sizes_text(call, listed, shapes, axis, fname) -> str:
    """A join of arrays that are not the lesson's batch rows: which sizes clash, and the
    axis along which they would fit (when exactly one does)."""
    if fname == "stack" or len({len(s) for s in shapes}) != 1:
        return f"`{call}` needs arrays whose shapes fit together, but got {listed}."
    nd = len(shapes[0])
    fits = [ax for ax in range(nd) if len({s[:ax] + s[ax + 1 :] for s in shapes}) == 1]
    text = f"`{call}` joins {listed}: all sizes but the joined axis's must match."
    if len(fits) == 1 and fname in ("concatenate", "vstack", "hstack", "row_stack"):
        text += f" They fit along axis {fits[0]}: axis={fits[0]}."
    return text


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


def explain(
    error: str, line: str, shapes=None, dims=None, function="", callee="", source=""
) -> str:
    """A few sentences on what went wrong, in the learner's terms ('' when nothing to add).

    `function` is the learner's function the line is in (error_function), `callee` the
    function that line called into when the error came from inside it (error_callee): a
    course function's arguments are then compared with its parameters.
    Never raises: a line or an error it cannot read gives ''.
    """
    try:
        return _explain(
            error or "", line or "", shapes or {}, dims or {}, function, callee, source or ""
        )
    except Exception:  # noqa: BLE001 - an explanation is optional
        return ""


_ALIGNED = re.compile(r"not aligned: (\d+) \(dim \d+\) != (\d+) \(dim \d+\)")


def _matmul_sizes(message):
    """(left operand's last size, right operand's first size) named by a matmul error."""
    m = _MATMUL.search(message)
    if m and (m.group(1), m.group(2)) == ("1", "0"):
        return int(m.group(4)), int(m.group(3))
    m = _ALIGNED.search(message)
    return (int(m.group(1)), int(m.group(2))) if m else None


def _explain(error, line, shapes, dims, function="", callee="", source="") -> str:  # noqa: C901, PLR0911, PLR0912
    kind, _, message = error.partition(": ")
    code = _code(line)
    parsed = _parse(code)
    inf = tree = None
    if parsed is not None:
        tree, src = parsed
        inf = _Infer(src, shapes, dims, _matmul_sizes(message), source)
        inf.visit(tree)
    if inf is not None and kind in ("TypeError", "AttributeError"):
        text = _object_text(inf, tree, message)
        if text:
            return text
    if inf is not None and not inf.failures and not inf.nones and kind != "NameError":
        text = _calls_text(inf, tree, dims, function, callee)
        if text:
            return text

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
    if "inhomogeneous" in message or "array element with a sequence" in message:
        return _ragged_text(inf, tree)
    if "matmul" in message or "not aligned" in message:
        f = first("matmul")
        if f:
            return _matmul_text(inf, *f[1:], dims, function, _target_name(tree))
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
    if "truth value of an array" in message and tree is not None:
        return _truth_text(inf, tree)
    if "split does not result in an equal division" in message and tree is not None:
        return _split_text(inf, tree, dims)
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


# --------------------------------------------------------------------------- the course's calls

_SIZE_NAMES = ("B", "T", "H", "D")


def _size_names(dims: dict) -> dict:
    """name -> size for the lesson's sizes and the sums a shape can hold ('H+D', '4H')."""
    out = {k: v for k, v in dims.items() if k in _SIZE_NAMES and type(v) is int}
    if "H" in out and "D" in out:
        out["H+D"] = out["H"] + out["D"]
    if "H" in out:
        out["4H"] = 4 * out["H"]
    return out


def _symbolic(shapes, dims_list):
    """The axes' names ('B', 'H+D', ...) that fit every case's shape, None where no single one
    does; None when the shapes are not all arrays of one rank."""
    if not shapes or any(s is None for s in shapes) or len({len(s) for s in shapes}) != 1:
        return None
    names = []
    for axis in range(len(shapes[0])):
        fits = None
        for shape, dims in zip(shapes, dims_list, strict=True):
            here = {n for n, v in _size_names(dims).items() if v == shape[axis]}
            fits = here if fits is None else fits & here
        names.append(fits.pop() if fits and len(fits) == 1 else None)
    return tuple(names)


def _numeric(symbolic, dims):
    """A symbolic shape in this case's sizes, or None when a name is unknown here."""
    sizes = _size_names(dims)
    if symbolic is None or any(n not in sizes for n in symbolic):
        return None
    return tuple(sizes[n] for n in symbolic)


def _sym_text(symbolic) -> str:
    return "(" + ", ".join(symbolic) + ("," if len(symbolic) == 1 else "") + ")"


@functools.lru_cache(maxsize=64)
def course_signature(name: str):
    """The package function `name`'s parameters as ((param, symbolic shape or None), ...),
    the shapes read off its exercise's cases (e.g. lstm_cell's event: ('B', 'D')); None when
    the package has no public function of that name."""
    try:
        import lstm_course  # noqa: PLC0415 - judge side only; explain stays importable alone

        from ..exercises import EXERCISES  # noqa: PLC0415
        from ..exercises.cases import case_shape  # noqa: PLC0415
    except Exception:  # noqa: BLE001
        return None
    ex = EXERCISES.get(name)
    fn = ex.fn if ex is not None else getattr(lstm_course, name, None)
    if not inspect.isfunction(fn) or name.startswith("_"):
        return None
    params = [
        p.name
        for p in inspect.signature(fn).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]
    shapes: dict = {}
    if ex is not None and not ex.answer_free:
        try:
            cases = ex.make_cases(None, probes=False)
            dims = [case_shape(c) for c in cases]
            for p in params:
                values = [c.get(p) for c in cases]
                if all(hasattr(v, "shape") and hasattr(v, "dtype") for v in values):
                    shapes[p] = _symbolic([tuple(v.shape) for v in values], dims)
        except Exception:  # noqa: BLE001 - shapes are optional
            shapes = {}
    return tuple((p, shapes.get(p)) for p in params)


def _lesson_name(node) -> str:
    """The quantity an argument names: 'W_v' for p.W_v, 'x' for cache['x'], 'stm' for stm."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript):
        key = node.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            return key.value
    return ""


_WEIGHT = re.compile(r"^[Wb]_[A-Za-z]+$")


def _bind(call, params):
    """[(param, argument node)] for a call to a function with these parameters ([] when the
    call cannot be read: *args, **kwargs, too many arguments)."""
    if any(isinstance(a, ast.Starred) for a in call.args) or any(
        k.arg is None for k in call.keywords
    ):
        return []
    if len(call.args) > len(params):
        return []
    pairs = list(zip(params, call.args, strict=False))
    pairs += [(k.arg, k.value) for k in call.keywords if k.arg in params]
    return pairs


def _misplaced(call, sig):
    """(argument text, param) for each argument that names ANOTHER lesson quantity than the
    parameter it lands in: another parameter of the same function (stm passed as ltm), or a
    weight or bias passed as another one (p.W_v as W_u)."""
    params = [p for p, _ in sig]
    out = []
    for param, arg in _bind(call, params):
        name = _lesson_name(arg)
        if not name or name == param:
            continue
        if name in params or (_WEIGHT.match(name) and _WEIGHT.match(param)):
            out.append((ast.unparse(arg), param))
    return out


def _misplaced_text(call, fname, sig, wrong) -> str:
    parts = [
        f"{arg} as {fname}'s {param}" if k == 0 else f"{arg} as its {param}"
        for k, (arg, param) in enumerate(wrong)
    ]
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    params = ", ".join(p for p, _ in sig)
    return (
        f"In `{_short(call)}` you passed {listed}: {fname} takes ({params}), in that order "
        f"(or pass them by name: {wrong[0][1]}=...)."
    )


def _short(node) -> str:
    text = _flat(node)
    return text if len(text) <= 90 else text[:85] + " ...)"


def _course_calls(tree):
    """(call node, function name, signature) for each call of a course function in tree."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            fname = _name(node.func).rsplit(".", 1)[-1]
            if fname and fname not in _JOIN and fname not in _SAME_SHAPE:
                sig = course_signature(fname)
                if sig:
                    out.append((node, fname, sig))
    return out


def argument_slips(source: str) -> str:
    """A static look at the learner's function: the calls of course functions that pass a
    lesson quantity into another one's parameter ('' when none, or unreadable)."""
    tree = _parse_source(source)
    if tree is None:
        return ""
    texts = []
    try:
        for call, fname, sig in _course_calls(tree):
            wrong = _misplaced(call, sig)
            if wrong:
                texts.append(_misplaced_text(call, fname, sig, wrong))
    except Exception:  # noqa: BLE001 - a static look is optional
        return ""
    return "\n".join(dict.fromkeys(texts))


def _argument_shape_text(inf, call, fname, sig, dims, function) -> str:
    """The argument of a course function's call whose shape is not the one the function
    takes (e.g. events[t] of shape (T, D) passed as lstm_cell's event, (B, D))."""
    for param, arg in _bind(call, [p for p, _ in sig]):
        want_sym = dict(sig).get(param)
        want = _numeric(want_sym, dims)
        got = inf.visit(arg)
        if want is None or got is None or got == want:
            continue
        text = (
            f"`{inf.text(arg)}` has shape {shape_text(got, dims)}, but {fname}'s `{param}` is "
            f"{_sym_text(want_sym)} = {want}."
        )
        return text + _arg_fix(inf, arg, got, want, dims, function)
    return ""


def _arg_fix(inf, arg, got, want, dims, function) -> str:
    """How the argument gets the wanted shape: another axis indexed, or a transpose."""
    if isinstance(arg, ast.Subscript) and not isinstance(arg.slice, (ast.Tuple, ast.Slice)):
        base = inf.visit(arg.value)
        if base and _is_scalar_index(arg.slice, inf):
            for axis in range(1, len(base)):
                if base[:axis] + base[axis + 1 :] == want:
                    b, i = inf.text(arg.value), inf.text(arg.slice)
                    names = _param_axes(function, b, base, dims) or (None,) * len(base)
                    known = names if None not in names else None
                    what = f"{b} is {_sym_text(known)}: " if known else ""
                    first = " (the batch)" if names[0] == "B" else ""
                    along = f", {names[axis]}" if names[axis] else ""
                    index = ", ".join([":"] * axis + [i])
                    return (
                        f"\n{what}`{b}[{i}]` indexes axis 0{first}; index axis {axis}{along} "
                        f"instead: `{b}[{index}]` has shape {shape_text(want, dims)}."
                    )
    if len(got) == 2 and got[::-1] == want:
        return "\nThose are the wanted sizes with the axes the other way round (transposed)."
    return ""


def _param_axes(function, name, shape, dims):
    """The symbolic axes of the learner's parameter `name` (e.g. events: ('B', 'T', 'D')),
    when it is one of the course function's inputs and still has that shape here."""
    sig = course_signature(function) if function else None
    sym = dict(sig).get(name) if sig else None
    if not sym or len(sym) != len(shape):
        return None
    sizes = _size_names(dims)
    same = all(n is None or sizes.get(n) == v for n, v in zip(sym, shape, strict=True))
    return sym if same else None


def _calls_text(inf, tree, dims, function, callee) -> str:
    """Misplaced or wrongly shaped arguments of the course functions called on the line."""
    calls = _course_calls(tree)
    for call, fname, sig in calls:
        wrong = _misplaced(call, sig)
        if wrong:
            return _misplaced_text(call, fname, sig, wrong)
    for call, fname, sig in calls:
        if callee and fname != callee:
            continue
        text = _argument_shape_text(inf, call, fname, sig, dims, function)
        if text:
            return text
    return ""


# --------------------------------------------------------------------------- objects misused

_OBJECT = re.compile(
    r"'([\w.]+)' object (is not subscriptable|is not callable|has no attribute '(\w+)')"
)


def _kind_of(type_text) -> str:
    """'an LSTMParams', 'a NumPy array', 'a dict', 'a tuple', 'a number' from a type text."""
    if isinstance(type_text, list):
        return f"a NumPy array of shape {tuple(type_text)}"
    t = str(type_text)
    short = t.rsplit(".", 1)[-1]
    if t in ("int", "float", "bool", "complex") or t.startswith("numpy.float"):
        return "a number"
    for kind in ("tuple", "list", "dict"):
        if t.startswith(kind):
            return "a " + t
    if short == "ndarray":
        return "a NumPy array"
    if short == "function":
        return "a function"
    vowel = short[:1] in "AEIOU" or (short[:2].isupper() and short[:1] in "FHLMNRSX")
    return ("an " if vowel else "a ") + short


def _fields_of(type_name: str):
    """The fields of the package's dataclass of that name (LSTMParams, GRUParams), or ()."""
    try:
        import dataclasses  # noqa: PLC0415

        import lstm_course  # noqa: PLC0415
        from lstm_course import gru  # noqa: PLC0415

        cls = getattr(lstm_course, type_name, None) or getattr(gru, type_name, None)
        if isinstance(cls, type) and dataclasses.is_dataclass(cls):
            return tuple(f.name for f in dataclasses.fields(cls))
    except Exception:  # noqa: BLE001
        pass
    return ()


def _matches_type(type_text, type_name) -> bool:
    if isinstance(type_text, list):
        return type_name in ("numpy.ndarray", "ndarray")
    t = str(type_text)
    short = type_name.rsplit(".", 1)[-1]
    return t == type_name or t.rsplit(".", 1)[-1] == short or t.startswith(short + " of")


def _object_text(inf, tree, message) -> str:
    """'X' object is not subscriptable / not callable / has no attribute 'a': what X is on the
    learner's line and how such an object is used."""
    m = _OBJECT.search(message)
    if not m or tree is None:
        return ""
    type_name, what, attr = m.group(1), m.group(2), m.group(3)
    short = type_name.rsplit(".", 1)[-1]
    fields = _fields_of(short)
    nodes = sorted(
        (n for n in ast.walk(tree) if hasattr(n, "col_offset")),
        key=lambda n: (n.lineno, n.col_offset),
    )
    for node in nodes:
        if what.startswith("is not subscriptable") and isinstance(node, ast.Subscript):
            base, used = node.value, node.slice
        elif what.startswith("is not callable") and isinstance(node, ast.Call):
            base, used = node.func, None
        elif attr and isinstance(node, ast.Attribute) and node.attr == attr:
            base, used = node.value, None
        else:
            continue
        key = _key(base)
        if not key or not _matches_type(inf.shapes.get(key), type_name):
            continue
        kind = _kind_of(inf.shapes[key])
        if what.startswith("is not subscriptable"):
            name = used.value if isinstance(used, ast.Constant) else None
            if fields and isinstance(name, str):
                fix = f": {key}.{name}, not {key}[{name!r}]" if name in fields else ""
                return (
                    f"`{key}` is {kind}, not a dict: its weights are attributes, read with a "
                    f"dot{fix}. Its fields: {', '.join(fields)}."
                )
            if short == "function":
                return (
                    f"`{key}` is a function: call it with parentheses, {key}(...), not {key}[...]."
                )
            return f"`{key}` is {kind}: it cannot be indexed with [...]."
        if what.startswith("is not callable"):
            if isinstance(inf.shapes.get(key), list) or short == "ndarray":
                return (
                    f"`{key}` is {kind}, not a function: `{key}(...)` calls it. A product with "
                    f"a weight is `x @ {key}`; entry by entry it is `x * {key}`."
                )
            if kind == "a number":
                return (
                    f"`{key}` is a number, not a function: multiplying needs `*`: `{key} * (...)`."
                )
            return f"`{key}` is {kind}, not a function: `{key}(...)` tries to call it."
        if fields:
            return f"`{key}` is {kind}; it has no `{attr}`. Its fields: {', '.join(fields)}" + (
                " (W_u and b_u are None in the standard variant)." if "W_u" in fields else "."
            )
        if kind.startswith("a dict"):
            return (
                f"`{key}` is {kind}: read its entries with [...]: {key}[{attr!r}], "
                f"not {key}.{attr}."
            )
        if kind.startswith(("a tuple", "a list")):
            return (
                f"`{key}` is {kind}, not an array: take its items apart first "
                f"(e.g. `a, b = {key}`), or index it: {key}[0]."
            )
        return f"`{key}` is {kind}; it has no attribute `{attr}`."
    return ""


# --------------------------------------------------------------------------- wrong output shapes


def _all(pairs, test) -> bool:
    return bool(pairs) and all(test(g, w) for g, w in pairs)


def _axis_names(shapes, dims_list, extra=False):
    """Each axis's name over every case (as _symbolic), with 2H, H+1, ... when extra."""
    if not shapes or len({len(s) for s in shapes}) != 1:
        return None
    names = []
    for axis in range(len(shapes[0])):
        fits = None
        for shape, dims in zip(shapes, dims_list, strict=True):
            sizes = _size_names(dims)
            if extra:
                for n in ("B", "H", "D"):
                    if n in sizes:
                        sizes.update({f"2{n}": 2 * sizes[n], f"{n}+1": sizes[n] + 1})
                        sizes[f"{n}-1"] = sizes[n] - 1
            here = {n for n, v in sizes.items() if v == shape[axis]}
            fits = here if fits is None else fits & here
        names.append(fits.pop() if fits and len(fits) == 1 else "?")
    return tuple(names)


def wrong_shape(label, got, want, dims_list, others=None) -> str:
    """A wrong output shape read as a recognisable slip, over every case where it is wrong:
    two arrays joined (twice as wide), two parts swapped, a slice off by one, axes swapped
    or transposed, a batch axis summed away or kept. '' when no reading fits every case.

    got / want: the shapes of this part in each case (same length as dims_list); others:
    {label: (got shapes, want shapes)} of the output's other parts.
    """
    try:
        return _wrong_shape(label, got, want, dims_list, others or {})
    except Exception:  # noqa: BLE001 - a reading is optional
        return ""


def _wrong_shape(label, got, want, dims_list, others) -> str:  # noqa: C901, PLR0911
    pairs = [(tuple(g), tuple(w)) for g, w in zip(got, want, strict=True) if g is not None]
    if not pairs or any(g == w for g, w in pairs):
        return ""
    dims_list = [d for g, d in zip(got, dims_list, strict=True) if g is not None]
    gs, ws = [g for g, _ in pairs], [w for _, w in pairs]
    g_sym, w_sym = _axis_names(gs, dims_list, extra=True), _axis_names(ws, dims_list)
    have = f"{label} has shape {_sym_text(g_sym)}" if g_sym and "?" not in g_sym else ""
    want_text = _sym_text(w_sym) if w_sym and "?" not in w_sym else f"{ws[0]}"
    have = have or f"{label} has shape {gs[0]}"
    head = f"{have} where the lesson has {want_text}"
    # another part's shape, and that part has this one's: the two were swapped
    for other, (o_got, o_want) in others.items():
        o_pairs = [
            (tuple(a), tuple(b)) for a, b in zip(o_got, o_want, strict=True) if a is not None
        ]
        if (
            len(o_pairs) == len(pairs)
            and _all(list(zip(gs, [b for _, b in o_pairs], strict=True)), lambda a, b: a == b)
            and _all(list(zip([a for a, _ in o_pairs], ws, strict=True)), lambda a, b: a == b)
        ):
            bare = label.removeprefix("your ")
            text = f"{_capital(head)}, and {other} has the shape of {bare}: the two are swapped."
            if w_sym == ("B", "H") and _axis_names([b for _, b in o_pairs], dims_list) == (
                "B",
                "D",
            ):
                text += (
                    " In [STM, E] the STM is the first H columns, [:, :H], and the event "
                    "the last D, [:, H:]."
                )
            return text
    same_rank = all(len(g) == len(w) for g, w in pairs)
    if same_rank:
        diff = {k for g, w in pairs for k in range(len(w)) if g[k] != w[k]}
        if len(diff) == 1:
            k = diff.pop()
            axis = (
                "columns" if k == len(ws[0]) - 1 and len(ws[0]) == 2 else f"entries along axis {k}"
            )
            if _all(pairs, lambda g, w: g[k] == 2 * w[k]):
                joined = "side by side" if k == len(ws[0]) - 1 else f"along axis {k}"
                return (
                    f"{_capital(head)}: twice as many {axis}. Two {want_text} arrays were "
                    f"joined {joined} (np.concatenate, np.hstack) where the lesson combines "
                    "them entry by entry (+ or *)."
                )
            wanted = {w_sym} | {
                _axis_names(list(o_w), dims_list)
                for _, o_w in others.values()
                if len(o_w) == len(dims_list) and None not in o_w
            }
            split = (
                " (in [STM, E] the STM is [:, :H], the event [:, H:])"
                if {("B", "H"), ("B", "D")} <= wanted
                else ""
            )
            for step, word in ((1, "one too many"), (-1, "one too few")):
                if _all(pairs, lambda g, w, s=step: g[k] == w[k] + s):
                    return (
                        f"{_capital(head)}: {word} {axis}, in every case. A slice off by one? "
                        f"`a[:, :n]` takes columns 0..n-1, `a[:, n:]` the rest{split}."
                    )
        if _all(pairs, lambda g, w: sorted(g) == sorted(w) and len(set(w)) == len(w)):
            order = [ws[0].index(n) for n in gs[0]]
            if (
                all([w.index(n) for n in g] == order for g, w in pairs)
                and w_sym
                and "?" not in w_sym
            ):
                got_axes = tuple(w_sym[j] for j in order)
                what = "transposed" if len(order) == 2 else "its axes in another order"
                tip = (
                    " The batch stays on axis 0 and time on axis 1: stms[:, t] = stm_t."
                    if "T" in w_sym
                    else " The batch stays on axis 0 (rows): x @ W, not W.T @ x.T."
                    if w_sym[0] == "B"
                    else ""
                )
                return (
                    f"{label} is {what}: its axes are {_sym_text(got_axes)} where the lesson "
                    f"has {_sym_text(w_sym)}.{tip}"
                )
        return ""
    if w_sym and "?" not in w_sym:
        if (
            _all(pairs, lambda g, w: len(g) == len(w) + 1 and g[1:] == w)
            and g_sym
            and g_sym[0] == "B"
            and "B" not in w_sym  # a weight's or a bias's gradient has no batch axis
        ):
            return (
                f"{_capital(head)}: one row per example. A gradient of a bias (or of a weight) "
                "adds up the batch: sum over axis 0, `.sum(axis=0)`."
            )
        if _all(pairs, lambda g, w: len(g) + 1 == len(w) and g == w[1:]) and w_sym[0] == "B":
            return (
                f"{_capital(head)}: the batch axis (axis 0) is gone: a sum, mean or max over "
                "axis 0, or an index [0], where every example keeps its own row."
            )
        if _all(
            pairs,
            lambda g, w: (
                len(g) == len(w) + 1
                and 1 in g
                and tuple(n for j, n in enumerate(g) if j != g.index(1)) == w
            ),
        ):
            return f"{_capital(head)}: an extra axis of size 1 (keepdims=True, [None], a reshape?)."
    return ""


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
