"""`make check`: validate params.yaml fully, before DVC touches any output."""

from __future__ import annotations

from gitops_ml import params


def main(argv: list[str]) -> int:
    p = params.load()
    from gitops_ml.contract import load_schema_file
    from gitops_ml.model import build_estimator

    load_schema_file(p)  # a broken contract file stops here, before DVC touches any output

    build_estimator(p)  # imports the estimator and checks its hyperparameter names
    from gitops_ml.variants.tune import check_tune_section

    check_tune_section(p)  # tune.params names hyperparameters of that estimator
    print(f"params.yaml: ok ({p.data.task}, {p.model.estimator})")
    return 0
