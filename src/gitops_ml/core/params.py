"""`params.yaml` -> typed, validated objects: the one loader every stage and command uses.

Every mistake stops before any work starts, with a message that names `params.yaml`,
the key and what is allowed. Unknown keys are errors (a typo must never be silently
ignored), and close matches are suggested.
"""

from __future__ import annotations

import difflib
import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, get_args, get_origin

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from gitops_ml.core.config import PARAMS_FILE, PROBA_PREFIX, ROW_ID
from gitops_ml.core.errors import UserError, UserErrors

Task = Literal["binary", "multiclass", "regression"]
Fraction = Annotated[float, Field(gt=0.0, lt=1.0)]
UnitInterval = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
M = TypeVar("M", bound=BaseModel)

CLASSIFICATION_METRICS = (
    "accuracy",
    "balanced_accuracy",
    "f1",
    "roc_auc",
    "average_precision",
    "log_loss",
)
REGRESSION_METRICS = ("rmse", "mae", "r2")


class Section(BaseModel):
    """Base for every section: unknown keys are errors, values are not coerced loosely."""

    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)


class Features(Section):
    """Listed columns take the kind they are listed under. `infer: true` (the default) infers
    every other column (bar the target, data.drop and data.dates) from its values; `infer:
    false` makes the two lists the whole feature set (docs/columns.md)."""

    numeric: list[str] = []
    categorical: list[str] = []
    infer: bool = True


class CsvOptions(Section):
    sep: str = ","
    encoding: str = "utf-8"


# What a date column listed under data.dates becomes: one numeric feature per part, named
# `<column>__<part>` (gitops_ml.core.dates). age_days counts days before data.date_reference.
DatePart = Literal[
    "year", "quarter", "month", "day", "dayofweek", "dayofyear", "hour", "epoch_days", "age_days"
]

FileFormat = Literal["csv", "parquet"]
CSV_SUFFIXES = (".csv", ".tsv", ".txt", ".csv.gz")
PARQUET_SUFFIXES = (".parquet", ".pq")


def format_of(path: str | Path) -> FileFormat | None:
    """A data file's format from its name; None when the name does not say."""
    name = str(path).lower()
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    return "csv" if name.endswith(CSV_SUFFIXES) else None


class DataParams(Section):
    path: str
    format: Literal["auto", "csv", "parquet"] = "auto"
    target: str
    task: Task
    positive_class: str | int | bool | None = None
    features: Features = Features()
    drop: list[str] = []
    csv: CsvOptions = CsvOptions()
    # Values that mean "missing" in text cells (e.g. [" ", "N/A", "?"]), besides pandas'
    # defaults (empty, NA, NaN...). Listing " " also makes every whitespace-only cell missing.
    na_values: list[str] = []
    # Date columns expanded into numeric parts, e.g. {signup_date: [year, month, age_days]}
    dates: dict[str, list[DatePart]] = {}
    # The day age_days counts back from, quoted ("2025-01-01"): fixed, so runs reproduce.
    date_reference: str | None = None

    @field_validator("date_reference", mode="before")
    @classmethod
    def _iso_day(cls, value: Any) -> Any:
        if isinstance(value, date):  # YAML reads an unquoted 2025-01-01 as a date
            raise ValueError(
                "an unquoted YAML date, which DVC cannot track as a param; write it "
                f'quoted: date_reference: "{value.isoformat()}"'
            )
        if isinstance(value, str):
            try:
                date.fromisoformat(value)
            except ValueError:
                raise ValueError("not a day; write it as YYYY-MM-DD, e.g. 2025-01-01") from None
        return value

    @property
    def reference_day(self) -> date | None:
        return None if self.date_reference is None else date.fromisoformat(self.date_reference)

    @model_validator(mode="after")
    def _check(self) -> DataParams:
        if self.format == "auto" and format_of(self.path) is None:
            raise ValueError(
                f"path {self.path!r}: the name does not say CSV or Parquet "
                f"({', '.join(CSV_SUFFIXES + PARQUET_SUFFIXES)}); export Excel or other "
                "formats to CSV or Parquet, or set data.format for a CSV/Parquet file "
                "named otherwise"
            )
        if self.task != "binary" and self.positive_class is not None:
            raise ValueError("positive_class applies only to task 'binary'; remove it")
        overlap = set(self.features.numeric) & set(self.features.categorical)
        if overlap:
            raise ValueError(f"columns listed as both numeric and categorical: {sorted(overlap)}")
        if self.target in self.features.numeric + self.features.categorical + self.drop:
            raise ValueError(f"target {self.target!r} must not also be a feature or dropped")
        if not self.features.infer and not self.features.numeric + self.features.categorical:
            raise ValueError(
                "features.infer is false but no feature is listed; list columns under "
                "data.features.numeric/categorical, or set data.features.infer: true"
            )
        self._check_dates()
        return self

    def _check_dates(self) -> None:
        listed = [*self.features.numeric, *self.features.categorical, *self.drop, self.target]
        for column, parts in self.dates.items():
            if not parts:
                raise ValueError(f"dates: {column!r} lists no parts; e.g. [year, month, dayofweek]")
            if column in listed:
                raise ValueError(
                    f"dates: {column!r} is also the target, a listed feature or dropped; "
                    "keep it in one place (data.dates makes its parts the features)"
                )
            if "age_days" in parts and self.date_reference is None:
                raise ValueError(
                    f"dates: {column!r} asks for age_days, which needs a fixed day to count "
                    "from; set data.date_reference (e.g. 2025-01-01), or use epoch_days"
                )
            twice = sorted({p for p in parts if parts.count(p) > 1})
            if twice:
                raise ValueError(f"dates: {column!r} lists {twice} twice; keep one of each")

    @property
    def date_parts(self) -> dict[str, tuple[str, str]]:
        """Each derived column's name -> (date column, part), in params order."""
        return {
            f"{column}__{part}": (column, part)
            for column, parts in self.dates.items()
            for part in parts
        }

    @property
    def file_format(self) -> FileFormat:
        return self.format_of_file(self.path)

    def format_of_file(self, path: str | Path) -> FileFormat:
        """data.format for data.path; for another file (new rows to score, a batch to check
        for drift) its own name first, then data.format, then CSV."""
        declared = None if self.format == "auto" else self.format
        if declared and Path(path) == Path(self.path):
            return declared
        return format_of(path) or declared or "csv"


