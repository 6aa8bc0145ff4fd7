"""How a command's process ends: without the interpreter's slow teardown.

A stage holds pandas, scikit-learn and SciPy in memory; Python's orderly shutdown then
frees thousands of modules one object at a time, 0.2-0.5 s per process, paid again by
every stage of every `dvc repro` and by every `make` command. By the time `main()`
returns, every output is written, closed and renamed into place, so after the exit
handlers ran and the standard streams are flushed nothing is left to do: the process
ends at once. Under a tracer, profiler or debugger, with `python -i`, or with a
non-daemon thread still running, it ends the ordinary way so that those finish their work.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
from collections.abc import Callable
from typing import NoReturn


def run(main: Callable[[], object]) -> NoReturn:
    """Call a command's `main()` and end the process with its exit status."""
    try:
        status = main()
    except SystemExit as stop:
        status = stop.code
    exit_now(_status(status))


def exit_now(status: int) -> NoReturn:
    """End the process with `status` once exit handlers ran and output is flushed."""
    if not _can_skip_teardown():
        raise SystemExit(status)
    atexit._run_exitfuncs()  # logging, multiprocessing and coverage hooks, as at a normal exit
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError) as err:  # a full disk, a closed pipe: as Python does,
            status = status or 120  # say so on stderr and exit 120
            with contextlib.suppress(OSError, ValueError, AttributeError):
                os.write(2, f"error: output could not be written: {err}\n".encode())
    _flush_c_stdio()
    os._exit(status)


def _status(code: object) -> int:
    """The exit status Python gives `SystemExit(code)`: a message goes to stderr, status 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def _flush_c_stdio() -> None:
    """Flush what compiled code printed through C's stdio, which os._exit would drop."""
    import ctypes  # loaded already by NumPy's and scikit-learn's imports

    with contextlib.suppress(OSError, AttributeError):  # no C library: nothing buffered there
        ctypes.CDLL(None).fflush(None)


def _can_skip_teardown() -> bool:
    if sys.gettrace() is not None or sys.getprofile() is not None:
        return False
    if sys.flags.inspect or os.environ.get("PYTHONINSPECT") or "pdb" in sys.modules:
        return False  # `python -i` or a debugger expects control back
    monitoring = getattr(sys, "monitoring", None)  # Python 3.12+: coverage, debuggers
    if monitoring and any(monitoring.get_tool(tool) for tool in range(6)):
        return False
    main = threading.main_thread()
    return all(t is main or t.daemon for t in threading.enumerate())
