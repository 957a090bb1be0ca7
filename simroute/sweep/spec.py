"""The sweep file: which scenario parameters to vary (by YAML path), how (grid, random, one at a time), with
how many replicates, and what to read off (break-even, tornado). Validated once, frozen."""
from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import SimrouteError
from ..scenario.yamlread import load, read_text

Value = Union[bool, int, float, str]


class SweepError(SimrouteError):
    """A sweep file that is missing, not YAML or not a valid sweep."""


class Mode(str, Enum):
    grid = "grid"                    # every combination of the parameters' values
    random = "random"                # `samples` points, each parameter uniform in [low, high] (or one of values)
    one_at_a_time = "one_at_a_time"  # the scenario as is, then each parameter alone at its low and its high


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Parameter(Frozen):
    """One swept scenario parameter: explicit `values`, or a range [low, high] (`steps` points on a grid)."""

    path: str = Field(min_length=1, description="YAML path in the scenario, as for --set, e.g. "
                                                "drift[2].to or economics.support.usd_per_contact.")
    values: tuple[Value, ...] | None = Field(None, min_length=1, description="The values to try.")
    low: int | float | None = Field(None, description="Range start (whole numbers when low and high both are).")
    high: int | float | None = None
    steps: Annotated[int, Field(ge=2, le=1000)] = 5
    log: bool = Field(False, description="Space grid points (or draw random ones) evenly in log(value).")
    label: str | None = Field(None, description="A short name for tables and charts (default: the path).")

    @model_validator(mode="after")
    def _range(self):
        if (self.values is None) == (self.low is None or self.high is None):
            raise ValueError("give either values or both low and high")
        if self.values is None and self.low is not None and self.high is not None and not self.low < self.high:
            raise ValueError(f"low must be below high, got low={self.low}, high={self.high}")
        if self.log and self.values is None and self.low is not None and self.low <= 0:
            raise ValueError("log spacing needs low > 0")
        return self

    @property
    def whole(self) -> bool:
        """A range of whole numbers (an integer field such as users.mau): grid and draws stay integers."""
        return isinstance(self.low, int) and isinstance(self.high, int)

    @property
    def name(self) -> str:
        return self.label or self.path


class BreakEven(Frozen):
    """Where a policy's figure crosses zero along one swept parameter."""

    parameter: str | None = Field(None, description="The swept path (default: the only parameter).")
    metric: str = "net_value_usd_per_month"


class Tornado(Frozen):
    """The sensitivity chart of one figure over the parameters (one_at_a_time mode)."""

    metric: str = "trap_ratio"
    policies: tuple[str, ...] | None = None


SWEEP_ONLY_KEYS = frozenset({"parameters", "mode", "break_even", "tornado", "fixed", "samples"})  # never scenario keys


class SweepSpec(Frozen):
    name: str = Field("sweep", pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    scenario: str | None = Field(None, description="The scenario file this sweep is written for, relative to the "
                                                   "sweep file; `simroute validate` checks every point against it.")
    mode: Mode = Mode.grid
    replicates: Annotated[int, Field(ge=1, le=10_000)] = 1
    samples: Annotated[int, Field(ge=1, le=100_000)] | None = None
    seed: Annotated[int, Field(ge=0, lt=2**63)] = 0
    policies: tuple[str, ...] | None = Field(None, description="Simulate only these policies (the baseline "
                                                               "always runs).")
    monitors: bool = Field(True, description="false: drop the monitors (faster when no detection figure "
                                             "is needed).")
    fixed: dict[str, Any] = Field(default_factory=dict, description="Overrides (YAML path -> value) applied at "
                                                                    "every point, e.g. drift: [] for a stationary "
                                                                    "world.")
    parameters: tuple[Parameter, ...] = Field(min_length=1)
    break_even: BreakEven | None = None
    tornado: Tornado = Tornado()

    @model_validator(mode="after")
    def _consistent(self):
        paths = [p.path for p in self.parameters]
        if len(set(paths)) != len(paths):
            raise ValueError(f"parameters: a path appears twice: {sorted(p for p in paths if paths.count(p) > 1)}")
        if self.mode is Mode.random and self.samples is None:
            raise ValueError("random mode needs samples")
        if self.break_even and self.break_even.parameter and self.break_even.parameter not in paths:
            raise ValueError(f"break_even.parameter {self.break_even.parameter!r} is not a swept path")
        return self


def _where(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def is_sweep_file(path: str | Path) -> bool:
    """Whether a YAML file is a sweep file rather than a scenario (it has `parameters:` and no `models:`)."""
    try:
        data = load(read_text(Path(path), str(path), "file", SweepError), str(path), SweepError)
    except SimrouteError:
        return False
    return isinstance(data, dict) and "models" not in data and bool(SWEEP_ONLY_KEYS & set(data))


def scenario_path(spec: SweepSpec, sweep_file: str | Path) -> Path | None:
    """The scenario file the sweep names, resolved against the sweep file's folder (None if it names none)."""
    return None if spec.scenario is None else Path(sweep_file).parent / spec.scenario


def load_sweep(path: str | Path, overrides: dict[str, Any] | None = None) -> SweepSpec:
    """Read and validate a sweep file; every problem is one line naming the file and the YAML path."""
    path = Path(path)
    text = read_text(path, str(path), "sweep file", SweepError,
                     missing="cannot read the sweep file (No such file or directory)")
    data = load(text, str(path), SweepError)
    if not isinstance(data, dict):
        raise SweepError(f"{path}: expected a mapping with parameters:, got {type(data).__name__}")
    data.update(overrides or {})
    try:
        return SweepSpec.model_validate(data)
    except ValidationError as e:
        errors = e.errors()
        inner = {err["loc"][0] for err in errors if len(err["loc"]) > 1}
        errors = [err for err in errors  # a list emptied by its own invalid items is not also "too short"
                  if not (err["type"] == "too_short" and len(err["loc"]) == 1 and err["loc"][0] in inner)]
        raise SweepError([f"{path}: {_where(err['loc'])}: {err['msg'].removeprefix('Value error, ')}"
                          for err in errors]) from None
