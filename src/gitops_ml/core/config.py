"""Every path the pipeline reads or writes, defined once.

`dvc.yaml` names the same paths (DVC needs them there); `tests/template/unit/test_config.py`
checks that the two agree. All paths are relative to the repository root, where DVC
runs every stage.
"""

from pathlib import Path

PARAMS_FILE = Path("params.yaml")
DATA_DIR = Path("data")  # tracked by data.dvc

ARTIFACTS_DIR = Path("artifacts")  # every stage output that goes to the DVC cache
PREPARED_DIR = ARTIFACTS_DIR / "prepared"
TRAIN_FILE = PREPARED_DIR / "train.parquet"
TEST_FILE = PREPARED_DIR / "test.parquet"
FEATURES_FILE = PREPARED_DIR / "features.json"

MODEL_DIR = ARTIFACTS_DIR / "model"
MODEL_FILE = MODEL_DIR / "model.skops"

PREDICTIONS_FILE = ARTIFACTS_DIR / "eval" / "predictions.parquet"

METRICS_DIR = Path("metrics")
METRICS_FILE = METRICS_DIR / "metrics.json"
# Quality beyond one number (gitops_ml.evaluation.quality): simpler models, slices, feature importance.
BASELINES_FILE = METRICS_DIR / "baselines.json"
SLICES_FILE = METRICS_DIR / "slices.json"
IMPORTANCE_FILE = METRICS_DIR / "importance.json"
PLOTS_DIR = METRICS_DIR / "plots"
# Latency depends on the machine, so it is kept out of dvc.lock and out of git.
RUNTIME_FILE = METRICS_DIR / "runtime.json"
TRAIN_RUNTIME_FILE = METRICS_DIR / "train_runtime.json"  # training time and peak memory

# The pull-request review's files (gitops_ml.review, gitops_ml.ci): the report, the
# comment and the optional sections of the checks that ran.
REPORT_FILE = Path("report.md")
CI_DIR = Path("report")
VERIFY_FILE = CI_DIR / "verify.md"
GATE_FILE = CI_DIR / "gate.txt"
BODY_FILE = CI_DIR / "comment.md"
PR_FILE = CI_DIR / "pr.json"
# Optional sections, shown when their command ran: `make feature-cost` and `make tune-check`
# (gitops_ml.review.refit), `make train-cost` (gitops_ml.review.train_cost), `make test-model`.
FEATURE_COST_FILE = CI_DIR / "feature_cost.md"
TUNE_CHECK_FILE = CI_DIR / "tune_check.md"
TRAIN_COST_FILE = CI_DIR / "train_cost.md"
MODEL_TESTS_FILE = CI_DIR / "model_tests.md"
EXTRA_FILES = (FEATURE_COST_FILE, TUNE_CHECK_FILE, TRAIN_COST_FILE, MODEL_TESTS_FILE)

ROW_ID = "row_id"  # original row number in the raw data; pairs test rows across commits
PROBA_PREFIX = "proba_"  # predictions: one `proba_<class>` column per class


def require_outputs(*paths: Path, reader: str) -> None:
    """Stop with the fix when a command needs pipeline outputs the workspace does not have.

    `reader` says who needs them, e.g. "make explain reads it".
    """
    from gitops_ml.core.errors import UserError

    for path in paths:
        if not path.is_file():
            raise UserError(
                str(path),
                "(file)",
                f"not found: {reader}",
                "run `make repro` (or `dvc repro`; `dvc pull` for outputs already pushed); after "
                "a failed run, `dvc checkout` brings back the last good outputs",
            )
