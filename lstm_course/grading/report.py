"""A class report from a gradebook: `lstm-course report GRADEBOOK [--out report.html]`.

One self-contained HTML page (plots embedded as PNG) and its Markdown twin (the same numbers as
tables, no plots). Per exercise: how many were graded, the pass rate, the score distribution,
item difficulty and discrimination, the statuses, and the most common *diagnoses*: the check
messages of the rows that did not pass, grouped by what they say (``diagnosis_key``) and counted,
so that a class's misconceptions show up as "Known mistake: you left out the bias b_n ... (12
learners)" rather than as 12 separate messages.

Definitions (also printed in the report):

- *score fraction*: points / max_points of a row.
- *difficulty*: the mean score fraction (1.0: everybody earned everything; lower is harder).
- *discrimination*: the corrected item-total correlation, Pearson's r between a student's score
  fraction on the exercise and the same student's points on every OTHER exercise in the gradebook
  (for a pass/fail exercise this is the point-biserial correlation). Near 0 or negative: the
  exercise does not separate stronger from weaker students (or it has a problem). Undefined
  ("-") with fewer than 3 students, or when either side does not vary.
"""

from __future__ import annotations

import base64
import html
import io
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .gradebook import _num, atomic_write_text, read_gradebook
from .notebook import LIMIT_STATUSES, STATUSES

__all__ = [
    "ClassStats",
    "ExerciseStats",
    "Diagnosis",
    "class_stats",
    "diagnosis_key",
    "report_markdown",
    "report_html",
    "write_report",
]

TOP_DIAGNOSES = 8  # per exercise, in the report
LIST_IDS = 20  # submissions named per status in the "limits" section

# --------------------------------------------------------------------------- diagnoses

