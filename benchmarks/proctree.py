"""Measure one command and every process it starts (issue 17's harness): wall time, CPU seconds (user + sys) of
the whole process tree, the largest single process's peak RSS (from the kernel, exact) and the peak of the
tree's summed RSS (sampled from /proc every `every_s`; pages shared between processes count in each)."""
from __future__ import annotations

import os
import tempfile
import threading
import time
from pathlib import Path

PAGE_MIB = os.sysconf("SC_PAGE_SIZE") / 2**20


def _children() -> dict[int, list[int]]:
    """Parent pid -> child pids, from /proc (an empty map where there is no /proc)."""
    kids: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*") if Path("/proc").exists() else ():
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry.name))
    return kids


def tree_rss_mib(pid: int) -> float:
    """The summed resident set size of `pid` and its descendants now, in MiB."""
    kids, todo, total = _children(), [pid], 0.0
    while todo:
        p = todo.pop()
        try:
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * PAGE_MIB
        except (OSError, IndexError, ValueError):
            pass
        todo.extend(kids.get(p, ()))
    return total


def measure_tree(argv: list[str], every_s: float = 0.25, env: dict[str, str] | None = None) -> dict:
    """Run `argv` (argv[0] a path) to the end; its exit code, stdout, stderr's tail and the figures above. The
    CPU seconds and the largest process's RSS count every descendant that was waited for (worker pools and Dask
    nannies are)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        pid = os.posix_spawn(argv[0], argv, env if env is not None else dict(os.environ),
                             file_actions=[(os.POSIX_SPAWN_DUP2, out.fileno(), 1),
                                           (os.POSIX_SPAWN_DUP2, err.fileno(), 2)])
        peak = [0.0]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], tree_rss_mib(pid))
                done.wait(every_s)
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - t0
        done.set()
        sampler.join()
        out.seek(0)
        err.seek(0)
        return {"rc": os.waitstatus_to_exitcode(status), "stdout": out.read(), "stderr_tail": err.read()[-3000:],
                "proc_wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
                "rss_mib": usage.ru_maxrss / 1024, "tree_rss_mib": peak[0]}
