"""`make release-inputs`: before registering, HEAD's model and the model card's inputs
are pulled from the DVC remote, or rebuilt and proved byte-identical to dvc.lock, so no
tag can lack the files its GitHub Release needs."""

from __future__ import annotations

from gitops_ml.registry.command import command_parser, gto_errors
from gitops_ml.registry.release import release_inputs


def main(argv: list[str]) -> int:
    command_parser(
        "release-inputs",
        "Pull HEAD's model and the card's inputs, else rebuild them and prove they match dvc.lock.",
        lambda p: None,
    ).parse_args(argv)
    with gto_errors():
        print(release_inputs())
    return 0
