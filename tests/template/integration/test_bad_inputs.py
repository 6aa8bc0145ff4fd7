"""The catalogue of bad inputs: each one stops with a clear message and loses nothing.

Every case asserts a non-zero exit, a message naming the file and the field, no
Python traceback, the user's raw data byte-for-byte unchanged, `dvc.lock` still
naming the last good outputs, and `dvc checkout` bringing those outputs back byte
for byte. Params mistakes are caught by `check` (what `make repro` runs before DVC
touches any output); data mistakes by the prepare stage, run directly or through
`dvc repro` (which deletes a stage's outputs before running it: "kept" then means
recoverable from the cache).
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from tests.conftest import TEAM, VENV_BIN, Project

pytestmark = pytest.mark.slow

DATA = "data/breast_cancer.csv"
OUTPUTS = (
    "artifacts/prepared/train.parquet",
    "artifacts/prepared/test.parquet",
    "artifacts/prepared/features.json",
    "artifacts/model/model.skops",
    "artifacts/eval/predictions.parquet",
)


def digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


class Guard:
    """Snapshot of what must survive a failed run: raw data, dvc.lock and stage outputs."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.before = self._state()

    def _state(self) -> dict[str, str | None]:
        paths = (DATA, "dvc.lock", *OUTPUTS)
        return {rel: digest(self.project.root / rel) for rel in paths}

    def expect_failure(self, proc: subprocess.CompletedProcess[str], file: str, field: str) -> str:
        """Assert the run failed cleanly and nothing was lost; return its message."""
        output = proc.stdout + proc.stderr
        assert proc.returncode != 0, output
        assert "Traceback" not in output, output
        assert file in proc.stderr, proc.stderr
        assert field in proc.stderr, proc.stderr
        after = self._state()
        assert after[DATA] == self.before[DATA], "raw data was modified"
        assert after["dvc.lock"] == self.before["dvc.lock"], "dvc.lock changed"
        if any(after[o] != self.before[o] for o in OUTPUTS):
            # --force: DVC will not replace a modified (e.g. tampered) output without it.
            self.project.dvc("checkout", "--force", "prepare", "train", "evaluate")
        restored = self._state()
        assert {o: restored[o] for o in OUTPUTS} == {o: self.before[o] for o in OUTPUTS}
        return proc.stderr


def prepare(project: Project) -> subprocess.CompletedProcess[str]:
    return project.python("-m", f"{TEAM}.stages.prepare", check=False)


def write_data(project: Project, frame: pd.DataFrame, **csv: object) -> None:
    frame.to_csv(project.root / DATA, index=False, **csv)


def raw(project: Project) -> pd.DataFrame:
    return pd.read_csv(project.root / DATA)


# --- params: caught by `check`, before DVC touches anything -------------------------------


def test_params_mistake_stops_make_repro_before_dvc_runs(trained: Project) -> None:
    trained.set_params(**{"split.test_szie": 0.3})
    guard = Guard(trained)
    proc = trained.make("repro", check=False)
    message = guard.expect_failure(proc, "params.yaml", "split.test_szie")
    assert "did you mean 'test_size'?" in message
    assert "Running stage" not in proc.stdout


@pytest.mark.parametrize(
    ("edit", "field", "words"),
    [
        ({"split.stratify": "sometimes"}, "split.stratify", "valid boolean"),
        ({"split.test_size": 1.5}, "split.test_size", "1.5"),
        ({"model_tests.max_model_bytes": -1}, "model_tests.max_model_bytes", "-1"),
    ],
    ids=["wrong-type", "out-of-range", "out-of-range-own-section"],
)
def test_params_value_mistakes_are_named(
    trained: Project, edit: dict[str, object], field: str, words: str
) -> None:
    trained.set_params(**edit)
    guard = Guard(trained)
    message = guard.expect_failure(trained.cli("check", check=False), "params.yaml", field)
    assert words in message


