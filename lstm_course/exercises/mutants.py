"""Explain a wrong answer nobody catalogued: search small edits ("mutants") of the reference.

The catalogue of known mistakes (``derive`` edits in the exercise modules) names the slips the
course's authors thought of. A learner who makes an unlisted slip, or two slips at once, gets
only "your values differ". This module searches edits of the reference's *teachable body* (the
text between the solution markers, without the def line) for one whose output equals the
learner's on every case, and says what that edit is, in the lesson's words::

    search = searcher(def_line, body, namespace)       # cached per text
    found = search.explain(matches, quick=quick)       # Mutant or None
    found.text  ->  "in `N_t = tanh(x @ W_n + b_n)` you used sigmoid where the lesson has tanh"

Everything is generated from the body's AST (node positions give exact character spans), so a
change in a reference changes its mutants with it; nothing here knows an exercise by name
except the lesson's vocabulary (which names are memories, gate values, weights and biases).

A ``Mutant`` is a set of non-overlapping text edits plus one learner-facing sentence per slip.
``single_mutants`` makes the one-slip edits (the kinds: KINDS); ``compose`` joins two of them;
``mutant_from_text`` turns a catalogued mistake's body into a mutant (to pair it with a slip);
``MutantSearch.explain`` tries the singles, then pairs, and stops at the first that matches
(the number of pairs is capped: see MutantSearch). The module is pure: NumPy and the standard
library only.

For a judge (sketch)::

    def_line, body = split_function(function_source(ex.reference))
    catalogue = [mutant_from_text(body, split_function(function_source(m.fn))[1],
                                  m.diagnosis) for m in ex.mistakes_for(**options)]
    search = searcher(def_line, body, source_namespace(), catalogue=catalogue)
    value = lambda fn, case: normalize(fn(**case))
    found = search.explain(
        matches=lambda fn: all(_matches(ex, value(fn, c), o.value, rel)
                               for c, o in zip(cases, outcomes)),
        quick=lambda fn: _matches(ex, value(fn, cases[0]), outcomes[0].value, rel),
        probe=lambda fn: fn(**cases[0]))
    if found: "Two slips: ..." -> found.text
"""

from __future__ import annotations

import ast
import difflib
import inspect
import io
import re
import textwrap
import time
import tokenize
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "KINDS",
    "Mutant",
    "single_mutants",
    "compose",
    "apply",
    "build",
    "mutant_from_text",
    "split_function",
    "MutantSearch",
    "searcher",
    "plausible_swap",
    "is_weight",
]

Edit = tuple[int, int, str]

# --------------------------------------------------------------------------- the lesson's words

# Names whose values are interchangeable in shape and meaning, so that a learner plausibly writes
# one for another (a name is only ever replaced by another of its group that the body has).
_GROUPS = (
    frozenset(
        {"stm", "ltm", "event", "x", "forget_out", "learn_out", "kept", "new_stm", "new_ltm"}
    ),
    frozenset({"N_t", "i_t", "f_t", "U_t", "V_t", "N", "i", "f", "U", "V"}),
    frozenset({"dstm", "dltm", "dnew_ltm", "dkept", "dkept_use", "dltm_total", "dltm_prev"}),
    frozenset({"dN", "di", "df", "dV", "da_u"}),
    frozenset({"stm0", "ltm0"}),
)
# Names that share one of these prefixes (W_n, W_i; b_n, b_i; weight_ih, weight_hh) form a group.
_PREFIXES = ("W", "b", "weight", "bias")
# Values in (0, 1) by the lesson's naming: `x` -> `(1 - x)` is a plausible slip for these.
_SIGMOID_NAMES = frozenset({"i_t", "f_t", "V_t", "i", "f", "V"})
# ... and values in (-1, 1), squashed by tanh (whose derivative is 1 - x**2, not x * (1 - x)).
_TANH_NAMES = frozenset({"N_t", "U_t", "N", "U"})
_ACTIVATIONS = {"tanh": "sigmoid", "sigmoid": "tanh"}

_GLOSS = {
    "stm": "the short-term memory",
    "ltm": "the long-term memory",
    "event": "the event",
    "x": "[STM_{t-1}, E_t]",
    "forget_out": "the Forget gate's output",
    "learn_out": "the Learn gate's output",
    "kept": "what the LTM kept",
    "new_stm": "the new STM",
    "new_ltm": "the new LTM",
    "N_t": "the new information",
    "i_t": "the ignore factor",
    "f_t": "the forget factor",
}

_OP_SYMBOL = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.MatMult: "@",
    ast.Pow: "**",
    ast.Div: "/",
}
# (what the learner did, what the lesson does)
_OP_WORDS = {
    ast.Add: ("added", "adds"),
    ast.Sub: ("subtracted", "subtracts"),
    ast.Mult: ("multiplied element-wise (*)", "multiplies element-wise (*)"),
    ast.MatMult: ("used a matrix product (@)", "has a matrix product (@)"),
    ast.Pow: ("raised to a power (**)", "raises to a power (**)"),
    ast.Div: ("divided", "divides"),
}
_OP_SWAPS = {
    ast.Add: (ast.Mult, ast.Sub),
    ast.Sub: (ast.Add,),
    ast.Mult: (ast.Add, ast.MatMult),
    ast.MatMult: (ast.Mult,),
    ast.Pow: (ast.Mult,),
}
_AXIS_SWAPS = {0: (1,), 1: (0,), -1: (0,)}

# Kinds in the order the search tries them (the commonest slips first); pairs follow this order.
KINDS = (
    "term_dropped",
    "activation_swapped",
    "name_swapped",
    "operator",
    "transposed",
    "args_swapped",
    "one_minus",
    "factor_dropped",
    "order_swapped",
    "axis",
    "activation_dropped",
    "transpose_dropped",
    "accumulate",
    "condition",
    "term_outside",
    "slice_bound",
    "loop_range",
    "activation_added",
    "derivative_form",
    "derivative_dropped",
    "derivative_added",
    "value_swapped",
    "derivative_other",
    "derivative_reactivated",
    "activation_on_input",
    "bias_in_product",
)
_RANK = {k: n for n, k in enumerate(KINDS)}


# --------------------------------------------------------------------------- mutants


@dataclass(frozen=True)
class Mutant:
    """Edits of a body that make one or more slips.

    edits: non-overlapping character spans (start, end, replacement) in the body text, sorted;
    what: one learner-facing sentence per slip (a slip may need several edits, e.g. a swap);
    kind: one tag per slip (see KINDS; 'catalogue' for a known mistake).
    """

    edits: tuple[Edit, ...]
    what: tuple[str, ...]
    kind: tuple[str, ...]

    @property
    def slips(self) -> int:
        return len(self.what)

    @property
    def text(self) -> str:
        """The sentences for the learner: one slip as is, several numbered."""
        if len(self.what) == 1:
            return self.what[0]
        return (
            f"{len(self.what)} slips: "
            + "; ".join(f"({n}) {w.rstrip('.')}" for n, w in enumerate(self.what, 1))
            + "."
        )

    def source(self, body: str) -> str:
        return apply(body, self.edits)


def _overlap(a: Edit, b: Edit) -> bool:
    (s1, e1, _), (s2, e2, _) = a, b
    if s1 < e2 and s2 < e1:
        return True
    return s1 == s2 and (s1 == e1) == (s2 == e2)  # two insertions (or two spans) at one place


def compose(a: Mutant, b: Mutant) -> Mutant | None:
    """Both mutants' edits at once, or None when an edit of one overlaps an edit of the other."""
    for x in a.edits:
        for y in b.edits:
            if _overlap(x, y):
                return None
    if b.edits and (not a.edits or b.edits[0] < a.edits[0]):
        a, b = b, a  # the slips in reading order
    return Mutant(tuple(sorted(a.edits + b.edits)), a.what + b.what, a.kind + b.kind)


def apply(body: str, edits: Iterable[Edit]) -> str:
    """The body with the edits made (ValueError if two of them overlap)."""
    out, pos = [], 0
    for start, end, new in sorted(edits):
        if start < pos:
            raise ValueError(f"overlapping edits at {start}")
        out.append(body[pos:start])
        out.append(new)
        pos = end
    out.append(body[pos:])
    return "".join(out)


