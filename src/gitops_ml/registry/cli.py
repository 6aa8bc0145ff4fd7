"""Entry points of the registry commands (see the COMMANDS table in gitops_ml.cli)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from gitops_ml.errors import UserError


@contextmanager
def _gto_errors() -> Iterator[None]:
    """GTO's refusals are user-facing: show its message, not a traceback."""
    from gto.exceptions import GTOException

    try:
        yield
    except GTOException as err:
        raise UserError("gto", "", str(err), "see `gto show` and docs/releases.md") from None


def _parser(
    prog: str, doc: str, build: Callable[[argparse.ArgumentParser], None]
) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"python -m gitops_ml {prog}", description=doc)
    build(parser)
    return parser


def register_main(argv: list[str]) -> int:
    def build(p: argparse.ArgumentParser) -> None:
        p.add_argument("--rev", default="HEAD", help="commit to register (default HEAD)")
        p.add_argument("--bump", default="", help="major|minor|patch; default: the bump rule")
        p.add_argument("--no-push", action="store_true", help="create the tag locally only")

    args = _parser(
        "register", "Tag the next model version if the model changed.", build
    ).parse_args(argv)
    from gitops_ml.registry.register import register

    with _gto_errors():
        outcome = register(args.rev, args.bump or None, push=not args.no_push)
    print(outcome.summary)
    return outcome.exit_code


def promote_main(argv: list[str]) -> int:
    def build(p: argparse.ArgumentParser) -> None:
        p.add_argument("--stage", required=True)
        p.add_argument("--version", required=True, help="vX.Y.Z")
        p.add_argument("--no-push", action="store_true", help="create the tag locally only")

    args = _parser("promote", "Assign a registered version to a stage.", build).parse_args(argv)
    from gitops_ml.registry.promote import promote

    with _gto_errors():
        print(promote(args.stage, args.version, push=not args.no_push).summary)
    return 0


def which_model_main(argv: list[str]) -> int:
    def build(p: argparse.ArgumentParser) -> None:
        p.add_argument("--rev", default="HEAD")
        p.add_argument(
            "--tag", action="store_true", help="print only the tag the commit registered"
        )

    args = _parser("which-model", "Which registered version a commit produced.", build).parse_args(
        argv
    )
    from gitops_ml.registry.which import which

    with _gto_errors():
        own, answer = which(args.rev)
    print((own.tag if own else "") if args.tag else answer)
    return 0


def model_card_main(argv: list[str]) -> int:
    _parser("model-card", "Write model_card.md for the current model.", lambda p: None).parse_args(
        argv
    )
    from gitops_ml.registry.model_card import write

    with _gto_errors():
        print(f"model card: wrote {write()}")
    return 0


def release_main(argv: list[str]) -> int:
    _parser(
        "release", "Publish a GitHub Release for the version HEAD registered.", lambda p: None
    ).parse_args(argv)
    from gitops_ml.registry.release import release

    with _gto_errors():
        print(release())
    return 0


def deploy_main(argv: list[str]) -> int:
    def build(p: argparse.ArgumentParser) -> None:
        p.add_argument("--stage", required=True)
        p.add_argument("--version", required=True)

    args = _parser(
        "deploy", "Deploy the version a stage holds (the template: a checked bundle).", build
    ).parse_args(argv)
    from gitops_ml.registry.deploy import deploy

    with _gto_errors():
        print(deploy(args.stage, args.version))
    return 0


def release_inputs_main(argv: list[str]) -> int:
    _parser(
        "release-inputs",
        "Pull HEAD's model and the card's inputs, else rebuild them and prove they match dvc.lock.",
        lambda p: None,
    ).parse_args(argv)
    from gitops_ml.registry.release import release_inputs

    with _gto_errors():
        print(release_inputs())
    return 0


def _append_summary(path: str | None, title: str, text: str) -> None:
    """Append a titled section to a Markdown file (the GitHub job summary), if one is given."""
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(f"### {title}\n\n{text}\n")


def model_age_main(argv: list[str]) -> int:
    def build(p: argparse.ArgumentParser) -> None:
        p.add_argument("--summary", help="also append the verdict to this Markdown file")

    args = _parser(
        "model-age", "Age of the production model against registry.max_model_age_days.", build
    ).parse_args(argv)
    from gitops_ml.registry.staleness import production_age

    with _gto_errors():
        stage, age = production_age()
    text = age.summary() if age else f"no version is in {stage}: no production model to age"
    print(text)
    _append_summary(args.summary, "Model age", f"```\n{text}\n```")
    return 1 if age and age.stale else 0


def staleness_impact_main(argv: list[str]) -> int:
    def build(p: argparse.ArgumentParser) -> None:
        p.add_argument("--last", type=int, help="only the newest N versions (default: all)")
        p.add_argument("--summary", help="also append staleness.md to this Markdown file")

    args = _parser(
        "staleness-impact",
        "Score every registered version on today's test split: quality against age.",
        build,
    ).parse_args(argv)
    from gitops_ml.registry import staleness_impact

    with _gto_errors():
        result, passed = staleness_impact.run(args.last)
    text = staleness_impact.markdown(result)
    print(text)
    print(
        f"staleness-impact: wrote {staleness_impact.MARKDOWN_FILE} and {staleness_impact.JSON_FILE}"
    )
    _append_summary(args.summary, "Staleness impact", text)
    return 0 if passed else 1


def canary_main(argv: list[str]) -> int:
    def build(p: argparse.ArgumentParser) -> None:
        p.add_argument("--version", required=True, help="the candidate, vX.Y.Z")
        p.add_argument("--input", help="CSV or Parquet in the raw layout (default: data.path)")
        p.add_argument("--summary", help="also append the verdict to this Markdown file")

    args = _parser(
        "canary", "Score real rows with a registered version through serving's code.", build
    ).parse_args(argv)
    from gitops_ml.registry import canary

    with _gto_errors():
        result = canary.run(args.version, args.input)
    text = result.table()
    print(text)
    _append_summary(args.summary, "Canary", text)
    return 0 if result.passed else 1
