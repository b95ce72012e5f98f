"""One feedback file per submission (Markdown): the same diagnostic messages a learner sees in the
notebook's check cells, never the hidden test inputs (the checks' messages name shapes and
which part of the output is wrong, not the values they were computed from)."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from .gradebook import _num, atomic_write_text

__all__ = ["feedback_markdown", "feedback_path", "write_feedback"]

_SYMBOL = {
    "passed": "✔",
    "failed": "✘",
    "not-attempted": "…",
    "error": "✘",
    "timeout": "⏱",
    "crashed": "✘",
    "memory-limit": "✘",
    "cpu-limit": "⏱",
    "process-limit": "✘",
    "output-limit": "✘",
    "invalid-notebook": "✘",
}

_WORDS = {
    "passed": "passes",
    "failed": "does not pass yet",
    "not-attempted": "not attempted",
    "error": "raised an error",
    "timeout": "ran out of time",
    "crashed": "crashed the kernel",
    "memory-limit": "stopped at the memory limit",
    "cpu-limit": "stopped at the CPU-time limit",
    "process-limit": "stopped at the process limit",
    "output-limit": "stopped at the output limit",
    "invalid-notebook": "could not be graded",
}


def feedback_markdown(submission_id: str, rows: list[dict]) -> str:
    if rows and all(r["status"] == "invalid-notebook" for r in rows):
        # nothing was run: say why, once, and nothing else (no score, no table of zeros)
        problem = next((r.get("detail") or r.get("message") or "" for r in rows), "").strip()
        lines = [
            f"# Feedback on `{submission_id}`",
            "",
            "This file could not be graded (invalid-notebook): nothing in it was run.",
            "",
            "```text",
            (problem or "not a gradable notebook").replace("```", "'''"),
            "```",
        ]
        return "\n".join(lines) + "\n"
    lesson = next((r["notebook"] for r in rows if r.get("notebook")), "")
    got = sum(float(r["points"]) for r in rows)
    total = sum(float(r["max_points"]) for r in rows)
    lines = [f"# Feedback on `{submission_id}`", ""]
    if lesson:
        lines += [f"Lesson **{lesson}**, score **{_num(got)} / {_num(total)}**.", ""]
    lines += [
        "Your functions were run in a fresh kernel on new random inputs and compared with "
        "the reference; the messages below are the ones the check cells in your notebook "
        "give.",
        "",
        "| exercise | result | points |",
        "|---|---|---|",
    ]
    for r in rows:
        ex = r["exercise"] or "(notebook)"
        lines.append(
            f"| `{ex}` | {_SYMBOL.get(r['status'], '')} {r['status']} | "
            f"{_num(r['points'])} / {_num(r['max_points'])} |"
        )
    lines.append("")
    lines += _cells_section(rows)
    for r in rows:
        ex = r["exercise"] or "the notebook"
        lines += [f"## `{ex}`: {_WORDS.get(r['status'], r['status'])}", ""]
        detail = (r.get("detail") or r.get("message") or "").strip()
        if detail:
            lines += ["```text", detail.replace("```", "'''"), "```", ""]
    return "\n".join(lines).rstrip() + "\n"


def _cells_section(rows: list[dict]) -> list[str]:
    """What happened to cells that did not run to their end, and the cells skipped by tag."""
    problems = next((r.get("cell_notes") for r in rows if r.get("cell_notes")), None) or [
        p for r in rows[:1] for p in str(r.get("cell_problems") or "").split("; ")
    ]
    skipped = next((r.get("skipped_cells") for r in rows if r.get("skipped_cells")), [])
    lines = []
    if any(p.strip() for p in problems):
        lines += ["## Cells that did not run to their end", ""]
        lines += [f"- {p.strip()}" for p in problems if p.strip()]
        lines.append("")
    if skipped:
        lines += ["## Cells the grader skipped (tagged `skip-grading`: not needed for grading)", ""]
        lines += [f"- {c}" for c in skipped]
        lines.append("")
    return lines


def feedback_path(feedback_dir: Path, submission_id: str) -> Path:
    parts = [
        p if p not in ("..", ".", "") else "_"
        for p in PurePosixPath(submission_id.lstrip("/")).parts
    ]
    name = parts[-1]
    name = (name[: -len(".ipynb")] if name.endswith(".ipynb") else name) + ".md"
    return Path(feedback_dir, *parts[:-1], name)


def write_feedback(feedback_dir: Path, submission_id: str, rows: list[dict]) -> Path:
    path = feedback_path(Path(feedback_dir), submission_id)
    atomic_write_text(path, feedback_markdown(submission_id, rows))
    return path
