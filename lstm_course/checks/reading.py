"""Static readings of the learner's function: its source text, read with `ast`, never run.

Each reading is a fact of the code the learner wrote, so it is exact where a value-level
explanation can only guess; the judge runs them only when a check fails (microseconds):

    notebook_globals(source)                a notebook variable read where an argument belongs
    hard_coded_sizes(source, cases)         a size written as a number where the cases' change
    floor_divisions(source)                 `//` or int(...) where floats flow
    printed_output(source)                  print(...) of the answer, and no return
    def_line(source, exercise, called)      the lesson's parameters in another order, or a
                                            different count, on the def line
    size_axes(source, exercise)             a size read off the wrong axis of a shape
    hand_activations(source)                a sigmoid or tanh written out by hand that
                                            computes something else (the minus missing)
    shape_reading(source, cases, ...)       a wrong output shape, from the right operands
                                            combined in another way (@ vs *, .T, a sum's axis)
"""

from __future__ import annotations

import ast
import builtins

import numpy as np

from .explain import (
    _flat,
    _Infer,
    _parse_source,
    _role,
    _sym_text,
    _symbolic,
    course_signature,
)
from .explain import _name as _dotted  # 'np.exp' for a call's function, 'p.W_u' for a chain

__all__ = [
    "notebook_globals",
    "hard_coded_sizes",
    "floor_divisions",
    "printed_output",
    "shape_reading",
    "source_readings",
    "def_line",
    "size_axes",
    "hand_activations",
]

_SIZES = ("B", "T", "H", "D")
_MODULES = {"np", "numpy", "torch", "math", "nn", "F", "lstm_course", "scipy"}
_CREATE = {"zeros", "ones", "empty", "full", "randn", "rand", "normal", "standard_normal"}
_REDUCE = {"sum", "mean", "max", "min", "prod"}


def _function(source: str):
    """The first def in the learner's source (None when there is none or it does not parse)."""
    tree = _parse_source(source)
    if tree is None:
        return None
    return next((n for n in tree.body if isinstance(n, ast.FunctionDef)), None)


def _params(fn) -> list:
    a = fn.args
    names = [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs]
    names += [x.arg for x in (a.vararg, a.kwarg) if x is not None]
    return names


def _bound(fn) -> set:
    """Every name the function binds itself (assignments, loops, imports, inner defs, ...)."""
    out = set(_params(fn))
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            out.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            out.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            out.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.arg):
            out.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            out.add(node.name)
    return out


def _listed(items) -> str:
    items = list(dict.fromkeys(items))
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# --------------------------------------------------------------------------- notebook globals


def notebook_globals(source: str) -> str:
    """A variable of the notebook read where the function has an argument: `p.W_u` in a
    function that takes W_u, or a lesson size (H, B, ...) it never defines itself."""
    fn = _function(source)
    if fn is None:
        return ""
    params, bound = _params(fn), _bound(fn)
    free = set(dir(builtins)) | _MODULES | bound
    used: dict = {}  # global name -> [(text read, argument it stands for)]
    sizes = []
    for node in ast.walk(fn):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            base = node.value.id
            if base not in free and node.attr in params:
                used.setdefault(base, []).append((f"{base}.{node.attr}", node.attr))
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            key = node.slice
            base = node.value.id
            if (
                base not in free
                and isinstance(key, ast.Constant)
                and isinstance(key.value, str)
                and key.value in params
            ):
                used.setdefault(base, []).append((f"{base}[{key.value!r}]", key.value))
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            if node.id in _SIZES and node.id not in free:
                sizes.append(node.id)
    texts = []
    for base, reads in used.items():
        texts.append(
            f"Your {fn.name} reads {_listed(f'`{t}`' for t, _ in reads)}: `{base}` is a "
            f"variable of your notebook, not an argument of {fn.name}, so the check's values "
            f"never reach it. Use the argument{'s' if len({a for _, a in reads}) > 1 else ''} "
            f"{_listed(a for _, a in reads)}."
        )
    if sizes:
        texts.append(
            f"Your {fn.name} reads {_listed(f'`{s}`' for s in sizes)} from your notebook (it "
            "never sets it): the sizes change from case to case, so read them off the "
            "arguments' shapes (e.g. `B, H = stm.shape`)."
        )
    return "\n".join(texts)


# --------------------------------------------------------------------------- hard-coded sizes


