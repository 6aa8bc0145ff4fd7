"""`python -m gitops_ml <command>`: everything the Makefile and the workflows call.

Commands are imported lazily so each one pays only for the libraries it uses.
"""

from __future__ import annotations

import sys

from gitops_ml.core import commands

# name: (module:function taking argv and returning an exit code, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "check": (
        "gitops_ml.checks.preflight:main",
        "validate params.yaml (and the estimator) before any work",
    ),
    "init": (
        "gitops_ml.checks.init:main",
        "check your data against params.yaml before the first training",
    ),
    "data": (
        "gitops_ml.datasets.restore:main",
        "make data/ match data.dvc: dvc pull, else the embedded sample",
    ),
    "sample-data": ("gitops_ml.datasets.sample_data:main", "write a bundled or synthetic dataset"),
    "exp": (
        "gitops_ml.review.experiment:main",
        "set params.yaml values (comments and quotes kept), then run dvc exp run",
    ),
    # pull-request report and quality gate
    "report": (
        "gitops_ml.review.report:main",
        "write report.md comparing the workspace with BASE",
    ),
    "gate": (
        "gitops_ml.review.gate:main",
        "apply the quality gate against BASE; exit 1 on failure",
    ),
    "train-cost": (
        "gitops_ml.review.train_cost:main",
        "fit BASE's and the workspace's model here; exit 1 when fit time or memory grew too much",
    ),
    # model registry (git tags through GTO)
    "register": (
        "gitops_ml.registry.register:main",
        "tag the next model version if it changed",
    ),
    "promote": ("gitops_ml.registry.promote:main", "assign a registered version to a stage"),
    "deploy": (
        "gitops_ml.registry.deploy:main",
        "deploy the version a stage holds (deploy.yml, after a promotion)",
    ),
    "which-model": (
        "gitops_ml.registry.which:main",
        "which registered version a commit made",
    ),
    "model-card": (
        "gitops_ml.registry.model_card:main",
        "write model_card.md for the current model",
    ),
    "release-inputs": (
        "gitops_ml.registry.release_inputs:main",
        "before register: pull HEAD's model (else rebuild and prove it), so no tag lacks a Release",
    ),
    "release": (
        "gitops_ml.registry.release:main",
        "publish a GitHub Release for the version HEAD registered",
    ),
    "model-age": (
        "gitops_ml.registry.age:main",
        "age of the production model; exit 1 when older than registry.max_model_age_days",
    ),
    "staleness-impact": (
        "gitops_ml.monitoring.age_impact:main",
        "every registered version scored on today's test split: quality against age",
    ),
    "canary": (
        "gitops_ml.serving.canary:main",
        "a registered version scores real rows through serving's code; exit 1 on a failed check",
    ),
    # data and model trust
    "infer-schema": (
        "gitops_ml.checks.infer_contract:main",
        "write a data contract from the current data",
    ),
    "drift": ("gitops_ml.monitoring.drift:main", "compare feature and prediction distributions"),
    "test-model": (
        "gitops_ml.checks.model_tests:main",
        "behavioural and quality tests of the trained model",
    ),
    "predict": ("gitops_ml.serving.serve:main", "score a CSV/Parquet file with the trained model"),
    "tune-check": (
        "gitops_ml.review.tune:main",
        "k-fold CV on the train split: exit 1 when a tune.params neighbour beats params.yaml",
    ),
    "search": (
        "gitops_ml.review.search:main",
        "hyperparameter search over search.params (k-fold CV; local processes or Dask)",
    ),
    "feature-cost": (
        "gitops_ml.review.feature_cost:main",
        "refit without each low-importance feature: metric, latency, size saved",
    ),
    "explain": (
        "gitops_ml.serving.explain:main",
        "one row: raw values, each preprocessing step, prediction, contributions",
    ),
    # CI glue
    "ci-verify": (
        "gitops_ml.ci.verify:main",
        "CI: committed dvc.lock, clean workspace, outputs in remote",
    ),
    "ci-checks": (
        "gitops_ml.ci.checks:main",
        "CI: the PR checks in one process (test-model ... tune-check) -> report/checks/",
    ),
    "ci-check-result": (
        "gitops_ml.ci.check_result:main",
        "CI: one check's log from ci-checks; exit with its status",
    ),
    "ci-comment-body": (
        "gitops_ml.ci.comment:main",
        "CI: report, checks and gate verdict -> report/comment.md",
    ),
    "ci-comment": ("gitops_ml.ci.post:main", "CI: post or update the PR's one report comment"),
    "ci-remote-status": (
        "gitops_ml.ci.remote:main",
        "CI (trusted): are the PR head's outputs in the DVC remote? sets a commit status",
    ),
    "drift-issue": ("gitops_ml.ci.issue:main", "CI: open or update the one open drift issue"),
}


def usage() -> str:
    width = max(map(len, COMMANDS))
    lines = ["usage: python -m gitops_ml <command> [args]", "", "commands:"]
    lines += [f"  {name:<{width}}  {text}" for name, (_, text) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in {"-h", "--help", "help"}:
        print(usage())
        return 0
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        print(f"error: unknown command {name!r}\n\n{usage()}", file=sys.stderr)
        return 2
    return commands.call(COMMANDS[name][0], rest)