def test_a_slice_column_the_data_lacks_is_found_by_init_before_any_training(
    trained: Project,
) -> None:
    slices = trained.read_params()["evaluate"]["slices"]
    slices[0]["column"] = "mean_radiuss"
    trained.set_params(**{"evaluate.slices": slices})
    guard = Guard(trained)
    message = guard.expect_failure(
        trained.cli("init", check=False), "params.yaml", "evaluate.slices[0].column"
    )
    assert "not a feature column" in message and "mean_radius" in message


@pytest.mark.parametrize(
    ("key", "value", "field", "hint"),
    [
        (
            "evaluate.slices",
            [{"column": "mean_radiuss"}],
            "evaluate.slices[0].column",
            "mean_radius",
        ),
        ("data.target", "diagnosiss", "data.target='diagnosiss'", "diagnosis"),
        ("data.features.numeric", ["mean_radius", "mean_textur"], "data.features", "mean_texture"),
    ],
    ids=["slice-column", "target", "listed-feature"],
)
def test_a_misspelt_column_stops_make_repro_before_dvc_deletes_outputs(
    trained: Project, key: str, value: object, field: str, hint: str
) -> None:
    trained.set_params(**{key: value})
    guard = Guard(trained)
    proc = trained.make("repro", check=False)
    message = guard.expect_failure(proc, "", field)
    assert f"did you mean {hint!r}?" in message
    assert "Running stage" not in proc.stdout
    assert (trained.root / "metrics/metrics.json").is_file()  # committed metrics untouched


def test_a_task_or_value_the_data_cannot_take_is_found_by_check_before_dvc_runs(
    trained: Project,
) -> None:
    """`make check` (which make repro runs before dvc repro) reports both at once."""
    frame = raw(trained)
    frame.loc[[3, 5], "diagnosis"] = "unclear"  # a third class under task: binary
    write_data(trained, frame)
    trained.set_params(**{"model.params.max_iter": -1})
    guard = Guard(trained)
    message = guard.expect_failure(
        trained.cli("check", check=False), "params.yaml", "model.params.max_iter"
    )
    assert "data.target='diagnosis'" in message and "3 distinct values" in message


def test_a_misspelt_data_path_stops_make_repro_with_the_file_meant(trained: Project) -> None:
    trained.set_params(**{"data.path": "data/breast_cancer_.csv"})
    guard = Guard(trained)
    proc = trained.make("repro", check=False)
    message = guard.expect_failure(proc, "params.yaml", "data.path")
    assert "did you mean 'data/breast_cancer.csv'?" in message
    assert "Running stage" not in proc.stdout


def test_missing_params_section_is_named(trained: Project) -> None:
    params = trained.read_params()
    del params["evaluate"]
    trained.params_path.write_text(yaml.safe_dump(params))
    guard = Guard(trained)
    message = guard.expect_failure(trained.cli("check", check=False), "params.yaml", "evaluate")
    assert "required key is missing" in message


def test_invalid_params_yaml_gives_line_and_column(trained: Project) -> None:
    text = trained.params_path.read_text().replace("seed: 42", "seed: [42", 1)
    trained.params_path.write_text(text)
    guard = Guard(trained)
    message = guard.expect_failure(trained.cli("check", check=False), "params.yaml", "line ")
    assert "invalid YAML" in message


# --- data: caught by the prepare stage ------------------------------------------------------


def _header_only(project: Project) -> None:
    (project.root / DATA).write_text(",".join(raw(project).columns) + "\n")


def _duplicated_column(project: Project) -> None:
    lines = (project.root / DATA).read_text().splitlines()
    lines[0] = lines[0].replace("mean_texture", "mean_radius", 1)
    (project.root / DATA).write_text("\n".join(lines) + "\n")


def _latin1_value(project: Project) -> None:
    lines = (project.root / DATA).read_bytes().split(b"\n")
    lines[200] = lines[200].replace(b"benign", b"b\xe9nign").replace(b"malignant", b"malign\xe9nt")
    (project.root / DATA).write_bytes(b"\n".join(lines))