SplitMethod = Literal["random", "stable", "group", "time"]
KEYED_SPLITS = ("group", "time")  # methods that need split.key


class SplitParams(Section):
    """How prepare holds out the test rows (gitops_ml.core.split; docs/adapting.md)."""

    test_size: Fraction = 0.2
    # Exact class (or target-quantile) shares in both splits: only a permutation of all rows
    # can promise that, so it applies to method random alone.
    stratify: bool = True
    method: SplitMethod = "random"
    # The column stable (optional: null hashes each row's values), group and time split by.
    key: str | None = None

    @model_validator(mode="after")
    def _check(self) -> SplitParams:
        if self.method in KEYED_SPLITS and not self.key:
            what = "the latest rows by" if self.method == "time" else "whole groups by"
            raise ValueError(
                f"key is required by method {self.method!r}, which holds out {what} that "
                "column; set split.key to a column of the data"
            )
        if self.method == "random" and self.key is not None:
            raise ValueError(
                "key applies to methods stable, group and time; remove it, or set split.method"
            )
        if self.method != "random" and self.stratify and "stratify" in self.model_fields_set:
            raise ValueError(
                f"stratify is exact only for method 'random': {self.method!r} places each row "
                "by its own key or time, so class shares are kept only approximately; set "
                "split.stratify: false (or remove it)"
            )
        return self


class ContractParams(Section):
    """Data contract: the built-in rules, plus an optional schema file from `make infer-schema`."""

    schema_file: str | None = None
    min_rows: Annotated[int, Field(ge=2)] = 20
    max_missing_fraction: UnitInterval = 0.5
    max_infinite_fraction: UnitInterval = 0.0
    # Regular expressions (Python `re`, searched in each column name) for columns that must
    # never reach the model, e.g. personal data; columns in data.drop are exempt.
    forbidden_columns: list[str] = []

    @model_validator(mode="after")
    def _check_patterns(self) -> ContractParams:
        import re

        for i, pattern in enumerate(self.forbidden_columns):
            try:
                re.compile(pattern)
            except re.error as err:
                raise ValueError(
                    f"forbidden_columns[{i}] {pattern!r} is not a regular expression ({err})"
                ) from None
        return self


THRESHOLD_CRITERIA = ("f1", "balanced_accuracy")