def mutant_from_text(body: str, new_body: str, what: str, kind: str = "catalogue") -> Mutant:
    """The mutant that turns body into new_body (a token-level diff), e.g. a catalogued
    mistake's body, so that the search can pair it with a single slip."""
    tok = re.compile(r"\s*(?:\w+|\S)")  # a token with the whitespace before it
    a = [(m.start(), m.end(), m.group()) for m in tok.finditer(body)]
    b = [(m.start(), m.end(), m.group()) for m in tok.finditer(new_body)]
    a.append((a[-1][1] if a else 0, len(body), body[a[-1][1] if a else 0 :]))
    b.append((b[-1][1] if b else 0, len(new_body), new_body[b[-1][1] if b else 0 :]))
    sm = difflib.SequenceMatcher(None, [t[2] for t in a], [t[2] for t in b], autojunk=False)
    edits = []
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            continue
        start = a[i1][0] if i1 < len(a) else len(body)
        end = a[i2 - 1][1] if i2 > i1 else start
        new = new_body[b[j1][0] : b[j2 - 1][1]] if j2 > j1 else ""
        edits.append((start, end, new))
    return Mutant(tuple(edits), (what,), (kind,))


# --------------------------------------------------------------------------- generating singles


class _Body:
    """The body's text, AST and the helpers that turn nodes into spans and quotes."""

    def __init__(self, body: str, arg_names: Sequence[str]):
        self.body = body
        self.tree = ast.parse(body)
        self.lines = body.splitlines(keepends=True)
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))
        self.parent: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                self.parent[child] = node
        assigned = set()
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                assigned.add(node.id)
        self.args = set(arg_names)
        self.pool = self.args | assigned
        # where each local (not an argument) is first assigned: a slip only uses it after that
        self.defined: dict[str, int] = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                if node.id not in self.args:
                    stmt = self.statement(node)
                    end = self.span(stmt)[1] if not isinstance(stmt, ast.For) else 0
                    end = end or self.span(node)[1]
                    self.defined[node.id] = min(self.defined.get(node.id, end), end)
        self.sigmoid_valued = {n for n in self.pool if n in _SIGMOID_NAMES}
        self.tanh_valued = {n for n in self.pool if n in _TANH_NAMES}
        self.assigned_by: dict[str, ast.Assign] = {}  # `name = value`, its only binding
        stores: dict[str, int] = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                stores[node.id] = stores.get(node.id, 0) + 1
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name):
                    self.assigned_by[target.id] = node
                    act = _call_name(node.value)
                    if act == "sigmoid":
                        self.sigmoid_valued.add(target.id)
                    elif act == "tanh":
                        self.tanh_valued.add(target.id)
        for name, k in stores.items():
            if k > 1 or name in self.args:
                self.assigned_by.pop(name, None)
        self.found: dict[tuple, Mutant] = {}
        self.same_shape: list[frozenset[str]] = []

    # -- positions
    def pos(self, lineno: int, col: int) -> int:
        line = self.lines[lineno - 1]
        return self.starts[lineno - 1] + len(line.encode()[:col].decode(errors="replace"))

    def span(self, node) -> tuple[int, int]:
        return (
            self.pos(node.lineno, node.col_offset),
            self.pos(node.end_lineno, node.end_col_offset),
        )

    def seg(self, node) -> str:
        s, e = self.span(node)
        return self.body[s:e]

    def full_span(self, node, within) -> tuple[int, int] | None:
        """node's span with the parentheses around it that lie inside `within`'s span."""
        s, e = self.span(node)
        ws, we = self.span(within)
        k, i = 0, s
        while i > ws:
            c = self.body[i - 1]
            if c == "(":
                k += 1
            elif not c.isspace():
                break
            i -= 1
        start, j, closed = i if k else s, e, 0
        while closed < k:
            if j >= we:
                return None
            c = self.body[j]
            if c == ")":
                closed += 1
            elif not c.isspace():
                return None
            j += 1
        return start, j

    def statement(self, node):
        while node in self.parent and not isinstance(node, ast.stmt):
            node = self.parent[node]
        return node

    def quote(self, node) -> str:
        """The reference statement that holds node, without comments, whitespace collapsed
        (a compound statement by its header)."""
        stmt = self.statement(node)
        if isinstance(stmt, (ast.If, ast.For, ast.While, ast.With)):
            line = self.lines[stmt.lineno - 1]
            text = _strip_comment(line).strip()
        else:
            text = _strip_comment(self.seg(stmt))
        return " ".join(text.split())

    # -- recording
    def add(self, kind: str, edits: Sequence[Edit], what: str) -> None:
        edits = tuple(sorted(e for e in edits if self.body[e[0] : e[1]] != e[2]))
        if not edits:
            return
        try:
            apply(self.body, edits)
        except ValueError:
            return
        key = edits
        if key not in self.found:
            self.found[key] = Mutant(edits, (what,), (kind,))

    def mutants(self) -> list[Mutant]:
        return sorted(self.found.values(), key=lambda m: (_RANK[m.kind[0]], m.edits))


def _strip_comment(text: str) -> str:
    try:
        cut = []
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                cut.append((tok.start, tok.end))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return "\n".join(re.sub(r"#[^\"']*$", "", ln) for ln in text.splitlines())
    lines = text.splitlines(keepends=True)
    for (r, c0), (_, c1) in reversed(cut):
        line = lines[r - 1]
        lines[r - 1] = line[:c0] + line[c1:]
    return "".join(lines)


def _call_name(node) -> str | None:
    if isinstance(node, ast.Call):
        f = node.func
        if isinstance(f, ast.Name):
            return f.id
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "np":
            return f.attr
    return None


def _group_key(name: str) -> str | None:
    head = name.split("_", 1)[0]
    if "_" in name and head in _PREFIXES:
        return head
    return None


def _plausible(a: str, b: str) -> bool:
    if a == b:
        return False
    ka = _group_key(a)
    if ka is not None and ka == _group_key(b):
        return True
    return any(a in g and b in g for g in _GROUPS)


def plausible_swap(a: str, b: str) -> bool:
    """Whether a learner plausibly writes input `a` where `b` belongs (two memories, two weights
    or two biases of the lesson): the judge's value-level swaps use the same groups."""
    return _plausible(a, b)


def is_weight(name: str) -> bool:
    """A weight matrix by the lesson's naming (W_n, weight_ih)."""
    return _is_weight(name)


def _named(name: str) -> str:
    gloss = _GLOSS.get(name)
    return f"{name} ({gloss})" if gloss else name


def _is_weight(name: str) -> bool:
    return name.startswith(("W", "weight"))


def single_mutants(
    body: str, arg_names: Sequence[str] = (), same_shape: Iterable[Iterable[str]] = ()
) -> list[Mutant]:
    """Every one-slip edit of body, from its AST, commonest kinds first (see KINDS).

    arg_names: the function's parameters (with the body's assigned names they are the names a
    slip may use instead of another). same_shape: groups of inputs that have one shape in every
    case (`ltm`, `f`; `cache["kept"]`, `cache["ltm"]`): one passed for another raises no error.
    Edits that change nothing are not made.
    """
    b = _Body(body, arg_names)
    b.same_shape = [frozenset(g) for g in same_shape]
    nodes = sorted(
        (n for n in ast.walk(b.tree) if hasattr(n, "lineno")),
        key=lambda n: (n.lineno, n.col_offset, -n.end_lineno, -n.end_col_offset),
    )
    for node in nodes:
        if isinstance(node, ast.BinOp):
            _binop(b, node)
        elif isinstance(node, ast.Call):
            _call(b, node)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            _name(b, node)
            _value_swapped(b, node)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            _attribute(b, node)
        elif isinstance(node, ast.Tuple) and _returned_or_assigned(b, node):
            _swap_items(b, node, node.elts, "order_swapped")
        elif isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add):
            _augassign(b, node)
        elif isinstance(node, ast.Compare) and len(node.ops) == 1:
            _compare(b, node)
        elif isinstance(node, ast.Subscript):
            _value_swapped(b, node)
        if isinstance(node, ast.Slice):
            _slice_bounds(b, node)
            _split_moved(b, node)
        if isinstance(node, (ast.Assign, ast.Return)):
            _activation_added(b, node)
        if isinstance(node, ast.Assign):
            _derivative_added(b, node)
    return b.mutants()


def _returned_or_assigned(b: _Body, node: ast.Tuple) -> bool:
    """A tuple returned or assigned (or unpacked into), possibly inside another such tuple."""
    parent = b.parent.get(node)
    while isinstance(parent, ast.Tuple):
        node, parent = parent, b.parent.get(parent)
    if isinstance(parent, ast.Return):
        return True
    return isinstance(parent, ast.Assign) and (parent.value is node or node in parent.targets)