def _known_shapes(fn, source_calls) -> dict:
    """name -> symbolic shape of the lesson's quantities this function deals with: its own
    parameters and those of the course functions it calls (stm: ('B', 'H'), ...)."""
    out: dict = {}
    for name in [fn.name, *source_calls]:
        for param, sym in course_signature(name) or ():
            if sym and param not in out:
                out[param] = sym
    return out


def _called(fn) -> list:
    names = []
    for node in ast.walk(fn):
        if isinstance(node, ast.Call):
            f = node.func
            name = (
                f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            )
            if name and name not in names:
                names.append(name)
    return names


def _shape_literals(call):
    """The tuple of a np.zeros((B, 4))-like call (its elements), or None."""
    f = call.func
    name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
    if name not in _CREATE or not call.args:
        return None
    arg = call.args[0] if name != "normal" else None
    if arg is None:
        arg = next((k.value for k in call.keywords if k.arg == "size"), None)
        if arg is None and len(call.args) >= 3:
            arg = call.args[2]
    if name in ("randn", "rand"):
        return list(call.args)
    if isinstance(arg, (ast.Tuple, ast.List)):
        return list(arg.elts)
    return [arg] if arg is not None else None


def hard_coded_sizes(source: str, dims_list) -> str:
    """A size written as a number (np.zeros((B, 4))) where the cases' sizes change: named
    with the lesson's symbol when the array it makes is a lesson quantity (stm is (B, H))."""
    fn = _function(source)
    if fn is None or not dims_list:
        return ""
    known = _known_shapes(fn, _called(fn))
    named: dict = {}  # (code, n, symbol, shape) -> the lesson quantities made with it
    bare: list = []  # (code, n) with no lesson quantity to name the size
    for stmt in ast.walk(fn):
        if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1:
            continue
        target = stmt.targets[0]
        name = target.id if isinstance(target, ast.Name) else ""
        sym = known.get(name)
        for call in (n for n in ast.walk(stmt.value) if isinstance(n, ast.Call)):
            elts = _shape_literals(call) or []
            code = _flat(call)
            for pos, elt in enumerate(elts):
                n = elt.value if isinstance(elt, ast.Constant) else None
                if type(n) is not int or n < 2:
                    continue
                if sym and len(sym) == len(elts) and sym[pos] in _SIZES:
                    values = [d.get(sym[pos]) for d in dims_list]
                    if None not in values and any(v != n for v in values):
                        named.setdefault((code, n, sym[pos], sym), []).append(name)
                elif any(len({d.get(s) for d in dims_list}) > 1 for s in _SIZES):
                    bare.append((code, n))
    texts = []
    for (code, n, s, sym), names in named.items():
        values = ", ".join(str(d[s]) for d in dims_list)
        texts.append(
            f"`{code}` hard-codes {n} where {_listed(names)} "
            f"{'has' if len(names) == 1 else 'have'} {s}, {_sym_text(sym)}: {s} is {values} "
            f"in the cases. Write {s}, read off the arguments' shapes."
        )
    for code, n in dict.fromkeys(bare):
        texts.append(
            f"`{code}` hard-codes the size {n}, but the sizes change from case to case: "
            "read every size off the arguments' shapes."
        )
    return "\n".join(dict.fromkeys(texts))


# --------------------------------------------------------------------------- integer arithmetic


def _intish(node, ints) -> bool:
    """Whether an expression is surely a whole number: a literal, a size (x.shape[...],
    len(...), a name unpacked from a shape), or arithmetic of those."""
    if isinstance(node, ast.Constant):
        return type(node.value) is int
    if isinstance(node, ast.Name):
        return node.id in ints
    if isinstance(node, ast.Attribute):
        return node.attr in ("size", "ndim", "hidden_size", "input_size")
    if isinstance(node, ast.Subscript):
        return isinstance(node.value, ast.Attribute) and node.value.attr == "shape"
    if isinstance(node, ast.Call):
        f = node.func
        return isinstance(f, ast.Name) and f.id in ("len", "int", "round")
    if isinstance(node, ast.BinOp):
        return _intish(node.left, ints) and _intish(node.right, ints)
    if isinstance(node, ast.UnaryOp):
        return _intish(node.operand, ints)
    return False