class ThresholdChoice(Section):
    """A decision threshold chosen on the train split by cross-validation, not fixed."""

    criterion: Literal["f1", "balanced_accuracy"]


class ModelParams(Section):
    estimator: str
    params: dict[str, Any] = {}
    scale_numeric: Literal["auto"] | bool = "auto"
    numeric_impute: Literal["auto", "mean", "median", "most_frequent", "none"] = "auto"
    # Threads for fitting (OpenMP and BLAS). Sums split across threads add up in another
    # order, so the model's bytes depend on the count: fixed here, not taken from the machine.
    threads: Annotated[int, Field(ge=1, le=256)] = 2
    # Regression: fit on log(y) or log1p(y), predict back on the original scale.
    target_transform: Literal["log", "log1p"] | None = None
    # Binary: predict the positive class from this probability on (a number), or from the
    # threshold that maximises `criterion` over `cv` folds of the train split.
    threshold: float | ThresholdChoice | None = None
    # Binary: calibrate the probabilities (Platt's sigmoid or isotonic) over `cv` folds.
    calibration: Literal["sigmoid", "isotonic"] | None = None
    cv: Annotated[int, Field(ge=2, le=20)] = 5  # folds for threshold choice and calibration

    @field_validator("threshold", mode="before")
    @classmethod
    def _threshold(cls, value: Any) -> Any:
        """A number strictly between 0 and 1, or {criterion: ...}: one message for either."""
        choices = ", ".join(THRESHOLD_CRITERIA)
        if value is None:
            return None
        if isinstance(value, dict):
            unknown = sorted(str(k) for k in set(value) - {"criterion"})
            if unknown:
                raise ValueError(f"unknown key(s) {unknown}; the only key is criterion")
            if value.get("criterion") not in THRESHOLD_CRITERIA:
                raise ValueError(
                    f"criterion {value.get('criterion')!r} is not one of {choices}; "
                    "e.g. threshold: {criterion: f1}"
                )
            return ThresholdChoice(criterion=value["criterion"])
        if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < 1:
            return float(value)
        raise ValueError(
            "must be a probability strictly between 0 and 1 (e.g. 0.3) or a criterion to "
            f"choose it on the train split ({{criterion: f1}}, criteria: {choices}); "
            "e.g. threshold: 0.3 or threshold: {criterion: f1}"
        )

    @field_validator("estimator")
    @classmethod
    def _import_path(cls, value: str) -> str:
        if re.fullmatch(r"[A-Za-z_][\w.]*\.[A-Za-z_]\w*", value):
            return value
        hint = _sklearn_path(value)
        raise ValueError(
            "not an import path (package.module.Class); "
            + (f"did you mean {hint}?" if hint else "e.g. sklearn.ensemble.RandomForestClassifier")
        )


class SliceSpec(Section):
    """A slice of the test split: quantile bins of a numeric column, or a column's values."""

    column: str
    bins: Annotated[int, Field(ge=2, le=20)] | None = None  # None: one slice per value
    # A protected attribute (age, sex, region...): its groups also get selection and error
    # rates for the inclusion check, and `gate.max_opportunity_gap` applies to it.
    sensitive: bool = False


class EvaluateParams(Section):
    primary_metric: str
    latency_rows: Annotated[int, Field(gt=0)] = 1000
    slices: list[SliceSpec] = []

    @model_validator(mode="after")
    def _check_slices(self) -> EvaluateParams:
        columns = [s.column for s in self.slices]
        twice = sorted({c for c in columns if columns.count(c) > 1})
        if twice:
            raise ValueError(f"slices list column(s) {twice} more than once; keep one entry each")
        return self

    @property
    def sensitive_columns(self) -> tuple[str, ...]:
        return tuple(s.column for s in self.slices if s.sensitive)


