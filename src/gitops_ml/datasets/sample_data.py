"""`make sample-data`: write a bundled dataset (or, with ROWS, a synthetic one)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from gitops_ml.core import commands
from gitops_ml.core.errors import UserError
from gitops_ml.datasets import bundled

MIN_ROWS = 50  # the default data contract's min_rows: fewer could never pass prepare


def write_new(write: Callable[[Path], Path], out: Path, force: bool) -> Path:
    """Write `out`, but never over a different file (it may be someone's data) unless forced.

    The same bytes again (the generators are deterministic) are fine.
    """
    if force or not out.exists():
        return write(out)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        if write(Path(tmp) / out.name).read_bytes() == out.read_bytes():
            return out
    raise UserError(
        str(out),
        "(file)",
        "already exists with other content: it may be your data",
        "make sample-data FORCE=1 (--force) replaces it; or write elsewhere with --out",
    )


def main(argv: list[str]) -> int:
    parser = commands.parser("sample-data", "Write a bundled or synthetic dataset.")
    parser.add_argument("--dataset", choices=sorted(bundled.DATASETS), default=None)
    parser.add_argument(
        "--rows", type=int, default=None, help="write a synthetic dataset of this many rows"
    )
    parser.add_argument("--seed", type=int, default=42, help="seed of the synthetic dataset")
    parser.add_argument("--out", type=Path, default=None, help="output path (.csv or .parquet)")
    parser.add_argument("--force", action="store_true", help="replace a different existing file")
    args = parser.parse_args(argv)
    if args.out is not None and args.out.suffix.lower() not in {".parquet", ".pq", ".csv"}:
        raise UserError(
            "command line",
            "--out",
            f"unknown file type {args.out.suffix!r}",
            "end it in .csv or .parquet",
        )
    if args.rows is None:
        dataset = args.dataset or "breast_cancer"
        out = args.out or Path("data") / f"{dataset}.csv"
        written = write_new(lambda path: bundled.write(dataset, path), out, args.force)
        print(f"wrote {written}")
        return 0
    if args.dataset is not None:
        raise UserError(
            "command line", "--dataset", "cannot be combined with --rows", "drop one of the two"
        )
    if args.rows < MIN_ROWS:
        raise UserError(
            "command line", "--rows", f"{args.rows} rows is too few", f"use at least {MIN_ROWS}"
        )
    if args.seed < 0:
        raise UserError("command line", "--seed", f"{args.seed} is negative", "use a seed >= 0")
    from gitops_ml.datasets import synthetic

    out = args.out or synthetic.default_path(args.rows)
    path = write_new(lambda p: synthetic.write(args.rows, args.seed, p), out, args.force)
    print(f"wrote {path} ({args.rows} rows, seed {args.seed})")
    return 0