def _int_names(fn) -> set:
    """Names bound to sizes: `B, T, D = events.shape`, `H = W.shape[1] // 4`, `for t in range`."""
    ints = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign):
            v = node.value
            shape = isinstance(v, ast.Attribute) and v.attr == "shape"
            for t in node.targets:
                names = t.elts if isinstance(t, (ast.Tuple, ast.List)) else [t]
                for x in names:
                    if isinstance(x, ast.Name) and (shape or _intish(v, ints)):
                        ints.add(x.id)
        elif isinstance(node, ast.For) and isinstance(node.target, ast.Name):
            it = node.iter
            if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range":
                ints.add(node.target.id)
    return ints


def floor_divisions(source: str) -> str:
    """`a // b` or int(a) on values that are not sizes: a whole number where a fraction flows."""
    fn = _function(source)
    if fn is None:
        return ""
    ints = _int_names(fn)
    texts = []
    for node in ast.walk(fn):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.FloorDiv):
            if not (_intish(node.left, ints) and _intish(node.right, ints)):
                code = ast.unparse(node)
                texts.append(
                    f"`{code}` is floor division: `//` rounds down to a whole number (a ratio "
                    f"below 1 becomes 0). Divide with `/`: `{code.replace('//', '/', 1)}`."
                )
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "int"
            and len(node.args) == 1
            and not _intish(node.args[0], ints)
        ):
            code = ast.unparse(node)
            texts.append(
                f"`{code}` cuts its value down to a whole number: keep the fraction "
                f"(drop the int(...))."
            )
    return "\n".join(dict.fromkeys(texts))


def printed_output(source: str) -> str:
    """print(...) in a function that returns nothing: the answer shown, not returned."""
    fn = _function(source)
    if fn is None:
        return ""
    returns = [n for n in ast.walk(fn) if isinstance(n, ast.Return) and n.value is not None]
    prints = [
        n
        for n in ast.walk(fn)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "print"
    ]
    if returns or not prints:
        return ""
    code = _flat(prints[-1])
    inner = ", ".join(ast.unparse(a) for a in prints[-1].args) or "..."
    return (
        f"Your {fn.name} shows its result with `{code}` but returns nothing: a check (and "
        f"the next function) sees only what is returned. Write `return {inner}`."
    )


def source_readings(source: str, dims_list, exercise: str = "") -> str:
    """The readings that name a slip whatever the values are ('' when none applies)."""
    try:
        texts = [
            notebook_globals(source),
            hard_coded_sizes(source, dims_list),
            size_axes(source, exercise),
            floor_divisions(source),
        ]
    except Exception:  # noqa: BLE001 - a reading is optional
        return ""
    return "\n".join(t for t in texts if t)


# --------------------------------------------------------------------------- wrong output shapes


def _env(kwargs: dict) -> dict:
    """The case's arguments as explain's shapes: 'x': [4, 8], 'params.W_n': [...], ..."""
    out: dict = {}

    def put(key, v):
        if isinstance(v, np.ndarray):
            out[key] = list(v.shape)
        elif isinstance(v, bool):
            out[key] = "bool"
        elif isinstance(v, int):
            out[key] = "int"
        elif isinstance(v, float):
            out[key] = "float"

    for name, v in kwargs.items():
        put(name, v)
        if isinstance(v, dict):
            for k, x in v.items():
                put(f"{name}[{k!r}]", x)
        elif hasattr(v, "__dataclass_fields__"):
            for k in v.__dataclass_fields__:
                put(f"{name}.{k}", getattr(v, k, None))
    return out


def _run_shapes(fn, kwargs):
    """The shapes of the function's names, straight through its body (loops read once)."""
    env = _env(kwargs)
    defs: dict = {}
    for stmt in _statements(fn.body):
        if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1:
            continue
        target, value = stmt.targets[0], stmt.value
        if isinstance(target, ast.Name):
            defs[target.id] = value
            if isinstance(value, ast.Name):  # an alias: p = params
                for k in [k for k in env if k.startswith(value.id + ".")]:
                    env[target.id + k[len(value.id) :]] = env[k]
            shape = _Infer("", env).visit(value)
            if shape is not None:
                env[target.id] = list(shape)
        elif isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant):
            defs[(ast.unparse(target.value), target.slice.value)] = value
    return env, defs


def _statements(body):
    for stmt in body:
        yield stmt
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and not isinstance(stmt, ast.FunctionDef):
                yield from _statements(inner)