class GateParams(Section):
    """Quality gate shared by `make gate`, the report and `make register`."""

    max_drop: NonNegative = 0.01
    # Which drop fails: `absolute` any drop beyond max_drop; `significant` only one the
    # paired bootstrap of the report also calls "PR worse" (a drop within noise passes).
    drop_rule: Literal["absolute", "significant"] = "absolute"
    # Absolute bar for the primary metric: a floor when higher is better, a ceiling otherwise.
    floor: float | None = None
    max_latency_growth: NonNegative | None = 0.5
    max_size_growth: NonNegative | None = 0.5
    # The model must beat the linear baseline by this much (absolute; null: no rule).
    min_lift_over_linear: float | None = None
    # Worst slice's primary metric bar (direction as `floor`) and largest best-worst gap.
    min_slice_metric: float | None = None
    max_slice_gap: NonNegative | None = None
    min_slice_rows: Annotated[int, Field(ge=1)] = 30  # smaller slices are reported, not gated
    # Equal opportunity (binary tasks): largest allowed difference in true-positive rate
    # between the groups of a sensitive slice column.
    max_opportunity_gap: UnitInterval | None = None
    # A feature the PR adds must be worth its place: its permutation importance clearly above
    # the noise of shuffling (ML Test Score D2), unless accepted by name here.
    new_features_must_help: bool = True
    accepted_weak_features: list[str] = []
    # Feature cost (`make feature-cost`, ML Test Score D3): a feature within noise whose drop
    # would save more than this share of the model file, while the primary metric loses at
    # most max_drop, fails unless accepted by name above (null: report only).
    max_feature_cost: UnitInterval | None = 0.05
    # The same for its measurable prediction latency; off by default: on a shared runner a
    # timing of a few ms moves by 10% from one run to the next, and a rule must not fail on it.
    max_feature_latency_cost: UnitInterval | None = None
    # Training cost (`make train-cost`): BASE's and the PR's model fitted here, alternately.
    # Growth of the median fit time and peak memory, as a fraction (null: no rule).
    max_train_time_growth: NonNegative | None = 1.0
    max_train_memory_growth: NonNegative | None = 0.5
    # Fit times under this many seconds never fail: there the ratio measures noise.
    min_train_seconds: NonNegative = 1.0


class DriftParams(Section):
    psi_threshold: NonNegative = 0.2
    ks_pvalue: UnitInterval = 0.01
    chi2_pvalue: UnitInterval = 0.01
    max_missing_rate_change: UnitInterval = 0.1
    prediction_psi_threshold: NonNegative = 0.2
    bins: Annotated[int, Field(ge=2, le=100)] = 10


class Invariance(Section):
    """A perturbation the user declares irrelevant: predictions must not change under it."""

    column: str
    # Gaussian noise added to the column, as a fraction of its standard deviation.
    noise: Annotated[float, Field(gt=0.0)] = 0.01
    max_changed_fraction: UnitInterval = 0.0  # share of predicted labels/values allowed to move


class Directional(Section):
    """A declared expectation: raising `column` moves the positive-class score (or the value) this way."""

    column: str
    direction: Literal["increase", "decrease"]
    shift: Annotated[float, Field(gt=0.0)] = 1.0  # added to the column, in units of its std
    max_violations: UnitInterval = 0.0  # share of rows allowed to move the other way


class ModelTestsParams(Section):
    """`make test-model`: behavioural checks and limits beyond the quality gate."""

    max_latency_ms_per_1000_rows: Annotated[float, Field(gt=0.0)] | None = None
    max_model_bytes: Annotated[int, Field(gt=0)] | None = None
    # peak memory of a fresh process that loads the model and scores latency_rows rows
    max_serving_memory_mb: Annotated[float, Field(gt=0.0)] | None = None
    invariance: list[Invariance] = []
    directional: list[Directional] = []
    required_features: list[str] = []
    skew_tolerance: NonNegative = 1e-9  # largest allowed probability difference raw vs prepared


class TuneParams(Section):
    """`make tune-check`: is any one-at-a-time change of a hyperparameter clearly better?

    Which names the estimator accepts is checked by `gitops_ml.review.tune`, which imports it.
    """

    # candidate values per numeric hyperparameter; the committed value is always included
    params: dict[str, list[int | float]] = {}
    cv: Annotated[int, Field(ge=2, le=10)] = 3  # folds of the train split (never the test split)
    tolerance: NonNegative = 0.005  # mean CV primary metric a candidate may win by

    @field_validator("params", mode="before")
    @classmethod
    def _numbers_only(cls, raw: Any) -> Any:
        """Numbers stay int or float (max_iter must stay an int); YAML's `1e-3` is a string."""
        if not isinstance(raw, dict):
            return raw
        out: dict[Any, Any] = {}
        for name, values in raw.items():
            if not isinstance(values, list):
                raise ValueError(f"{name}: expected a list of candidate values, e.g. [0.05, 0.2]")
            out[name] = [_number(name, v) for v in values]
        return out


