"""The Markdown report, for a pull request or a CI step summary; images are linked relative to the file."""
from __future__ import annotations

from .content import Table


def _cell(v: str) -> str:
    return v.replace("|", "\\|").replace("\n", " ")


def table(t: Table) -> str:
    head = "| " + " | ".join(_cell(c) for c in t.columns) + " |"
    rule = "|" + "|".join("---:" if j in t.numeric else "---" for j in range(len(t.columns))) + "|"
    rows = ["| " + " | ".join(f"**{_cell(v)}**" if (i, j) in t.flags else _cell(v) for j, v in enumerate(r)) + " |"
            for i, r in enumerate(t.rows)]
    note = f"\n\n_{t.note}_" if t.note else ""
    return "\n".join([f"### {t.title}", "", head, rule, *rows]) + note


def figure(path: str, title: str, caption: str) -> str:
    return f"![{title}]({path})\n\n**{title}.** {caption}"


def headline(sentence: str, numbers: list[tuple[str, str, str]]) -> str:
    """The headline sentence in bold and the numbers that carry it as a short table."""
    rows = [f"| {_cell(label)} | {_cell(value)} | {_cell(who)} |" for label, value, who in numbers]
    return "\n".join([f"**{sentence}**", "", "| figure | value | policy |", "|---|---:|---|", *rows])


def page(title: str, meta: str, sections: list[tuple[str, list[str]]]) -> str:
    parts = [f"# {title}", f"_{meta}_"]
    for heading, blocks in sections:
        parts.append(f"## {heading}")
        parts.extend(blocks)
    return "\n\n".join(parts) + "\n"