def _producer(fn, path, defs):
    """The expression that makes the output part at path (the return's item, a dict's entry,
    followed through the names it was assigned to), or None."""
    ret = next((n for n in ast.walk(fn) if isinstance(n, ast.Return) and n.value), None)
    node = ret.value if ret else None
    for key in path:
        if isinstance(node, ast.Name) and node.id in defs:
            node = defs[node.id]
        if isinstance(node, ast.Dict):
            hit = [
                v
                for k, v in zip(node.keys, node.values, strict=True)
                if isinstance(k, ast.Constant) and k.value == key
            ]
            node = hit[0] if hit else None
        elif isinstance(node, ast.Tuple) and isinstance(key, int) and key < len(node.elts):
            node = node.elts[key]
        else:
            found = [v for k, v in defs.items() if isinstance(k, tuple) and k[1] == key]
            node = found[0] if found else None
        if node is None:
            return None
    for _ in range(5):
        if isinstance(node, ast.Name) and node.id in defs:
            node = defs[node.id]
    return node


def _bare(node):
    """(the operand without a trailing .T, whether it had one)."""
    if isinstance(node, ast.Attribute) and node.attr == "T":
        return node.value, True
    return node, False


def _t(node):
    return ast.Attribute(value=node, attr="T", ctx=ast.Load())


def _alternatives(node):
    """The same operands combined in other ways: (kind, new expression)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.MatMult, ast.Mult)):
        (a, _), (b, _) = _bare(node.left), _bare(node.right)
        out = [("mult", ast.BinOp(left=a, op=ast.Mult(), right=b))]
        for left, right in ((a, b), (b, a)):
            for lt in (False, True):
                for rt in (False, True):
                    expr = ast.BinOp(
                        left=_t(left) if lt else left,
                        op=ast.MatMult(),
                        right=_t(right) if rt else right,
                    )
                    out.append(("matmul", expr))
        return out
    call = _reduction(node)
    if call is not None:
        base, axis_node, make = call
        return [("axis", make(k)) for k in range(-1, 4) if k != _axis_value(axis_node)]
    return []


def _axis_value(node):
    return node.value if isinstance(node, ast.Constant) else None


def _reduction(node):
    """(array, axis node, a maker of the same call with another axis) for x.sum(axis=k) and
    np.sum(x, axis=k) (also mean, max, ...), or None."""
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
        return None
    if node.func.attr not in _REDUCE:
        return None
    method = not (isinstance(node.func.value, ast.Name) and node.func.value.id in ("np", "numpy"))
    base = node.func.value if method else (node.args[0] if node.args else None)
    if base is None:
        return None
    axis = next((k.value for k in node.keywords if k.arg == "axis"), None)
    if axis is None:
        rest = node.args if method else node.args[1:]
        axis = rest[0] if rest else None

    def make(k):
        keywords = [ast.keyword(arg="axis", value=ast.Constant(k))]
        if method:
            return ast.Call(func=node.func, args=[], keywords=keywords)
        return ast.Call(func=node.func, args=[base], keywords=keywords)

    return base, axis, make


def _candidates(expr):
    """The operations inside the producing expression, outermost first."""
    return [
        n
        for n in ast.walk(expr)
        if (isinstance(n, ast.BinOp) and isinstance(n.op, (ast.MatMult, ast.Mult)))
        or _reduction(n) is not None
    ]


def shape_reading(source, cases, path, got, want, dims_list, backward=False) -> str:
    """A wrong output shape that the learner's own operands, combined another way, turn into
    the lesson's: `ltm @ f.T` (B, B) where `ltm * f` is (B, H); `x.sum(axis=1)` where axis 0
    gives the lesson's shape; `kept @ da.T` where `kept.T @ da` does."""
    try:
        return _shape_reading(source, cases, path, got, want, dims_list, backward)
    except Exception:  # noqa: BLE001 - a reading is optional
        return ""


