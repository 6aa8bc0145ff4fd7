"""Run the real workflow files under nektos/act on this machine, and read what happened.

`Engine.act` runs one workflow file for one event in a scenario's repository: act copies the
working folder into a fresh workspace per job, runs every step on the host (`-P
ubuntu-latest=-self-hosted`, no Docker), and the stand-ins (tests/template/workflows/standins.py)
replace the actions that would need the internet. The result holds act's exit status, every
job and step with its outcome and output, and the log, written to a file that failures name.

The environment act passes to the steps is this machine's, cleaned to look like a fresh
GitHub runner: no test-run virtualenv on PATH, no PYTHONDONTWRITEBYTECODE (runners do not
set it), no credentials or git identity of this machine. Like a runner image with a warm
package cache, the jobs' uv cache may hold compiled bytecode (tests/template/workflows/bytecode.py). Anything a job needs must come from
the workflow itself, its secrets and variables, or the event. Where act itself differs from
GitHub in ways a scenario would trip over, the engine evens it out and says why: steps get a
terminal (pagers and prompts are turned off), a failed step's last lines would be dropped
(`_BASH_SHIM`), and processes a job leaves behind are killed afterwards (`_reap`).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import VENV_BIN
from tests.template.workflows.standins import ACTIONS, local_repository_args

ACT = VENV_BIN / "act"
TAIL = 40  # lines of a failed step shown in a failure message

# Variables of this machine or of the test run that a GitHub runner would not have.
_DROPPED_PREFIXES = (
    "PYTEST_",
    "COV_CORE_",
    "GITHUB_",
    "RUNNER_",
    "ACTIONS_",
    "GH_",
    "AWS_",
    "AZURE_",
    "GCS_",
    "GOOGLE_",
    "GIT_",
    "DVC_",
    "ITERATIVE_",
    "GTO_",
    "STANDIN_",
    "INPUT_",
    "STATE_",
)
_DROPPED = {
    "VIRTUAL_ENV",
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONDONTWRITEBYTECODE",
    "ACT",
    "CI",
    "TERM",
}
_ANNOTATION = re.compile(r"::(error|warning|notice)::")
# Terminal control sequences (colours, cursor moves): steps write them because act gives
# them a terminal; the parsed lines keep the text only.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_=>])|\r")


def _in_a_virtualenv(directory: str) -> bool:
    return bool(directory) and (Path(directory).parent / "pyvenv.cfg").is_file()


# act (host mode) stops reading a step's terminal the moment the step exits non-zero, and
# drops whatever it had not read yet: usually the error the step printed last. This `bash`,
# first on the steps' PATH, runs act's step scripts (<act>/workflow/<n>.sh) with the real
# bash and, after a failure, waits a moment before exiting so act reads everything. Any
# other use is the real bash, exec'd.
_BASH_SHIM = """#!{bash}
# tests/template/workflows/engine.py: let act read a failed step's last lines (see _BASH_SHIM).
case "${{@: -1}}" in */act/workflow/*) ;; *) exec {bash} "$@" ;; esac
{bash} "$@"
status=$?
[ "$status" -eq 0 ] || sleep 0.5
exit "$status"
"""


def _shims(scratch: Path, path: str) -> Path:
    real = shutil.which("bash", path=path)
    if real is None:
        raise RuntimeError("no bash on PATH")
    folder = scratch / "shims"
    folder.mkdir(exist_ok=True)
    shim = folder / "bash"
    shim.write_text(_BASH_SHIM.format(bash=real))
    shim.chmod(0o755)
    return folder


def runner_env(scratch: Path, *, dont_write_bytecode: bool = False) -> dict[str, str]:
    """This machine's environment as a fresh runner would see it (see the module docstring).

    `dont_write_bytecode` keeps the machine's PYTHONDONTWRITEBYTECODE, which GitHub's runners
    do not set: only for measuring what it costs.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in _DROPPED and not key.startswith(_DROPPED_PREFIXES)
    }
    path = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if p and not _in_a_virtualenv(p)
    )
    env["PATH"] = f"{_shims(scratch, path)}{os.pathsep}{path}"
    gitconfig = scratch / "runner.gitconfig"  # no user.name: a runner has no git identity
    gitconfig.touch()
    env["GIT_CONFIG_GLOBAL"] = str(gitconfig)
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["AWS_EC2_METADATA_DISABLED"] = "true"  # no cloud metadata endpoint to wait for
    # act gives every step a terminal (GitHub gives a pipe): keep pagers and password prompts
    # from waiting for a keypress that never comes, as they never would on GitHub.
    env.update(PAGER="cat", GIT_PAGER="cat", GIT_TERMINAL_PROMPT="0")
    if dont_write_bytecode and "PYTHONDONTWRITEBYTECODE" in os.environ:
        env["PYTHONDONTWRITEBYTECODE"] = os.environ["PYTHONDONTWRITEBYTECODE"]
    return env


@dataclass
class Step:
    """One step of one job as act reported it. `stage` is Pre, Main or Post."""

    job: str
    stage: str
    name: str
    step_id: str
    result: str | None = None  # success or failure; None: never finished
    seconds: float | None = None
    lines: list[str] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def tail(self, count: int = TAIL) -> str:
        return "\n".join(self.lines[-count:])


@dataclass
class Job:
    """One job (one matrix combination) of the run."""

    name: str  # act's "<workflow name>/<job name>"
    job_id: str
    matrix: dict[str, Any]
    result: str | None = None  # success or failure; None: never finished
    steps: list[Step] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)  # act's own lines for this job
    summary: str = ""  # what the steps appended to GITHUB_STEP_SUMMARY

    def find(self, name: str, stage: str = "Main") -> Step | None:
        """The step whose name or id is `name` (or starts with it), or None when it never ran
        (act does not report a step whose `if:` was false)."""
        candidates = [s for s in self.steps if s.stage == stage]
        for match in (
            lambda s: name in (s.name, s.step_id),
            lambda s: s.name.startswith(name),
        ):
            found = [s for s in candidates if match(s)]
            if found:
                return found[0]
        return None

    def step(self, name: str, stage: str = "Main") -> Step:
        found = self.find(name, stage)
        if found is None:
            ran = "\n  ".join(f"{s.stage} {s.name} [{s.result}]" for s in self.steps)
            raise AssertionError(f"job {self.name}: no step {name!r} ran; steps:\n  {ran}")
        return found

    @property
    def text(self) -> str:
        return "\n".join([*self.messages, *(line for s in self.steps for line in s.lines)])

    def failed(self) -> list[Step]:
        return [s for s in self.steps if s.result == "failure"]


@dataclass
class ActResult:
    """What one act run did: exit status, jobs and steps, the log and where it is kept."""

    argv: list[str]
    returncode: int | None  # None: killed at the timeout
    seconds: float
    log_path: Path
    events_path: Path
    stderr: str
    jobs: list[Job]

    @property
    def timed_out(self) -> bool:
        return self.returncode is None

    @property
    def ok(self) -> bool:
        return (
            self.returncode == 0
            and bool(self.jobs)
            and all(j.result == "success" for j in self.jobs)
        )

    @property
    def log(self) -> str:
        return self.log_path.read_text()

    def job(self, name: str | None = None, **matrix: Any) -> Job:
        """The job whose id or name is `name` (any, when there is one), for a matrix subset."""
        found = [
            j
            for j in self.jobs
            if (name is None or name in (j.job_id, j.name, j.name.partition("/")[2]))
            and all(str(j.matrix.get(k)) == str(v) for k, v in matrix.items())
        ]
        if len(found) != 1:
            listed = ", ".join(f"{j.job_id} {j.matrix or ''}" for j in self.jobs) or "none"
            raise AssertionError(
                f"{len(found)} jobs match {name!r} {matrix or ''}; jobs: {listed}\n{self.explain()}"
            )
        return found[0]

    def explain(self) -> str:
        """A readable account of what went wrong: each failed step and its last lines."""
        out = [f"act exited {'(killed at the timeout)' if self.timed_out else self.returncode}"]
        for job in self.jobs:
            if job.result == "success":
                continue
            out.append(f"job {job.name} {job.matrix or ''}: {job.result or 'did not finish'}")
            failed = job.failed() or [s for s in job.steps if s.result is None][-1:]
            for step in failed:
                out.append(f"  step {step.stage} {step.name!r}: {step.result or 'did not finish'}")
                out.extend(f"    | {line}" for line in step.tail().splitlines())
            if not failed:
                out.extend(f"    | {line}" for line in job.messages[-TAIL:])
        if not self.jobs:
            out.append("no job ran")
        if self.stderr.strip():
            out.append("act stderr:")
            out.extend(f"    | {line}" for line in self.stderr.strip().splitlines()[-TAIL:])
        out.append(f"full log: {self.log_path}")
        return "\n".join(out)

    def assert_ok(self) -> ActResult:
        assert self.ok, self.explain()
        return self


def parse(lines: list[str]) -> tuple[list[Job], list[str]]:
    """act's `--json` lines into jobs and steps, and a readable log like act's own."""
    jobs: dict[tuple[str, str], Job] = {}
    steps: dict[tuple[str, str, str, str], Step] = {}
    readable: list[str] = []
    for raw in lines:
        try:
            event = json.loads(raw)
        except json.JSONDecodeError:
            readable.append(raw)
            continue
        message = _ANSI.sub("", str(event.get("msg", ""))).rstrip("\n")
        if _ANNOTATION.search(message):  # act shows annotations still escaped
            message = message.replace("%0D", "").replace("%0A", "\n").replace("%25", "%")
        if "job" not in event:
            readable.append(message)
            continue
        matrix = event.get("matrix") or {}
        job_key = (event["job"], json.dumps(matrix, sort_keys=True))
        job = jobs.get(job_key)
        if job is None:
            job = jobs[job_key] = Job(event["job"], str(event.get("jobID", "")), matrix)
        label = f"[{job.name}{' ' + json.dumps(matrix) if matrix else ''}]"
        if "jobResult" in event:
            job.result = event["jobResult"]
        if event.get("command") == "summary":
            job.summary += str(event.get("content", ""))
        step_ids = event.get("stepID") or event.get("stepid")
        stage = str(event.get("stage", ""))
        if (
            not step_ids
            or str(step_ids[0]).startswith("--")
            or message.startswith("LocalRepositoryCache")
        ):
            job.messages.append(message)  # set up job, complete job, job result
            readable.append(f"{label} {message}")
            continue
        step_key = (*job_key, stage, "/".join(map(str, step_ids)))
        step = steps.get(step_key)
        if step is None:
            step = steps[step_key] = Step(job.name, stage, str(event.get("step", "")), step_ids[-1])
            job.steps.append(step)
        if event.get("raw_output"):
            step.lines.extend(message.splitlines() or [""])
            readable.extend(f"{label}   | {line}" for line in message.splitlines())
            continue
        readable.append(f"{label} {message}")
        if "stepResult" in event:
            step.result = event["stepResult"]
            if "executionTime" in event:
                step.seconds = int(event["executionTime"]) / 1e9
        elif event.get("command") == "set-output":
            step.outputs[str(event.get("name"))] = str(event.get("arg", ""))
        elif not message.startswith("⭐ Run"):
            # act's own word on the step ("exit status 2") and annotations (::error::...)
            step.lines.extend(message.splitlines())
    return list(jobs.values()), readable


class Engine:
    """Runs workflows for one scenario: its own act cache, artifact store and cache store.

    Workspaces, stores and logs live under `scratch`; every run gets a numbered folder there
    with the event payload, act's JSON lines, its stderr and a readable log.
    """

    def __init__(
        self,
        scratch: Path,
        *,
        tools: Path | None = None,
        timeout: float = 900.0,
        concurrent_jobs: int = 1,
        dont_write_bytecode: bool = False,
        uv_cache: Path | None = None,
    ) -> None:
        self.scratch = scratch
        self.artifacts = scratch / "artifacts"
        self.cache = scratch / "cache"
        self.tools = tools or scratch / "tools"
        for folder in (self.artifacts, self.cache, self.tools):
            folder.mkdir(parents=True, exist_ok=True)
        self.timeout = timeout
        self.concurrent_jobs = concurrent_jobs
        self.dont_write_bytecode = dont_write_bytecode
        self.uv_cache = uv_cache  # UV_CACHE_DIR of the jobs; None: the machine's
        self._runs = itertools.count(1)

    def act(
        self,
        repo_dir: Path,
        workflow: str,
        event: str,
        payload: Mapping[str, Any],
        *,
        run_id: int,
        secrets: Mapping[str, str] | None = None,
        vars: Mapping[str, str] | None = None,
        env: Mapping[str, str] | None = None,
        matrix: Mapping[str, Any] | None = None,
        job: str | None = None,
        token: str | None = "test-token",
        timeout: float | None = None,
    ) -> ActResult:
        """Run `workflow` (a path relative to `repo_dir`) for `event` with `payload`.

        `run_id` becomes GITHUB_RUN_ID and `github.run_id` (artifacts are stored per run id);
        `token` becomes `github.token` and `secrets.GITHUB_TOKEN`; `env` is set for every step
        (GITHUB_API_URL, for one, points workflows at the GitHub double); `vars` fill
        `vars.*`; `matrix` picks matrix combinations (act's --matrix); `job` runs one job
        and the jobs it needs. The working folder must be committed: act copies it as is.
        """
        workflow_path = repo_dir / workflow
        if not workflow_path.is_file():
            raise FileNotFoundError(workflow_path)
        _require_clean(repo_dir)
        seq = next(self._runs)
        folder = self.scratch / "runs" / f"{seq:02d}-{workflow_path.stem}-{event}-{run_id}"
        folder.mkdir(parents=True)
        event_file = folder / "event.json"
        event_file.write_text(json.dumps(payload, indent=2))
        empty = folder / "empty"
        empty.touch()

        argv = [
            str(ACT),
            event,
            "-W",
            workflow,
            "-e",
            str(event_file),
            "-P",
            "ubuntu-latest=-self-hosted",
            "--remote-name",
            "github",
            "--defaultbranch",
            "main",
            "--action-cache-path",
            str(folder / "act"),
            "--no-cache-server",
            "--json",
            "--concurrent-jobs",
            str(self.concurrent_jobs),
            # never read .env, .secrets, .vars or .input from the repository
            *("--env-file", str(empty), "--secret-file", str(empty)),
            *("--var-file", str(empty), "--input-file", str(empty)),
            *local_repository_args(repo_dir),
        ]
        step_env = {
            "GITHUB_RUN_ID": str(run_id),
            "STANDIN_RUN": str(folder),  # marks every process of this run, for _reap
            "STANDIN_HOME": str(ACTIONS),
            "STANDIN_ARTIFACTS": str(self.artifacts),
            "STANDIN_CACHE": str(self.cache),
            "STANDIN_TOOLS": str(self.tools),
            # where a checkout of another ref fetches from when act gave it no copy
            "STANDIN_ORIGIN": _origin_url(repo_dir),
            **({"UV_CACHE_DIR": str(self.uv_cache)} if self.uv_cache else {}),
            **(env or {}),
        }
        for key, value in step_env.items():
            argv += ["--env", f"{key}={value}"]
        all_secrets = {**({"GITHUB_TOKEN": token} if token is not None else {}), **(secrets or {})}
        for key, value in all_secrets.items():
            argv += ["-s", f"{key}={value}"]
        for key, value in (vars or {}).items():
            argv += ["--var", f"{key}={value}"]
        for key, value in (matrix or {}).items():
            argv += ["--matrix", f"{key}:{value}"]
        if job:
            argv += ["-j", job]

        events_path = folder / "act.jsonl"
        stderr_path = folder / "act.stderr"
        started = time.monotonic()
        with events_path.open("w") as out, stderr_path.open("w") as err:
            proc = subprocess.Popen(
                argv,
                cwd=repo_dir,
                env=runner_env(folder, dont_write_bytecode=self.dont_write_bytecode),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,  # its own process group: a timeout ends all of it
            )
            returncode: int | None
            try:
                returncode = proc.wait(timeout=timeout or self.timeout)
            except subprocess.TimeoutExpired:
                _stop(proc)
                returncode = None
            finally:
                _reap(str(folder))
        seconds = time.monotonic() - started
        jobs, readable = parse(events_path.read_text().splitlines())
        stderr = stderr_path.read_text()
        log_path = folder / "act.log"
        header = [f"$ {' '.join(argv)}", f"# {seconds:.1f} s, exit {returncode}"]
        log_path.write_text("\n".join([*header, *readable, "--- stderr ---", stderr]))
        return ActResult(argv, returncode, seconds, log_path, events_path, stderr, jobs)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """End act and everything it started (its own process group), politely first."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _reap(marker: str) -> None:
    """Kill what a run's steps left behind, as GitHub's runner does after a job: every
    process whose environment carries this run's STANDIN_RUN (steps run in sessions of their
    own, out of reach of act's process group)."""
    needle = f"STANDIN_RUN={marker}\0".encode()
    killed = []
    for proc_dir in Path("/proc").glob("[0-9]*"):
        pid = int(proc_dir.name)
        if pid == os.getpid():
            continue
        try:
            if needle in (proc_dir / "environ").read_bytes():
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
        except OSError:
            continue  # gone already, or not ours to read
    deadline = time.monotonic() + 10
    while any(running(pid) for pid in killed) and time.monotonic() < deadline:
        time.sleep(0.05)


def running(pid: int) -> bool:
    """Whether `pid` exists and is not a zombie waiting for its parent to collect it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


_PORCELAIN = re.compile(r"^(?P<status>..) (?P<path>.+)$")


def _origin_url(repo_dir: Path) -> str:
    """The URL of the repository's `origin` (the scenario's bare repository), or ""."""
    proc = subprocess.run(
        ["git", "-C", str(repo_dir), "remote", "get-url", "origin"], capture_output=True, text=True
    )
    return proc.stdout.strip() if proc.returncode == 0 else ""


def _require_clean(repo_dir: Path) -> None:
    """act copies the working folder, not a commit: stray changes would reach the job."""
    out = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=repo_dir,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    stray = [m["path"] for line in out.splitlines() if (m := _PORCELAIN.match(line))]
    if stray:
        raise AssertionError(
            f"{repo_dir} has uncommitted changes, which act would copy into the job "
            f"(GitHub checks out the commit): {', '.join(stray[:20])}"
        )
