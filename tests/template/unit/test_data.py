"""Reading the data and inferring its features (the split: test_split.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gitops_ml.core import data, params, split
from gitops_ml.core.config import ROW_ID
from gitops_ml.core.errors import UserError


def make_params(task: str = "binary", **split: object) -> params.Params:
    metric = "rmse" if task == "regression" else "accuracy"
    return params.parse(
        {
            "data": {"path": "x.csv", "target": "y", "task": task, "drop": ["id"]},
            "split": {"test_size": 0.25, **split},
            "model": {"estimator": "sklearn.dummy.DummyClassifier"},
            "evaluate": {"primary_metric": metric},
        }
    )


def frame(n: int = 400, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "a": rng.normal(size=n),
            "flag": rng.random(n) > 0.5,
            "city": rng.choice(["x", "y"], size=n),
            "y": np.where(rng.random(n) < 0.2, "rare", "common"),
        }
    )


def test_features_are_inferred_from_dtypes_without_target_or_dropped_columns() -> None:
    spec = data.resolve_features(frame(), make_params())
    assert spec.numeric == ["a"]
    assert spec.categorical == ["flag", "city"]
    assert spec.target == "y"


def test_read_parquet_gives_the_frame_pandas_gives(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    original = pd.DataFrame(
        {
            "x": np.where(rng.random(50) < 0.2, np.nan, rng.normal(size=50)),
            "n": np.arange(50),
            "colour": pd.Categorical(rng.choice(["red", "blue"], size=50)),
            "text": rng.choice(["a", "b", None], size=50),
        }
    )
    path = tmp_path / "t.parquet"
    original.to_parquet(path, index=False)
    pd.testing.assert_frame_equal(data.read_parquet(path), pd.read_parquet(path))
    pd.testing.assert_frame_equal(
        data.read_parquet(path, columns=["text", "x"]), pd.read_parquet(path)[["text", "x"]]
    )


def test_a_numeric_column_listed_as_categorical_is_refused_with_the_fix() -> None:
    p = params.parse(
        {
            "data": {
                "path": "x.csv",
                "target": "y",
                "task": "binary",
                "features": {"numeric": ["x"], "categorical": ["code"]},
            },
            "model": {"estimator": "sklearn.dummy.DummyClassifier"},
            "evaluate": {"primary_metric": "accuracy"},
        }
    )
    rows = pd.DataFrame({"x": [0.5, 1.5], "code": [1, 2], "y": ["a", "b"]})
    with pytest.raises(UserError) as err:
        data.resolve_features(rows, p)
    assert err.value.field == "data.features.categorical"
    assert "['code']" in err.value.problem and "as text" in err.value.fix
    assert data.resolve_features(rows.assign(code=["1", "2"]), p).categorical == ["code"]


def test_data_format_applies_to_the_data_file_and_to_files_whose_name_does_not_say() -> None:
    base = {"target": "y", "task": "regression"}
    declared = params.DataParams(path="data/export.dat", format="parquet", **base)
    assert declared.file_format == "parquet"
    assert declared.format_of_file("new_rows.csv") == "csv"  # a name that says wins
    assert declared.format_of_file("batch_07") == "parquet"
    auto = params.DataParams(path="data/x.parquet", **base)
    assert auto.file_format == "parquet" and auto.format_of_file("rows.CSV") == "csv"
    assert auto.format_of_file("rows.unknown") == "csv"


def test_predict_refuses_an_output_that_is_its_input_or_names_no_format(tmp_path: Path) -> None:
    from gitops_ml.serving import serve

    source = tmp_path / "rows.csv"
    with pytest.raises(UserError, match="also the input"):
        serve.check_output(tmp_path / "." / "rows.csv", source)
    with pytest.raises(UserError, match="does not say CSV or Parquet"):
        serve.check_output(tmp_path / "scores.xlsx", source)
    serve.check_output(tmp_path / "scores.parquet", source)


def test_predict_refuses_an_output_inside_the_folder_dvc_tracks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gitops_ml.serving import serve

    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError, match=r"the folder data\.dvc tracks"):
        serve.check_output(Path("data/scores.csv"), tmp_path / "rows.csv")


def test_predict_refuses_pipeline_outputs_and_existing_files_unless_forced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gitops_ml.serving import serve

    monkeypatch.chdir(tmp_path)
    source = tmp_path / "rows.csv"
    for output in ("artifacts/prepared/test.parquet", "metrics/scores.csv"):
        with pytest.raises(UserError, match="where the pipeline writes its outputs"):
            serve.check_output(Path(output), source, force=True)
    (tmp_path / "scores.csv").write_text("someone's file\n")
    with pytest.raises(UserError) as caught:
        serve.check_output(Path("scores.csv"), source)
    assert "FORCE=1" in caught.value.fix
    serve.check_output(Path("scores.csv"), source, force=True)


def test_a_misspelt_target_suggests_the_close_column_even_past_the_first_twenty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    columns = [f"feature_{i}" for i in range(45)] + ["diagnosis"]
    pd.DataFrame([range(len(columns))], columns=columns).to_csv("data/t.csv", index=False)
    p = params.parse(
        {
            "data": {"path": "data/t.csv", "target": "diagnosiss", "task": "binary"},
            "model": {"estimator": "sklearn.linear_model.LogisticRegression"},
            "evaluate": {"primary_metric": "roc_auc"},
        }
    )
    with pytest.raises(UserError) as caught:
        data.read_raw(p)
    assert "did you mean 'diagnosis'?" in caught.value.problem
    assert "and 6 more" in caught.value.fix


def test_a_data_column_named_like_the_row_number_is_refused_unless_dropped() -> None:
    p = make_params()
    rows = frame().rename(columns={"a": ROW_ID})
    with pytest.raises(UserError) as caught:
        data.resolve_features(rows, p)
    assert caught.value.field == f"column {ROW_ID!r}" and "data.drop" in caught.value.fix
    dropped = make_params()
    dropped.data.drop.append(ROW_ID)
    spec = data.resolve_features(rows, dropped)
    train, test = split.split(rows[[*spec.columns, spec.target]], dropped)
    assert len(train) + len(test) == len(rows)


def test_a_gzip_csv_is_read_and_written_as_gzip(tmp_path: Path) -> None:
    import gzip

    from gitops_ml.serving import serve

    rows = frame(20)
    plain = tmp_path / "rows.csv"
    rows.to_csv(plain, index=False)
    packed = tmp_path / "rows.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    options = params.CsvOptions()
    pd.testing.assert_frame_equal(data.read_table(packed, "csv", options), rows)
    (tmp_path / "fake.csv.gz").write_bytes(plain.read_bytes())
    with pytest.raises(UserError, match="cannot be read"):
        data.read_table(tmp_path / "fake.csv.gz", "csv", options)
    serve.write_output(rows, tmp_path / "out.csv.gz")
    assert (tmp_path / "out.csv.gz").read_bytes()[:2] == b"\x1f\x8b"
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "out.csv.gz"), rows)
    serve.write_output(rows, tmp_path / "out.tsv")
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "out.tsv", sep="\t"), rows)


def test_a_listed_column_the_data_lacks_is_named_with_the_closest_one() -> None:
    p = params.parse(
        {
            "data": {
                "path": "x.csv",
                "target": "y",
                "task": "binary",
                "features": {"numeric": ["tenure", "a"], "categorical": []},
            },
            "model": {"estimator": "sklearn.dummy.DummyClassifier"},
            "evaluate": {"primary_metric": "accuracy"},
        }
    )
    with pytest.raises(UserError) as caught:
        data.require_listed(["a", "tenure_months", "y"], p)
    assert caught.value.field == "data.features"
    assert "['tenure'] (did you mean 'tenure_months'?)" in caught.value.problem


def test_a_numeric_column_with_a_few_text_values_is_not_inferred_as_categorical() -> None:
    rows = frame(200).astype({"a": object})
    rows.loc[42, "a"] = "12,000"
    with pytest.raises(UserError) as caught:
        data.resolve_features(rows, make_params())
    assert caught.value.field == "a"
    assert "['12,000'] in rows (0-based) [42]" in caught.value.problem
    codes = frame(200).assign(a=[f"Z{i % 7}" if i % 3 else str(i) for i in range(200)])
    assert "a" in data.resolve_features(codes, make_params()).categorical  # text on purpose
