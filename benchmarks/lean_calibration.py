"""The calibration pass alone on case 1, main's way (a full Engine run) against the lean one (the watched
policies, the monitors' series only): CPU seconds of each and a check that their series and alarms agree.

    python benchmarks/lean_calibration.py  (from the repository root)
"""
from __future__ import annotations

import time

from simroute.engine import Engine
from simroute.monitors.plan import calibration_scenario
from simroute.needs import MONITORS
from simroute.rng import Streams
from simroute.scenario.loader import load_scenario


def main() -> None:
    s = load_scenario("scenarios/case1_saas_support.yaml")
    calib = calibration_scenario(s, Streams(s.seed, None))
    watched = {m.policy for m in calib.monitors}
    t = time.process_time()
    full = Engine(calib).run().monitors
    a = time.process_time() - t
    t = time.process_time()
    lean = Engine(calib, only=watched, needs=MONITORS).run().monitors
    b = time.process_time() - t
    assert full is not None and lean is not None
    assert full.series.equals(lean.series) and full.alarms == lean.alarms
    print(f"policies: full {len(calib.policies)}, lean {len(watched)}; "
          f"full pass {a:.1f} CPU-s, lean pass {b:.1f} CPU-s")


if __name__ == "__main__":
    main()