def _op_span(b: _Body, node) -> tuple[int, int, tuple[int, int], tuple[int, int]] | None:
    """(start, end) of node's operator symbol, and the full spans of its operands."""
    left = b.full_span(node.left, node)
    right = b.full_span(node.right, node)
    if left is None or right is None:
        return None
    gap = b.body[left[1] : right[0]]
    sym = _OP_SYMBOL.get(type(node.op))
    if sym is None:
        return None
    m = re.search(re.escape(sym) if sym != "*" else r"(?<!\*)\*(?!\*)", gap)
    if m is None:
        return None
    return left[1] + m.start(), left[1] + m.end(), left, right


def _binop(b: _Body, node: ast.BinOp) -> None:
    if any(
        isinstance(x, ast.Constant) and isinstance(x.value, str) for x in (node.left, node.right)
    ):
        return  # a string built from parts ("W_" + k): not the lesson's arithmetic
    found = _op_span(b, node)
    if found is None:
        return
    o0, o1, left, right = found
    quote = b.quote(node)
    old = type(node.op)
    for new in _OP_SWAPS.get(old, ()):
        expr = b.body[left[0] : o0] + _OP_SYMBOL[new] + b.body[o1 : right[1]]
        did, does = _OP_WORDS[new][0], _OP_WORDS[old][1]
        sub = "" if expr.strip() == quote else f" (`{' '.join(expr.split())}`)"
        b.add(
            "operator",
            [(o0, o1, _OP_SYMBOL[new])],
            f"in `{quote}` you {did} where the lesson {does}{sub}",
        )
    _derivative_form(b, node)
    _derivative_other(b, node)
    _derivative_reactivated(b, node)
    _bias_in_product(b, node)
    _term_inside(b, node, found)
    parent = b.parent.get(node)
    returned = isinstance(parent, ast.Return)
    if old in (ast.Add, ast.Sub):
        for dropped, keep, edit in (
            (node.right, node.left, (left[1], right[1], "")),
            (node.left, node.right, (left[0], right[0], "" if old is ast.Add else "-")),
        ):
            term = " ".join(b.seg(dropped).split())
            factor = " ".join(b.seg(node).split())
            if (
                isinstance(keep, ast.Constant)
                and keep.value == 1
                and isinstance(parent, ast.BinOp)
                and isinstance(parent.op, ast.Mult)
            ):  # `x * (1 - V)` -> `x * 1`: the whole factor is gone, V may be elsewhere
                what = f"you left out the factor ({factor}) in `{quote}`"
            elif _is_bias(dropped):
                what = f"you left out the bias {term} in `{quote}`"
            elif returned:
                what = f"you returned `{b.seg(keep)}`: the lesson returns `{quote[7:]}`"
            else:
                what = f"you left out `{term}` in `{quote}`"
            b.add("term_dropped", [edit], what)
    if old is ast.Mult:
        for dropped, keep, edit in (
            (node.right, node.left, (left[1], right[1], "")),
            (node.left, node.right, (left[0], right[0], "")),
        ):
            kept = " ".join(b.seg(keep).split())
            if returned:
                what = f"you returned {kept} alone; the lesson returns `{quote[7:]}`"
            else:
                term = " ".join(b.seg(dropped).split())
                what = f"you left out the factor {term} in `{quote}`"
            b.add("factor_dropped", [edit], what)
        for operand in (node.left, node.right):
            if isinstance(operand, ast.Name) and operand.id in b.sigmoid_valued:
                s, e = b.span(operand)
                n = operand.id
                b.add(
                    "one_minus",
                    [(s, e, f"(1 - {n})")],
                    f"in `{quote}` you used (1 - {n}) where the lesson has {n}",
                )


def _is_bias(node) -> bool:
    if isinstance(node, ast.Name):
        return _group_key(node.id) in ("b", "bias")
    if isinstance(node, ast.Attribute):
        return _group_key(node.attr) in ("b", "bias")
    return False


def _call(b: _Body, node: ast.Call) -> None:
    name = _call_name(node)
    quote = b.quote(node)
    if name in _ACTIVATIONS:
        s, e = b.span(node.func)
        other = _ACTIVATIONS[name]
        b.add(
            "activation_swapped",
            [(s, e, other)],
            f"in `{quote}` you used {other} where the lesson has {name}",
        )
        if len(node.args) == 1 and not node.keywords:
            inner = " ".join(b.seg(node.args[0]).split())
            b.add(
                "activation_dropped",
                [(s, e, "")],
                f"in `{quote}` you left out the {name}: the lesson squashes `{inner}` with it",
            )
            _term_outside(b, node, name)
            _activation_on_input(b, node, name)
    if name == "range":
        _loop_range(b, node)
    args = [a for a in node.args if not isinstance(a, (ast.Constant, ast.Starred))]
    if len(args) == len(node.args):
        _swap_items(b, node, node.args, "args_swapped")
    for a in node.args[:1]:
        if isinstance(a, (ast.List, ast.Tuple)):
            _swap_items(b, a, a.elts, "args_swapped")
    for k, kw in enumerate(node.keywords):
        if kw.arg != "axis":
            continue
        value = ast.literal_eval(kw.value) if _is_int(kw.value) else None
        s, e = b.span(kw.value)
        for new in _AXIS_SWAPS.get(value, ()):
            b.add(
                "axis",
                [(s, e, str(new))],
                f"in `{quote}` you used axis={new} where the lesson has axis={value}",
            )
        ks, ke = b.span(kw)
        prev = node.keywords[k - 1] if k else (node.args[-1] if node.args else None)
        start = b.span(prev)[1] if prev is not None else ks
        b.add(
            "axis",
            [(start, ke, "")],
            f"in `{quote}` you left out axis={b.seg(kw.value)}",
        )


def _loop_range(b: _Body, node: ast.Call) -> None:
    """A loop over the steps that starts at 1 or stops one short: `range(1, T)`, `range(T - 1)`
    where the lesson has `range(T)`."""
    if len(node.args) != 1 or node.keywords or _is_int(node.args[0]):
        return
    n = b.seg(node.args[0])
    s, e = b.span(node.args[0])
    b.add(
        "loop_range",
        [(s, e, f"1, {n}")],
        f"your loop runs over range(1, {n}): it skips the first step (t = 0); the lesson's "
        f"`range({n})` starts at 0",
    )
    b.add(
        "loop_range",
        [(s, e, f"{n} - 1")],
        f"your loop runs over range({n} - 1): it stops one step short (it never reaches "
        f"t = {n} - 1); the lesson's `range({n})` takes every step",
    )


def _is_int(node) -> bool:
    try:
        return isinstance(ast.literal_eval(node), int)
    except ValueError:
        return False


def _swap_items(b: _Body, node, items, kind: str) -> None:
    quote = b.quote(node)
    for x, y in zip(items, items[1:], strict=False):
        if isinstance(x, (ast.Constant, ast.Starred)) or isinstance(y, (ast.Constant, ast.Starred)):
            continue
        tx, ty = b.seg(x), b.seg(y)
        if tx == ty or not _same_kind(x, y):
            continue
        (xs, xe), (ys, ye) = b.span(x), b.span(y)
        if kind == "order_swapped":
            what = f"in `{quote}` you swapped {tx} and {ty} (the lesson's order is {tx}, {ty})"
        elif _call_name(node) == "concat" or isinstance(node, (ast.List, ast.Tuple)):
            what = (
                f"in `{quote}` you joined {ty} before {tx}; the lesson's order is "
                f"[{tx}, {ty}] (which rows of a weight matrix meet which input)"
            )
        else:
            f = " ".join(b.seg(node.func).split()) if isinstance(node, ast.Call) else ""
            what = (
                f"in `{quote}` you passed {ty} where {f}(...) takes {tx}, and {tx} "
                f"where it takes {ty} (arguments swapped)"
            )
        b.add(kind, [(xs, xe, ty), (ys, ye, tx)], what)


def _same_kind(x, y) -> bool:
    """Two arguments a learner plausibly passes in each other's place (two memories, two
    weights): arguments of different kinds swapped make an error, not a wrong value."""
    if isinstance(x, ast.Name) and isinstance(y, ast.Name):
        return _plausible(x.id, y.id)
    if isinstance(x, ast.Attribute) and isinstance(y, ast.Attribute):
        return _group_key(x.attr) is not None and _group_key(x.attr) == _group_key(y.attr)
    if isinstance(x, ast.Subscript) and isinstance(y, ast.Subscript):
        return ast.dump(x.value) == ast.dump(y.value)  # two slices of one array
    return False