def _missing_values(project: Project) -> None:
    frame = raw(project)
    frame.loc[frame.index % 4 != 0, "mean_radius"] = np.nan  # 75% > contract.max_missing_fraction
    write_data(project, frame)


def _infinite_values(project: Project) -> None:
    frame = raw(project)
    frame.loc[[3, 8], "worst_area"] = np.inf
    write_data(project, frame)


DATA_CASES = {
    "empty-file": (lambda p: (p.root / DATA).write_text(""), DATA, "(file)", "file is empty"),
    "header-only": (_header_only, DATA, "(rows)", "header but no rows"),
    "missing-target": (
        lambda p: write_data(p, raw(p).drop(columns=["diagnosis"])),
        DATA,
        "data.target",
        "target column not found",
    ),
    "single-class": (
        lambda p: write_data(p, raw(p).assign(diagnosis="benign")),
        DATA,
        "diagnosis",
        "min_classes",
    ),
    "missing-values-beyond-limit": (_missing_values, DATA, "mean_radius", "max_missing_fraction"),
    "infinite-values": (_infinite_values, DATA, "worst_area", "offending rows (0-based): [3, 8]"),
    "wrong-delimiter": (lambda p: write_data(p, raw(p), sep=";"), DATA, "data.csv.sep", "';'"),
    "wrong-encoding": (_latin1_value, DATA, "data.csv.encoding", "not valid utf-8"),
    "duplicated-columns": (_duplicated_column, DATA, "mean_radius", "duplicated column names"),
    "column-named-row_id": (
        lambda p: write_data(p, raw(p).rename(columns={"mean_radius": "row_id"})),
        DATA,
        "'row_id'",
        "the name is reserved",
    ),
    "path-does-not-exist": (
        lambda p: p.set_params(**{"data.path": "data/nowhere.csv"}),
        "params.yaml",
        "data.path",
        "does not exist",
    ),
}


@pytest.mark.parametrize("case", list(DATA_CASES))
def test_bad_data_stops_prepare_with_a_named_field(trained: Project, case: str) -> None:
    damage, file, field, words = DATA_CASES[case]
    damage(trained)
    guard = Guard(trained)
    message = guard.expect_failure(prepare(trained), file, field)
    assert words in message


def test_bad_data_through_dvc_repro_keeps_last_good_outputs_recoverable(trained: Project) -> None:
    _missing_values(trained)
    guard = Guard(trained)
    proc = trained.dvc("repro", check=False)
    assert "Running stage 'prepare'" in proc.stdout
    assert not (trained.root / OUTPUTS[0]).exists(), "DVC removes outputs before a stage runs"
    message = guard.expect_failure(proc, DATA, "mean_radius")
    assert "max_missing_fraction" in message


def test_unseen_category_at_prediction_time_is_named(trained: Project) -> None:
    frame = raw(trained)
    clinics = np.array(["north", "south", "east"])[np.arange(len(frame)) % 3]
    write_data(trained, frame.assign(clinic=clinics))
    trained.set_params(
        **{"model.estimator": "sklearn.linear_model.LogisticRegression", "model.params": {}}
    )
    # prepare and train (recorded in dvc.lock): a categorical feature the model one-hot encodes
    trained.dvc("repro", "train")
    new = raw(trained).head(6).drop(columns=["diagnosis"])
    new.loc[[2, 4], "clinic"] = "west"
    new.to_csv(trained.root / "new.csv", index=False)
    before = digest(trained.root / "new.csv")
    proc = trained.cli("predict", "--input", "new.csv", "--output", "out.csv", check=False)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "new.csv: clinic: a category never seen in training: 2 of 6 rows" in proc.stderr
    assert "rows (0-based): [2, 4]; values: ['west']" in proc.stderr
    assert digest(trained.root / "new.csv") == before
    assert not (trained.root / "out.csv").exists()
    new.loc[[2, 4], "clinic"] = "east"
    new.to_csv(trained.root / "new.csv", index=False)
    trained.cli("predict", "--input", "new.csv", "--output", "out.csv")
    assert len(pd.read_csv(trained.root / "out.csv")) == 6