class Distribution(Section):
    """A range `make search` samples from (random or halving search), instead of a list."""

    distribution: Literal["uniform", "loguniform", "randint"]
    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Distribution:
        if not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        if self.distribution == "loguniform" and self.low <= 0:
            raise ValueError(f"loguniform needs low > 0 (got {self.low})")
        if self.distribution == "randint" and not (
            float(self.low).is_integer() and float(self.high).is_integer()
        ):
            raise ValueError("randint needs whole numbers for low and high")
        return self


Scalar = int | float | str | bool | None


class SearchParams(Section):
    """`make search`: a hyperparameter search on the train split (docs/scaling.md).

    Which names the estimator accepts, and which take a distribution, is checked by
    `gitops_ml.review.search`, which imports the estimator.
    """

    # per hyperparameter: a list of values, or {distribution: uniform|loguniform|randint, low, high}
    params: dict[str, list[Scalar] | Distribution] = {}
    method: Literal["grid", "random", "halving"] = "grid"
    n_iter: Annotated[int, Field(ge=1)] = 10  # candidates drawn by random (and halving on ranges)
    factor: Annotated[int, Field(ge=2)] = 3  # halving: keep 1/factor of the candidates per round
    cv: Annotated[int, Field(ge=2, le=10)] = 3  # folds of the train split (never the test split)
    scoring: str | None = None  # a metric of the task; null: evaluate.primary_metric
    # Where fits run (also for tune-check and feature-cost): a Dask scheduler address such as
    # tcp://10.0.0.5:8786 (the DASK_SCHEDULER_ADDRESS variable wins); null: local processes.
    scheduler: str | None = None
    n_jobs: int = (
        -1
    )  # local processes when no scheduler is set; -1: cores // model.threads, 1: in-process

    @field_validator("params", mode="before")
    @classmethod
    def _list_or_range(cls, raw: Any) -> Any:
        if not isinstance(raw, dict):
            return raw
        raw = dict(raw)
        for name, space in raw.items():
            if isinstance(space, list):
                if not space:
                    raise ValueError(f"{name}: the list of values is empty")
                for value in space:
                    if isinstance(value, (dict, list)):
                        raise ValueError(f"{name}: value {value!r} is not a single value")
            elif isinstance(space, dict):
                try:
                    raw[name] = Distribution.model_validate(space)
                except ValidationError as err:
                    first = err.errors()[0]
                    where = dotted(tuple(first["loc"]))
                    problem = first["msg"].removeprefix("Value error, ")
                    raise ValueError(
                        f"{name}: {where + ': ' if first['loc'] else ''}{problem}"
                    ) from None
            else:
                raise ValueError(
                    f"{name}: expected a list of values, e.g. [0.05, 0.2], or a range, "
                    "e.g. {distribution: loguniform, low: 0.01, high: 0.3}"
                )
        return raw

    @field_validator("n_jobs")
    @classmethod
    def _jobs(cls, value: int) -> int:
        if value == 0 or value < -1:
            raise ValueError("must be -1 (cores / model.threads) or a number of processes >= 1")
        return value

    @model_validator(mode="after")
    def _fits_method(self) -> SearchParams:
        ranges = [n for n, s in self.params.items() if isinstance(s, Distribution)]
        if self.method == "grid" and ranges:
            raise ValueError(
                f"method grid needs a list of values for {', '.join(ranges)}; "
                "use method random or halving to sample a range"
            )
        return self