def _name(b: _Body, node: ast.Name) -> None:
    n = node.id
    if n not in b.pool:
        return
    parent = b.parent.get(node)
    if isinstance(parent, ast.Call) and parent.func is node:
        return
    quote = b.quote(node)
    s, e = b.span(node)
    for other in sorted(b.pool):
        if (_plausible(n, other) or _same_activation(b, n, other)) and b.defined.get(other, -1) < s:
            b.add(
                "name_swapped",
                [(s, e, other)],
                f"in `{quote}` you used {_named(other)} where it has {_named(n)}"
                + _or_computed_as(b, n, other),
            )
    transposed = isinstance(parent, ast.Attribute) and parent.attr == "T"
    if _is_weight(n) and not transposed:
        b.add("transposed", [(e, e, ".T")], _transposed_text(quote, n))
    _derivative_dropped(b, node)


def _transposed_text(quote: str, w: str) -> str:
    return (
        f"in `{quote}` {w} is transposed ({w}.T): with a square matrix that raises no error, "
        "but the numbers are wrong"
    )


def _attribute(b: _Body, node: ast.Attribute) -> None:
    quote = b.quote(node)
    s, e = b.span(node)
    if node.attr == "T":
        inner = " ".join(b.seg(node.value).split())
        vs, ve = b.span(node.value)
        b.add(
            "transpose_dropped",
            [(ve, e, "")],
            f"in `{quote}` you used {inner} where the lesson has its transpose {inner}.T",
        )
        return
    key = _group_key(node.attr)
    if key is None:
        return
    base = b.seg(node.value)
    attrs = sorted(
        {
            n.attr
            for n in ast.walk(b.tree)
            if isinstance(n, ast.Attribute) and b.seg(n.value) == base
        }
    )
    full = " ".join(b.seg(node).split())
    for other in attrs:
        if other != node.attr and _group_key(other) == key:
            b.add(
                "name_swapped",
                [(e - len(node.attr), e, other)],
                f"in `{quote}` you used {base}.{other} where it has {full}",
            )
    parent = b.parent.get(node)
    transposed = isinstance(parent, ast.Attribute) and parent.attr == "T"
    if _is_weight(node.attr) and not transposed:
        b.add("transposed", [(e, e, ".T")], _transposed_text(quote, full))


def _augassign(b: _Body, node: ast.AugAssign) -> None:
    ts, te = b.span(node.target)
    vs, _ = b.span(node.value)
    m = re.search(r"\+=", b.body[te:vs])
    if m is None:
        return
    target = b.seg(node.target)
    b.add(
        "accumulate",
        [(te + m.start(), te + m.end(), "=")],
        f"in `{b.quote(node)}` you wrote `=` where the lesson adds up with `+=`: {target} keeps "
        "only the last term",
    )


def _slice_bounds(b: _Body, node: ast.Slice) -> None:
    """A slice's bound off by one: `dx[:, :H + 1]` where the lesson has `dx[:, :H]`."""
    for bound in (node.lower, node.upper):
        if not (isinstance(bound, ast.Name) or _is_int(bound)):
            continue
        s, e = b.span(bound)
        old = b.seg(bound)
        for sign in ("+", "-"):
            if isinstance(bound, ast.Name):
                new = f"{old} {sign} 1"
            else:
                value = ast.literal_eval(bound) + (1 if sign == "+" else -1)
                if value == 0 or (value < 0) != (ast.literal_eval(bound) < 0):
                    continue
                new = str(value)
            b.add(
                "slice_bound",
                [(s, e, new)],
                f"in `{b.quote(node)}` you sliced at {new} where the lesson slices at {old} "
                "(off by one)",
            )


def _split_moved(b: _Body, node: ast.Slice) -> None:
    """One bound shared by several slices of a statement (`dx[:, :H], dx[:, H:]`, a split at H)
    moved by one in all of them: one slip."""
    stmt = b.statement(node)
    for bound in (node.lower, node.upper):
        if not isinstance(bound, ast.Name):
            continue
        same = [
            x
            for sl in ast.walk(stmt)
            if isinstance(sl, ast.Slice)
            for x in (sl.lower, sl.upper)
            if isinstance(x, ast.Name) and x.id == bound.id
        ]
        if len(same) < 2:
            continue
        for sign in ("+", "-"):
            b.add(
                "slice_bound",
                [(*b.span(x), f"{bound.id} {sign} 1") for x in same],
                f"in `{b.quote(node)}` you split at {bound.id} {sign} 1 where the lesson splits "
                f"at {bound.id} (off by one)",
            )


def _compare(b: _Body, node: ast.Compare) -> None:
    swap = {ast.Eq: ("==", "!="), ast.NotEq: ("!=", "==")}.get(type(node.ops[0]))
    if swap is None:
        return
    ls, le = b.span(node.left)
    rs, _ = b.span(node.comparators[0])
    m = re.search(re.escape(swap[0]), b.body[le:rs])
    if m is None:
        return
    b.add(
        "condition",
        [(le + m.start(), le + m.end(), swap[1])],
        f"your `{b.quote(node)}` branch is the wrong way round (the two cases swapped)",
    )


# --------------------------------------------------------------------------- activations and
# derivatives: where a squashing function or its derivative goes


def _same_activation(b: _Body, n: str, other: str) -> bool:
    """Two locals both assigned from one activation (the GRU's r and z, two sigmoids): a learner
    plausibly writes one for the other."""
    if n == other or n in b.args or other in b.args:
        return False
    return any(n in group and other in group for group in (b.sigmoid_valued, b.tanh_valued))


def _or_computed_as(b: _Body, n: str, other: str) -> str:
    """For a swap of two same-activation locals, n used only here: the same output comes from
    computing n as `other` is computed, so both lines are named."""
    if not _same_activation(b, n, other) or n not in b.assigned_by:
        return ""
    uses = [x for x in ast.walk(b.tree) if isinstance(x, ast.Name) and x.id == n]
    if sum(isinstance(x.ctx, ast.Load) for x in uses) != 1:
        return ""
    return f" (the same output as computing your {n} the way {other} is computed: check both lines)"


def _term_outside(b: _Body, call: ast.Call, act: str) -> None:
    """`tanh(a + b)` written `tanh(a) + b`: the last term added after the activation."""
    arg = call.args[0]
    if not isinstance(arg, ast.BinOp) or type(arg.op) not in (ast.Add, ast.Sub):
        return
    found = _op_span(b, arg)
    if found is None:
        return
    _, _, left, right = found
    cs, ce = b.span(call)
    if b.body[left[1] : right[0]].count("(") or b.body[ce - 1] != ")":
        return
    sym = _OP_SYMBOL[type(arg.op)]
    term = " ".join(b.seg(arg.right).split())
    moved = b.body[right[0] : right[1]]
    parent = b.parent.get(call)
    bare = isinstance(parent, (ast.Assign, ast.Return, ast.Expr))
    edits = [(left[1], right[1], ""), (ce, ce, f" {sym} {moved}" + ("" if bare else ")"))]
    if not bare:
        edits.append((cs, cs, "("))
    did, does = ("added", "adds") if sym == "+" else ("subtracted", "subtracts")
    b.add(
        "term_outside",
        edits,
        f"in `{b.quote(call)}` you {did} {term} after the {act}; the lesson {does} it "
        f"inside, before squashing: {' '.join(b.seg(call).split())}",
    )


def _term_inside(b: _Body, node: ast.BinOp, found) -> None:
    """`tanh(a) + b` written `tanh(a + b)`: a term taken into the activation."""
    act = _call_name(node.left)
    if act not in _ACTIVATIONS or type(node.op) not in (ast.Add, ast.Sub, ast.Mult):
        return
    _, _, left, right = found
    cs, ce = b.span(node.left)
    if (cs, ce) != left or b.body[ce - 1] != ")":
        return
    term = " ".join(b.seg(node.right).split())
    sym = _OP_SYMBOL[type(node.op)]
    b.add(
        "term_outside",
        [(ce - 1, ce, ""), (right[1], right[1], ")")],
        f"in `{b.quote(node)}` you put `{sym} {term}` inside the {act}; the lesson applies it "
        f"after squashing: {' '.join(b.seg(node).split())}",
    )


def _activation_added(b: _Body, stmt) -> None:
    """An extra tanh or sigmoid around a computed value (`return tanh(forget_out + learn_out)`):
    for the arithmetic a statement assigns or returns, gradients excepted."""
    value = stmt.value
    if value is None:
        return
    if isinstance(stmt, ast.Assign):
        target = stmt.targets[0]
        if len(stmt.targets) != 1 or not isinstance(target, ast.Name):
            return
        if _is_gradient(b, target.id):
            return
    items = value.elts if isinstance(value, ast.Tuple) else [value]
    for item in items:
        if not isinstance(item, ast.BinOp) or not _lesson_values(b, item):
            continue
        s, e = b.span(item)
        expr = " ".join(b.seg(item).split())
        for act in ("tanh", "sigmoid"):
            b.add(
                "activation_added",
                [(s, s, f"{act}("), (e, e, ")")],
                f"in `{b.quote(item)}` you applied {act} to `{expr}`; the lesson does not "
                f"squash it there",
            )


