"""`make model-age`: the production model's age from real GTO tags in a real git repository.

Tags are annotated git tags in GTO's own naming (`<model>@vX.Y.Z`, `<model>#<stage>#<n>`)
created by git with a backdated tagger date, which is what GTO reads as the event time.
"""

from __future__ import annotations

import json

from tests.conftest import VENV_BIN, Project


def model_age(project: Project) -> tuple[int, str]:
    proc = project.cli("model-age", check=False)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, proc.stdout + proc.stderr


def test_model_age_reads_the_prod_version_registration_date_against_the_limit(
    template: Project,
) -> None:
    code, out = model_age(template)
    assert code == 0 and "no version is in prod: no production model to age" in out

    template.release("v1.0.0", days_ago=(400, 399, 390), event=1)
    code, out = model_age(template)
    assert code == 1, out
    assert "model v1.0.0 in prod: registered " in out
    assert "(model@v1.0.0), 400 days ago, in prod since " in out
    assert "STALE: older than registry.max_model_age_days = 180" in out
    assert "fix: retrain on recent data" in out

    # make fails the monitor job (make's own exit status is 2) and fills the job summary.
    summary = template.root / "summary.md"
    template.env["GITHUB_STEP_SUMMARY"] = str(summary)
    proc = template.make("model-age", check=False)
    del template.env["GITHUB_STEP_SUMMARY"]
    assert proc.returncode != 0 and "STALE" in proc.stdout
    assert "### Model age" in summary.read_text() and "STALE" in summary.read_text()

    template.commit("Retrained model")
    template.release("v1.1.0", days_ago=(10, 9, 8), event=3)
    code, out = model_age(template)
    assert code == 0, out
    assert "model v1.1.0 in prod: registered " in out
    assert "10 days ago" in out and "within the limit of 180 days" in out

    # A rollback (docs/releases.md: assign the old version, unassign the newer one) puts
    # v1.0.0 back in prod today; its age still counts from its registration.
    template.tag("model#prod#5", days_ago=0, commit="HEAD~1")
    template.tag("model#prod!#6", days_ago=0)
    shown = template.run(str(VENV_BIN / "gto"), "show", "--json").stdout
    assert json.loads(shown)["model"]["stage"]["prod"] == "v1.0.0"  # GTO reads it so
    code, out = model_age(template)
    assert code == 1 and "model v1.0.0 in prod" in out and "400 days ago" in out

    template.set_params(**{"registry.max_model_age_days": None})
    code, out = model_age(template)
    assert code == 0 and "no limit set (registry.max_model_age_days)" in out


def test_a_bad_limit_is_a_params_error(template: Project) -> None:
    template.set_params(**{"registry.max_model_age_days": 0})
    proc = template.cli("model-age", check=False)
    assert proc.returncode == 2
    assert "params.yaml: registry.max_model_age_days" in proc.stderr
