"""Every params.yaml mistake is a UserError naming the file, the key and the fix."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops_ml.core import params
from gitops_ml.core.errors import UserError, UserErrors
from tests.conftest import FIXTURE_PARAMS

REPO_PARAMS = FIXTURE_PARAMS


def committed() -> dict[str, Any]:
    return yaml.safe_load(REPO_PARAMS.read_text())


def load_raw(tmp_path: Path, raw: dict[str, Any] | str) -> params.Params:
    path = tmp_path / "params.yaml"
    path.write_text(raw if isinstance(raw, str) else yaml.safe_dump(raw))
    return params.load(path)


def errors_of(raised: pytest.ExceptionInfo[UserError]) -> list[UserError]:
    err = raised.value
    return err.errors if isinstance(err, UserErrors) else [err]


def test_committed_params_are_valid() -> None:
    p = params.load(REPO_PARAMS)
    assert p.model_tests.directional[0].column == "worst_area"


def test_unknown_key_suggests_the_close_match(tmp_path: Path) -> None:
    raw = committed()
    raw["split"]["test_szie"] = 0.3
    with pytest.raises(UserError) as raised:
        load_raw(tmp_path, raw)
    (error,) = errors_of(raised)
    assert error.file.endswith("params.yaml")
    assert error.field == "split.test_szie"
    assert "did you mean 'test_size'?" in error.fix


def test_unknown_key_inside_a_list_item_lists_that_items_keys(tmp_path: Path) -> None:
    raw = committed()
    raw["model_tests"]["invariance"][0]["nosie"] = 0.1
    with pytest.raises(UserError) as raised:
        load_raw(tmp_path, raw)
    (error,) = errors_of(raised)
    assert error.field == "model_tests.invariance[0].nosie"
    assert "did you mean 'noise'?" in error.fix


def test_wrong_type_names_the_key_and_the_value(tmp_path: Path) -> None:
    raw = committed()
    raw["split"]["stratify"] = "sometimes"
    with pytest.raises(UserError) as raised:
        load_raw(tmp_path, raw)
    (error,) = errors_of(raised)
    assert error.field == "split.stratify"
    assert "'sometimes'" in error.problem


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("split", "test_size", 1.5),
        ("drift", "bins", 1),
        ("contract", "max_missing_fraction", 2),
        ("model_tests", "max_model_bytes", 0),
    ],
)
def test_value_out_of_range_names_the_key(
    tmp_path: Path, section: str, key: str, value: object
) -> None:
    raw = committed()
    raw[section][key] = value
    with pytest.raises(UserError) as raised:
        load_raw(tmp_path, raw)
    (error,) = errors_of(raised)
    assert error.field == f"{section}.{key}"
    assert repr(value) in error.problem


def test_missing_section_is_named(tmp_path: Path) -> None:
    raw = committed()
    del raw["model"]
    with pytest.raises(UserError) as raised:
        load_raw(tmp_path, raw)
    (error,) = errors_of(raised)
    assert (error.field, error.problem) == ("model", "required key is missing")


def test_invalid_yaml_gives_the_line(tmp_path: Path) -> None:
    text = REPO_PARAMS.read_text().replace("  test_size: 0.2", "  test_size: [0.2", 1)
    with pytest.raises(UserError) as raised:
        load_raw(tmp_path, text)
    assert raised.value.problem.startswith("invalid YAML")
    assert raised.value.field.startswith("line ")


def test_a_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_bytes(b"\xff\xfe" + REPO_PARAMS.read_bytes())
    with pytest.raises(UserError) as raised:
        params.load(path)
    assert (raised.value.field, raised.value.fix) == ("byte 0", "save the file as UTF-8")


def test_several_mistakes_are_reported_together(tmp_path: Path) -> None:
    raw = committed()
    raw["seed"] = -1
    raw["gate"]["max_dorp"] = 0.1
    raw["drift"]["psi_threshold"] = "high"
    with pytest.raises(UserErrors) as raised:
        load_raw(tmp_path, raw)
    assert {e.field for e in raised.value.errors} == {
        "seed",
        "gate.max_dorp",
        "drift.psi_threshold",
    }


def test_params_read_like_dvc_writes_them_yaml_1_2() -> None:
    """`dvc exp run -S` drops the quotes from "yes": the value must stay the string."""
    parsed = params.yaml_text("a: yes\nb: no\nc: on\nd: true\ne: False\nf: 1e-3\ng: 7\nh: null\n")
    assert parsed == {
        "a": "yes",
        "b": "no",
        "c": "on",
        "d": True,
        "e": False,
        "f": 0.001,
        "g": 7,
        "h": None,
    }
    assert isinstance(parsed["g"], int)


def test_numbers_read_as_dvc_reads_them() -> None:
    """DVC records params with its YAML 1.2 reader: a stage must see the same values."""
    from dvc.utils.serialize import parse_yaml

    text = (
        "a: 010\nb: 0o17\nc: -0x1F\nd: 1:30\ne: -5\nf: 1_000\ng: +3\nh: 0b11\ni: 1.5e3\n"
        "j: 1_000.5\nk: 0o\nl: 12e03\nm: .5\nn: 190:20:30.15\n"
    )
    ours = params.yaml_text(text)
    assert ours == dict(parse_yaml(text, "params.yaml"))
    assert ours["a"] == 10 and ours["d"] == "1:30"


def test_a_yes_no_target_survives_dvc_rewriting_params_yaml(tmp_path: Path) -> None:
    import subprocess

    raw = yaml.safe_load(REPO_PARAMS.read_text())
    raw["data"]["positive_class"] = "yes"
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    # Rewrite the file exactly as `dvc exp run -S` does (DVC's own YAML dumper).
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from dvc.utils.serialize import modify_yaml\n"
            "with modify_yaml(sys.argv[1]) as d: d['seed'] = d['seed']",
            str(path),
        ],
        check=True,
    )
    assert "positive_class: yes\n" in path.read_text()  # the quotes are gone
    assert params.load(path).data.positive_class == "yes"


@pytest.mark.parametrize(
    ("change", "field", "problem", "fix"),
    [
        ({"data": {"task": "regression"}}, "data.positive_class", "applies only to", "remove it"),
        ({"data": {"path": "data/x.xlsx"}}, "data.path", "does not say CSV", "data.format"),
        ({"gate": {"max_opportunity_gap": 0.1}}, "gate.max_opportunity_gap", "is set", "mark"),
    ],
)
def test_a_check_across_keys_names_the_key_it_is_about_and_its_fix(
    change: dict[str, dict[str, Any]], field: str, problem: str, fix: str
) -> None:
    raw = yaml.safe_load(REPO_PARAMS.read_text())
    for section, values in change.items():
        raw[section].update(values)
    with pytest.raises(UserError) as caught:
        params.parse(raw)
    assert caught.value.field == field
    assert problem in caught.value.problem and fix in caught.value.fix


@pytest.mark.parametrize(
    ("section", "key", "value", "fix"),
    [
        ("split", "test_size", "big", "use a number > 0.0 and < 1.0"),
        ("split", "test_size", 1.5, "use a number > 0.0 and < 1.0"),
        ("model_tests", "max_model_bytes", -1, "use a number > 0"),  # bounds inside `| None`
    ],
)
def test_a_value_out_of_bounds_is_told_the_bounds(
    section: str, key: str, value: object, fix: str
) -> None:
    raw = yaml.safe_load(REPO_PARAMS.read_text())
    raw[section][key] = value
    with pytest.raises(UserError) as caught:
        params.parse(raw)
    assert caught.value.field == f"{section}.{key}" and caught.value.fix == fix


def test_the_bounds_of_a_key_inside_a_list_item_are_found() -> None:
    raw = yaml.safe_load(REPO_PARAMS.read_text())
    raw["evaluate"]["slices"] = [{"column": "mean_radius", "bins": 1}]
    with pytest.raises(UserError) as caught:
        params.parse(raw)
    assert caught.value.field == "evaluate.slices[0].bins"
    assert caught.value.fix == "use a number >= 2 and <= 20"
