"""evaluate: model + test split -> metrics and plots (DVCLive), per-row predictions, latency."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from gitops_ml.artifact import model
from gitops_ml.core import config, data, params, process
from gitops_ml.core.atomic import atomic_path, write_text
from gitops_ml.core.data import FeatureSpec
from gitops_ml.core.errors import exit_on_user_error
from gitops_ml.core.estimator import decision_threshold, fixed_threads
from gitops_ml.evaluation import metrics, predict, quality
from gitops_ml.evaluation.latency import latency_ms

if TYPE_CHECKING:
    from dvclive import Live


def log_plots(live: Live, scored: metrics.Scored, task: str, positive: object) -> None:
    if task == "regression":
        points = [
            {"actual": float(a), "predicted": float(p)}
            for a, p in zip(scored.y_true, scored.y_pred, strict=True)
        ]
        live.log_plot("predicted_vs_actual", points, x="actual", y="predicted", template="scatter")
        return
    live.log_sklearn_plot("confusion_matrix", scored.y_true.astype(str), scored.y_pred.astype(str))
    if task == "binary" and scored.proba is not None:
        is_positive = (scored.y_true == positive).astype(int)
        positive_scores = scored.proba[:, scored.classes.index(positive)]
        live.log_sklearn_plot("roc", is_positive, positive_scores, drop_intermediate=True)
        live.log_sklearn_plot(
            "precision_recall", is_positive, positive_scores, drop_intermediate=True
        )


@exit_on_user_error
def main() -> None:
    from dvclive import Live

    p = params.load()
    spec = FeatureSpec.load()
    quality.check_slices(p, spec)  # a wrong slice column stops before any output is written
    test = data.read_parquet(config.TEST_FILE)
    pipeline = model.load(config.MODEL_FILE)
    scored = predict.score(pipeline, test, spec)
    positive = metrics.resolve_positive(scored.classes, p.data.positive_class)
    values = metrics.compute(scored, params.metrics_for(p.data.task), positive)
    values["model_size_bytes"] = config.MODEL_FILE.stat().st_size
    threshold = decision_threshold(pipeline)  # model.threshold: the one f1, accuracy... used
    if threshold is not None:
        values["threshold"] = threshold

    with atomic_path(config.PREDICTIONS_FILE) as tmp:
        predict.to_frame(scored, test[config.ROW_ID]).to_parquet(tmp, index=False)
    primary = p.evaluate.primary_metric
    with fixed_threads(p.model.threads):  # baselines are fitted: same bytes everywhere
        quality.write_all(p, spec, pipeline, test, scored, values[primary])
    with Live(
        dir=str(config.METRICS_DIR),
        report=None,
        save_dvc_exp=False,
        dvcyaml=None,
        resume=False,
    ) as live:
        for name, value in values.items():
            live.log_metric(name, value, plot=False)
        log_plots(live, scored, p.data.task, positive)
    for name, rows in metrics.plot_tables(scored, p.data.task, positive).items():
        write_text(config.PLOTS_DIR / f"{name}.json", json.dumps(rows, indent=2) + "\n")
    latency = latency_ms(pipeline, test[spec.columns], p.evaluate.latency_rows, p.seed)
    runtime = {"latency_ms_per_1000_rows": latency}
    write_text(config.RUNTIME_FILE, json.dumps(runtime, indent=2) + "\n")
    print(f"evaluate: {primary}={values[primary]:.4f} on {len(test)} test rows")


if __name__ == "__main__":
    process.run(main)
