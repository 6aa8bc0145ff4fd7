"""`make canary VERSION=...`: a registered version scores real rows through serving's code.

v1.0.0 is the template's model, in prod; v1.1.0 is a barely trained model (one boosting
iteration) that predicts almost every row as the majority class, so it disagrees with
prod on roughly a third of the rows. Tags are GTO's, made by git with backdated dates.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Project


@pytest.fixture(scope="module")
def _canary_source(tmp_path_factory: pytest.TempPathFactory, _trained_source: Path) -> Path:
    project = Project.copied(_trained_source, tmp_path_factory.mktemp("canary-seed") / "repo")
    project.release("v1.0.0", days_ago=(30, 29, 28), event=1)
    project.set_params(**{"model.params.max_iter": 1, "model.params.learning_rate": 0.01})
    project.repro()
    project.commit("A barely trained model")
    project.tag("model@v1.1.0", days_ago=1)
    return project.root


@pytest.fixture
def project(_canary_source: Path, tmp_path: Path) -> Project:
    return Project.copied(_canary_source, tmp_path / "repo")


def canary(project: Project, version: str, *args: str) -> tuple[int, str]:
    proc = project.cli("canary", "--version", version, *args, check=False)
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out, out
    return proc.returncode, out


def test_a_good_version_passes_every_check_through_make(project: Project) -> None:
    proc = project.make("canary", "VERSION=v1.0.0", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "canary: model v1.0.0 on data/breast_cancer.csv (569 rows)" in out
    assert "| loads with trusted types only | PASS |" in out
    # labels are text here: the class probabilities are what can be NaN or infinite
    assert (
        "| predictions finite | PASS | 0 non-finite value(s) in proba_benign, proba_malignant |"
        in out
    )
    assert "| latency | PASS |" in out and "(limit 1000.0)" in out
    assert "| agreement with prod | PASS | v1.0.0 is already in prod" in out
    assert out.rstrip().endswith("canary PASSED")


def test_a_version_that_disagrees_with_prod_fails_the_agreement_check(project: Project) -> None:
    code, out = canary(project, "v1.1.0")
    assert code == 1, out
    assert "| agreement with prod | FAIL |" in out
    assert (
        "of rows agree with v1.0.0 (equal labels); required registry.canary_min_agreement = 95%"
        in out
    )
    assert "canary FAILED: agreement with prod" in out
    assert "| latency | PASS |" in out and "| loads with trusted types only | PASS |" in out

    project.set_params(**{"registry.canary_min_agreement": 0.5})
    code, out = canary(project, "v1.1.0")
    assert code == 0 and "| agreement with prod | PASS |" in out, out

    project.set_params(**{"model_tests.max_latency_ms_per_1000_rows": 1e-6})
    code, out = canary(project, "v1.1.0")
    assert code == 1 and "canary FAILED: latency" in out, out


def test_a_version_that_does_not_exist_is_a_clear_error(project: Project) -> None:
    code, out = canary(project, "v9.9.9")
    assert code == 2, out
    assert "VERSION: v9.9.9: model v9.9.9 is not a registered version" in out
    assert "fix: pick one from `gto show model`" in out
    code, out = canary(project, "latest")
    assert code == 2 and "'latest' is not a version like v1.2.0" in out, out


def cached_model(project: Project) -> Path:
    """The DVC cache file that HEAD's dvc.lock names for the model."""
    import yaml

    lock = yaml.safe_load((project.root / "dvc.lock").read_text())
    md5 = next(o["md5"] for o in lock["stages"]["train"]["outs"])
    return project.root / ".dvc/cache/files/md5" / md5[:2] / md5[2:]


def test_a_model_file_with_an_untrusted_type_fails_the_load_check(project: Project) -> None:
    # The cached file of v1.1.0 replaced by a skops archive that holds a plain function.
    cached = cached_model(project)
    cached.unlink()  # DVC keeps cache files read-only
    project.python(
        "-c",
        "import math, sys, skops.io as sio; from sklearn.preprocessing import FunctionTransformer;"
        "open(sys.argv[1], 'wb').write(sio.dumps(FunctionTransformer(func=math.sqrt)))",
        str(cached),
    )
    code, out = canary(project, "v1.1.0")
    assert code == 1, out
    assert (
        "| loads with trusted types only | FAIL | model file contains untrusted type(s) ['math.sqrt']"
        in out
    )
    assert "canary FAILED: loads with trusted types only" in out
