"""The CLI's one malloc arena: asked of glibc unless the user chose, in a process of its own (the setting cannot be
undone, so these run in subprocesses, never in the test process)."""
from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

ASK = "from simroute.malloc import one_malloc_arena; print(one_malloc_arena())"


def _asked(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("MALLOC_ARENA_MAX", "GLIBC_TUNABLES")}
    return subprocess.run([sys.executable, "-c", ASK], env={**clean, **env}, capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.mark.parametrize("env", [{"MALLOC_ARENA_MAX": "4"}, {"GLIBC_TUNABLES": "glibc.malloc.arena_max=2"}])
def test_a_users_choice_is_left_alone(env):
    assert _asked(**env) == "False"


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_glibc_takes_the_setting():
    assert _asked() == "True"