def _shape_reading(source, cases, path, got, want, dims_list, backward) -> str:  # noqa: C901
    fn = _function(source)
    if fn is None or not cases:
        return ""
    runs = [_run_shapes(fn, kw) for kw in cases]
    expr = _producer(fn, path, runs[0][1])
    if expr is None:
        return ""
    for node in _candidates(expr):
        shapes = [_Infer("", env).visit(node) for env, _ in runs]
        if any(s is None or tuple(s) != tuple(g) for s, g in zip(shapes, got, strict=True)):
            continue
        alts = [(k, alt) for k, alt in _alternatives(node) if _lesson_form(k, node, path)]
        if backward:  # a weight's gradient is input.T @ d(...): the gradient on the right
            alts.sort(key=lambda ka: not _gradient_right(ka[1]))
        for kind, alt in alts:
            alt_shapes = [_Infer("", env).visit(alt) for env, _ in runs]
            if any(
                s is None or tuple(s) != tuple(w) for s, w in zip(alt_shapes, want, strict=True)
            ):
                continue
            return _reading_text(node, alt, kind, shapes, want, dims_list, backward)
    return ""


def _lesson_form(kind, node, path) -> bool:
    """Whether another way of combining the operands can be the lesson's: a matrix product
    takes a weight and its input, or (for a weight's gradient) an input and a gradient;
    entry by entry combines two quantities neither of which is a weight."""
    if kind == "axis":
        return True
    roles = {_role(node.left), _role(node.right)}
    if kind == "mult":
        return "weight" not in roles
    part = str(path[-1]) if path else ""
    weight_gradient = part.startswith(("W", "dW")) and roles == {"value", "gradient"}
    return ("weight" in roles and len(roles) == 2) or weight_gradient


def _gradient_right(expr) -> bool:
    """Whether a product has a gradient (a name starting with d) as its right operand."""
    if not (isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.MatMult)):
        return False
    right, _ = _bare(expr.right)
    return isinstance(right, ast.Name) and right.id.startswith("d")


def _reading_text(node, alt, kind, shapes, want, dims_list, backward) -> str:
    code, fix = _flat(node), _flat(alt)
    g_sym, w_sym = _symbolic(shapes, dims_list), _symbolic(want, dims_list)
    g_text = _sym_text(g_sym) if g_sym and None not in g_sym else str(tuple(shapes[0]))
    w_text = _sym_text(w_sym) if w_sym and None not in w_sym else str(tuple(want[0]))
    if kind == "mult":
        return (
            f"`{code}` is a matrix product, shape {g_text}; entry by entry (`*` or `+`) these "
            f"two keep the lesson's shape {w_text}: `{fix}` is {w_text}."
        )
    if kind == "axis":
        return (
            f"`{code}` reduces over the wrong axis, giving {g_text}: `{fix}` gives the "
            f"lesson's shape {w_text}."
        )
    op = isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult)
    text = (
        f"`{code}` gives {g_text}"
        + (" (`*` works entry by entry; a product with a weight is `@`)" if op else "")
        + f": the same operands as `{fix}` give the lesson's {w_text}."
    )
    if backward and len(want[0]) == 2:
        text += " A weight's gradient is `input.T @ d(pre-activation)`: (in, out), like the weight."
    return text


# --------------------------------------------------------------------------- the def line


def def_line(source: str, exercise: str, called=None, keyword=("variant",)) -> str:
    """The learner's def line against the check's call: the lesson's parameters in another
    order (the check passes them by position, so each lands in another one's name), or a
    different count. Renamed parameters are fine: only the order of the lesson's names and
    the count are read. `called`: the names the check passes, in order (a case's keys;
    the exercise's parameters when None); those in `keyword` go by name."""
    fn = _function(source)
    if called is None:
        called = [p for p, _ in course_signature(exercise) or ()]
    called = list(called)
    if fn is None or not called:
        return ""
    a = fn.args
    positional = [p for p in called if p not in keyword]
    by_name = [p for p in called if p in keyword]
    mine = [x.arg for x in a.posonlyargs + a.args]
    required = len(mine) - len(a.defaults)
    call = f"{exercise}({', '.join(positional + [f'{k}=...' for k in by_name])})"
    yours = f"({', '.join(mine)})"
    moved = [
        (name, positional[k])
        for k, name in enumerate(mine[: len(positional)])
        if name in positional and positional[k] != name
    ]
    if moved:
        lands = "; ".join(f"your {m} receives the check's {w}" for m, w in moved)
        return (
            f"Your def line takes {yours} but {exercise} is called as {call}, by position: "
            f"{lands}. Keep the lesson's order of parameters."
        )
    named = set(mine) | {x.arg for x in a.kwonlyargs}
    short = a.vararg is None and len(mine) < len(positional)
    extra = required > len(positional)
    unnamed = a.kwarg is None and any(k not in named for k in by_name)
    if short or extra or unnamed:
        n = len(mine) + len(a.kwonlyargs)
        return (
            f"Your def line takes {n} parameter{'s' if n != 1 else ''} {yours} but "
            f"{exercise} is called as {call}: one parameter per argument, in that order."
        )
    return ""