def _is_gradient(b: _Body, name: str) -> bool:
    """A gradient by the lesson's naming: dstm, dkept, dN, da_u, ... (d + a value's name)."""
    if any(name in g for g in _GROUPS[2:4]):
        return True
    return name.startswith("d") and len(name) > 1 and (name[1:] in b.pool or name[1:2] == "a")


def _lesson_values(b: _Body, node) -> bool:
    """Whether an expression computes with the lesson's values (memories, gate values), not
    gradients: where an extra activation is a plausible slip."""
    names = [x.id for x in ast.walk(node) if isinstance(x, ast.Name)]
    if any(_is_gradient(b, n) for n in names):
        return False
    values = _GROUPS[0] | _GROUPS[1] | b.sigmoid_valued | b.tanh_valued
    return any(n in values for n in names)


def _tanh_prime(node) -> str | None:
    """X for `1 - X**2` (the tanh's derivative written from its output X), else None."""
    if (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Sub)
        and _is_one(node.left)
        and isinstance(node.right, ast.BinOp)
        and isinstance(node.right.op, ast.Pow)
        and isinstance(node.right.left, ast.Name)
        and isinstance(node.right.right, ast.Constant)
        and node.right.right.value == 2
    ):
        return node.right.left.id
    return None


def _one_minus(node) -> str | None:
    """X for `1 - X`, else None."""
    if (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Sub)
        and _is_one(node.left)
        and isinstance(node.right, ast.Name)
    ):
        return node.right.id
    return None


def _is_one(node) -> bool:
    return isinstance(node, ast.Constant) and node.value in (1, 1.0)


def _sigmoid_prime(node: ast.BinOp):
    """(X, the node holding X) for `X * (1 - X)` or `... * X * (1 - X)` (the sigmoid's derivative
    from its output X), else None."""
    if not isinstance(node.op, ast.Mult):
        return None
    x = _one_minus(node.right)
    if x is None:
        return None
    left = node.left
    if isinstance(left, ast.BinOp) and isinstance(left.op, ast.Mult):
        left = left.right
    if isinstance(left, ast.Name) and left.id == x:
        return x, left
    return None


def _derivative_form(b: _Body, node: ast.BinOp) -> None:
    """tanh' = 1 - X**2 and sigmoid' = X * (1 - X) written in each other's form, or tanh's as
    (1 - X)."""
    x = _tanh_prime(node)
    quote = b.quote(node)
    if x is not None:
        s, e = b.span(node)
        paren = b.full_span(node, b.statement(node)) != (s, e)
        new = f"{x} * (1 - {x})" if paren else f"({x} * (1 - {x}))"
        b.add(
            "derivative_form",
            [(s, e, new)],
            f"in `{quote}` you used the sigmoid's derivative {x} * (1 - {x}) for {x}, which is "
            f"a tanh: tanh' = 1 - {x}**2",
        )
        ps, _ = b.span(node.right)
        b.add(
            "derivative_form",
            [(ps, e, x)],
            f"in `{quote}` you wrote tanh's derivative as (1 - {x}); with {x} = tanh(a) it is "
            f"1 - {x}**2",
        )
        return
    found = _sigmoid_prime(node)
    if found is not None:
        x, first = found
        s = b.span(first)[0]
        e = b.full_span(node.right, node)
        if e is None:
            return
        b.add(
            "derivative_form",
            [(s, e[1], f"(1 - {x}**2)")],
            f"in `{quote}` you used tanh's derivative 1 - {x}**2 for {x}, which is a sigmoid: "
            f"sigmoid' = {x} * (1 - {x})",
        )


def _derivative_of(b: _Body, node):
    """(the value without its derivative factor, the factor's text) when node is `rest * d`
    with d an activation's derivative (1 - X**2 or X * (1 - X)), else None."""
    if not isinstance(node, ast.BinOp) or not isinstance(node.op, ast.Mult):
        return None
    if _tanh_prime(node.right) is not None:
        rest = node.left
    elif _sigmoid_prime(node) is not None:
        inner = node.left
        if not (isinstance(inner, ast.BinOp) and isinstance(inner.op, ast.Mult)):
            return None
        rest = inner.left
    else:
        return None
    s, _ = b.span(rest)
    _, e = b.span(node)
    return " ".join(b.seg(rest).split()), " ".join(b.body[b.span(rest)[1] : e].split())[2:]


def _derivative_dropped(b: _Body, node: ast.Name) -> None:
    """A use of `da = rest * (1 - X**2)` that skips the derivative: `rest` where `da` belongs
    (the activation's derivative left out of one path)."""
    stmt = b.assigned_by.get(node.id)
    if stmt is None or b.statement(node) is stmt:
        return
    found = _derivative_of(b, stmt.value)
    if found is None:
        return
    rest, factor = found
    s, e = b.span(node)
    b.add(
        "derivative_dropped",
        [(s, e, f"({rest})")],
        f"in `{b.quote(node)}` you used {rest} where the lesson has {node.id} = {rest} * "
        f"{factor}: the derivative {factor} is missing there",
    )


def _derivative_added(b: _Body, stmt: ast.Assign) -> None:
    """`df = ... * f * (1 - f)`: the gradient of a gate's value X (dX) multiplied by X's own
    derivative, which belongs to the gradient of the pre-activation."""
    if len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
        return
    name = stmt.targets[0].id
    x = name[1:]
    if not name.startswith("d") or x not in b.pool:
        return
    if x in b.sigmoid_valued:
        factor, act = f"{x} * (1 - {x})", "sigmoid"
    elif x in b.tanh_valued:
        factor, act = f"(1 - {x}**2)", "tanh"
    else:
        return
    value = stmt.value
    s, e = b.span(value)
    low = isinstance(value, ast.BinOp) and type(value.op) in (ast.Add, ast.Sub)
    edits = [(e, e, (")" if low else "") + f" * {factor}")] + ([(s, s, "(")] if low else [])
    b.add(
        "derivative_added",
        edits,
        f"in `{b.quote(stmt)}` you also multiplied by {factor}, the {act}'s derivative: {name} "
        f"is the gradient of {x} itself; the derivative belongs to the gradient of the "
        f"pre-activation (the step after)",
    )


# --------------------------------------------------------------------------- inputs of one shape,
# derivatives from the wrong value, an activation or a bias at the wrong place


def input_label(node) -> str | None:
    """An input as the same-shape groups name it: `ltm`, or `cache["kept"]` (a string key of
    an argument's dict), else None."""
    if isinstance(node, ast.Name):
        return node.id
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and isinstance(node.slice, ast.Constant)
        and isinstance(node.slice.value, str)
    ):
        return f'{node.value.id}["{node.slice.value}"]'
    return None


def _value_swapped(b: _Body, node) -> None:
    """An input replaced by another input of the same shape that the answer also reads (`f`
    where `ltm` belongs, `cache["ltm"]` for `cache["kept"]`): no error, a wrong value."""
    label = input_label(node)
    if label is None or not isinstance(getattr(node, "ctx", None), ast.Load):
        return
    if isinstance(node, ast.Name) and label not in b.args:
        return
    parent = b.parent.get(node)
    if isinstance(parent, ast.Call) and parent.func is node:
        return
    group = next((g for g in b.same_shape if label in g), None)
    if group is None:
        return
    s, e = b.span(node)
    quote = b.quote(node)
    for other in sorted(group - {label}):
        if isinstance(node, ast.Name) and (other not in b.args or _plausible(label, other)):
            continue  # a plausible swap is a name_swapped already
        b.add(
            "value_swapped",
            [(s, e, other)],
            f"in `{quote}` you used {other} where it has {label} (the two have the same shape, "
            "so nothing raises)",
        )


