"""Which remote actions the workflows use, and the stand-in that replaces each under act.

act runs the real workflow files on this machine, which has no internet: every remote action
a workflow pins must be replaced by a small local stand-in (tests/template/workflows/actions/<name>),
mapped with `--local-repository owner/repo@<sha>=<folder>` to the exact pin the workflow
uses. The pins are read from the workflow files on every run, so a changed pin or a new
action cannot silently reach for the network: it fails here, naming the file and line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ACTIONS = Path(__file__).resolve().parent / "actions"

# owner/repo -> stand-in folder under ACTIONS. A subpath action (actions/cache/restore) is
# the folder's subfolder of that name, as on GitHub.
STANDINS: dict[str, str] = {
    "actions/setup-python": "setup-python",
    "astral-sh/setup-uv": "setup-uv",
    "actions/setup-node": "setup-node",
    "actions/cache": "cache",
    "actions/upload-artifact": "upload-artifact",
    "actions/download-artifact": "download-artifact",
    # act serves a checkout of the event's own commit from its copy of the working folder;
    # with `ref:` it would download the real action, so that case gets a stand-in.
    "actions/checkout": "checkout",
}


class MissingStandIn(RuntimeError):
    """A workflow uses something act would fetch from the internet."""


@dataclass(frozen=True)
class Use:
    """One `uses:` of a workflow (a step or a reusable-workflow job) or of a local action."""

    file: Path
    line: int
    uses: str
    inputs: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def local(self) -> bool:
        return self.uses.startswith("./")

    @property
    def action(self) -> str:
        """`owner/repo[/subpath]` without the ref."""
        return self.uses.partition("@")[0]

    @property
    def repo(self) -> str:
        return "/".join(self.action.split("/")[:2])

    @property
    def subpath(self) -> str:
        return "/".join(self.action.split("/")[2:])

    @property
    def ref(self) -> str:
        return self.uses.partition("@")[2]


def _scalar(node: yaml.Node) -> str:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else yaml.safe_dump(node)


def _uses_in(node: yaml.Node, file: Path) -> Iterator[Use]:
    """Every mapping with a `uses:` key, anywhere in the document (steps and jobs)."""
    if isinstance(node, yaml.MappingNode):
        keys = {key.value: value for key, value in node.value if isinstance(key, yaml.ScalarNode)}
        if "uses" in keys and isinstance(keys["uses"], yaml.ScalarNode):
            with_node = keys.get("with")
            inputs = {}
            if isinstance(with_node, yaml.MappingNode):
                inputs = {str(k.value): _scalar(v) for k, v in with_node.value}
            value = keys["uses"]
            yield Use(file, value.start_mark.line + 1, str(value.value).strip(), inputs)
        for _, value in node.value:
            yield from _uses_in(value, file)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _uses_in(item, file)


def _action_file(folder: Path) -> Path | None:
    return next((p for p in (folder / "action.yml", folder / "action.yaml") if p.is_file()), None)


def workflow_uses(root: Path) -> list[Use]:
    """Every `uses:` in .github/workflows of `root`, and in the local actions they use."""
    pending = sorted((root / ".github" / "workflows").glob("*.y*ml"))
    seen: set[Path] = set()
    found: list[Use] = []
    while pending:
        path = pending.pop(0)
        if path in seen:
            continue
        seen.add(path)
        document = yaml.compose(path.read_text())
        if document is None:
            continue
        for use in _uses_in(document, path.relative_to(root)):
            found.append(use)
            if use.local:
                target = (root / use.uses).resolve()
                action = _action_file(target) if target.is_dir() else None
                if action is not None:
                    pending.append(action)
    return found


def problems(uses: list[Use]) -> list[str]:
    """What act could not run offline, one line per `uses:` (empty when all is well)."""
    out = []
    for use in uses:
        if use.local:
            continue
        if use.uses.startswith("docker://"):
            out.append(f"{use.where}: {use.uses}: a container action (no Docker here)")
        elif not use.ref:
            out.append(f"{use.where}: {use.uses}: not pinned (owner/repo@<sha>)")
        elif use.repo not in STANDINS:
            out.append(
                f"{use.where}: {use.uses}: no stand-in; add one under {ACTIONS} "
                "and list it in tests/template/workflows/standins.py STANDINS"
            )
        else:
            folder = ACTIONS / STANDINS[use.repo] / use.subpath
            if _action_file(folder) is None:
                out.append(f"{use.where}: {use.uses}: the stand-in has no {folder}/action.yml")
    return out


def local_repository_args(root: Path) -> list[str]:
    """`--local-repository` arguments mapping every pinned action of `root` to its stand-in.

    Raises MissingStandIn naming every `uses:` act would have to download.
    """
    uses = workflow_uses(root)
    found = problems(uses)
    if found:
        raise MissingStandIn(
            "these workflow steps would need the internet under act:\n  " + "\n  ".join(found)
        )
    mappings = sorted(
        {
            f"{use.repo}@{use.ref}={ACTIONS / STANDINS[use.repo]}"
            for use in uses
            if not use.local and use.repo in STANDINS
        }
    )
    return [arg for mapping in mappings for arg in ("--local-repository", mapping)]
