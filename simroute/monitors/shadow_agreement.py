"""Shadow agreement: the judged disagreement rate between a cascade's confident answers and the shadow."""
from __future__ import annotations

from ..scenario.monitors import MonitorKind
from .base import Monitor


class ShadowAgreement(Monitor):
    kind = MonitorKind.shadow_agreement

    def observe(self, day, log):
        if log.shadow_checks == 0:
            return None
        return {"shadow": (log.shadow_checks, log.shadow_disagreements)}
