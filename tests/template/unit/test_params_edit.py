"""`make exp SET=...` edits params.yaml: only the values change, comments and quotes stay."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
import yaml

from gitops_ml.core import params, params_edit
from gitops_ml.core.errors import UserError, UserErrors
from gitops_ml.review import experiment
from tests.conftest import FIXTURE_PARAMS

FILE = "params.yaml"


def changed_lines(before: str, after: str) -> list[str]:
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]


def edited(text: str, *items: str) -> str:
    return params_edit.apply(text, [params_edit.parse_assignment(i, FILE) for i in items], FILE)


def test_each_value_is_a_one_line_diff_and_every_comment_stays() -> None:
    before = FIXTURE_PARAMS.read_text(encoding="utf-8")
    after = edited(before, "model.params.max_leaf_nodes=31", "split.test_size=0.25")
    assert changed_lines(before, after) == [
        "-  test_size: 0.2",
        "+  test_size: 0.25",
        "-    max_leaf_nodes: 15",
        "+    max_leaf_nodes: 31",
    ]
    assert params.yaml_text(after)["model"]["params"]["max_leaf_nodes"] == 31


def test_a_trailing_comment_keeps_its_column() -> None:
    before = FIXTURE_PARAMS.read_text(encoding="utf-8")
    after = edited(before, "data.task=multiclass", "data.positive_class=null")
    line = next(x for x in after.splitlines() if x.startswith("  task:"))
    old = next(x for x in before.splitlines() if x.startswith("  task:"))
    assert line.index("#") == old.index("#") and line.startswith("  task: multiclass ")


def test_a_quoted_string_stays_quoted_and_strings_yaml_1_1_misreads_get_quotes() -> None:
    text = 'data:\n  positive_class: "Yes"  # a label\n  target: y\nseed: 1\n'
    kept = edited(text, "seed=2")
    assert 'positive_class: "Yes"  # a label' in kept  # untouched, quotes and all
    no = edited(text, "data.positive_class=No").splitlines()[1]
    assert no == '  positive_class: "No"   # a label'  # quoted, the comment in its column
    plain = "data:\n  positive_class: malignant\n"
    for value, written in (("yes", '"yes"'), ("on", '"on"'), ("benign", "benign")):
        out = edited(plain, f"data.positive_class={value}")
        assert out == f"data:\n  positive_class: {written}\n"
        assert yaml.safe_load(out)["data"]["positive_class"] == value  # a YAML 1.1 reader too
    assert edited(plain, "data.positive_class='1'") == 'data:\n  positive_class: "1"\n'


def test_a_key_left_at_its_default_is_added_as_one_line_of_its_section() -> None:
    before = FIXTURE_PARAMS.read_text(encoding="utf-8")
    after = edited(before, "model.params.l2_regularization=0.5", "serving.passthrough=[id]")
    added = changed_lines(before, after)
    assert added == ["+    l2_regularization: 0.5", "+  passthrough: [id]"]
    raw = params.yaml_text(after)
    assert raw["model"]["params"]["l2_regularization"] == 0.5
    assert raw["serving"]["passthrough"] == ["id"]


def test_a_missing_section_is_appended_to_the_file() -> None:
    text = "# my params\nseed: 1\ndata:\n  target: y\n"
    after = edited(text, "serving.passthrough=[customer_id]", "serving.unseen_category=flag")
    assert after == (
        "# my params\nseed: 1\ndata:\n  target: y\n"
        "serving:\n  unseen_category: flag\n  passthrough: [customer_id]\n"
    )


def test_flow_lists_and_list_items_by_index() -> None:
    before = FIXTURE_PARAMS.read_text(encoding="utf-8")
    after = edited(before, "tune.params.max_iter=[50,300]", "evaluate.slices.0.bins=4")
    raw = params.yaml_text(after)
    assert raw["tune"]["params"]["max_iter"] == [50, 300]
    assert raw["evaluate"]["slices"][0]["bins"] == 4
    assert len(changed_lines(before, after)) == 4


def test_what_cannot_be_one_line_is_refused_with_the_fix() -> None:
    before = FIXTURE_PARAMS.read_text(encoding="utf-8")
    with pytest.raises(UserError, match="block list") as raised:
        edited(before, "evaluate.slices=[]")
    assert "by hand" in raised.value.fix
    with pytest.raises(UserError, match="not a key=value"):
        params_edit.parse_assignment("model.params.max_iter", FILE)
    with pytest.raises(UserError, match="not valid YAML"):
        params_edit.parse_assignment("model.params={a:", FILE)


def test_unknown_keys_and_bad_values_are_refused_and_nothing_is_written(tmp_path: Path) -> None:
    path = tmp_path / FILE
    path.write_bytes(FIXTURE_PARAMS.read_bytes())
    for items, fields in (
        (["split.test_sise=0.3", "seed=-1"], {"split.test_sise", "seed"}),
        (["model.params.max_leaf_nodez=31"], {"model.params.max_leaf_nodez"}),
        (["tune.params.max_depht=[2,3]"], {"tune.params.max_depht"}),
    ):
        changes = experiment.assignments([" ".join(items)], FILE)
        with pytest.raises(UserError) as raised:
            experiment.edit(path, changes)
        errors = raised.value.errors if isinstance(raised.value, UserErrors) else [raised.value]
        assert {e.field for e in errors} == fields
        assert path.read_bytes() == FIXTURE_PARAMS.read_bytes()
        if "split.test_sise" in fields:
            assert any("did you mean 'test_size'?" in e.fix for e in errors)


def test_edit_reports_old_and_new_values(tmp_path: Path) -> None:
    path = tmp_path / FILE
    path.write_bytes(FIXTURE_PARAMS.read_bytes())
    changes = experiment.assignments(["model.params.max_iter=60 'data.positive_class=yes'"], FILE)
    assert experiment.edit(path, changes) == [
        "model.params.max_iter: 100 -> 60",
        'data.positive_class: malignant -> "yes"',
    ]
    assert params.load(path).data.positive_class == "yes"