# --------------------------------------------------------------------------- sizes off a shape


def size_axes(source: str, exercise: str) -> str:
    """A lesson size read off the wrong axis of an argument's shape: `H = weight_hh.shape[0]`
    where weight_hh is (4H, H), `H, B = stm.shape` where stm is (B, H)."""
    fn = _function(source)
    sig = dict(course_signature(exercise) or ()) if exercise else {}
    if fn is None or not sig:
        return ""
    texts = []
    for node in ast.walk(fn):
        if not isinstance(node, ast.Assign) or len(node.targets) != 1:
            continue
        target, value = node.targets[0], node.value
        reads = []  # (size name, array name, axis)
        if isinstance(target, ast.Name) and isinstance(value, ast.Subscript):
            shape_of = _shape_of(value.value)
            axis = value.slice.value if isinstance(value.slice, ast.Constant) else None
            if shape_of and type(axis) is int:
                reads.append((target.id, shape_of, axis))
        elif isinstance(target, ast.Tuple) and _shape_of(value):
            reads += [
                (t.id, _shape_of(value), k)
                for k, t in enumerate(target.elts)
                if isinstance(t, ast.Name)
            ]
        for size, array, axis in reads:
            sym = sig.get(array)
            if size not in _SIZES or not sym or not -len(sym) <= axis < len(sym):
                continue
            got = sym[axis]
            if got is None or got == size:
                continue
            right = [j for j, n in enumerate(sym) if n == size]
            code = _flat(node)
            text = (
                f"`{code}` reads {got}, not {size}: {array} is {_sym_text(sym)}, so axis "
                f"{axis % len(sym)} has {got} entries."
            )
            if len(right) == 1:
                text += f" {size} is {array}.shape[{right[0]}]."
            elif not right:
                text += _size_elsewhere(size, sig, _params(fn))
            texts.append(text)
    return "\n".join(dict.fromkeys(texts))


def _size_elsewhere(size, sig, params) -> str:
    """' H is weight_hh.shape[1].' from the first of the function's arrays that has exactly
    one axis of that size ('' when none does)."""
    for name in params:
        sym = sig.get(name)
        axes = [j for j, n in enumerate(sym or ()) if n == size]
        if len(axes) == 1:
            return f" {size} is {name}.shape[{axes[0]}]."
    return ""


def _shape_of(node) -> str:
    """'weight_hh' for `weight_hh.shape` ('' otherwise)."""
    if (
        isinstance(node, ast.Attribute)
        and node.attr == "shape"
        and isinstance(node.value, ast.Name)
    ):
        return node.value.id
    return ""


# ------------------------------------------------------------------------- hand-written activations

_EXP = {"exp", "np.exp", "numpy.exp", "math.exp", "torch.exp"}


def _exp_arg(node):
    """The argument of np.exp(...) (None when node is not such a call)."""
    if isinstance(node, ast.Call) and _dotted(node.func) in _EXP and len(node.args) == 1:
        return node.args[0]
    return None


def _one(node) -> bool:
    return (
        isinstance(node, ast.Constant) and node.value in (1, 1.0) and type(node.value) is not bool
    )


