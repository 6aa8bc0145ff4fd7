"""docs/ml-test-score.md: the arithmetic is right and every command and file it cites exists.

The score (Breck et al. 2017) is a claim about this repository, so it is checked like code:
the section totals and the overall score are recomputed from the per-test rows, each
`make <target>` named must be a Makefile target, and each path named must exist.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

DOC = REPO_ROOT / "docs" / "ml-test-score.md"
SECTIONS = {"D": "Data", "M": "Model", "I": "Infrastructure", "Mo": "Monitoring"}
POINTS = {"automated": 1.0, "by hand": 0.5, "—": 0.0}
ROW = re.compile(r"^\|\s*(Mo|D|M|I)([1-7])\s*\|(.*)\|\s*$")
TOTAL = re.compile(r"^\|\s*(?:\*\*)?([A-Za-z ]+?)(?:\*\*)?\s*\|\s*(?:\*\*)?([\d.]+)(?:\*\*)?\s*\|")
CODE = re.compile(r"`([^`]+)`")
FILE = re.compile(r"^[\w./-]+(::\w+)?$")
FILE_NAME = re.compile(r"^[\w.-]+\.(py|ya?ml|md|lock|toml|json)$|^\.gto$|^Makefile$")


def cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def rows() -> list[tuple[str, int, list[str]]]:
    """(section prefix, number, [description, covered, how, evidence]) for every test row."""
    found = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            found.append((match.group(1), int(match.group(2)), cells(match.group(3))))
    return found


def stated_totals() -> dict[str, float]:
    """The totals table: section name (or 'ML Test Score') -> the number the doc states."""
    text = DOC.read_text(encoding="utf-8")
    table = text.split("## Totals", 1)[1]
    totals = {}
    for line in table.splitlines():
        match = TOTAL.match(line)
        if match:
            totals[match.group(1).strip()] = float(match.group(2))
    return totals


def makefile_targets() -> set[str]:
    text = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([A-Za-z][\w-]*)\s*:(?!=)", text, flags=re.M))


def evidence_tokens() -> list[str]:
    return [token for *_, row in rows() for token in CODE.findall(row[3])]


def test_all_28_tests_are_listed_once_in_order() -> None:
    listed = [(prefix, number) for prefix, number, _ in rows()]
    expected = [(prefix, n) for prefix in SECTIONS for n in range(1, 8)]
    assert listed == expected


def test_every_row_says_covered_how_and_with_what() -> None:
    for prefix, number, row in rows():
        assert len(row) == 4, f"{prefix}{number}: expected 4 columns after the id, got {row}"
        description, covered, how, evidence = row
        assert description, f"{prefix}{number}: no description"
        assert covered in {"yes", "no"}, f"{prefix}{number}: covered must be yes or no"
        assert how in POINTS, f"{prefix}{number}: how must be one of {list(POINTS)}"
        assert (covered == "no") == (how == "—"), f"{prefix}{number}: covered and how disagree"
        if covered == "yes":
            assert CODE.search(evidence), f"{prefix}{number}: name the command or file"


def test_section_totals_and_the_overall_score_match_the_rows() -> None:
    computed = dict.fromkeys(SECTIONS.values(), 0.0)
    for prefix, _, row in rows():
        computed[SECTIONS[prefix]] += POINTS[row[2]]
    stated = stated_totals()
    for section, total in computed.items():
        assert stated[section] == pytest.approx(total), section
    assert stated["ML Test Score"] == pytest.approx(min(computed.values()))


def test_every_make_target_named_exists() -> None:
    targets = makefile_targets()
    named = {t.split()[1] for t in evidence_tokens() if t.startswith("make ")}
    assert named, "the doc names no make targets"
    assert sorted(named - targets) == []


def test_every_file_named_exists() -> None:
    paths = [
        t
        for t in evidence_tokens()
        if FILE.match(t) and ("/" in t or FILE_NAME.match(t.partition("::")[0]))
    ]
    assert paths, "the doc names no files"
    for token in paths:
        path, _, test_name = token.partition("::")
        assert (REPO_ROOT / path).exists(), f"{path} does not exist"
        if test_name:
            source = Path(REPO_ROOT / path).read_text(encoding="utf-8")
            assert f"def {test_name}(" in source, f"{token}: no such test"