def _derivative_other(b: _Body, node: ast.BinOp) -> None:
    """A derivative built from another gate's value: `U * (1 - U)` where V's derivative
    `V * (1 - V)` belongs (the gate values named in the body's derivatives)."""
    x = _tanh_prime(node)
    found = None if x is not None else _sigmoid_prime(node)
    if x is None and found is None:
        return
    x = x if x is not None else found[0]
    names = set()
    for n in ast.walk(b.tree):
        if isinstance(n, ast.BinOp):
            y = _tanh_prime(n) or ((_sigmoid_prime(n) or (None,))[0])
            if y is not None:
                names.add(y)
    values = (names | b.sigmoid_valued | b.tanh_valued) & b.pool
    quote = b.quote(node)
    s, e = b.span(node)
    if found is not None:
        s = b.span(found[1])[0]
    text = b.body[s:e]
    for y in sorted(values - {x}):
        if b.defined.get(y, -1) >= s:
            continue
        new = re.sub(rf"\b{re.escape(x)}\b", y, text)
        b.add(
            "derivative_other",
            [(s, e, new)],
            f"in `{quote}` the derivative is built from {y} where it has {x}: the derivative "
            f"of a gate comes from that gate's own value ({' '.join(text.split())})",
        )


def _derivative_reactivated(b: _Body, node: ast.BinOp) -> None:
    """`1 - np.tanh(U)**2` where `1 - U**2` belongs: the activation applied again to a value
    that already is its output."""
    x = _tanh_prime(node)
    quote = b.quote(node)
    if x is not None:
        s, e = b.span(node.right.left)
        b.add(
            "derivative_reactivated",
            [(s, e, f"np.tanh({x})")],
            f"in `{quote}` you applied tanh again to {x}, which already is tanh(...): tanh' is "
            f"1 - {x}**2 from the output {x} itself",
        )
        return
    found = _sigmoid_prime(node)
    if found is None:
        return
    x, first = found
    s, _ = b.span(first)
    _, e = b.span(node)
    sig = f"(1 / (1 + np.exp(-{x})))"
    b.add(
        "derivative_reactivated",
        [(s, e, f"{sig} * (1 - {sig})")],
        f"in `{quote}` you applied sigmoid again to {x}, which already is sigmoid(...): "
        f"sigmoid' is {x} * (1 - {x}) from the output {x} itself",
    )


def _activation_on_input(b: _Body, call: ast.Call, act: str) -> None:
    """`tanh(x) @ W + b` where the lesson has `tanh(x @ W + b)`: the activation applied to the
    input before the product."""
    arg = call.args[0]
    inner = arg
    while isinstance(inner, ast.BinOp) and isinstance(inner.op, (ast.Add, ast.Sub)):
        inner = inner.left
    if not (isinstance(inner, ast.BinOp) and isinstance(inner.op, ast.MatMult)):
        return
    ls, le = b.span(inner.left)
    fs, fe = b.span(call.func)
    cs, ce = b.span(call)
    if b.body[ce - 1] != ")":
        return
    parent = b.parent.get(call)
    bare = isinstance(parent, (ast.Assign, ast.Return, ast.Expr))
    left = " ".join(b.seg(inner.left).split())
    func = b.body[fs:fe]
    edits = [
        (fs, ls, "(" if not bare else ""),
        (ls, le, f"{func}({b.body[ls:le]})"),
        (ce - 1, ce, "" if bare else ")"),
    ]
    if b.body[fe:ls].strip() != "(":
        return  # more than the call's parenthesis before the left operand
    b.add(
        "activation_on_input",
        edits,
        f"in `{b.quote(call)}` you applied {act} to {left} before the product; the lesson "
        f"squashes the whole pre-activation: {' '.join(b.seg(call).split())}",
    )


def _bias_in_product(b: _Body, node: ast.BinOp) -> None:
    """`(x + b) @ W` where the lesson has `x @ W + b`: the bias added before the product."""
    if not isinstance(node.op, ast.Add) or not _is_bias(node.right):
        return
    prod = node.left
    if not (isinstance(prod, ast.BinOp) and isinstance(prod.op, ast.MatMult)):
        return
    found = _op_span(b, node)
    if found is None:
        return
    _, _, left, right = found
    ls, le = b.span(prod.left)
    bias = b.body[right[0] : right[1]]
    edits = [(ls, ls, "("), (le, le, f" + {bias})"), (left[1], right[1], "")]
    b.add(
        "bias_in_product",
        edits,
        f"in `{b.quote(node)}` you added the bias {' '.join(bias.split())} to "
        f"{' '.join(b.seg(prod.left).split())} before the product; the lesson adds it after: "
        f"{' '.join(b.seg(node).split())}",
    )


# --------------------------------------------------------------------------- building


_CODE_CACHE: dict[str, object] = {}
_CODE_CACHE_MAX = 4096


def _fn_name(def_line: str) -> str:
    m = re.match(r"\s*def\s+(\w+)", def_line)
    if m is None:
        raise ValueError(f"not a def line: {def_line!r}")
    return m.group(1)


def _source(def_line: str, body: str) -> str:
    lines = body.splitlines()
    return def_line.rstrip() + "\n" + "".join(f"    {ln}\n" if ln.strip() else "\n" for ln in lines)


def _compile(source: str):
    code = _CODE_CACHE.get(source)
    if code is None:
        code = compile(source, "<lstm_course mutant>", "exec")
        if len(_CODE_CACHE) >= _CODE_CACHE_MAX:
            _CODE_CACHE.clear()
        _CODE_CACHE[source] = code
    return code


def build(def_line: str, body: str, namespace: dict, *, _globals: dict | None = None):
    """The function `def_line` + body (indented), with a copy of namespace as its globals.

    The code object is cached per text; SyntaxError propagates (a mutant that does not
    compile is dropped by the search). The function keeps its source in
    ``__lstm_course_source__``.
    """
    source = _source(def_line, body)
    code = _compile(source)
    local: dict = {}
    exec(code, dict(namespace) if _globals is None else _globals, local)  # noqa: S102
    fn = local[_fn_name(def_line)]
    fn.__lstm_course_source__ = source
    return fn


def split_function(source: str) -> tuple[str, str]:
    """(def line, body) of a function's source: the body dedented, without the docstring.

    E.g. for a reference: split_function(base.function_source(ex.reference)); for a catalogued
    mistake: split_function(base.function_source(mistake.fn)). The def line must be one line.
    """
    source = textwrap.dedent(source)
    f = ast.parse(source).body[0]
    if not isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) or f.decorator_list:
        raise ValueError("not a plain function definition")
    lines = source.splitlines(keepends=True)
    first = f.body[0]
    docstring = (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    )
    if docstring and len(f.body) > 1:
        start = first.end_lineno
    else:
        start = first.lineno - 1
    if start < f.lineno:
        raise ValueError("the body starts on the def line")
    def_line = lines[f.lineno - 1].rstrip()
    if not _strip_comment(def_line).rstrip().endswith(":"):
        raise ValueError("the def line spans several lines")
    return def_line, textwrap.dedent("".join(lines[start:]))


def _arg_names(def_line: str) -> tuple[str, ...]:
    tree = ast.parse(def_line.strip().rstrip(":") + ": pass")
    a = tree.body[0].args
    names = [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs]
    names += [x.arg for x in (a.vararg, a.kwarg) if x is not None]
    return tuple(names)


# --------------------------------------------------------------------------- fast mutants


class _Return(BaseException):  # noqa: N818 - a control-flow signal, not an error
    def __init__(self, value):
        self.value = value


