"""`make sample-data`: write a bundled dataset (or, with ROWS, a synthetic one)."""

from __future__ import annotations

import argparse
from pathlib import Path

from gitops_ml import sample_data


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="gitops_ml sample-data")
    parser.add_argument("--dataset", choices=sorted(sample_data.DATASETS), default="breast_cancer")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    out = args.out or Path("data") / f"{args.dataset}.csv"
    print(f"wrote {sample_data.write(args.dataset, out)}")
    return 0