def _sign(node, defs) -> int:
    """-1 for a negated expression (-a, -1 * a, a * -1, a name assigned one), +1 for a
    surely positive-signed one (a name, a product, a sum, a call), 0 when unknown (a - b)."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -1
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        for side in (node.left, node.right):
            if (
                isinstance(side, ast.UnaryOp)
                and isinstance(side.op, ast.USub)
                and _one(side.operand)
            ):
                return -1
            if isinstance(side, ast.Constant) and side.value == -1:
                return -1
    if isinstance(node, ast.Name) and node.id in defs:
        value = defs[node.id]
        return _sign(value, {}) if value is not None else 0
    if isinstance(node, (ast.Name, ast.Attribute, ast.Call, ast.Subscript)):
        return 1
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.MatMult, ast.Mult)):
        return 1
    return 0


def _names_defs(fn) -> dict:
    """name -> its value, for names assigned exactly once in the function."""
    defs: dict = {}
    count: dict = {}
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            t = node.targets[0]
            if isinstance(t, ast.Name):
                defs[t.id] = node.value
                count[t.id] = count.get(t.id, 0) + 1
    return {k: (v if count[k] == 1 else None) for k, v in defs.items()}


def _same(a, b) -> bool:
    return ast.dump(a) == ast.dump(b)


def _sigmoid_slip(node, defs) -> str:
    """What a hand-written sigmoid-like division computes instead, '' when it is right."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left = node.left
        if (
            isinstance(left, ast.BinOp)
            and isinstance(left.op, ast.Div)
            and _one(left.left)
            and _one(left.right)
            and _exp_arg(node.right) is not None
        ):
            return (
                "divides 1 by 1 and then adds the exponential (/ binds tighter than +): the "
                "sigmoid needs parentheses, 1 / (1 + np.exp(-a))"
            )
        return ""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)):
        return ""
    den = node.right
    if not (isinstance(den, ast.BinOp) and isinstance(den.op, (ast.Add, ast.Sub))):
        return ""
    if _one(den.left):
        arg = _exp_arg(den.right)
    elif _one(den.right) and isinstance(den.op, ast.Add):
        arg = _exp_arg(den.left)
    else:
        arg = None
    if arg is None:
        return ""
    sign = _sign(arg, defs)
    if isinstance(den.op, ast.Sub):
        return "subtracts the exponential: the sigmoid is 1 / (1 + np.exp(-a)), with +"
    a = _flat(arg.operand if sign < 0 and isinstance(arg, ast.UnaryOp) else arg)
    if _one(node.left) and sign > 0:
        return (
            f"is missing the minus: the sigmoid is 1 / (1 + np.exp(-a)); with np.exp(a) it "
            f"gives sigmoid(-a) = 1 - sigmoid(a), here for a = {a}"
        )
    num = _exp_arg(node.left)
    if num is not None and _same(num, arg) and sign < 0:
        return (
            f"is exp(-a) / (1 + exp(-a)) = 1 - sigmoid(a), here for a = {a}: the sigmoid is "
            "1 / (1 + np.exp(-a)) (or np.exp(a) / (1 + np.exp(a)))"
        )
    return ""


def _tanh_slip(node) -> str:
    """What a hand-written (e^a - e^-a) / (e^a + e^-a) computes instead, '' when right."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)):
        return ""
    num, den = node.left, node.right
    pair = []
    for part in (num, den):
        if not (isinstance(part, ast.BinOp) and isinstance(part.op, (ast.Add, ast.Sub))):
            return ""
        l, r = _exp_arg(part.left), _exp_arg(part.right)
        if l is None or r is None:
            return ""
        pair.append((part.op, l, r))
    (n_op, n_l, n_r), (d_op, d_l, d_r) = pair
    if not isinstance(n_op, ast.Sub):
        return ""
    positive = [
        x for x in (n_l, n_r) if not (isinstance(x, ast.UnaryOp) and isinstance(x.op, ast.USub))
    ]
    negative = [x for x in (n_l, n_r) if x not in positive]
    if len(positive) != 1 or len(negative) != 1 or not _same(negative[0].operand, positive[0]):
        return ""
    if not {ast.dump(d_l), ast.dump(d_r)} == {ast.dump(n_l), ast.dump(n_r)}:
        return ""
    if isinstance(d_op, ast.Sub):
        return "subtracts in the denominator: tanh(a) = (e^a - e^-a) / (e^a + e^-a)"
    if n_l is negative[0]:
        return "is reversed in the numerator, e^-a - e^a: that is -tanh(a)"
    return ""


def hand_activations(source: str) -> str:
    """A sigmoid or tanh written out by hand that computes something else: 1/(1+exp(a))
    without the minus, exp(-a)/(1+exp(-a)), 1/1 + exp(-a), (e^-a - e^a)/(e^a + e^-a)."""
    tree = _parse_source(source)  # the function and the learner's helpers shipped after it
    if tree is None:
        return ""
    defs = _names_defs(tree)
    texts = []
    for node in ast.walk(tree):
        slip = _sigmoid_slip(node, defs) or _tanh_slip(node)
        if slip:
            code = _flat(node)
            texts.append(f"Your hand-written activation `{code}` {slip}.")
    return "\n".join(dict.fromkeys(texts))
