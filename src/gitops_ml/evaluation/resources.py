"""Training time and peak memory of the train stage, for the report: never in dvc.lock.

Both depend on the machine, so like latency they go to a git-ignored file that is not a
stage output. The model file's MD5 is stored beside them: the report shows the numbers
only while they describe the model in the workspace.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from gitops_ml.artifact.model import file_md5
from gitops_ml.core.config import MODEL_FILE, TRAIN_RUNTIME_FILE


def peak_rss_mb() -> float | None:
    """Peak resident memory of this process so far, in MB (None where `resource` is missing)."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1e6 if sys.platform == "darwin" else peak / 1e3  # bytes on macOS, else KB


def record(seconds: float, model_file: Path = MODEL_FILE, path: Path = TRAIN_RUNTIME_FILE) -> None:
    from gitops_ml.core.atomic import write_text

    peak = peak_rss_mb()
    data = {
        "train_seconds": round(seconds, 3),
        "train_peak_rss_mb": None if peak is None else round(peak, 1),
        "model_md5": file_md5(model_file),
    }
    write_text(path, json.dumps(data, indent=2) + "\n")


def current(
    model_file: Path = MODEL_FILE, path: Path = TRAIN_RUNTIME_FILE
) -> dict[str, Any] | None:
    """The recorded numbers if they belong to the model file in the workspace, else None."""
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not model_file.is_file() or data.get("model_md5") != file_md5(model_file):
        return None
    return data