class _Stepper:
    """Runs a mutant without compiling the whole function: each top-level statement of the body
    is compiled on its own (and kept per text), so a mutant costs only the compilation of the
    one or two statements it changes. The statements run one after another in one dict that
    holds the globals and the arguments; `return` becomes a raised signal.

    A match found this way is confirmed with the real function (`build`) before it is reported.
    """

    def __init__(self, def_line: str, body: str, namespace: dict):
        b = _Body(body, ())
        self.segments = []
        last = 0
        for stmt in b.tree.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                raise ValueError("a nested definition: no stepping")
            if stmt.lineno <= last:  # two statements on one line
                raise ValueError("statements share a line")
            self.segments.append((b.starts[stmt.lineno - 1], b.starts[stmt.end_lineno]))
            last = stmt.end_lineno
        # `return v` becomes `raise __mutant_return__(v)`: edits of the body kept apart from
        # a mutant's, and applied after them where both insert at one place
        self.returns: list[Edit] = []
        for node in ast.walk(b.tree):
            if isinstance(node, ast.Return):
                s, e = b.span(node)
                if node.value is None:
                    self.returns.append((s, e, "raise __mutant_return__(None)"))
                else:
                    vs, ve = b.span(node.value)
                    self.returns += [(s, vs, "raise __mutant_return__(("), (ve, ve, "))")]
        self.body = body
        self.signature = inspect.signature(build(def_line, "pass\n", namespace))
        self.globals = dict(namespace)
        self.globals["__mutant_return__"] = _Return
        self.globals.setdefault("__builtins__", __builtins__)
        self.codes: dict[str, object] = {}
        self.bind = self._binder()
        self.reference = tuple(self._segment(k, ()) for k in range(len(self.segments)))

    def _segment(self, k: int, edits: Sequence[Edit]):
        s, e = self.segments[k]
        local = [(x - s, y - s, t, 0) for x, y, t in edits]
        local += [(x - s, y - s, t, 1) for x, y, t in self.returns if s <= x and y <= e]
        out, pos, text = [], 0, self.body[s:e]
        for x, y, t, _ in sorted(local, key=lambda d: (d[0], d[1], d[3])):
            if x < pos:
                raise ValueError("an edit overlaps a return")
            out += [text[pos:x], t]
            pos = y
        out.append(text[pos:])
        text = "".join(out)
        code = self.codes.get(text)
        if code is None:
            code = compile(text, "<lstm_course mutant>", "exec")
            if len(self.codes) > 20000:
                self.codes.clear()
            self.codes[text] = code
        return code

    def function(self, edits: Sequence[Edit]) -> Callable | None:
        codes = list(self.reference)
        by_segment: dict[int, list[Edit]] = {}
        for edit in edits:
            for k, (s, e) in enumerate(self.segments):
                if s <= edit[0] and edit[1] <= e:
                    by_segment.setdefault(k, []).append(edit)
                    break
            else:
                return None
        for k, local in by_segment.items():
            codes[k] = self._segment(k, local)
        return self._make(tuple(codes))

    def _make(self, codes):
        bind, base = self.bind, self.globals

        def mutant(*args, **kwargs):
            env = dict(base)
            env.update(bind(args, kwargs))
            try:
                for code in codes:
                    exec(code, env)  # noqa: S102 - the reference's own statements, edited
            except _Return as r:
                return r.value
            return None

        return mutant

    def _binder(self):
        """(args, kwargs) -> {parameter: value}; inspect's bind, or a faster one for plain
        parameters (no *args, **kwargs, positional-only)."""
        params = list(self.signature.parameters.values())
        plain = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        if not all(p.kind in plain for p in params):
            signature = self.signature

            def slow(args, kwargs):
                bound = signature.bind(*args, **kwargs)
                bound.apply_defaults()
                return bound.arguments

            return slow
        positional = [p.name for p in params if p.kind == plain[0]]
        known = {p.name for p in params}
        defaults = {p.name: p.default for p in params if p.default is not p.empty}
        required = known - set(defaults)

        def fast(args, kwargs):
            if len(args) > len(positional) or not known.issuperset(kwargs):
                raise TypeError("arguments do not fit the signature")
            out = dict(defaults)
            out.update(zip(positional, args, strict=False))
            if any(k in positional[: len(args)] for k in kwargs):
                raise TypeError("an argument given twice")
            out.update(kwargs)
            if not required.issubset(out):
                raise TypeError("a required argument is missing")
            return out

        return fast


# --------------------------------------------------------------------------- the search


