"""`make explain` on a trained copy: one test-split row and one JSON row, and the mistakes."""

from __future__ import annotations

import json

import pandas as pd

from tests.conftest import Project


def test_explain_a_test_row_and_a_json_row_and_name_every_mistake(trained: Project) -> None:
    out = trained.make("explain", "ROW=5").stdout
    test = pd.read_parquet(trained.root / "artifacts/prepared/test.parquet")
    assert f"== raw row: test split row 5 (row {test['row_id'][5]} of the raw data)" in out
    assert "== after preprocess step numeric/passthrough (30 columns)" in out
    assert "== prediction: " in out and "probabilities: benign=" in out
    assert "== contributions to P(malignant) = " in out
    assert "method: occlusion" in out
    contributions = out.split("method: occlusion")[1].strip().splitlines()[1:]
    assert len(contributions) == 30 and all("reference" in line for line in contributions)

    raw = pd.read_csv(trained.root / "data/breast_cancer.csv").iloc[0].to_dict()
    out = trained.make("explain", f"ROW={json.dumps(raw)}").stdout
    assert "== raw row: JSON row" in out and "mean_radius" in out

    not_a_number = json.dumps({**raw, "mean_radius": "wide"})
    mistakes = {
        f"ROW={not_a_number}": "ROW: mean_radius: expected numbers; offending rows (0-based): [0]",
        "ROW=500": f"index 500 is out of range: the test split has {len(test)} rows",
        'ROW={"mean_radius": 1': "ROW: (JSON): invalid JSON",
        'ROW={"mean_radius": 14.0}': "ROW: worst_area: column is missing",
        "ROW=first": "is neither an index nor JSON",
    }
    for arg, words in mistakes.items():
        proc = trained.cli("explain", "--row", arg.removeprefix("ROW="), check=False)
        assert proc.returncode == 2, arg
        assert "Traceback" not in proc.stderr
        assert words in proc.stderr, proc.stderr
    usage = trained.make("explain", check=False)
    assert usage.returncode != 0 and "usage: make explain ROW=" in usage.stderr
