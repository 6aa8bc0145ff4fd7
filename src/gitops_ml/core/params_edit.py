"""Set keys of params.yaml by rewriting only the characters of the values that change.

`dvc exp run -S` loads params.yaml and dumps it again: comments go, `"Yes"` loses its
quotes (which a YAML 1.1 tool then reads as true) and the diff of one value runs to 80 lines.
Here the file is parsed only to find where each value's text starts and ends (PyYAML's
node marks, read as YAML 1.2 like DVC); that span is replaced and every other byte stays,
so a changed value is a one-line diff and a review reads it as one. A key the file leaves
at its default is added as one new line in its section.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import yaml

from gitops_ml.core.errors import UserError
from gitops_ml.core.params import Yaml12Loader, yaml_text

KEY = re.compile(r"^[A-Za-z_][\w-]*$")


@dataclass(frozen=True)
class Assignment:
    """`model.params.C=0.3`: a dotted path (list items by index) and its value."""

    path: tuple[str | int, ...]
    value: Any

    @property
    def key(self) -> str:
        return ".".join(str(p) for p in self.path)


def parse_assignment(text: str, file: str) -> Assignment:
    """`key.sub=value`, the value read as YAML 1.2 (`yes` is a string, `"31"` a string too)."""
    key, sep, raw = text.partition("=")
    parts = key.strip().split(".")
    if not sep or not all(KEY.match(p) or p.isdigit() for p in parts):
        raise UserError(
            file,
            key.strip() or text,
            f"{text!r} is not a key=value assignment",
            "write e.g. model.params.C=0.3 (quote a string that looks like a "
            "number or boolean: data.positive_class='\"1\"')",
        )
    try:
        value = yaml_text(raw) if raw.strip() else None
    except yaml.YAMLError as err:
        problem = getattr(err, "problem", None) or err
        raise UserError(
            file,
            key,
            f"value {raw!r} is not valid YAML ({problem})",
            "a value with spaces needs quotes around the whole assignment: "
            "SET=\"'tune.params.max_iter=[50, 200]'\"",
        ) from None
    path = tuple(int(p) if p.isdigit() else p for p in parts)
    return Assignment(path, value)


def render(value: Any, like: yaml.Node | None = None) -> str:
    """One line of YAML for `value`. A string keeps the old value's quotes, and is quoted
    whenever a YAML 1.1 or 1.2 reader would take it plain as something else."""
    if isinstance(value, str):
        style = getattr(like, "style", None)
        if style == "'":
            return "'" + value.replace("'", "''") + "'"
        if style != '"' and _reads_back_plain(value):
            return value
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{render(str(k))}: {render(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(render(v) for v in value) + "]"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        text = repr(value)
        return {"inf": ".inf", "-inf": "-.inf", "nan": ".nan"}.get(text, text)
    return str(value)


def _reads_back_plain(text: str) -> bool:
    """Both YAML 1.1 (`yes` is true there) and 1.2 readers see this plain text as itself."""
    if not text or text != text.strip() or any(c in text for c in "\n#:{}[],&*!|>'\"%@`"):
        return False
    try:
        return bool(yaml.safe_load(text) == text == yaml_text(text))
    except yaml.YAMLError:
        return False


def _entry(node: yaml.Node, part: str | int) -> tuple[yaml.Node | None, yaml.Node | None]:
    """(key node, value node) of `part` in a mapping or a sequence; (None, None) if absent."""
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        for key, value in node.value:
            if key.value == part:
                return key, value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return None, node.value[part]
    return None, None


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _by_hand(file: str, key: str, why: str) -> UserError:
    return UserError(
        file, key, why, f"edit {key} in {file} by hand, then run `make exp` without SET"
    )


def set_value(text: str, change: Assignment, file: str) -> str:
    """`text` with `change` applied: the value's own characters replaced, or one key added."""
    root = yaml.compose(text, Loader=Yaml12Loader)
    if not isinstance(root, yaml.MappingNode):
        raise UserError(file, "(top level)", "expected a mapping of sections", "see README.md")
    node: yaml.Node = root
    for depth, part in enumerate(change.path):
        _, found = _entry(node, part)
        if found is None:
            return _add(text, node, change.path[depth:], change, file)
        node = found
    if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
        raise _by_hand(file, change.key, "a block text (| or >) spans several lines")
    if not isinstance(node, yaml.ScalarNode) and not getattr(node, "flow_style", False):
        raise _by_hand(file, change.key, "a block list or mapping spans several lines")
    start, end = node.start_mark.index, node.end_mark.index
    new = render(change.value, node)
    if start == end and text[start - 1 : start] == ":":  # `key:` with no value written
        new = f" {new}"
    after = text[end:]
    aligned = re.match(r"( +)#", after)  # keep a trailing comment in its column
    if aligned:
        pad = max(1, len(aligned.group(1)) - (len(new) - (end - start)))
        after = " " * pad + after[len(aligned.group(1)) :]
    return text[:start] + new + after


def _nested(rest: tuple[str | int, ...], value: Any) -> Any:
    for part in reversed(rest[1:]):
        value = {part: value}
    return value


def _add(
    text: str, parent: yaml.Node, rest: tuple[str | int, ...], change: Assignment, file: str
) -> str:
    """Add the missing key `rest[0]` (with any sections below it) to the mapping `parent`."""
    if not isinstance(parent, yaml.MappingNode) or any(isinstance(p, int) for p in rest):
        raise UserError(
            file,
            change.key,
            "no such entry to set",
            "name an existing list item by its index, or edit the list by hand",
        )
    if parent.flow_style:  # `params: {a: 1}` -> `params: {name: value, a: 1}`
        at = parent.start_mark.index + 1
        sep = ", " if parent.value else ""
        entry = f"{render(str(rest[0]))}: {render(_nested(rest, change.value))}"
        return f"{text[:at]}{entry}{sep}{text[at:]}"
    if parent.value and len(rest) < len(change.path):  # a new first line of its section
        first = parent.value[0][0].start_mark
        at, indent = _line_start(text, first.index), first.column
    else:  # a new section: appended to the file
        at, indent = len(text), 0
        if text and not text.endswith("\n"):
            text += "\n"
            at += 1
    lines = [f"{' ' * (indent + 2 * depth)}{render(str(part))}:" for depth, part in enumerate(rest)]
    lines[-1] += f" {render(change.value)}"
    return text[:at] + "\n".join(lines) + "\n" + text[at:]


def value_at(raw: Any, path: tuple[str | int, ...]) -> Any:
    """The value at `path` in parsed YAML, KeyError/IndexError when absent."""
    for part in path:
        raw = raw[part]
    return raw


def apply(text: str, changes: list[Assignment], file: str) -> str:
    """Every change applied in order; checked by reading the result back."""
    for change in changes:
        text = set_value(text, change, file)
    raw = yaml_text(text)
    for change in {c.path: c for c in changes}.values():  # the last change of a key wins
        got = value_at(raw, change.path)
        if got != change.value or type(got) is not type(change.value):
            raise UserError(  # a bug here, not the user's: never write such a file
                file, change.key, f"would read back as {got!r}", "edit the file by hand"
            )
    return text