class MutantSearch:
    """The mutants of one reference body, compiled lazily and kept, and the search among them.

    explain() first asks whether the reference itself matches (then the learner is right on
    these cases: None), then tries, stopping at the first mutant whose `matches` is True:
      1. every single mutant (single_mutants: commonest kinds first);
      2. pairs of catalogue mutants and singles (catalogue x catalogue, catalogue x single,
         single x single), ordered by the sum of the two's places in the list catalogue +
         singles, so that pairs of commoner slips come first; singles that crashed or changed
         nothing on the first case (see `probe`) are paired last. Two swaps that only exchange
         two neighbours (`i_t * N_t`: the same function) are not tried.

    THE PAIR CAP: at most `max_pairs` (default 1000) pairs are tried (a count, never a time:
    the same answer gets the same feedback on any machine). A gate has at most ~560 pairs, so
    all are tried;
    lstm_cell (130 singles, ~8,000 pairs) and lstm_cell_backward (232 singles, ~27,000 pairs)
    are cut: the answer stays fast and deterministic, at the cost of missing two-slip answers
    whose slips are both far down the list. stats["capped"] says when that happened.
    Measured worst case (nothing explains the learner: every single, then 1000 pairs), judge-like
    predicates on the exercise's 4 cases, one core of a loaded 2-core EPYC: lstm_cell_backward
    0.26-0.43 s CPU, lstm_cell ~0.3 s, the gates under 0.1 s.

    Speed: a mutant runs as the body's top-level statements executed one by one (see
    _Stepper), so that it costs the compilation of only the statements it changes (each kept);
    a match is confirmed with the real compiled function before it is reported.

    Predicates take the mutant's function: `quick(fn)`, cheap (e.g. the first case only), is
    asked first; `matches(fn)` (every case) only when quick is True. An exception raised by
    either counts as False; when quick raises, the mutant is treated as crashing (paired last),
    so let the function's exceptions propagate rather than return False. Mutants never change
    their arguments in place, so the predicates need not copy the cases for them.
    """

    def __init__(
        self,
        def_line: str,
        body: str,
        namespace: dict,
        arg_names: Sequence[str] | None = None,
        catalogue: Sequence[Mutant] = (),
        *,
        max_pairs: int = 1000,
        same_shape: Sequence[Sequence[str]] = (),
        inner: Sequence[Mutant] = (),
    ):
        self.def_line = def_line
        self.body = body
        self.namespace = namespace
        self.arg_names = tuple(arg_names) if arg_names is not None else _arg_names(def_line)
        self.singles = single_mutants(body, self.arg_names, same_shape)
        self.catalogue = tuple(catalogue)
        # known mistakes of the gates the body calls, made inside it (a call renamed to the
        # gate's mistake): tried by closer only, where a slip of any kind may be one of two
        self.inner = tuple(inner)
        self.max_pairs = max_pairs
        self._globals = dict(namespace)
        self._fns: dict[tuple[Edit, ...], Callable | None] = {}
        try:
            self._stepper: _Stepper | None = _Stepper(def_line, body, namespace)
        except (SyntaxError, ValueError):
            self._stepper = None
        self.stats: dict = {}

    def function(self, mutant: Mutant, *, real: bool = False) -> Callable | None:
        """The mutant as a function (None if it does not compile); singles' are kept.

        By default a fast stand-in (see _Stepper) when the body allows it; real=True compiles
        the whole function with `build`.
        """
        if real or self._stepper is None:
            try:
                return build(
                    self.def_line, apply(self.body, mutant.edits), {}, _globals=self._globals
                )
            except (SyntaxError, ValueError):
                return None
        fn = self._fns.get(mutant.edits, False)
        if fn is False:
            try:
                fn = self._stepper.function(mutant.edits)
            except (SyntaxError, ValueError):
                fn = None
            if fn is None:
                return self.function(mutant, real=True)
            if mutant.slips == 1:
                self._fns[mutant.edits] = fn
        return fn

    def source(self, mutant: Mutant) -> str:
        """The mutant's whole function source (def line and body)."""
        return _source(self.def_line, apply(self.body, mutant.edits))

    def _try(self, mutant, quick, matches) -> str:
        fn = self.function(mutant)
        if fn is None:
            return "no"
        try:
            if quick is not None and not quick(fn):
                return "no"
        except Exception:  # noqa: BLE001 - a mutant that crashes explains nothing
            return "crash"
        if not _holds(matches, fn):
            return "no"
        if self._stepper is not None:  # confirm with the real function
            real = self.function(mutant, real=True)
            if real is None or not _holds(matches, real):
                return "no"
        return "yes"

    def pairs(self, last: Iterable[int] = ()) -> Iterator[Mutant]:
        """Composable pairs of catalogue mutants and singles, each pair once, ordered by the sum
        of the two's places in the list: catalogue, singles (one of each kind in turn, commonest
        kinds first, so that a capped search still pairs every kind), then the singles in `last`
        (e.g. those that crashed or changed nothing on the first case)."""
        last = [k for k in dict.fromkeys(last) if 0 <= k < len(self.singles)]
        skip = set(last)
        items = list(self.catalogue)
        items += _round_robin([m for k, m in enumerate(self.singles) if k not in skip])
        items += [self.singles[k] for k in last]
        n, seen = len(items), set()
        for total in range(1, 2 * n - 2):
            for a in range(max(0, total - n + 1), (total + 1) // 2):
                m = compose(items[a], items[total - a])
                if m is not None and m.edits not in seen and not self._exchange(m):
                    seen.add(m.edits)
                    yield m

    def _exchange(self, m: Mutant) -> bool:
        """Whether m only exchanges two neighbours: `i_t * N_t` for `N_t * i_t` (the same
        function) or `concat(event, stm)` (a single already: args_swapped)."""
        if len(m.edits) != 2:
            return False
        (s1, e1, r1), (s2, e2, r2) = m.edits
        between = self.body[e1:s2].strip()
        return self.body[s1:e1] == r2 and self.body[s2:e2] == r1 and between in ("*", "+", ",")

    def explain(
        self,
        matches: Callable[[Callable], bool],
        quick: Callable[[Callable], bool] | None = None,
        *,
        probe: Callable[[Callable], object] | None = None,
        same: Callable[[object, object], bool] | None = None,
        pairs: bool = True,
        max_pairs: int | None = None,
    ) -> Mutant | None:
        """The first mutant (fewest slips first) whose function matches, or None.

        None at once when the reference itself matches (the learner's outputs are right on
        these cases). `probe(fn)`, optional, returns fn's output on one case (the first): a
        single whose probe equals the reference's (`same`, default: nested np.allclose) changes
        nothing there (an edit in a branch these cases do not take, say) and is paired last,
        like a single whose probe or quick raises.

        stats afterwards: singles, singles_tried, pairs_tried, seconds, capped (True when the
        pair cap stopped the search), reference_matches. The search is capped by counts, never
        by time: the same answer gets the same feedback on any machine, under any load.
        """
        t0 = time.perf_counter()
        cap = self.max_pairs if max_pairs is None else max_pairs
        same = same or _same
        self.stats = dict(
            singles=len(self.singles),
            singles_tried=0,
            pairs_tried=0,
            capped=False,
            reference_matches=False,
        )
        last = []
        found = None
        # np.errstate is per thread (a context variable); warnings.catch_warnings is not, so
        # other warnings are left to the predicates (the judge's run quietly already)
        with np.errstate(all="ignore"):
            reference = self.function(Mutant((), (), ()))
            if reference is not None and _holds(matches, reference):
                self.stats["reference_matches"] = True  # nothing to explain on these cases
                self.stats["seconds"] = time.perf_counter() - t0
                return None
            ref_out, probing = None, probe is not None
            if probing:
                try:
                    ref_out = probe(reference)
                except Exception:  # noqa: BLE001 - no probing then
                    probing = False
            for k, m in enumerate(self.singles):
                self.stats["singles_tried"] += 1
                if probing:
                    fn = self.function(m)
                    try:
                        if fn is None or _holds2(same, probe(fn), ref_out):
                            last.append(k)
                    except Exception:  # noqa: BLE001 - a crashing single
                        last.append(k)
                        continue
                r = self._try(m, quick, matches)
                if r == "yes":
                    found = m
                    break
                if r == "crash":
                    last.append(k)
            if found is None and pairs:
                for m in self.pairs(last):
                    if self.stats["pairs_tried"] >= cap:
                        self.stats["capped"] = True
                        break
                    self.stats["pairs_tried"] += 1
                    if self._try(m, quick, matches) == "yes":
                        found = m
                        break
        self.stats["seconds"] = time.perf_counter() - t0
        return found

    def closer(
        self,
        right: Callable[[Callable, int], frozenset | None],
        n_cases: int,
        matches: Callable[[Callable], bool],
        quick: Callable[[Callable], bool] | None = None,
        *,
        candidates: int = 3,
        max_second: int = 250,
    ) -> tuple[Mutant, Mutant | None, frozenset] | None:
        """Two slips found one at a time, for an output of several parts (the keys of a
        gradient dict, a tuple's items): a single that makes MORE parts right and none wrong
        that the reference has right (on every case) is one slip; a single on top of it that
        reproduces the whole output is the other.

        The candidates are the known mistakes (self.catalogue, self.inner) and the singles.
        right(fn, k) -> the parts of fn's output on case k that equal the learner's (None when
        fn cannot run there). Returns (first, second or None, the parts right in every case
        with the first), or None when no single brings the output closer. Every single is
        scored once; at most `max_second` seconds slips are tried on top of the first (a count,
        not a time: the feedback does not depend on the machine's load).
        """
        with np.errstate(all="ignore"):
            reference = self.function(Mutant((), (), ()))
            base = [right(reference, k) for k in range(n_cases)] if reference else None
            if not base or any(b is None for b in base):
                return None
            scored = []
            pool = self.catalogue + self.inner + tuple(self.singles)
            for m in pool:
                fn = self.function(m)
                got = _holds_value(right, fn, 0) if fn is not None else None
                if got is not None and got > base[0]:
                    scored.append((-len(got), len(scored), m))
            scored.sort(key=lambda t: t[:2])
            for _, _, m in scored[:candidates]:
                fn = self.function(m)
                now = [_holds_value(right, fn, k) for k in range(n_cases)]
                if any(x is None or not x >= b for x, b in zip(now, base, strict=True)):
                    continue
                better = [x for _, _, x in scored if x is not m]
                second = self._second(m, better, pool, matches, quick, max_second)
                return m, second, frozenset.intersection(*now)
        return None

    def _second(self, first, better, pool, matches, quick, max_second) -> Mutant | None:
        """A slip (a single, a known mistake of the body or of a gate it calls) composed with
        `first` that reproduces the whole output: those that bring the output closer on their
        own first (an independent slip does), then the rest in the pool's order; at most
        max_second of them."""
        seen = set(id(m) for m in better)
        for m in (better + [m for m in pool if id(m) not in seen])[:max_second]:
            both = compose(first, m)
            if both is not None and self._try(both, quick, matches) == "yes":
                return both
        return None


def _holds_value(fn_of, fn, k):
    try:
        return fn_of(fn, k)
    except Exception:  # noqa: BLE001 - a mutant that crashes brings nothing closer
        return None


def _holds2(predicate, a, b) -> bool:
    try:
        return bool(predicate(a, b))
    except Exception:  # noqa: BLE001
        return False


def _same(a, b) -> bool:
    """Nested equality of outputs: arrays by shape and np.allclose, containers item by item."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)):
        return (
            isinstance(b, (tuple, list))
            and len(a) == len(b)
            and all(_same(x, y) for x, y in zip(a, b, strict=True))
        )
    if hasattr(a, "__dataclass_fields__") and type(a) is type(b):
        return all(_same(getattr(a, f), getattr(b, f)) for f in a.__dataclass_fields__)
    if a is None or b is None:
        return a is b
    try:
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape:
            return False
        if a.dtype.kind not in "biufc" or b.dtype.kind not in "biufc":
            return bool(np.all(a == b))
        if a.size == 0 or np.array_equal(a, b):
            return True
        # np.allclose's meaning (rtol 1e-9, atol 1e-12), by the largest difference: cheaper
        with np.errstate(all="ignore"):
            gap = np.abs(a - b) - 1e-9 * np.abs(b)
        return bool(np.nanmax(gap) <= 1e-12) and bool(np.all(np.isnan(a) == np.isnan(b)))
    except (TypeError, ValueError):
        return False


def _round_robin(mutants: Sequence[Mutant]) -> list[Mutant]:
    """The mutants reordered: the first of each kind (in KINDS order), the second of each, ..."""
    by_kind: dict[str, list[Mutant]] = {}
    for m in mutants:
        by_kind.setdefault(m.kind[0], []).append(m)
    queues = [by_kind[k] for k in sorted(by_kind, key=lambda k: _RANK.get(k, len(KINDS)))]
    out = []
    for n in range(max((len(q) for q in queues), default=0)):
        out += [q[n] for q in queues if n < len(q)]
    return out


def _holds(predicate, fn) -> bool:
    try:
        return bool(predicate(fn))
    except Exception:  # noqa: BLE001 - a predicate that raises says no
        return False


_SEARCHES: dict[tuple, MutantSearch] = {}


def searcher(
    def_line: str,
    body: str,
    namespace: dict,
    arg_names: Sequence[str] | None = None,
    catalogue: Sequence[Mutant] = (),
    **options,
) -> MutantSearch:
    """A MutantSearch for this text, made once and kept (keyed by the texts, the catalogue and
    the namespace's names and objects)."""
    key = (
        def_line,
        body,
        None if arg_names is None else tuple(arg_names),
        tuple(catalogue),
        frozenset((k, id(v)) for k, v in namespace.items()),
        tuple(sorted((k, repr(v)) for k, v in options.items())),
    )
    s = _SEARCHES.get(key)
    if s is None:
        if len(_SEARCHES) > 64:
            _SEARCHES.clear()
        s = _SEARCHES[key] = MutantSearch(
            def_line, body, namespace, arg_names, catalogue, **options
        )
    return s
