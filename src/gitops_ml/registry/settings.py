"""The `registry:` section of params.yaml, validated here because this package owns it."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gitops_ml.config import PARAMS_FILE
from gitops_ml.errors import UserError

SEMVER = r"^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$"
DEFAULT_USE = (
    "Template model: scores tabular rows like the training data. Replace this text "
    "(params.yaml registry.intended_use) with who may use the model, for what, and where not."
)


class RegistrySettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Artifact name in dvc.yaml `artifacts:`; empty: the only artifact of type `model`.
    model: str | None = None
    # The first registered version: v1.0.0 because it has passed the gate and can be promoted.
    first_version: Annotated[str, Field(pattern=SEMVER)] = "v1.0.0"
    remote: str = "origin"
    # Stages only the approval workflow may assign (it runs in a protected GitHub environment).
    approval_stages: list[str] = ["prod"]
    intended_use: str = DEFAULT_USE
    # `make model-age` (monitor workflow): the production model may be at most this many days
    # older than its registration tag; null reports the age without a limit.
    max_model_age_days: Annotated[int, Field(gt=0)] | None = None
    # `make staleness-impact`: the prod model's primary metric on today's test split may be
    # at most this much worse than at its registration; null reports without a limit.
    max_staleness_drop: Annotated[float, Field(ge=0.0)] | None = None
    # `make canary`: the candidate must agree with the prod model on at least this share of
    # rows: equal labels (classification), or predictions within canary_tolerance times the
    # prod model's mean absolute prediction (regression).
    canary_min_agreement: Annotated[float, Field(ge=0.0, le=1.0)] = 0.95
    canary_tolerance: Annotated[float, Field(gt=0.0)] = 0.1


def parse(raw: dict[str, Any] | None) -> RegistrySettings:
    try:
        return RegistrySettings.model_validate(raw or {})
    except ValidationError as err:
        item = err.errors()[0]
        field = ".".join(["registry", *(str(p) for p in item["loc"])])
        allowed = ", ".join(RegistrySettings.model_fields)
        if item["type"] == "extra_forbidden":
            raise UserError(
                str(PARAMS_FILE), field, "unknown key", f"allowed keys: {allowed}"
            ) from None
        fix = "use a version like v1.0.0" if "first_version" in field else "change the value"
        raise UserError(str(PARAMS_FILE), field, item["msg"], fix) from None


def load() -> RegistrySettings:
    """The registry settings from the working tree's params.yaml."""
    from gitops_ml import params

    return parse(params.load().registry)
