"""The data contract: built-in rules from params, reviewed rules from a schema file, all at once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from gitops_ml.checks import contract, infer_contract
from gitops_ml.core import data, params
from gitops_ml.core.errors import UserError, UserErrors


def make_params(schema_file: str | None = None, **contract_rules: object) -> params.Params:
    return params.parse(
        {
            "data": {"path": "data/x.csv", "target": "y", "task": "binary"},
            "contract": {"schema_file": schema_file, "min_rows": 10, **contract_rules},
            "model": {"estimator": "sklearn.dummy.DummyClassifier"},
            "evaluate": {"primary_metric": "accuracy"},
        }
    )


def frame(n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "size": rng.uniform(1.0, 5.0, n).round(3),
            "count": rng.integers(0, 10, n),
            "city": rng.choice(["paris", "rome"], n),
            "y": np.where(np.arange(n) % 2 == 0, "yes", "no"),
        }
    )


def problems(raised: pytest.ExceptionInfo[UserError]) -> list[UserError]:
    err = raised.value
    return err.errors if isinstance(err, UserErrors) else [err]


def enforce(df: pd.DataFrame, p: params.Params) -> None:
    contract.enforce(df, p, data.resolve_features(df, p))


def write_inferred(tmp_path: Path, df: pd.DataFrame, p: params.Params) -> dict:
    inferred = infer_contract.infer(df, p, data.resolve_features(df, p))
    (tmp_path / "contract.yaml").write_text(infer_contract.render(inferred, "data/x.csv", "c.yaml"))
    return inferred


def test_clean_data_passes_builtin_rules() -> None:
    enforce(frame(), make_params())


def test_builtin_violations_are_reported_together_with_rows_and_fixes() -> None:
    df = frame()
    df.loc[[1, 2, 3], "size"] = np.inf
    df["y"] = "yes"
    with pytest.raises(UserError) as raised:
        enforce(df.head(5), make_params())
    found = {(e.field, e.problem.split(" ")[1]) for e in problems(raised)}
    assert ("size", "max_infinite_fraction") in found
    assert ("y", "min_classes:") in found
    assert ("(table)", "min_rows") in found
    inf_error = next(e for e in problems(raised) if e.field == "size")
    assert "offending rows (0-based): [1, 2, 3]" in inf_error.problem
    assert "contract.max_infinite_fraction" in inf_error.fix
    assert all(e.file == "data/x.csv" for e in problems(raised))


def test_missing_fraction_above_limit_names_the_column() -> None:
    df = frame()
    df.loc[: len(df) // 2, "city"] = None
    with pytest.raises(UserError) as raised:
        enforce(df, make_params(max_missing_fraction=0.25))
    assert [e.field for e in problems(raised)] == ["city"]
    assert "max_missing_fraction 0.25" in problems(raised)[0].problem


def test_inferred_contract_accepts_the_data_it_was_inferred_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    df = frame()
    inferred = write_inferred(tmp_path, df, make_params())
    assert inferred["columns"]["size"]["dtype"] == "numeric"
    assert inferred["columns"]["count"]["dtype"] == "integer"
    assert inferred["columns"]["city"]["categories"] == ["paris", "rome"]
    assert inferred["target"]["values"] == ["no", "yes"]
    assert yaml.safe_load((tmp_path / "contract.yaml").read_text()) == inferred
    enforce(df, make_params("contract.yaml"))


def test_schema_file_rules_catch_range_category_type_null_and_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    df = frame()
    write_inferred(tmp_path, df, make_params())
    bad = df.copy()
    bad.loc[4, "size"] = 99.0
    bad.loc[5, "city"] = "oslo"
    bad["count"] = bad["count"] + 0.5
    bad.loc[6, "size"] = np.nan
    bad.loc[7, "y"] = "maybe"
    bad = bad.rename(columns={"city": "town"}).assign(city=bad["city"]).assign(extra=1)
    bad = bad.drop(columns=["town"])
    with pytest.raises(UserError) as raised:
        enforce(bad, make_params("contract.yaml"))
    by_field = {}
    for e in problems(raised):
        by_field.setdefault(e.field, []).append(e.problem)
    assert any("in_range" in p and "[4]" in p and "99.0" in p for p in by_field["size"])
    assert any("not_nullable" in p and "[6]" in p for p in by_field["size"])
    assert any("allowed_values" in p and "oslo" in p for p in by_field["city"])
    assert any("integer_dtype" in p for p in by_field["count"])
    assert any("allowed_values" in p and "maybe" in p for p in by_field["y"])
    assert by_field["extra"] == ["column is not in contract.yaml"]


def test_missing_contract_column_is_reported_with_a_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    df = frame()
    write_inferred(tmp_path, df, make_params())
    with pytest.raises(UserError) as raised:
        enforce(df.drop(columns=["count"]), make_params("contract.yaml"))
    (error,) = problems(raised)
    assert (error.field, error.problem) == ("count", "column is missing from the data")
    assert "infer-schema" in error.fix


def test_schema_file_typos_and_contradictions_are_user_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "contract.yaml").write_text(
        "columns:\n  size: {dtype: numeric, mni: 1}\n  city: {dtype: categorical, min: 0}\n"
    )
    with pytest.raises(UserError) as raised:
        contract.load_schema_file(make_params("contract.yaml"))
    rendered = raised.value.render()
    assert "contract.yaml: columns.size.mni: unknown key" in rendered
    assert "did you mean 'min'?" in rendered
    assert "columns.city" in rendered and "min/max apply to numeric" in rendered


def test_a_configured_schema_file_that_does_not_exist_is_a_user_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError) as raised:
        contract.load_schema_file(make_params("nope.yaml"))
    assert (raised.value.file, raised.value.field) == ("params.yaml", "contract.schema_file")


def test_infer_schema_refuses_to_overwrite_without_force(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "contract.yaml").write_text("# reviewed by hand\n")
    with pytest.raises(UserError) as raised:
        infer_contract.main([])
    assert "--force" in raised.value.fix
    assert (tmp_path / "contract.yaml").read_text() == "# reviewed by hand\n"


def test_infer_schema_cli_writes_a_reviewable_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    frame().to_csv(tmp_path / "data/x.csv", index=False)
    raw = make_params().model_dump()
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(raw))
    assert infer_contract.main(["--force"]) == 0
    text = (tmp_path / "contract.yaml").read_text()
    assert text.startswith("# Data contract for data/x.csv")
    assert "REVIEW IT" in text
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_type_and_class_violations_show_the_rows_values_and_classes_not_a_verdict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    clean = frame()
    write_inferred(tmp_path, clean, make_params())
    dirty = clean.astype({"count": object})
    dirty.loc[7, "count"] = "12,000"  # text in a column the schema file says holds integers
    dirty.loc[9, "y"] = "maybe"  # a third class for a binary task
    p = make_params("contract.yaml")
    with pytest.raises(UserError) as raised:
        contract.enforce(dirty, p, data.resolve_features(clean, p))
    text = "\n".join(e.render() for e in problems(raised))
    assert "'False'" not in text and "TypeError" not in text
    count = next(e for e in problems(raised) if e.field == "count" and "integer" in e.problem)
    assert "offending rows (0-based): [7]" in count.problem and "'12,000'" in count.problem
    target = next(e for e in problems(raised) if "binary_classes" in e.problem)
    assert "classes found: ['maybe', 'no', 'yes']" in target.problem


def test_a_regression_target_with_text_is_refused_in_prepare_with_its_rows() -> None:
    df = frame().assign(y=np.arange(40, dtype=float)).astype({"y": object})
    df.loc[[4, 6], "y"] = "gold"
    p = params.parse(
        {
            "data": {"path": "data/x.csv", "target": "y", "task": "regression"},
            "contract": {"min_rows": 10},
            "model": {"estimator": "sklearn.dummy.DummyRegressor"},
            "evaluate": {"primary_metric": "rmse"},
        }
    )
    with pytest.raises(UserError) as raised:
        enforce(df, p)
    (error,) = problems(raised)
    assert error.field == "y" and "offending rows (0-based): [4, 6]" in error.problem
    assert "'gold'" in error.problem and "data.task" in error.fix
    enforce(frame().assign(y=np.arange(40, dtype=float)), p)
