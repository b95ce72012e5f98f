"""The end-of-run summary: how many rows of each status, and the mean score per exercise."""

from __future__ import annotations

from collections import Counter, defaultdict

from .gradebook import _num
from .notebook import STATUSES

__all__ = ["summary_text", "check_report"]


def _table(header, rows) -> list[str]:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    fmt = "  ".join(f"{{:{'<' if i == 0 else '>'}{w}}}" for i, w in enumerate(widths))
    out = [fmt.format(*header), fmt.format(*("-" * w for w in widths))]
    out += [fmt.format(*r) for r in rows]
    return out


def summary_text(rows: list[dict], n_submissions: int | None = None) -> str:
    counts = Counter(r["status"] for r in rows)
    subs = n_submissions if n_submissions is not None else len({r["submission"] for r in rows})
    lines = [f"{subs} submission(s), {len(rows)} row(s)", ""]
    lines += _table(("status", "rows"), [(s, counts.get(s, 0)) for s in STATUSES])
    per = defaultdict(list)
    for r in rows:
        if r["exercise"]:
            per[(r["notebook"], r["exercise"])].append(r)
    if per:
        body = []
        for (nb, ex), rs in sorted(per.items()):
            mean = sum(float(r["points"]) for r in rs) / len(rs)
            mx = max(float(r["max_points"]) for r in rs)
            passed = sum(r["status"] == "passed" for r in rs)
            body.append(
                (
                    f"{nb}/{ex}",
                    len(rs),
                    f"{mean:.2f} / {_num(mx)}",
                    f"{100 * passed / len(rs):.0f}%",
                )
            )
        lines += [""] + _table(("exercise", "graded", "mean score", "passed"), body)
    return "\n".join(lines)


def check_report(submission_id: str, rows: list[dict]) -> str:
    """The learner's self-check, for a terminal."""
    symbols = {
        "passed": "PASS",
        "failed": "FAIL",
        "not-attempted": "TODO",
        "error": "ERROR",
        "timeout": "TIMEOUT",
        "crashed": "CRASH",
        "memory-limit": "MEMORY LIMIT",
        "cpu-limit": "CPU LIMIT",
        "process-limit": "PROCESS LIMIT",
        "output-limit": "OUTPUT LIMIT",
        "invalid-notebook": "INVALID",
    }
    got = sum(float(r["points"]) for r in rows)
    total = sum(float(r["max_points"]) for r in rows)
    lesson = next((r["notebook"] for r in rows if r.get("notebook")), "")
    lines = [f"{submission_id}" + (f" (lesson {lesson})" if lesson else ""), ""]
    for r in rows:
        head = (
            f"[{symbols.get(r['status'], r['status'])}] {r['exercise'] or 'notebook'}  "
            f"{_num(r['points'])}/{_num(r['max_points'])}"
        )
        lines.append(head)
        for line in (r.get("detail") or r.get("message") or "").splitlines():
            lines.append("    " + line if line.strip() else "")
    lines += ["", f"score: {_num(got)} / {_num(total)}"]
    return "\n".join(lines)
