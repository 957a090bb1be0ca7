"""Cohort follow-up surveys: a panel of users, their satisfaction over a cohort window, asked N days later.

Users who churned before the survey day do not answer (survivorship, as in a real survey).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .calendar import Calendar, Priority
from .observers import DayObserver, Served
from .rng import Streams
from .scenario.schema import Scenario, Survey
from .world.users import PolicyUsers


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
        self._member = np.zeros(population_size, dtype=bool)
        self._member[self.panel] = True
        self._sum = {p: np.zeros(size) for p in policies}
        self._count = {p: np.zeros(size, dtype=np.int64) for p in policies}

    @property
    def survey_day(self) -> int:
        return self.survey.cohort_end_day + self.survey.followup_days

    def in_window(self, day: int) -> bool:
        """Whether interactions on `day` count for this survey (its cohort window)."""
        return self.survey.cohort_start_day <= day < self.survey.cohort_end_day

    def observe(self, policy: str, day: int, users: np.ndarray, csat: np.ndarray) -> None:
        """Record the satisfaction of panel users' interactions on `day`, if it falls in the cohort window."""
        if not self.in_window(day):
            return
        hit = np.flatnonzero(np.take(self._member, users))  # a bitmap lookup, not a binary search of every user
        pos = np.searchsorted(self.panel, np.take(users, hit))
        np.add.at(self._sum[policy], pos, np.take(csat, hit))
        np.add.at(self._count[policy], pos, 1)

    def result(self, policy: str, active: np.ndarray, horizon: int) -> SurveyResult:
        """Mean per-respondent satisfaction of cohort members still active at the survey (None past horizon)."""
        count = self._count[policy]
        answered = (count > 0) & active[self.panel]
        if self.survey_day >= horizon or not answered.any():
            return SurveyResult(self.survey_day, None, int(answered.sum()))
        per_user = self._sum[policy][answered] / count[answered]
        return SurveyResult(self.survey_day, float(per_user.mean()), int(answered.sum()))


class Surveys(DayObserver):
    """Every cohort survey of a run, plugged into the day loop: panels watch each policy's served batches and
    answer on the survey day (or, past the horizon, at its end)."""

    def __init__(self, scenario: Scenario, population_size: int, streams: Streams, users: dict[str, PolicyUsers],
                 csat: np.ndarray):
        self.users = users
        self.csat = csat
        self.surveys = [CohortSurvey(sv, population_size, streams.generator(f"survey:{sv.name}"), list(users))
                        for sv in scenario.report.surveys]
        self.results: dict[str, dict[str, SurveyResult]] = {}

    def schedule(self, calendar: Calendar, horizon: int) -> None:
        for sv in self.surveys:
            if sv.survey_day < horizon:
                calendar.schedule(sv.survey_day, Priority.MONITOR, f"survey:{sv.survey.name}",
                                  self._asker(sv, horizon))

    def _asker(self, sv: CohortSurvey, horizon: int) -> Callable[[float], None]:
        def action(t: float) -> None:
            self.results[sv.survey.name] = {
                name: sv.result(name, users.active, horizon) for name, users in self.users.items()}
        return action

    def served(self, batch: Served) -> None:
        watching = [sv for sv in self.surveys if sv.in_window(batch.day)]
        if watching:  # each interaction's satisfaction only on days a cohort window is open
            csat = np.take(self.csat, batch.reacted.outcome)
            for sv in watching:
                sv.observe(batch.policy.name, batch.day, batch.users, csat)

    def finish(self, horizon: int) -> None:
        for sv in self.surveys:
            if sv.survey.name not in self.results:
                self._asker(sv, horizon)(float(horizon))
