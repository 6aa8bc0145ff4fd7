"""The bump rule and version arithmetic of the registry, without git."""

from __future__ import annotations

import pytest

from gitops_ml.core import params
from gitops_ml.core.errors import UserError
from gitops_ml.registry import tags
from gitops_ml.registry.versions import (
    SemVer,
    decide,
    highest,
    levels_from_labels,
    levels_from_messages,
    next_version,
)


def test_versions_parse_print_and_order_numerically_not_as_text() -> None:
    assert str(SemVer.parse("v1.10.0")) == "v1.10.0"
    assert SemVer.parse("v1.10.0") > SemVer.parse("v1.9.3") > SemVer.parse("v0.99.99")
    for bad in ("1.0.0", "v1.0", "v01.0.0", "v1.0.0-rc1", "latest"):
        assert not SemVer.is_valid(bad)
        with pytest.raises(ValueError):
            SemVer.parse(bad)


@pytest.mark.parametrize(
    ("level", "expected"), [("major", "v2.0.0"), ("minor", "v1.4.0"), ("patch", "v1.3.6")]
)
def test_a_bump_resets_the_lower_parts(level: str, expected: str) -> None:
    assert str(SemVer.parse("v1.3.5").bump(level)) == expected


def test_the_first_version_ignores_any_requested_bump() -> None:
    bump = decide(first=True, features_changed=False, contract_changed=False, requested="major")
    assert bump.level == "first"
    assert str(next_version(None, SemVer.parse("v1.0.0"), bump)) == "v1.0.0"


def test_a_new_model_with_the_same_inputs_is_a_minor_version() -> None:
    bump = decide(first=False, features_changed=False, contract_changed=False, requested=None)
    assert bump.level == "minor"
    assert str(next_version(SemVer.parse("v1.2.3"), SemVer.parse("v1.0.0"), bump)) == "v1.3.0"


@pytest.mark.parametrize(("features", "contract"), [(True, False), (False, True), (True, True)])
def test_a_schema_or_contract_change_is_major_and_a_lower_request_cannot_lower_it(
    features: bool, contract: bool
) -> None:
    bump = decide(
        first=False,
        features_changed=features,
        contract_changed=contract,
        requested="patch",
        requested_from="PR label release:patch",
    )
    assert bump.level == "major"
    assert "overrides patch from PR label release:patch" in bump.reason


def test_a_requested_level_replaces_the_default_when_inputs_are_unchanged() -> None:
    bump = decide(
        first=False,
        features_changed=False,
        contract_changed=False,
        requested="patch",
        requested_from="BUMP=patch",
    )
    assert (bump.level, bump.reason) == ("patch", "patch requested by BUMP=patch")


def test_release_labels_and_trailers_are_read_and_the_highest_wins() -> None:
    assert levels_from_labels(["bug", "release:patch", "Release:Major", "release:huge"]) == [
        "patch",
        "major",
    ]
    messages = ["Merge pull request #4\n\nRelease: minor\n", "Fix typo", "release: patch"]
    assert levels_from_messages(messages) == ["minor", "patch"]
    assert levels_from_messages(["The release: minor one is next week"]) == []
    assert highest(["patch", "minor", "patch"]) == "minor"
    assert highest([]) is None


def test_tag_message_facts_survive_a_round_trip() -> None:
    facts = {
        "model_md5": "abc",
        "metrics": {"roc_auc": 0.99},
        "previous": None,
        "gate": "PASSED: x",
    }
    message = tags.format_message("Register model v1.0.0 (first)", facts)
    assert message.splitlines()[0] == "Register model v1.0.0 (first)"
    assert tags.parse_message(message) == facts
    assert tags.parse_message("a plain message written by hand") == {}


def _registry(section: dict[str, object] | None) -> params.RegistryParams:
    raw = {
        "data": {"path": "data/x.csv", "target": "y", "task": "binary"},
        "model": {"estimator": "sklearn.linear_model.LogisticRegression"},
        "evaluate": {"primary_metric": "roc_auc"},
    }
    if section is not None:
        raw["registry"] = section
    return params.parse(raw).registry


def test_registry_settings_default_to_v1_and_reject_bad_values_by_name() -> None:
    assert _registry(None).first_version == "v1.0.0"
    assert _registry({"first_version": "v0.1.0"}).first_version == "v0.1.0"
    with pytest.raises(UserError) as bad:
        _registry({"first_version": "0.1"})
    assert bad.value.field == "registry.first_version" and "v1.0.0" in bad.value.problem
    with pytest.raises(UserError) as typo:
        _registry({"first_versoin": "v0.1.0"})
    assert typo.value.field == "registry.first_versoin"
    assert "did you mean 'first_version'" in typo.value.fix


def test_promote_rejects_a_malformed_version_before_touching_anything() -> None:
    from gitops_ml.registry.promote import promote

    with pytest.raises(UserError) as bad:
        promote("staging", "1.0")
    assert bad.value.field == "VERSION" and "VERSION=vX.Y.Z" in bad.value.fix
