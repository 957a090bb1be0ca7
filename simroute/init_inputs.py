"""What `simroute init` asks for: a handful of business numbers, each one flag and one question. Kept apart from
the scaffolding (simroute.init) so the command line can list the flags without loading the engine."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class InitInputs(BaseModel):
    """What `simroute init` asks for (each field is one CLI flag / one interactive question)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field("my_scenario", pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$", description="Scenario name.")
    mau: int | None = Field(None, ge=1, description="Monthly active users (users).")
    queries_per_day: float | None = Field(None, gt=0, description="LLM queries a day (queries/day).")
    monthly_ai_bill_usd: float | None = Field(
        None, gt=0, description="Today's monthly AI bill, all traffic on the capable model (USD/month); "
                                "used to derive token counts (or traffic) or to check them.")
    cheap_model: str = Field("cheap", pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$", description="Cheap model's name.")
    cheap_price_in: float = Field(0.00015, ge=0, description="Cheap model's input price (USD per 1k tokens).")
    cheap_price_out: float = Field(0.0006, ge=0, description="Cheap model's output price (USD per 1k tokens).")
    cheap_accuracy: float = Field(0.88, gt=0, lt=1, description="Cheap model's measured accuracy on your "
                                                                "traffic (fraction, e.g. from an eval).")
    capable_model: str = Field("capable", pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$",
                               description="Capable (current) model's name.")
    capable_price_in: float = Field(0.0025, ge=0, description="Capable model's input price (USD per 1k tokens).")
    capable_price_out: float = Field(0.01, ge=0, description="Capable model's output price (USD per 1k tokens).")
    capable_accuracy: float = Field(0.94, gt=0, lt=1, description="Capable model's measured accuracy on your "
                                                                  "traffic (fraction).")
    cheap_share: float = Field(0.6, gt=0, lt=1, description="Share of queries the team would route to the "
                                                            "cheap model (fraction).")
    usd_per_support_contact: float = Field(7.0, ge=0, description="Fully loaded cost of one human support "
                                                                  "contact (USD).")
    arpu_usd_per_month: float = Field(20.0, ge=0, description="Average revenue per user (USD/user/month).")
    churn_per_month: float = Field(0.03, ge=0, le=1, description="Monthly churn of a user with no bad "
                                                                 "experiences (fraction per month).")
    tokens_in_median: float | None = Field(None, ge=1, description="Median input tokens per query (tokens); "
                                                                   "default: from the bill, else 1000.")
    tokens_out_median: float | None = Field(None, ge=1, description="Median output tokens per query (tokens); "
                                                                    "default: from the bill, else 300.")
    horizon_days: int = Field(84, ge=7, le=3660, description="Days to simulate (days).")
    seed: int = Field(0, ge=0, description="Root seed of the run.")

    @model_validator(mode="after")
    def _check(self) -> InitInputs:
        if self.mau is None and self.queries_per_day is None:
            raise ValueError("give mau or queries_per_day (or both)")
        if self.cheap_model == self.capable_model:
            raise ValueError("cheap_model and capable_model must have different names")
        if (self.tokens_in_median is None) != (self.tokens_out_median is None):
            raise ValueError("give both tokens_in_median and tokens_out_median, or neither")
        return self