# A registered model version, vMAJOR.MINOR.PATCH (gitops_ml.registry.versions uses it too).
VERSION = re.compile(r"^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
DEFAULT_USE = (
    "Template model: scores tabular rows like the training data. Replace this text "
    "(params.yaml registry.intended_use) with who may use the model, for what, and where not."
)


class RegistryParams(Section):
    """`registry:`: versions, stages and the checks on registered models (docs/releases.md)."""

    # Artifact name in dvc.yaml `artifacts:`; empty: the only artifact of type `model`.
    model: str | None = None
    # The first registered version: v1.0.0 because it has passed the gate and can be promoted.
    first_version: str = "v1.0.0"
    remote: str = "origin"
    # Stages only the approval workflow may assign (it runs in a protected GitHub environment).
    approval_stages: list[str] = ["prod"]
    intended_use: str = DEFAULT_USE
    # `make model-age` (monitor workflow): the production model may be at most this many days
    # older than its registration tag; null reports the age without a limit.
    max_model_age_days: Annotated[int, Field(gt=0)] | None = None
    # `make staleness-impact`: the prod model's primary metric on today's test split may be
    # at most this much worse than at its registration; null reports without a limit.
    max_staleness_drop: NonNegative | None = None
    # `make canary`: the candidate must agree with the prod model on at least this share of
    # rows: equal labels (classification), or predictions within canary_tolerance times the
    # prod model's mean absolute prediction (regression).
    canary_min_agreement: UnitInterval = 0.95
    canary_tolerance: Annotated[float, Field(gt=0.0)] = 0.1

    @field_validator("first_version")
    @classmethod
    def _is_a_version(cls, value: str) -> str:
        if not VERSION.match(value):
            raise ValueError("must be a version like v1.0.0")
        return value


def _number(name: str, value: Any) -> int | float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise ValueError(f"{name}: candidate {value!r} is not a number")


# Columns `make predict` writes itself: a passthrough column of the same name would hide one.
SERVING_OUTPUT_COLUMNS = (ROW_ID, "y_true", "y_pred", "contract_violations")


class ServingParams(Section):
    """`make predict`: how rows that break the training data's contract are handled, and
    which input columns (ids) travel to the output beside each prediction."""

    on_violation: Literal["refuse", "flag"] = "refuse"
    range_margin: NonNegative | None = 0.5  # training-range widths allowed beyond min/max
    # A category the model never saw: refuse the batch, flag the row, or score it as the
    # encoder's unknown category; null: as on_violation says.
    unseen_category: Literal["refuse", "flag", "unknown"] | None = None
    passthrough: list[str] = []

    @field_validator("passthrough")
    @classmethod
    def _passthrough_names(cls, names: list[str]) -> list[str]:
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"columns listed twice: {twice}; list each once")
        taken = [n for n in names if n in SERVING_OUTPUT_COLUMNS or n.startswith(PROBA_PREFIX)]
        if taken:
            raise ValueError(
                f"{taken} would clash with the prediction columns ({', '.join(SERVING_OUTPUT_COLUMNS)}, "
                f"{PROBA_PREFIX}<class>); rename the column in the input, or leave it out"
            )
        return names

    @property
    def unseen_policy(self) -> Literal["refuse", "flag", "unknown"]:
        return self.unseen_category or self.on_violation


class Params(Section):
    seed: Annotated[int, Field(ge=0)] = 42
    data: DataParams
    split: SplitParams = SplitParams()
    contract: ContractParams = ContractParams()
    model: ModelParams
    evaluate: EvaluateParams
    gate: GateParams = GateParams()
    drift: DriftParams = DriftParams()
    model_tests: ModelTestsParams = ModelTestsParams()
    tune: TuneParams = TuneParams()
    search: SearchParams = SearchParams()
    registry: RegistryParams = RegistryParams()
    serving: ServingParams = ServingParams()

    @model_validator(mode="after")
    def _check_metric(self) -> Params:
        allowed = metrics_for(self.data.task)
        if self.evaluate.primary_metric not in allowed:
            raise ValueError(
                f"evaluate.primary_metric {self.evaluate.primary_metric!r} does not fit task "
                f"{self.data.task!r}; allowed: {', '.join(allowed)}"
            )
        return self

    @model_validator(mode="after")
    def _check_scoring(self) -> Params:
        allowed = metrics_for(self.data.task)
        if self.search.scoring is not None and self.search.scoring not in allowed:
            raise ValueError(
                f"search.scoring {self.search.scoring!r} does not fit task "
                f"{self.data.task!r}; allowed: {', '.join(allowed)} (null: the primary metric)"
            )
        return self

    @model_validator(mode="after")
    def _check_inclusion(self) -> Params:
        if self.gate.max_opportunity_gap is None:
            return self
        if self.data.task != "binary":
            raise ValueError(
                "gate.max_opportunity_gap compares true-positive rates, which need a binary "
                f"task (data.task is {self.data.task!r}); use gate.max_slice_gap instead"
            )
        if not any(s.sensitive for s in self.evaluate.slices):
            raise ValueError(
                "gate.max_opportunity_gap is set but no evaluate.slices entry has "
                "`sensitive: true`; mark the protected attribute's slice"
            )
        return self

    @model_validator(mode="after")
    def _check_split_key(self) -> Params:
        key = self.split.key
        if key is not None and key == self.data.target:
            raise ValueError(
                f"split.key {key!r} is the target: the split would hold out whole classes "
                "or the highest values; use an id, a group or a time column"
            )
        return self

    @model_validator(mode="after")
    def _check_model_options(self) -> Params:
        """Target transform fits regression only; threshold and calibration binary only."""
        m, task = self.model, self.data.task
        if m.target_transform is not None and task != "regression":
            raise ValueError(
                f"model.target_transform applies to data.task 'regression' only (data.task is "
                f"{task!r}); remove it"
            )
        for key, value in (("threshold", m.threshold), ("calibration", m.calibration)):
            if value is not None and task != "binary":
                raise ValueError(
                    f"model.{key} applies to data.task 'binary' only (data.task is {task!r}); "
                    "remove it"
                )
        if m.threshold is not None and self.data.positive_class is None:
            raise ValueError(
                "model.threshold needs data.positive_class (the class whose probability it "
                "cuts), which is not set; set data.positive_class"
            )
        return self

    @property
    def is_classification(self) -> bool:
        return self.data.task != "regression"

    @property
    def row_key(self) -> str | None:
        """The key of a stable or group split: it names rows, so it is no feature unless
        listed under data.features (a time split's key may well be one)."""
        return self.split.key if self.split.method in ("stable", "group") else None


