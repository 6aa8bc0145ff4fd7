"""Your committed model passes the absolute rules your params.yaml sets for it.

`make gate` (in the PR job's `make pr-checks`) and `make register` apply these rules to the committed metrics; this test
applies them the same way (through gitops_ml.evaluation.gate) without a pull request, so a
params.yaml or model change that breaks one of your own rules fails `make test` at once.
"""

from __future__ import annotations

import json

from gitops_ml.core import config, params
from gitops_ml.evaluation import gate
from tests.conftest import REPO_ROOT


def _committed(path: object) -> dict:
    return json.loads((REPO_ROOT / str(path)).read_text(encoding="utf-8"))


def test_the_committed_model_beats_or_matches_the_linear_baseline_and_passes_its_rules() -> None:
    p = params.load(REPO_ROOT / config.PARAMS_FILE)
    primary = p.evaluate.primary_metric
    # ML Test Score M5 (a simpler model is not better): the rule is on, so the gate checks it.
    assert p.gate.min_lift_over_linear is not None, "gate.min_lift_over_linear is off"
    baselines = _committed(config.BASELINES_FILE)
    result = gate.check(primary, _committed(config.METRICS_FILE), None, p.gate)  # the floor
    gate.check_quality(
        result,
        primary,
        baselines,
        _committed(config.SLICES_FILE),
        p.gate,
        p.evaluate.sensitive_columns,
    )
    assert result.passed, result.verdict
    lift = gate.better_by(primary, baselines[primary]["model"], baselines[primary]["linear"])
    assert lift >= p.gate.min_lift_over_linear
    assert gate.better_by(primary, baselines[primary]["model"], baselines[primary]["dummy"]) > 0