# --- model -------------------------------------------------------------------------------


def test_predict_never_writes_over_pipeline_outputs_or_an_existing_file(
    trained: Project,
) -> None:
    guard = Guard(trained)
    mine = trained.root / "scores.csv"
    mine.write_text("someone's work\n")
    for output in ("artifacts/prepared/test.parquet", "scores.csv"):
        proc = trained.cli("predict", "--input", DATA, "--output", output, check=False)
        guard.expect_failure(proc, output, "(file)")
    assert mine.read_text() == "someone's work\n"
    trained.make("predict", f"INPUT={DATA}", "OUTPUT=scores.csv", "FORCE=1")
    assert len(pd.read_csv(mine)) == len(raw(trained))


def test_tampered_model_with_untrusted_type_is_refused(trained: Project) -> None:
    guard = Guard(trained)
    tamper = (
        "import uuid, skops.io as sio\n"
        "from gitops_ml.artifact import model\n"
        "from gitops_ml.core import config\n"
        "pipeline = model.load(config.MODEL_FILE)\n"
        "pipeline.payload = uuid.UUID(int=7)  # any type outside sklearn/numpy/scipy\n"
        "config.MODEL_FILE.write_bytes(sio.dumps(pipeline))\n"
    )
    trained.python("-c", tamper)
    message = guard.expect_failure(
        trained.cli("test-model", check=False), "artifacts/model/model.skops", "types"
    )
    assert "untrusted type(s) ['uuid.UUID']; refusing to load it" in message
    assert "dvc checkout" in message


def test_a_model_file_edited_after_training_is_refused_even_when_it_loads(
    trained: Project,
) -> None:
    guard = Guard(trained)
    edit = (
        "from gitops_ml.artifact import model\n"
        "from gitops_ml.core import config\n"
        "pipeline = model.load(config.MODEL_FILE)\n"
        "pipeline.named_steps['estimator'].learning_rate = 0.5  # any edit inside the archive\n"
        "model.save(pipeline, config.MODEL_FILE)\n"
    )
    trained.python("-c", edit)
    proc = trained.cli(
        "predict", "--input", "data/breast_cancer.csv", "--output", "out.csv", check=False
    )
    message = guard.expect_failure(proc, "artifacts/model/model.skops", "md5")
    assert "differs from the model dvc.lock records" in message
    assert "dvc checkout --force" in message
    assert not (trained.root / "out.csv").exists()