def metrics_for(task: str) -> tuple[str, ...]:
    return REGRESSION_METRICS if task == "regression" else CLASSIFICATION_METRICS


def _owner(model: type[BaseModel], loc: tuple[Any, ...]) -> Any:
    """Walk the model tree along `loc` to the section that holds the key `loc[-1]` (or None)."""
    current: Any = model
    in_container = False
    for part in loc[:-1]:
        if in_container:  # a list index or dict key: the item type is already `current`
            in_container = False
            continue
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return None
        in_container = get_origin(field.annotation) in (list, dict)
        current = _section_in(field.annotation)
    return current


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys allowed where the unknown key `loc[-1]` was found."""
    return sorted(getattr(_owner(model, loc), "model_fields", {}))


def _section_in(annotation: Any) -> Any:
    """The model inside an annotation such as `X`, `X | None`, `list[X]` or `dict[str, X]`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in reversed(get_args(annotation)):
        found = _section_in(arg)
        if found is not None:
            return found
    return None


def _sklearn_path(name: str) -> str | None:
    """scikit-learn's import path for a bare class name (`RandomForestClassifier`).

    Imports every scikit-learn estimator module, a second or so: only on this error path."""
    try:
        from sklearn.utils import all_estimators

        found = {cls.__name__: cls for _, cls in all_estimators()}
    except Exception:  # a hint only: scikit-learn missing or broken gives none
        return None
    cls = found.get(name) or found.get(next(iter(difflib.get_close_matches(name, found, 1)), ""))
    if cls is None:
        return None
    public = cls.__module__.split("._")[0]  # sklearn.ensemble._forest -> sklearn.ensemble
    return f"{public}.{cls.__name__}"


def dotted(loc: tuple[Any, ...]) -> str:
    """A params key as the messages write it: `evaluate.slices[0].column`."""
    text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    return text or "(top level)"


def _to_user_errors(
    err: ValidationError, file: str, root: type[BaseModel] | None = None
) -> UserErrors | UserError:
    problems: list[UserError] = []
    for item in err.errors():
        loc = tuple(item["loc"])
        field = dotted(loc)
        if item["type"] == "extra_forbidden":
            allowed = _allowed_keys(root or Params, loc)
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            problems.append(
                UserError(file, field, "unknown key", f"{hint}allowed keys: {', '.join(allowed)}")
            )
        elif item["type"] == "missing":
            problems.append(UserError(file, field, "required key is missing", "add it"))
        else:
            msg = item["msg"].removeprefix("Value error, ")
            got = item.get("input")
            if isinstance(got, dict):  # a check across a section's keys: name the key it is about
                field, msg = _key_named_first(msg, loc, root or Params) or (field, msg)
                msg, _, fix = msg.rpartition("; ") if "; " in msg else (msg, "", "change the value")
                problems.append(UserError(file, field, msg, fix))
            else:
                msg, _, fix = msg.rpartition("; ") if "; " in msg else (msg, "", "")
                fix = fix or _allowed_range(root or Params, loc) or "change the value"
                problems.append(UserError(file, field, f"{msg} (got {got!r})", fix))
    return problems[0] if len(problems) == 1 else UserErrors(problems)


