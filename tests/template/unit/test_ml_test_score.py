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


# Every row scored "automated" (1.0) is backed by at least one negative test: a test that
# breaks the property the row claims and asserts that the row's check fails, with its
# message. A row whose check cannot fail, or that no such test covers, is scored by hand.
NEGATIVE_TESTS: dict[str, list[str]] = {
    "D1": [
        "tests/template/unit/test_contract.py::test_builtin_violations_are_reported_together_with_rows_and_fixes",
        "tests/template/integration/test_bad_inputs.py::test_bad_data_stops_prepare_with_a_named_field",
    ],
    "D2": [
        "tests/template/integration/test_report_quality.py::test_a_pr_adding_a_useless_feature_fails_the_gate_until_it_is_accepted",
    ],
    "D3": [
        "tests/template/integration/test_feature_cost.py::test_a_costly_feature_within_noise_fails_feature_cost_until_accepted_by_name",
    ],
    "D4": [
        "tests/template/integration/test_forbidden_columns.py::test_prepare_refuses_a_forbidden_column_until_it_is_dropped",
    ],
    "D5": [
        "tests/template/unit/test_forbidden_columns.py::test_every_matching_column_is_refused_with_file_pattern_and_fix",
    ],
    "M3": [
        "tests/template/integration/test_tune_check.py::test_a_badly_tuned_hyperparameter_fails_and_names_the_better_value",
    ],
    "M4": [
        "tests/template/integration/test_staleness_impact.py::test_the_limit_fails_when_the_prod_model_lost_more_than_allowed",
    ],
    "M5": [
        "tests/template/unit/test_gate.py::test_the_fixtures_gradient_boosting_loses_to_linear_and_the_lift_rule_names_its_key",
        "tests/template/unit/test_quality.py::test_lift_rule_fails_when_the_model_does_not_beat_linear_by_the_margin",
        "tests/template/integration/test_registry.py::test_registration_applies_the_quality_rules_to_the_committed_baselines",
    ],
    "M6": [
        "tests/template/unit/test_quality.py::test_slice_rules_skip_small_slices_and_say_so",
        "tests/template/integration/test_report_quality.py::test_report_shows_baselines_slices_and_importance_and_the_rules_gate_them",
    ],
    "I1": [
        "tests/template/integration/test_ci_verify.py::test_verify_catches_stale_and_uncommitted_results_and_passes_once_committed",
        "tests/template/integration/test_ci_verify.py::test_hand_edited_metrics_fail_the_check",
    ],
    "I2": [
        "tests/template/unit/test_params_errors.py::test_value_out_of_range_names_the_key",
        "tests/template/unit/test_model.py::test_unknown_hyperparameter_names_the_key_and_lists_allowed_ones",
        "tests/template/integration/test_bad_inputs.py::test_params_mistake_stops_make_repro_before_dvc_runs",
    ],
    "I3": [
        "tests/template/integration/test_bad_inputs.py::test_bad_data_through_dvc_repro_keeps_last_good_outputs_recoverable",
        "tests/template/integration/test_bad_inputs.py::test_train_killed_mid_run_leaves_no_partial_output_and_rerun_completes",
    ],
    "I4": [
        "tests/template/workflows/test_pull_request.py::test_a_worse_model_fails_the_job_at_the_gate_and_the_comment_says_why",
        "tests/template/integration/test_registry.py::test_a_gate_failure_creates_no_tag_and_says_why",
        "tests/template/integration/test_model_tests.py::test_violated_expectations_and_limits_fail_with_exit_1",
    ],
    "I6": [
        "tests/template/integration/test_canary.py::test_a_version_that_disagrees_with_prod_fails_the_agreement_check",
        "tests/template/integration/test_canary.py::test_a_model_file_with_an_untrusted_type_fails_the_load_check",
    ],
    "I7": [
        "tests/template/integration/test_registry.py::test_promotion_follows_the_stage_order_needs_approval_for_prod_and_rolls_back",
        "tests/template/workflows/test_promote.py::test_staging_then_approved_prod_each_deployed_and_prod_first_refused",
    ],
    "Mo1": [
        "tests/template/unit/test_lockfile.py::test_a_dependency_changed_without_relocking_is_caught",
    ],
    "Mo2": [
        "tests/template/integration/test_serving_contract.py::test_rows_that_break_the_contract_are_refused_with_rows_rules_and_fixes",
        "tests/template/integration/test_drift.py::test_shifted_feature_missing_values_and_predictions_are_flagged",
    ],
    "Mo3": [
        "tests/template/integration/test_model_tests.py::test_a_prepared_split_that_drifted_from_the_raw_data_fails_the_skew_test",
    ],
    "Mo4": [
        "tests/template/integration/test_model_age.py::test_model_age_reads_the_prod_version_registration_date_against_the_limit",
    ],
    "Mo5": [
        "tests/template/unit/test_stability.py::test_nan_predictions_and_nan_probabilities_are_refused_with_a_count",
        "tests/template/unit/test_stability.py::test_an_estimator_that_fails_numerically_names_params_yaml_and_the_fix",
    ],
    "Mo6": [
        "tests/template/unit/test_gate.py::test_a_model_file_grown_past_its_limit_fails",
        "tests/template/unit/test_gate.py::test_latency_grown_past_its_limit_fails_and_a_missing_side_is_said",
        "tests/template/integration/test_train_cost.py::test_train_cost_passes_unchanged_and_fails_a_slower_model_past_a_tight_limit",
        "tests/template/integration/test_model_tests.py::test_violated_expectations_and_limits_fail_with_exit_1",
    ],
    "Mo7": [
        "tests/template/unit/test_gate.py::test_a_drop_past_max_drop_fails_in_the_metrics_direction",
        "tests/template/workflows/test_pull_request.py::test_a_worse_model_fails_the_job_at_the_gate_and_the_comment_says_why",
        "tests/template/integration/test_drift.py::test_labelled_new_rows_below_the_floor_raise_the_alarm",
    ],
}


def test_every_automated_row_is_backed_by_a_negative_test_that_exists() -> None:
    automated = {f"{prefix}{n}" for prefix, n, row in rows() if row[2] == "automated"}
    assert sorted(automated - set(NEGATIVE_TESTS)) == [], "automated rows without a negative test"
    assert sorted(set(NEGATIVE_TESTS) - automated) == [], "negative tests for rows not automated"
    for row_id, tests in NEGATIVE_TESTS.items():
        assert tests, row_id
        for token in tests:
            path, _, name = token.partition("::")
            source = (REPO_ROOT / path).read_text(encoding="utf-8")
            assert re.search(rf"^def {name}\(", source, re.M), f"{row_id}: {token} does not exist"
