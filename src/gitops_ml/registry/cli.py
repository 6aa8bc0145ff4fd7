"""Entry points of the registry commands (see the COMMANDS table in gitops_ml.cli), and the
helpers every command that reads the registry shares: GTO errors as user errors, summaries."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from gitops_ml.core.errors import UserError


@contextmanager
def gto_errors() -> Iterator[None]:
    """GTO's refusals are user-facing: show its message, not a traceback."""
    from gto.exceptions import GTOException

    try:
        yield
    except GTOException as err:
        raise UserError("gto", "", str(err), "see `gto show` and docs/releases.md") from None


def command_parser(
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

    args = command_parser(
        "register", "Tag the next model version if the model changed.", build
    ).parse_args(argv)
    from gitops_ml.registry.register import register

    with gto_errors():
        outcome = register(args.rev, args.bump or None, push=not args.no_push)
    print(outcome.summary)
    return outcome.exit_code


def promote_main(argv: list[str]) -> int:
    def build(p: argparse.ArgumentParser) -> None:
        p.add_argument("--stage", required=True)
        p.add_argument("--version", required=True, help="vX.Y.Z")
        p.add_argument("--no-push", action="store_true", help="create the tag locally only")

    args = command_parser("promote", "Assign a registered version to a stage.", build).parse_args(
        argv
    )
    from gitops_ml.registry.promote import promote

    with gto_errors():
        print(promote(args.stage, args.version, push=not args.no_push).summary)
    return 0


def which_model_main(argv: list[str]) -> int:
    def build(p: argparse.ArgumentParser) -> None:
        p.add_argument("--rev", default="HEAD")
        p.add_argument(
            "--tag", action="store_true", help="print only the tag the commit registered"
        )

    args = command_parser(
        "which-model", "Which registered version a commit produced.", build
    ).parse_args(argv)
    from gitops_ml.registry.which import which

    with gto_errors():
        own, answer = which(args.rev)
    print((own.tag if own else "") if args.tag else answer)
    return 0


def model_card_main(argv: list[str]) -> int:
    command_parser(
        "model-card", "Write model_card.md for the current model.", lambda p: None
    ).parse_args(argv)
    from gitops_ml.registry.model_card import write

    with gto_errors():
        print(f"model card: wrote {write()}")
    return 0


def release_main(argv: list[str]) -> int:
    command_parser(
        "release", "Publish a GitHub Release for the version HEAD registered.", lambda p: None
    ).parse_args(argv)
    from gitops_ml.registry.release import release

    with gto_errors():
        print(release())
    return 0


def deploy_main(argv: list[str]) -> int:
    def build(p: argparse.ArgumentParser) -> None:
        p.add_argument("--stage", required=True)
        p.add_argument("--version", required=True)

    args = command_parser(
        "deploy", "Deploy the version a stage holds (the template: a checked bundle).", build
    ).parse_args(argv)
    from gitops_ml.registry.deploy import deploy

    with gto_errors():
        print(deploy(args.stage, args.version))
    return 0


def release_inputs_main(argv: list[str]) -> int:
    command_parser(
        "release-inputs",
        "Pull HEAD's model and the card's inputs, else rebuild them and prove they match dvc.lock.",
        lambda p: None,
    ).parse_args(argv)
    from gitops_ml.registry.release import release_inputs

    with gto_errors():
        print(release_inputs())
    return 0


def append_summary(path: str | None, title: str, text: str) -> None:
    """Append a titled section to a Markdown file (the GitHub job summary), if one is given."""
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(f"### {title}\n\n{text}\n")


def model_age_main(argv: list[str]) -> int:
    def build(p: argparse.ArgumentParser) -> None:
        p.add_argument("--summary", help="also append the verdict to this Markdown file")

    args = command_parser(
        "model-age", "Age of the production model against registry.max_model_age_days.", build
    ).parse_args(argv)
    from gitops_ml.registry.age import production_age

    with gto_errors():
        stage, age = production_age()
    text = age.summary() if age else f"no version is in {stage}: no production model to age"
    print(text)
    append_summary(args.summary, "Model age", f"```\n{text}\n```")
    return 1 if age and age.stale else 0
