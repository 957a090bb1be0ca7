"""A small deterministic discrete-event calendar: events ordered by (time, priority, sequence)."""
from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any


class Priority(IntEnum):
    """Order of events scheduled at the same time: world changes before routing changes before billing."""

    DRIFT = 0
    ROLLOUT = 10
    ROLLBACK = 20
    RECALIBRATION = 30
    BILLING = 40
    MONITOR = 50


@dataclass(order=True, frozen=True)
class Event:
    """One scheduled action; `label` names it in traces."""

    time: float
    priority: int
    seq: int
    label: str = field(compare=False)
    action: Callable[[float], Any] = field(compare=False, repr=False)


class Calendar:
    """A heap of events; equal times break ties by priority then insertion order, so runs are repeatable."""

    def __init__(self) -> None:
        self._heap: list[Event] = []
        self._seq = 0
        self.trace: list[tuple[float, str]] = []
        self.fired: list[tuple[int, int]] = []  # (priority, sequence) of each trace entry: its place in the order

    def schedule(self, time: float, priority: int, label: str, action: Callable[[float], Any]) -> None:
        """Add an event at `time` (days)."""
        heapq.heappush(self._heap, Event(float(time), int(priority), self._seq, label, action))
        self._seq += 1

    @property
    def scheduled(self) -> int:
        """How many events were ever scheduled (the next event's sequence number)."""
        return self._seq

    def next_time(self) -> float:
        """Time of the earliest pending event (inf when empty)."""
        return self._heap[0].time if self._heap else float("inf")

    def run_until(self, time: float) -> int:
        """Fire every event with event.time <= time, in order; returns how many fired."""
        fired = 0
        while self._heap and self._heap[0].time <= time:
            ev = heapq.heappop(self._heap)
            self.trace.append((ev.time, ev.label))
            self.fired.append((ev.priority, ev.seq))
            ev.action(ev.time)
            fired += 1
        return fired

    def __len__(self) -> int:
        return len(self._heap)