_BOUNDS = (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<="))


def _allowed_range(root: type[BaseModel], loc: tuple[Any, ...]) -> str | None:
    """`use a number > 0 and < 1` for a key whose field declares bounds, else None."""
    field = getattr(_owner(root, loc), "model_fields", {}).get(loc[-1]) if loc else None
    if field is None:
        return None
    rules = list(field.metadata)
    for arg in get_args(field.annotation):  # `Annotated[int, Field(gt=0)] | None`
        for meta in getattr(arg, "__metadata__", ()):
            rules += getattr(meta, "metadata", [meta])
    bounds = [
        f"{sign} {getattr(rule, name)}"
        for rule in rules
        for name, sign in _BOUNDS
        if getattr(rule, name, None) is not None
    ]
    return f"use a number {' and '.join(bounds)}" if bounds else None


def _key_named_first(
    msg: str, loc: tuple[Any, ...], root: type[BaseModel]
) -> tuple[str, str] | None:
    """`positive_class applies only...` at `data` -> (`data.positive_class`, `applies only...`)."""
    word, _, rest = msg.partition(" ")
    word = word.rstrip(":")
    if rest and word.split(".")[0].split("[")[0] in _allowed_keys(root, (*loc, "")):
        return dotted((*loc, word)), rest
    return None


def parse(raw: Any, file: str = str(PARAMS_FILE)) -> Params:
    if not isinstance(raw, dict):
        raise UserError(file, "(top level)", "expected a mapping of sections", "see README.md")
    try:
        return Params.model_validate(raw)
    except ValidationError as err:
        raise _to_user_errors(err, file) from None


def validate(model: type[M], raw: Any, file: str) -> M:
    """Validate `raw` against any section model, with the same messages as params.yaml."""
    if not isinstance(raw, dict):
        raise UserError(file, "(top level)", "expected a mapping", "see the docs for the layout")
    try:
        return model.model_validate(raw)
    except ValidationError as err:
        raise _to_user_errors(err, file, model) from None


_BOOL = "tag:yaml.org,2002:bool"
_FLOAT = "tag:yaml.org,2002:float"


_INT = "tag:yaml.org,2002:int"


class Yaml12Loader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2 booleans, integers and floats, as DVC reads.

    `dvc exp run -S` rewrites params.yaml without quotes where YAML 1.2 needs none, so
    `positive_class: "yes"` comes back as `yes`: a YAML 1.1 reader would see True. Here only
    true/false are booleans (yes, no, on, off stay strings), 1e-3 is a float, and `010` is
    ten (YAML 1.1 reads eight), so a stage trains with the value `dvc.lock` records.
    """

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        text = str(self.construct_scalar(node)).replace("_", "")
        sign = -1 if text[0] == "-" else 1
        digits = text.lstrip("+-")
        base = {"0b": 2, "0o": 8, "0x": 16}.get(digits[:2])
        return sign * (int(digits[2:], base) if base else int(digits))


Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in rules if tag not in (_BOOL, _FLOAT, _INT)]
    for first, rules in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_constructor(_INT, Yaml12Loader.construct_yaml_int)
Yaml12Loader.add_implicit_resolver(
    _INT,
    re.compile(r"^[-+]?(?:0b[01_]+|0o[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*)$"),
    list("-+0123456789"),
)
Yaml12Loader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
Yaml12Loader.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"^(?:[-+]?(?:\.[0-9_]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+.0123456789"),
)


def yaml_text(text: str) -> Any:
    """Parse YAML the way DVC does (see Yaml12Loader); raises yaml.YAMLError."""
    return yaml.load(text, Loader=Yaml12Loader)


def read_yaml(path: str | Path) -> Any:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(str(path), "", "file not found", "run from the repository root") from None
    except UnicodeDecodeError as err:
        raise UserError(
            str(path), f"byte {err.start}", "not valid UTF-8 text", "save the file as UTF-8"
        ) from None
    except OSError as err:
        raise UserError(
            str(path), "", f"cannot be read: {err.strerror}", "check the path"
        ) from None
    try:
        return yaml_text(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(unknown)"
        problem = getattr(err, "problem", None) or str(err)
        raise UserError(str(path), where, f"invalid YAML: {problem}", "fix the syntax") from None


def load(path: str | Path = PARAMS_FILE) -> Params:
    """Read and validate params.yaml."""
    return parse(read_yaml(path), str(path))
