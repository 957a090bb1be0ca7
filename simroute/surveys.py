"""Cohort follow-up surveys: a panel of users, their satisfaction over a cohort window, asked N days later.

Users who churned before the survey day do not answer (survivorship, as in a real survey).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .scenario.schema import Survey


@dataclass(frozen=True)
class SurveyResult:
    """One policy's answer to one survey; csat is None when nobody answered or the survey is past the horizon."""

    survey_day: int
    csat: float | None
    respondents: int


class CohortSurvey:
    """Accumulates each policy's panel users' interaction satisfaction during the cohort window."""

    def __init__(self, survey: Survey, population_size: int, rng: np.random.Generator, policies: list[str]):
        self.survey = survey
        size = min(survey.panel_size, population_size)
        self.panel = np.sort(rng.choice(population_size, size=size, replace=False))
        self._sum = {p: np.zeros(size) for p in policies}
        self._count = {p: np.zeros(size, dtype=np.int64) for p in policies}

    @property
    def survey_day(self) -> int:
        return self.survey.cohort_end_day + self.survey.followup_days

    def observe(self, policy: str, day: int, users: np.ndarray, csat: np.ndarray) -> None:
        """Record the satisfaction of panel users' interactions on `day`, if it falls in the cohort window."""
        if not self.survey.cohort_start_day <= day < self.survey.cohort_end_day:
            return
        pos = np.minimum(np.searchsorted(self.panel, users), len(self.panel) - 1)
        hit = self.panel[pos] == users
        np.add.at(self._sum[policy], pos[hit], csat[hit])
        np.add.at(self._count[policy], pos[hit], 1)

    def result(self, policy: str, active: np.ndarray, horizon: int) -> SurveyResult:
        """Mean per-respondent satisfaction of cohort members still active at the survey (None past horizon)."""
        count = self._count[policy]
        answered = (count > 0) & active[self.panel]
        if self.survey_day >= horizon or not answered.any():
            return SurveyResult(self.survey_day, None, int(answered.sum()))
        per_user = self._sum[policy][answered] / count[answered]
        return SurveyResult(self.survey_day, float(per_user.mean()), int(answered.sum()))
