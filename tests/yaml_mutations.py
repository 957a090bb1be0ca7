"""Raw-text mutations of a YAML file, the kinds a hostile or careless user makes: shared by tests/test_fuzz.py
(through hypothesis) and benchmarks/battery.py (through random.Random), so both try the same inputs."""
from __future__ import annotations

import random

BOMB = "\n".join(['b0: &b0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]'] +
                 [f"b{i}: &b{i} [" + ", ".join([f"*b{i - 1}"] * 10) + "]" for i in range(1, 9)]) + "\n"
TOKENS = [
    "yes", "no", "on", "off", "y", "1:30", "0x10", "010", "0o17", "1_000", "1e3", "1e999", "-1e999", ".nan", ".inf",
    "9" * 5000, "-" + "9" * 400, "[" * 500, "{" * 300, "]", "{", "}", "&a", "*a", "*zz", "<<: *a", "&a [*a]",
    "!!python/object/apply:os.system ['true']", "!!binary AAAA", "!!set {a, b}", "!!timestamp 2024-01-01",
    "\x00", "\x07", "\x1b", "\x7f", "\x85", "\ufeff", "\u2028", "\t", "\r", '"\\ud800"', '"\\udfff x"',
    '"\\x00"', "---", "...", "? ", ": ", "- ", "#", "'", '"', "%YAML 1.1\n---", "~", "null", "1:", "true:",
    "-1", "0", "-0", "1e308", "1e-308", "1e19", "9223372036854775808", "-9223372036854775809", "''", "[]", "{}",
    "é", "\U0001f600", "a" * 2000, BOMB, "2024-01-01", "1.5.6", "+.5", "0b101", "=", "|\n  text", ">-\n  text",
]


def mutate(text: str, ops: list[tuple[int, float, int]]) -> str:
    """Apply each (kind, where in 0..1, token index) in turn: insert, replace a value, delete, duplicate or
    re-indent a line, truncate, or replace one character."""
    for kind, where, tok in ops:
        token = TOKENS[tok % len(TOKENS)]
        lines = text.split("\n")
        i = min(int(where * len(lines)), len(lines) - 1)
        at = min(int(where * len(text)), len(text))
        if kind == 0:
            text = text[:at] + token + text[at:]
        elif kind == 1 and ":" in lines[i]:
            key = lines[i].split(":", 1)[0]
            lines[i] = f"{key}: {token}"
            text = "\n".join(lines)
        elif kind == 2:
            text = "\n".join(lines[:i] + lines[i + 1:])
        elif kind == 3:
            text = "\n".join(lines[:i + 1] + lines[i:])
        elif kind == 4:
            text = text[:at]
        elif kind == 5:
            lines[i] = ("  " + lines[i]) if tok % 2 else lines[i][2:]
            text = "\n".join(lines)
        else:
            text = text[:at] + token[:1] + text[at + 1:]
    return text


KINDS = 7


def random_ops(rng: random.Random) -> list[tuple[int, float, int]]:
    return [(rng.randrange(KINDS), rng.random(), rng.randrange(len(TOKENS))) for _ in range(rng.randint(1, 3))]


def write(path, text: str) -> None:
    """Write the mutated text as UTF-8, lone surrogates included as their (invalid) bytes."""
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