# --- operations --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ("test-model",),
        ("predict", "--input", "data/breast_cancer.csv", "--output", "out.csv"),
        ("tune-check",),
        ("feature-cost",),
    ],
    ids=lambda command: command[0],
)
def test_a_command_run_before_the_pipeline_says_to_run_it_first(
    template: Project, command: tuple[str, ...]
) -> None:
    proc = template.cli(*command, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "artifacts/prepared/features.json" in proc.stderr
    assert "make repro" in proc.stderr
    assert not (template.root / "out.csv").exists()


def test_test_model_without_the_test_split_says_to_run_the_pipeline(trained: Project) -> None:
    (trained.root / "artifacts/prepared/test.parquet").unlink()
    proc = trained.cli("test-model", check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "artifacts/prepared/test.parquet" in proc.stderr and "make repro" in proc.stderr


@pytest.mark.parametrize("remote", ["missing-dir", "closed-port"])
def test_unreachable_remote_falls_back_to_sample_with_a_message(
    template: Project, remote: str
) -> None:
    if remote == "missing-dir":
        template.dvc("remote", "add", "-f", "-d", "gone", str(template.root / "no-such-remote"))
    else:
        template.dvc("remote", "add", "-f", "-d", "gone", "s3://bucket/store")
        for key, value in [
            ("endpointurl", "http://127.0.0.1:9"),  # discard port: nothing listens
            ("access_key_id", "test"),
            ("secret_access_key", "test"),
            ("connect_timeout", "1"),
            ("read_timeout", "1"),
        ]:
            template.dvc("remote", "modify", "gone", key, value)
        template.env.update(AWS_MAX_ATTEMPTS="1", AWS_RETRY_MODE="standard")
    started = time.monotonic()
    proc = template.cli("data")
    assert time.monotonic() - started < 30
    assert "Traceback" not in proc.stderr
    expected = "does not exist yet" if remote == "missing-dir" else "did not bring the data"
    assert expected in proc.stderr
    assert "wrote the embedded sample data" in proc.stderr
    template.dvc("status", "data.dvc")  # data/ matches data.dvc after the fallback
    assert "data.dvc" not in template.dvc("status", "data.dvc").stdout


def test_a_remote_without_the_data_says_to_push_it_and_leaves_no_folder(
    template: Project,
) -> None:
    """Someone committed data.dvc for their data but never ran dvc push."""
    (template.root / "empty-remote").mkdir()
    template.dvc("remote", "add", "-f", "-d", "team", str(template.root / "empty-remote"))
    lines = (template.root / "data.dvc").read_text().splitlines()
    lines = [
        "- md5: 0123456789abcdef0123456789abcdef.dir" if "md5:" in line else line for line in lines
    ]
    (template.root / "data.dvc").write_text("\n".join(lines) + "\n")
    proc = template.cli("data", check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert "dvc pull from remote 'team' did not bring the data" in proc.stderr
    assert "dvc push" in proc.stderr
    assert not (template.root / "data").exists()


def _descendants(pid: int) -> list[int]:
    """Process ids below `pid`, read from /proc (only processes this test started)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_train_killed_mid_run_leaves_no_partial_output_and_rerun_completes(
    trained: Project,
) -> None:
    good_lock = trained.file_bytes("dvc.lock")
    good_model = digest(trained.root / "artifacts/model/model.skops")
    trained.set_params(**{"model.params.max_iter": 300, "model.params.learning_rate": 0.05})
    repro = subprocess.Popen(
        [str(VENV_BIN / "dvc"), "repro"],
        cwd=trained.root,
        env=trained.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    killed = False
    deadline = time.monotonic() + 60
    while not killed and repro.poll() is None and time.monotonic() < deadline:
        for pid in _descendants(repro.pid):
            if f"{TEAM}.stages.train" in _cmdline(pid):
                time.sleep(1.0)  # let it import and start fitting
                os.kill(pid, signal.SIGKILL)
                killed = True
                break
        time.sleep(0.05)
    out, _ = repro.communicate(timeout=120)
    assert killed, out
    assert repro.returncode != 0, out
    assert trained.file_bytes("dvc.lock") == good_lock, "a killed run must not touch dvc.lock"
    model_dir = trained.root / "artifacts/model"
    # A kill during the write would leave a temporary file beside the target.
    stale = model_dir / ".model.skops.killed.tmp"
    stale.write_bytes(b"half a zip file")
    assert trained.repro() == trained.stages_from("train")
    status = trained.dvc("status").stdout
    assert "changed" not in status and "modified" not in status, status
    lock = yaml.safe_load(trained.file_bytes("dvc.lock"))
    (out_entry,) = lock["stages"]["train"]["outs"]
    assert out_entry["path"] == "artifacts/model/model.skops"
    assert out_entry["md5"] == hashlib.md5((model_dir / "model.skops").read_bytes()).hexdigest()
    # Going back to the last good commit restores its outputs byte for byte.
    trained.git("checkout", "HEAD", "--", "params.yaml", "dvc.lock")  # autostage staged the lock
    trained.dvc("checkout")
    assert digest(model_dir / "model.skops") == good_model
