"""The training-cost verdict: growth limits, the small-fit floor, direction, null rules."""

from __future__ import annotations

import pytest

from gitops_ml.ci import comment
from gitops_ml.core.errors import UserError
from gitops_ml.core.params import GateParams, parse, read_yaml
from gitops_ml.review import train_cost
from tests.conftest import FIXTURE_PARAMS


def figures(base: tuple[float, float], head: tuple[float, float], **rules: object) -> dict:
    """{figure name: Figure} for BASE and PR (fit seconds, peak MB) under `rules`."""
    medians = {
        side: {"fit_seconds": seconds, "peak_rss_mb": mb}
        for side, (seconds, mb) in (("base", base), ("head", head))
    }
    return {f.name: f for f in train_cost.judge_all(medians, GateParams(**rules))}


def test_defaults_allow_double_the_fit_time_and_half_again_the_memory() -> None:
    ok = figures((10.0, 400.0), (19.9, 590.0))
    assert [ok["fit_seconds"].verdict, ok["peak_rss_mb"].verdict] == ["pass", "pass"]
    bad = figures((10.0, 400.0), (20.5, 610.0))
    assert [bad["fit_seconds"].verdict, bad["peak_rss_mb"].verdict] == ["FAIL", "FAIL"]
    assert bad["fit_seconds"].ratio == pytest.approx(2.05)


def test_the_tolerance_comes_from_the_gate_params() -> None:
    base, slower, hungrier = (10.0, 400.0), (12.0, 400.0), (10.0, 460.0)
    assert figures(base, slower, max_train_time_growth=0.1)["fit_seconds"].failed
    assert not figures(base, slower, max_train_time_growth=0.25)["fit_seconds"].failed
    assert figures(base, hungrier, max_train_memory_growth=0.1)["peak_rss_mb"].failed


def test_fits_under_min_train_seconds_never_fail_however_large_the_ratio() -> None:
    small = figures((0.05, 400.0), (0.9, 400.0))["fit_seconds"]
    assert small.ratio == pytest.approx(18.0)
    assert small.verdict == "pass" and "min_train_seconds" in small.reason
    # The floor is on the PR's time: crossing it with a large ratio is a regression.
    assert figures((0.05, 400.0), (1.2, 400.0))["fit_seconds"].failed
    assert figures((0.05, 400.0), (0.9, 400.0), min_train_seconds=0.5)["fit_seconds"].failed


def test_a_cheaper_model_passes_however_large_the_change() -> None:
    faster = figures((100.0, 4000.0), (1.5, 200.0), max_train_time_growth=0.0)
    assert faster["fit_seconds"].verdict == "pass" and faster["fit_seconds"].ratio < 1
    assert faster["peak_rss_mb"].verdict == "pass"


def test_a_null_limit_reports_without_gating_and_a_missing_value_is_not_compared() -> None:
    free = figures((1.0, 400.0), (50.0, 400.0), max_train_time_growth=None)["fit_seconds"]
    assert free.verdict == "not gated" and not free.failed and free.ratio == 50.0
    medians = {"base": {"fit_seconds": 2.0, "peak_rss_mb": None}, "head": {"fit_seconds": 2.0}}
    memory = {f.name: f for f in train_cost.judge_all(medians, GateParams())}["peak_rss_mb"]
    assert memory.verdict == "not compared" and memory.ratio is None and not memory.failed


def test_the_failure_names_the_figure_both_values_the_limit_and_the_fix() -> None:
    text = figures((2.0, 400.0), (5.0, 400.0))["fit_seconds"].message()
    assert "fit time grew 2.50x" in text and "2.00x" in text
    assert "gate.max_train_time_growth 1" in text and "BASE 2 s -> PR 5 s" in text
    assert "raise gate.max_train_time_growth in params.yaml" in text


def test_gate_params_refuse_a_negative_tolerance() -> None:
    raw = read_yaml(FIXTURE_PARAMS)
    raw["gate"]["max_train_memory_growth"] = -0.1
    with pytest.raises(UserError, match=r"gate\.max_train_memory_growth"):
        parse(raw)


def test_the_markdown_table_reaches_the_comment_after_the_report() -> None:
    found = figures((2.0, 400.0), (5.0, 400.0))
    result = {
        "passed": False,
        "repeat": 3,
        "rows": 455,
        "same_model": False,
        "base": {"rev": "0123456789abcdef"},
    }
    text = train_cost.markdown(result, list(found.values()))
    assert text.startswith("### Training cost: FAILED")
    assert "| fit time | 2.000 s | 5.000 s | 2.50x | 2.00x | ❌ FAIL" in text
    assert "| peak memory | 400 MB | 400 MB | 1.00x | 1.50x | ✅ pass" in text
    body = comment.build("# Report", "### Reproducibility check: passed", "PASSED", [text])
    assert body.index("# Report") < body.index("Training cost: FAILED") < body.index("gate")
    assert "Training cost" not in comment.build("# Report", None, None)


def test_fit_time_is_the_fastest_run_and_memory_the_median() -> None:
    """Two of three fits slowed by a busy machine must not make the PR look slower."""
    runs = [
        {"fit_seconds": 8.2, "peak_rss_mb": 230.0},
        {"fit_seconds": 0.9, "peak_rss_mb": 240.0},
        {"fit_seconds": 17.9, "peak_rss_mb": 232.0},
    ]
    assert train_cost._summary(runs, "fit_seconds") == 0.9
    assert train_cost._summary(runs, "peak_rss_mb") == 232.0
    assert train_cost._summary([{"fit_seconds": None}], "fit_seconds") is None
