"""A command's process ends without interpreter teardown, yet loses no output or status.

Each case runs a real child Python process: `process.run` calls os._exit, which would
end the test runner itself. A module-level object whose finaliser prints "teardown"
shows whether the interpreter's shutdown ran.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import REPO_ROOT

PRELUDE = """
import atexit, sys, threading, time
from gitops_ml.core import process

class Witness:
    def __del__(self):
        sys.stderr.write("teardown\\n")

WITNESS = Witness()
"""


ENV = {"PYTHONPATH": str(REPO_ROOT / "src"), "PATH": "/usr/bin:/bin"}


def _child(body: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "command.py"
    script.write_text(PRELUDE + textwrap.dedent(body))
    return subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=ENV, timeout=60
    )


def test_status_output_and_exit_handlers_survive_the_fast_exit(tmp_path: Path) -> None:
    marker = tmp_path / "handler-ran"
    done = _child(
        f"""
        atexit.register(lambda: open({str(marker)!r}, "w").write("ok"))
        def main():
            sys.stdout.write("no newline, still buffered")
            return 3
        process.run(main)
        """,
        tmp_path,
    )
    assert done.returncode == 3
    assert done.stdout == "no newline, still buffered"
    assert marker.read_text() == "ok"
    assert "teardown" not in done.stderr


def test_output_buffered_by_c_code_is_flushed_too(tmp_path: Path) -> None:
    done = _child(
        """
        import ctypes
        def main():
            ctypes.CDLL(None).printf(b"from C stdio\\n")  # a compiled estimator's log line
        process.run(main)
        """,
        tmp_path,
    )
    assert (done.returncode, done.stdout) == (0, "from C stdio\n")


def test_an_error_still_gives_its_traceback_and_status_1(tmp_path: Path) -> None:
    done = _child("def main():\n    raise KeyError('x')\nprocess.run(main)\n", tmp_path)
    assert done.returncode == 1
    assert "Traceback" in done.stderr and "KeyError: 'x'" in done.stderr


def test_a_closed_stdout_is_no_error(tmp_path: Path) -> None:
    script = tmp_path / "command.py"
    script.write_text(PRELUDE + "process.run(lambda: 0)\n")
    done = subprocess.run(
        [sys.executable, str(script)],
        stdout=subprocess.DEVNULL,
        env=ENV,
        timeout=60,
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        close_fds=True,
        preexec_fn=lambda: __import__("os").close(1),
    )
    assert done.returncode == 0, done.stderr


def test_system_exit_keeps_pythons_meaning(tmp_path: Path) -> None:
    def run(code: str) -> subprocess.CompletedProcess[str]:
        return _child(f"def main():\n    raise SystemExit({code})\nprocess.run(main)\n", tmp_path)

    assert run("2").returncode == 2
    assert run("None").returncode == 0
    message = run("'stopped: see the log'")
    assert (message.returncode, message.stderr) == (1, "stopped: see the log\n")


def test_a_running_thread_is_waited_for(tmp_path: Path) -> None:
    marker = tmp_path / "thread-finished"
    done = _child(
        f"""
        def work():
            time.sleep(0.3)
            open({str(marker)!r}, "w").write("ok")
        def main():
            threading.Thread(target=work).start()
        process.run(main)
        """,
        tmp_path,
    )
    assert done.returncode == 0
    assert marker.read_text() == "ok"
    assert "teardown" in done.stderr  # the ordinary exit, which joins the thread


def test_under_a_profiler_the_ordinary_exit_runs(tmp_path: Path) -> None:
    script = tmp_path / "command.py"
    script.write_text(PRELUDE + "process.run(lambda: 0)\n")
    profile = tmp_path / "profile.out"
    done = subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(profile), str(script)],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert profile.stat().st_size > 0  # cProfile writes it after the script: no fast exit


def test_output_that_cannot_be_written_is_said_and_exits_120(tmp_path: Path) -> None:
    script = tmp_path / "command.py"
    script.write_text(PRELUDE + "process.run(lambda: print('result'))\n")
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, str(script)], stdout=full, stderr=subprocess.PIPE, text=True, env=ENV
        )
    assert done.returncode == 120
    assert "output could not be written" in done.stderr and "No space left" in done.stderr