_NUMBER = re.compile(r"(?<![A-Za-z_\d])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_CASE = re.compile(r"\s*\(?\b(?:in )?case # of #(?: with `[^`]*` changed)?(?: \([^)]*\))?[^).]*\)?")
_STUCK = re.compile(r"\s*Stuck\? Run hints\([^)]*\)\.?")
_SENTENCE_END = re.compile(r"(?<=[.!?])(?<!i\.e\.)(?<!e\.g\.)\s+(?=[A-Z`])")


def _first_sentence(text: str) -> str:
    text = text.strip()
    return _SENTENCE_END.split(text, maxsplit=1)[0].strip()


def _mask(text: str) -> str:
    """Numbers (errors, sizes, case indices) out: they differ between learners, not mistakes."""
    text = _NUMBER.sub("#", text)
    text = _CASE.sub("", text)
    return " ".join(text.split())


def diagnosis_key(message: str, status: str = "failed") -> tuple[str, str]:
    """(key, label): the key groups messages that diagnose the same thing; the label is what the
    report shows (readable, numbers kept).

    - "Known mistake: <diagnosis>..." -> the diagnosis's first sentence (catalogue text).
    - "Two known mistakes at once: 1. <a> 2. <b>" -> both first sentences (order kept).
    - "Your output is the answer with one change: <edit>." / "... with N changes: 1. .. 2. .."
      -> the edit(s).
    - anything else (sensitivity, shapes, values, errors, time limits) -> the first sentence,
      with numbers masked in the key (errors, shapes and case indices vary from run to run).
    - not-attempted -> one key.
    """
    text = " ".join(str(message or "").split())
    text = _STUCK.sub("", text).strip()
    if status == "not-attempted":
        return "not attempted", "not attempted (still the stub)"
    if not text:
        return f"({status}, no message)", f"({status}, no message)"
    m = re.match(r"Known mistake:\s*(.*)", text)
    if m:
        label = "Known mistake: " + _first_sentence(m.group(1))
        return label, label
    m = re.match(r"Two known mistakes at once:\s*1\.\s*(.*?)\s+2\.\s*(.*)", text)
    if m:
        a, b = _first_sentence(m.group(1)), _first_sentence(m.group(2))
        label = f"Two known mistakes at once: 1. {a} 2. {b}"
        return label, label
    m = re.match(r"Your output is the answer with one change:\s*(.*)", text)
    if m:
        edit = m.group(1).split(" Your values are right")[0].rstrip(". ")
        label = f"Your output is the answer with one change: {edit}"
        return _mask(label), label
    m = re.match(r"Your output is the answer with (\d+) changes:\s*(.*)", text)
    if m:
        parts = re.split(r"\s*\b\d+\.\s+", " " + m.group(2))
        edits = [p.rstrip(". ") for p in parts if p.strip()]
        label = f"Your output is the answer with {len(edits)} changes: " + "; ".join(edits)
        return _mask(label), label
    first = _first_sentence(text)
    if status == "error":
        # "Your f raised ValueError: <detail> at <line> in case 2 of 5" -> the exception's type
        m = re.match(r"(Your \S+ raised [A-Za-z_.]+)", first)
        if m:
            return m.group(1), m.group(1)
    return _mask(first), first


# --------------------------------------------------------------------------- statistics


@dataclass
class Diagnosis:
    key: str
    label: str
    count: int
    statuses: Counter
    example: str  # one full message with this key
    submissions: list[str] = field(default_factory=list)


@dataclass
class ExerciseStats:
    notebook: str
    exercise: str
    n: int
    max_points: float
    mean_points: float
    difficulty: float  # mean score fraction
    pass_rate: float
    discrimination: float | None
    scores: dict[float, int]  # points -> rows
    statuses: Counter
    diagnoses: list[Diagnosis]

    @property
    def name(self) -> str:
        return f"{self.notebook}/{self.exercise}"


@dataclass
class ClassStats:
    source: str
    n_rows: int
    submissions: list[str]
    students: list[str]
    assignments: list[str]
    statuses: Counter
    exercises: list[ExerciseStats]
    totals: list[dict]  # per student and assignment: student, assignment, points, max_points
    limits: dict[str, list[str]]  # timeout / crashed / invalid-notebook -> submission ids
    unidentified: int  # rows without an exercise (a file that could not even be identified)


def _fraction(r) -> float | None:
    mx = float(r["max_points"])
    return float(r["points"]) / mx if mx > 0 else None


def _pearson(xs, ys) -> float | None:
    n = len(xs)
    if n < 3:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    return sxy / math.sqrt(sxx * syy)


def _student_of(r) -> str:
    return r.get("student") or r["submission"]


CELL_PROBLEMS = "a cell stopped or not run"


def class_stats(rows: list[dict], source: str = "") -> ClassStats:
    """Everything the report shows, computed from gradebook rows (as read from the CSV)."""
    from .lms import student_totals

    per: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in rows:
        if r["exercise"]:
            per[(r["notebook"], r["exercise"])].append(r)
    # each student's points per exercise, for the item-total correlations
    by_student: dict[str, dict[tuple[str, str], list[float]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for key, rs in per.items():
        for r in rs:
            by_student[_student_of(r)][key].append(float(r["points"]))

    exercises = []
    for (nb, ex), rs in sorted(per.items()):
        fracs = [f for f in (_fraction(r) for r in rs) if f is not None]
        item, rest = [], []
        for student, items in by_student.items():
            if (nb, ex) not in items:
                continue
            own = [
                f for f in (_fraction(r) for r in rs if _student_of(r) == student) if f is not None
            ]
            if not own:
                continue
            item.append(sum(own) / len(own))
            rest.append(sum(sum(v) for k, v in items.items() if k != (nb, ex)))
        groups: dict[str, list[dict]] = defaultdict(list)
        labels: dict[str, Counter] = defaultdict(Counter)
        for r in rs:
            if r["status"] == "passed":
                continue
            key, label = diagnosis_key(r["message"], r["status"])
            groups[key].append(r)
            labels[key][label] += 1
        diagnoses = [
            Diagnosis(
                key=key,
                label=labels[key].most_common(1)[0][0],
                count=len(g),
                statuses=Counter(r["status"] for r in g),
                example=g[0]["message"],
                submissions=[r["submission"] for r in g],
            )
            for key, g in groups.items()
        ]
        diagnoses.sort(key=lambda d: (-d.count, d.label))
        exercises.append(
            ExerciseStats(
                notebook=nb,
                exercise=ex,
                n=len(rs),
                max_points=max(float(r["max_points"]) for r in rs),
                mean_points=sum(float(r["points"]) for r in rs) / len(rs),
                difficulty=sum(fracs) / len(fracs) if fracs else 0.0,
                pass_rate=sum(r["status"] == "passed" for r in rs) / len(rs),
                discrimination=_pearson(item, rest),
                scores=dict(sorted(Counter(float(r["points"]) for r in rs).items())),
                statuses=Counter(r["status"] for r in rs),
                diagnoses=diagnoses,
            )
        )
    limits: dict[str, list[str]] = {}
    for status in ("timeout", "crashed", *LIMIT_STATUSES, "invalid-notebook"):
        ids = sorted({r["submission"] for r in rows if r["status"] == status})
        if ids:
            limits[status] = ids
    # a cell that was stopped or never ran, whatever the exercises' statuses (a setup cell
    # that times out for many learners says the --timeout is too tight)
    ids = sorted({r["submission"] for r in rows if (r.get("cell_problems") or "").strip()})
    if ids:
        limits[CELL_PROBLEMS] = ids
    return ClassStats(
        source=source,
        n_rows=len(rows),
        submissions=sorted({r["submission"] for r in rows}),
        students=sorted({_student_of(r) for r in rows}),
        assignments=sorted({r.get("assignment", "") for r in rows} - {""}),
        statuses=Counter(r["status"] for r in rows),
        exercises=exercises,
        totals=student_totals(rows),
        limits=limits,
        unidentified=sum(1 for r in rows if not r["exercise"]),
    )


# --------------------------------------------------------------------------- Markdown

DEFINITIONS = (
    "*Difficulty* is the mean score fraction (points / max points; 1.00: everybody earned "
    "everything). *Discrimination* is the corrected item-total correlation: Pearson's r "
    "between a student's score on the exercise and the same student's points on every other "
    "exercise in the gradebook (point-biserial for a pass/fail exercise); near 0 or negative, "
    "the exercise does not separate stronger from weaker students; '-' when it cannot be "
    "computed (fewer than 3 students, or no variation). *Diagnoses* group the messages of the "
    "rows that did not pass by what they say (the known mistake, the edit of the answer, or "
    "the first sentence with numbers left out)."
)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}".rstrip("0").rstrip(".") + "%"


def _disc(x: float | None) -> str:
    return "-" if x is None else f"{x:+.2f}"


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _md_table(header, rows) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
    return out + [""]


def _scores_text(ex: ExerciseStats) -> str:
    return ", ".join(f"{_num(p)}: {c}" for p, c in ex.scores.items())


def _statuses_text(counter: Counter) -> str:
    return ", ".join(f"{s} {counter[s]}" for s in STATUSES if counter.get(s))


def report_markdown(stats: ClassStats) -> str:
    lines = [f"# Class report: {stats.source}" if stats.source else "# Class report", ""]
    lines += [
        f"{len(stats.submissions)} submission(s) from {len(stats.students)} student(s)"
        + (f", assignment(s): {', '.join(stats.assignments)}" if stats.assignments else "")
        + f"; {stats.n_rows} gradebook row(s).",
        "",
        "## Statuses",
        "",
    ]
    lines += _md_table(("status", "rows"), [(s, stats.statuses.get(s, 0)) for s in STATUSES])
    lines += ["## Exercises", "", DEFINITIONS, ""]
    lines += _md_table(
        ("exercise", "graded", "passed", "difficulty", "discrimination", "scores (points: rows)"),
        [
            (
                e.name,
                e.n,
                _pct(e.pass_rate),
                f"{e.difficulty:.2f}",
                _disc(e.discrimination),
                _scores_text(e),
            )
            for e in stats.exercises
        ],
    )
    lines += _md_table(
        ("exercise", *STATUSES),
        [(e.name, *(e.statuses.get(s, 0) for s in STATUSES)) for e in stats.exercises],
    )
    lines += ["## Most common diagnoses", ""]
    for e in stats.exercises:
        if not e.diagnoses:
            continue
        lines += [f"### {e.name}", ""]
        failing = e.n - e.statuses.get("passed", 0)
        lines += [f"{failing} of {e.n} did not pass.", ""]
        lines += _md_table(
            ("rows", "share", "status", "diagnosis"),
            [
                (d.count, _pct(d.count / e.n), _statuses_text(d.statuses), d.label)
                for d in e.diagnoses[:TOP_DIAGNOSES]
            ],
        )
        more = e.diagnoses[TOP_DIAGNOSES:]
        if more:
            lines += [
                f"and {len(more)} other diagnosis(es), {sum(d.count for d in more)} rows.",
                "",
            ]
    if stats.limits:
        lines += ["## Timeouts, crashes, sandbox limits, stopped cells, invalid files", ""]
        for status, ids in stats.limits.items():
            shown = ", ".join(f"`{i}`" for i in ids[:LIST_IDS])
            extra = f" and {len(ids) - LIST_IDS} more" if len(ids) > LIST_IDS else ""
            lines += [f"- **{status}** ({len(ids)} submission(s)): {shown}{extra}"]
        lines += [""]
    if stats.totals:
        lines += ["## Totals per student and assignment", ""]
        lines += _md_table(
            ("student", "assignment", "points", "max points"),
            [
                (t["student"], t["assignment"], _num(t["points"]), _num(t["max_points"]))
                for t in stats.totals
            ],
        )
    return "\n".join(lines).rstrip() + "\n"


# --------------------------------------------------------------------------- HTML + plots

_COLORS = {
    "passed": "#2e7d32",
    "failed": "#c62828",
    "not-attempted": "#9e9e9e",
    "error": "#ef6c00",
    "timeout": "#6a1b9a",
    "crashed": "#000000",
    "invalid-notebook": "#795548",
}


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _plots(stats: ClassStats) -> dict[str, str]:
    """name -> base64 PNG. Nothing when matplotlib is missing or nothing was graded."""
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - matplotlib is a dependency of the course
        return {}
    exs = stats.exercises
    if not exs:
        return {}
    out = {}
    names = [e.name for e in exs]
    h = 0.45 * len(exs) + 1.2

    # statuses per exercise (stacked), with the pass rate written at the end of each bar
    fig, ax = plt.subplots(figsize=(9, h))
    left = [0.0] * len(exs)
    for s in STATUSES:
        vals = [e.statuses.get(s, 0) / e.n for e in exs]
        if any(vals):
            ax.barh(names, vals, left=left, color=_COLORS[s], label=s)
            left = [a + b for a, b in zip(left, vals, strict=True)]
    for i, e in enumerate(exs):
        ax.text(1.01, i, f"{_pct(e.pass_rate)} passed", va="center", fontsize=8)
    ax.set_xlim(0, 1.18)
    ax.set_xlabel("share of the graded submissions")
    ax.invert_yaxis()
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.4 / h), ncol=4, fontsize=8)
    ax.set_title("Status per exercise")
    out["statuses"] = _png(fig)

    # score distribution: rows per score fraction bin
    bins = [("0", lambda f: f <= 1e-9), ("partial", lambda f: 1e-9 < f < 1 - 1e-9),
            ("full", lambda f: f >= 1 - 1e-9)]  # fmt: skip
    colors = {"0": "#c62828", "partial": "#f9a825", "full": "#2e7d32"}
    fig, ax = plt.subplots(figsize=(9, h))
    left = [0.0] * len(exs)
    for label, test in bins:
        vals = [
            sum(c for p, c in e.scores.items() if e.max_points > 0 and test(p / e.max_points))
            for e in exs
        ]
        if any(vals):
            ax.barh(names, vals, left=left, color=colors[label], label=f"{label} points")
            left = [a + b for a, b in zip(left, vals, strict=True)]
    ax.set_xlabel("rows")
    ax.invert_yaxis()
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.4 / h), ncol=3, fontsize=8)
    ax.set_title("Score distribution per exercise")
    out["scores"] = _png(fig)

    # difficulty vs discrimination
    pts = [
        (e.difficulty, e.discrimination, e.exercise) for e in exs if e.discrimination is not None
    ]
    if pts:
        fig, ax = plt.subplots(figsize=(6.5, 4.5))
        ax.scatter([p[0] for p in pts], [p[1] for p in pts], color="#1565c0")
        for x, y, label in pts:
            ax.annotate(label, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
        ax.axhline(0, color="#999", lw=0.8)
        ax.set_xlim(-0.05, 1.05)
        ax.set_ylim(-1.05, 1.05)
        ax.set_xlabel("difficulty (mean score fraction; lower = harder)")
        ax.set_ylabel("discrimination (item-total r)")
        ax.set_title("Item analysis")
        out["items"] = _png(fig)

    # the most common diagnoses, per exercise with any
    for e in exs:
        ds = e.diagnoses[:TOP_DIAGNOSES]
        if not ds:
            continue
        fig, ax = plt.subplots(figsize=(9, 0.42 * len(ds) + 1.0))
        labels = [_short(d.label, 70) for d in ds]
        colors = [_COLORS.get(d.statuses.most_common(1)[0][0], "#c62828") for d in ds]
        ax.barh(labels, [d.count for d in ds], color=colors)
        for i, d in enumerate(ds):
            ax.text(d.count, i, f" {d.count}", va="center", fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel("rows")
        ax.set_title(f"{e.name}: most common diagnoses")
        ax.tick_params(axis="y", labelsize=8)
        out[f"diag:{e.name}"] = _png(fig)

    # distribution of the students' totals, per assignment
    if stats.totals:
        by_assignment = defaultdict(list)
        for t in stats.totals:
            if t["max_points"] > 0:
                by_assignment[t["assignment"]].append(t["points"] / t["max_points"])
        if by_assignment:
            fig, ax = plt.subplots(figsize=(7, 3.5))
            ax.hist(list(by_assignment.values()), bins=10, range=(0, 1), label=list(by_assignment))
            ax.set_xlabel("total score fraction")
            ax.set_ylabel("students")
            ax.legend(fontsize=8)
            ax.set_title("Totals per student and assignment")
            out["totals"] = _png(fig)
    return out


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.4}
table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3} td.n{text-align:right;font-variant-numeric:tabular-nums}
img{max-width:100%} .muted{color:#666;font-size:.9em} code{font-size:.9em}
details{margin:.2em 0} summary{cursor:pointer}
"""


def _h(text) -> str:
    return html.escape(str(text), quote=True)


def _html_table(header, rows, numeric=()) -> str:
    head = "".join(f"<th>{_h(c)}</th>" for c in header)
    body = []
    for row in rows:
        cells = []
        for i, c in enumerate(row):
            cls = ' class="n"' if i in numeric else ""
            cells.append(f"<td{cls}>{c if isinstance(c, _Raw) else _h(c)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


class _Raw(str):
    """Already-escaped HTML for a table cell."""


def _img(plots, name, alt) -> str:
    if name not in plots:
        return ""
    return f'<p><img alt="{_h(alt)}" src="data:image/png;base64,{plots[name]}"></p>'


def report_html(stats: ClassStats, plots: dict[str, str] | None = None) -> str:
    plots = _plots(stats) if plots is None else plots
    title = f"Class report: {stats.source}" if stats.source else "Class report"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_h(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_h(title)}</h1>",
        "<p>"
        + _h(
            f"{len(stats.submissions)} submission(s) from {len(stats.students)} student(s)"
            + (f", assignment(s): {', '.join(stats.assignments)}" if stats.assignments else "")
            + f"; {stats.n_rows} gradebook row(s)."
        )
        + "</p>",
        "<h2>Statuses</h2>",
        _html_table(("status", "rows"), [(s, stats.statuses.get(s, 0)) for s in STATUSES], (1,)),
        "<h2>Exercises</h2>",
        f'<p class="muted">{_h(DEFINITIONS)}</p>',
        _html_table(
            (
                "exercise",
                "graded",
                "passed",
                "difficulty",
                "discrimination",
                "scores (points: rows)",
            ),
            [
                (
                    e.name,
                    e.n,
                    _pct(e.pass_rate),
                    f"{e.difficulty:.2f}",
                    _disc(e.discrimination),
                    _scores_text(e),
                )  # fmt: skip
                for e in stats.exercises
            ],
            (1, 2, 3, 4),
        ),
        _img(plots, "statuses", "status per exercise"),
        _img(plots, "scores", "score distribution per exercise"),
        _html_table(
            ("exercise", *STATUSES),
            [(e.name, *(e.statuses.get(s, 0) for s in STATUSES)) for e in stats.exercises],
            tuple(range(1, len(STATUSES) + 1)),
        ),
        _img(plots, "items", "difficulty and discrimination"),
        "<h2>Most common diagnoses</h2>",
    ]
    for e in stats.exercises:
        if not e.diagnoses:
            continue
        failing = e.n - e.statuses.get("passed", 0)
        parts += [f"<h3>{_h(e.name)}</h3>", f"<p>{failing} of {e.n} did not pass.</p>"]
        parts.append(_img(plots, f"diag:{e.name}", f"diagnoses of {e.name}"))
        rows = []
        for d in e.diagnoses[:TOP_DIAGNOSES]:
            subs = ", ".join(d.submissions[:LIST_IDS]) + (
                f" and {len(d.submissions) - LIST_IDS} more"
                if len(d.submissions) > LIST_IDS
                else ""
            )
            detail = _Raw(
                f"{_h(d.label)}<details><summary>example and submissions</summary>"
                f"<p>{_h(d.example)}</p><p class='muted'>{_h(subs)}</p></details>"
            )
            rows.append((d.count, _pct(d.count / e.n), _statuses_text(d.statuses), detail))
        parts.append(_html_table(("rows", "share", "status", "diagnosis"), rows, (0, 1)))
        more = e.diagnoses[TOP_DIAGNOSES:]
        if more:
            parts.append(
                f"<p>and {len(more)} other diagnosis(es), {sum(d.count for d in more)} rows.</p>"
            )
    if stats.limits:
        parts.append("<h2>Timeouts, crashes, sandbox limits, stopped cells, invalid files</h2><ul>")
        for status, ids in stats.limits.items():
            shown = ", ".join(f"<code>{_h(i)}</code>" for i in ids[:LIST_IDS])
            extra = f" and {len(ids) - LIST_IDS} more" if len(ids) > LIST_IDS else ""
            parts.append(f"<li><b>{_h(status)}</b> ({len(ids)} submission(s)): {shown}{extra}</li>")
        parts.append("</ul>")
    if stats.totals:
        parts += [
            "<h2>Totals per student and assignment</h2>",
            _img(plots, "totals", "totals per student"),
            _html_table(
                ("student", "assignment", "points", "max points"),
                [
                    (t["student"], t["assignment"], _num(t["points"]), _num(t["max_points"]))
                    for t in stats.totals
                ],
                (2, 3),
            ),
        ]
    parts.append("</body></html>")
    return "\n".join(p for p in parts if p) + "\n"


def write_report(gradebook, out_html=None) -> tuple[Path, Path]:
    """GRADEBOOK -> (report.html, report.md) next to each other. Raises NotAGradebook."""
    gradebook = Path(gradebook)
    rows = read_gradebook(gradebook)
    out_html = Path(out_html) if out_html else gradebook.with_name("report.html")
    if out_html.suffix.lower() not in (".html", ".htm"):
        out_html = out_html.with_name(out_html.name + ".html")
    out_md = out_html.with_suffix(".md")
    stats = class_stats(rows, source=gradebook.name)
    atomic_write_text(out_html, report_html(stats))
    atomic_write_text(out_md, report_markdown(stats))
    return out_html, out_md
