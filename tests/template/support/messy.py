"""A customer table as adopters bring it: ids, dates, numbers stored as text, a Yes/No target.

`customers` builds it from a seed, so a test can ask for the exact mess it needs (and the
adoption tests reuse it): every trap is a keyword argument, on by default.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

PHRASES = (
    "called about billing",
    "asked for a discount",
    "unhappy with the speed",
    "moved house recently",
    "wants fibre",
    "complained about waiting time",
    "satisfied overall",
    "router replaced last year",
    "interested in the family plan",
    "paid late twice",
)
CONTRACTS = ("Month-to-month", "One year", "Two year")
PAYMENTS = ("Electronic check", "Mailed check", "Bank transfer", "Credit card")


def customers(
    rows: int = 1000,
    seed: int = 0,
    *,
    target: str = "Churn",
    labels: tuple[str, str] = ("Yes", "No"),
    positive_share: float = 0.2,
    id_column: str | None = "customerID",
    numeric_id: bool = False,
    date_column: str | None = "signup_date",
    text_numbers: str | None = "TotalCharges",
    markers: Sequence[str] = (" ", "?"),
    marker_share: float = 0.01,
    missing_share: float = 0.02,
    constant_column: str | None = "country",
    text_column: str | None = "notes",
) -> pd.DataFrame:
    """A churn-like table of `rows` customers, the same for the same arguments.

    - `id_column`: unique per row, text like "7590-VHVEG" (or 1..rows with `numeric_id`);
    - `date_column`: ISO dates (2018-2024), `missing_share` of them empty;
    - `text_numbers`: amounts written as text, `marker_share` of them replaced by the
      `markers` in turn (" " and "?" by default: pandas reads neither as missing);
    - `constant_column`: one value in every row; `text_column`: free-text notes;
    - numeric `tenure`, `MonthlyCharges` (with `missing_share` gaps) and categorical
      `Contract`, `PaymentMethod` (with gaps); the target holds `labels` (positive first),
      about `positive_share` positives, and depends on tenure and contract so a model can
      learn it. A column whose name is None is left out.
    """
    rng = np.random.default_rng(seed)
    tenure = rng.integers(1, 73, rows)
    monthly = np.round(rng.uniform(18.0, 120.0, rows), 2)
    contract = rng.choice(CONTRACTS, rows, p=[0.55, 0.25, 0.2])
    risk = 1.5 - 0.05 * tenure + 0.01 * monthly + np.where(contract == CONTRACTS[0], 1.0, -1.0)
    cut = np.quantile(risk + rng.normal(0.0, 0.8, rows), 1.0 - positive_share)
    churn = np.where(risk + rng.normal(0.0, 0.8, rows) > cut, labels[0], labels[1])
    columns: dict[str, object] = {}
    if id_column:
        if numeric_id:
            columns[id_column] = np.arange(1, rows + 1)
        else:
            letters = rng.integers(65, 91, (rows, 5)).astype(np.uint8).view("S5")[:, 0]
            numbers = rng.permutation(rows)
            columns[id_column] = [
                f"{n:04d}-{c.decode()}" for n, c in zip(numbers, letters, strict=True)
            ]
    if date_column:
        days = rng.integers(0, 7 * 365, rows)
        dates = (pd.Timestamp("2018-01-01") + pd.to_timedelta(days, unit="D")).strftime("%Y-%m-%d")
        columns[date_column] = np.where(rng.random(rows) < missing_share, None, dates)
    columns["tenure"] = tenure
    columns["MonthlyCharges"] = np.where(rng.random(rows) < missing_share, np.nan, monthly)
    if text_numbers:
        total = np.array([f"{v:.2f}" for v in monthly * tenure], dtype=object)
        hit = np.flatnonzero(rng.random(rows) < marker_share)
        for i, row in enumerate(hit):
            total[row] = markers[i % len(markers)]
        columns[text_numbers] = total
    columns["Contract"] = np.where(rng.random(rows) < missing_share, None, contract)
    columns["PaymentMethod"] = rng.choice(PAYMENTS, rows)
    if constant_column:
        columns[constant_column] = "DE"
    if text_column:
        lengths = rng.integers(2, 5, rows)
        notes = [", ".join(rng.choice(PHRASES, n, replace=False)) for n in lengths]
        columns[text_column] = [f"{note} (call {i})" for i, note in enumerate(notes)]
    columns[target] = churn
    return pd.DataFrame(columns)
