"""A Dask nanny's MALLOC_TRIM_THRESHOLD_ makes glibc map every large array afresh; `plain_allocator` undoes it.
Measured in page faults (not time): a worker process that allocates and frees 1 MiB arrays faults each one in
again under the nanny's setting, and reuses the heap once the allocator is plain."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

PROBE = textwrap.dedent("""
    import resource, sys
    import numpy as np
    if sys.argv[1] == "plain":
        from simroute.executors.dask import plain_allocator
        assert plain_allocator()
    for _ in range(50):  # warm up
        np.ones(1 << 17).sum()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(500):
        np.ones(1 << 17).sum()  # 1 MiB, allocated, touched and freed
    print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
""")


def _faults(mode: str) -> int:
    env = {**os.environ, "MALLOC_TRIM_THRESHOLD_": "65536"}  # what distributed's nanny sets for its workers
    out = subprocess.run([sys.executable, "-c", PROBE, mode], env=env, capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_plain_allocator_stops_the_nanny_setting_from_faulting_every_array_in_again():
    frozen, plain = _faults("frozen"), _faults("plain")
    assert frozen > 500 * 200  # ~256 pages faulted in per 1 MiB array
    assert plain < frozen / 50


def test_on_worker_runs_the_task_function():
    from simroute.executors.dask import OnWorker
    assert OnWorker(lambda job, task: (job, task))("j", "t") == ("j", "t")
