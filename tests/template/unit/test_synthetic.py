"""The synthetic dataset: sample schema plus categoricals and gaps, seeded, informative."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gitops_ml import cli
from gitops_ml.datasets import bundled, synthetic

ROWS = 3000


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return synthetic.frame(ROWS, seed=7)


def test_same_seed_writes_identical_bytes_and_another_seed_differs(tmp_path: Path) -> None:
    first = synthetic.write(ROWS, 7, tmp_path / "a.parquet")
    second = synthetic.write(ROWS, 7, tmp_path / "b.parquet")
    other = synthetic.write(ROWS, 8, tmp_path / "c.parquet")
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() != other.read_bytes()


def test_has_the_sample_schema_plus_categorical_columns(table: pd.DataFrame) -> None:
    sample = bundled.frame("breast_cancer")
    numeric = [c for c in sample.columns if c != synthetic.TARGET]
    assert len(table) == ROWS
    assert list(table.columns) == [*numeric, *synthetic.CATEGORICAL, synthetic.TARGET]
    assert all(pd.api.types.is_float_dtype(table[c]) for c in numeric)
    assert all(isinstance(table[c].dtype, pd.CategoricalDtype) for c in synthetic.CATEGORICAL)
    assert set(table[synthetic.TARGET]) == set(sample[synthetic.TARGET])
    assert (table[numeric].min() >= 0).all()  # sizes and areas stay non-negative


def test_has_missing_features_but_never_a_missing_target(table: pd.DataFrame) -> None:
    missing = table.isna().mean()
    assert missing[list(synthetic.CATEGORICAL)].between(0.02, 0.1).all()
    assert (missing.drop(list(synthetic.CATEGORICAL)) > 0).sum() >= 5
    assert missing[synthetic.TARGET] == 0


def test_features_carry_the_class_signal(table: pd.DataFrame) -> None:
    from sklearn.metrics import roc_auc_score

    malignant = (table[synthetic.TARGET] == "malignant").to_numpy()
    worst_radius = table["worst_radius"].fillna(table["worst_radius"].median())
    assert roc_auc_score(malignant, worst_radius) > 0.85
    # a class-dependent categorical differs between classes; the noise column barely does
    share = pd.crosstab(table["age_band"], malignant, normalize="columns")
    noise = pd.crosstab(table["batch"], malignant, normalize="columns")
    assert np.abs(share[True] - share[False]).sum() > 2 * np.abs(noise[True] - noise[False]).sum()


def test_cli_writes_the_default_parquet_path(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    assert cli.main(["sample-data", "--rows", "200", "--seed", "3"]) == 0
    written = pd.read_parquet(tmp_path / "data" / "synthetic_200.parquet")
    pd.testing.assert_frame_equal(written, synthetic.frame(200, seed=3))


def test_cli_refuses_too_few_rows_without_writing(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    assert cli.main(["sample-data", "--rows", "10"]) == 2
    assert "--rows" in capsys.readouterr().err
    assert not (tmp_path / "data").exists()


def test_cli_never_replaces_a_different_file_unless_forced(
    tmp_path: Path, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    assert cli.main(["sample-data", "--rows", "200"]) == 0
    assert cli.main(["sample-data", "--rows", "200"]) == 0  # the same bytes again: fine
    target = tmp_path / "data" / "synthetic_200.parquet"
    target.write_bytes(b"your own data")
    assert cli.main(["sample-data", "--rows", "200"]) == 2
    assert "it may be your data" in capsys.readouterr().err
    assert target.read_bytes() == b"your own data"
    assert sorted(p.name for p in target.parent.iterdir()) == ["synthetic_200.parquet"]
    assert cli.main(["sample-data", "--rows", "200", "--force"]) == 0
    assert target.read_bytes() != b"your own data"


def test_csv_output_round_trips_the_values(tmp_path: Path) -> None:
    path = synthetic.write(300, 5, tmp_path / "s.csv")
    back = pd.read_csv(path)
    expected = synthetic.frame(300, seed=5)
    assert list(back.columns) == list(expected.columns)
    np.testing.assert_allclose(back["mean_area"], expected["mean_area"], rtol=1e-12)
    assert back["clinic"].isna().sum() == expected["clinic"].isna().sum()


def test_a_bundled_dataset_is_written_in_the_format_its_name_says(
    tmp_path: Path, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    from gitops_ml.datasets import bundled

    monkeypatch.chdir(tmp_path)
    assert cli.main(["sample-data", "--dataset", "wine", "--out", "w.parquet"]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet("w.parquet"), bundled.frame("wine"))
    assert cli.main(["sample-data", "--dataset", "wine", "--out", "w.xlsx"]) == 2
    assert "end it in .csv or .parquet" in capsys.readouterr().err
    assert not (tmp_path / "w.xlsx").exists()
