"""Model files: save and load a fitted pipeline safely and byte-for-byte.

Model files are skops archives. Loading never executes arbitrary code: only types from
trusted modules are accepted, and anything else (a tampered file) is refused by name.
skops archives carry zip timestamps and Python object ids, so `save` rewrites them
into a canonical form: the same model always gives the same bytes.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

from gitops_ml.core.atomic import write_bytes
from gitops_ml.core.errors import UserError

# Classes from these packages may be rebuilt: skops sets their state, it calls nothing.
TRUSTED_PACKAGES = ("sklearn", "numpy", "scipy.sparse", "collections")
# Functions are where a file could make code run (e.g. a FunctionTransformer holding a
# partial of some helper), so each one a model may reference is named here. HistGradient-
# Boosting with categorical features keeps a partial(check_array); skops vets the wrapped
# function on its own, so trusting partial itself admits nothing new.
# A threshold chosen on the train split (params.yaml model.threshold: {criterion: ...})
# keeps the scorer it was chosen by: the criteria's metric functions, which only compute.
# A target transform keeps NumPy ufuncs (log1p/expm1), which skops trusts itself.
TRUSTED_FUNCTIONS = frozenset(
    {
        "sklearn.utils.validation.check_array",
        "sklearn.metrics._classification.f1_score",
        "sklearn.metrics._classification.balanced_accuracy_score",
    }
)
TRUSTED_TYPES = frozenset({"functools.partial"})
_TEST_MODULES = re.compile(r"(^|\.)_?(tests?|testing)(\.|$)")
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def _canonical_ids(schema: Any) -> dict[str, str]:
    """Number every object id in order of first appearance, so ids no longer vary per run."""
    mapping: dict[str, str] = {}

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            if "__id__" in node:
                mapping.setdefault(str(node["__id__"]), str(len(mapping)))
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(schema)
    return mapping


def _rewrite(node: Any, mapping: dict[str, str]) -> Any:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "__id__":
                out[key] = int(mapping[str(value)])
            elif key == "file" and isinstance(value, str) and value.endswith(".npy"):
                out[key] = f"{mapping.get(value[:-4], value[:-4])}.npy"
            else:
                out[key] = _rewrite(value, mapping)
        return out
    if isinstance(node, list):
        return [_rewrite(v, mapping) for v in node]
    return node


def canonicalize(archive: bytes) -> bytes:
    """Rewrite a skops archive with fixed timestamps, stable ids and sorted members."""
    source = zipfile.ZipFile(io.BytesIO(archive))
    schema = json.loads(source.read("schema.json"))
    mapping = _canonical_ids(schema)
    members = {"schema.json": json.dumps(_rewrite(schema, mapping)).encode("utf-8")}
    for info in source.infolist():
        if info.filename == "schema.json":
            continue
        stem = info.filename[:-4] if info.filename.endswith(".npy") else None
        name = f"{mapping.get(stem, stem)}.npy" if stem is not None else info.filename
        members[name] = source.read(info)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, members[name])
    return out.getvalue()


def save(model: Any, path: str | Path) -> None:
    import skops.io as sio

    write_bytes(path, canonicalize(sio.dumps(model)))


def _resolve(dotted: str) -> object | None:
    """The object a dotted name refers to (module, then attributes), or None."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except Exception:  # not a module (ImportError), or one that fails to import
            continue
        try:
            for attribute in parts[cut:]:
                found = getattr(found, attribute)
        except AttributeError:
            return None
        return found
    return None


def _is_trusted(type_name: str) -> bool:
    """A named function, partial, or a class (never a function) from a trusted package.

    Test helpers are refused even when they are classes: they exist to run things.
    """
    if type_name in TRUSTED_TYPES or type_name in TRUSTED_FUNCTIONS:
        return True
    in_package = any(type_name.startswith(f"{package}.") for package in TRUSTED_PACKAGES)
    if not in_package or _TEST_MODULES.search(type_name):
        return False
    return isinstance(_resolve(type_name), type)


_TYPE_VALUES = frozenset({"builtins.str", "builtins.int", "builtins.float", "builtins.bool"})


def _type_values(archive: bytes) -> set[str]:
    """Classes the file stores as values (skops' TypeNode), not as objects it rebuilds.

    A stored class is callable: `FunctionTransformer(func=collections.deque)` calls it on
    every transform. Estimators keep only dtypes this way (`dtype=np.float64`, `str`).
    """
    schema = json.loads(zipfile.ZipFile(io.BytesIO(archive)).read("schema.json"))
    found: set[str] = set()
    todo: list[Any] = [schema]
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            if node.get("__loader__") == "TypeNode":
                found.add(f"{node.get('__module__')}.{node.get('__class__')}")
            todo.extend(node.values())
        elif isinstance(node, list):
            todo.extend(node)
    return found


def _is_dtype_value(type_name: str) -> bool:
    if type_name in _TYPE_VALUES:
        return True
    import numpy as np

    found = _resolve(type_name) if type_name.startswith("numpy.") else None
    return isinstance(found, type) and issubclass(found, np.generic)


def load(path: str | Path) -> Any:
    """Load a model file: classes from scikit-learn, NumPy and SciPy, named functions only."""
    import skops.io as sio

    path = Path(path)
    if not path.is_file():
        raise UserError(str(path), "(file)", "model file not found", "run `make repro` first")
    data = path.read_bytes()
    try:
        untrusted = sio.get_untrusted_types(data=data)
    except Exception as err:  # a corrupt archive raises zip, json or key errors
        raise UserError(
            str(path),
            "(file)",
            f"not a valid skops model file ({err})",
            f"restore it with `dvc checkout --force {path}` or retrain",
        ) from None
    refused = sorted(t for t in untrusted if not _is_trusted(t))
    values = _type_values(data) - set(refused)  # a name refused already is not listed twice
    refused += sorted(f"{t} (as a value)" for t in values if not _is_dtype_value(t))
    if refused:
        raise UserError(
            str(path),
            "types",
            f"model file contains untrusted type(s) {refused}; refusing to load it",
            f"the file may have been tampered with: restore it with `dvc checkout --force {path}` or retrain",
        )
    try:
        return sio.loads(data, trusted=list(untrusted))
    except Exception as err:
        raise UserError(
            str(path),
            "(file)",
            f"cannot load model ({err})",
            f"restore it with `dvc checkout --force {path}` or retrain",
        ) from None


def file_md5(path: Path) -> str:
    """The hash DVC records for a file (md5 of its bytes)."""
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def recorded_md5(lock: Any, path: str | Path) -> str | None:
    """The md5 a parsed dvc.lock records for output `path`, if any."""
    stages = (lock.get("stages") or {}) if isinstance(lock, dict) else {}
    outs = [out for stage in stages.values() for out in stage.get("outs") or []]
    return next((o.get("md5") for o in outs if Path(o.get("path", "")) == Path(path)), None)


def loads(data: bytes, label: str) -> Any:
    """`load` for bytes read from git, the DVC cache or a remote; errors name `label`."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "model.skops"
        file.write_bytes(data)
        try:
            return load(file)
        except UserError as err:
            raise UserError(label, err.field, err.problem, err.fix) from None


def load_recorded(path: str | Path, lock: Path = Path("dvc.lock")) -> Any:
    """`load`, then insist the file is the one dvc.lock records for it.

    A model file changed after training can still load (say, leaf values edited inside a
    valid archive); its predictions are then not the ones the committed metrics describe.
    Files dvc.lock does not list (a model passed with --model) are only loaded.
    """
    from gitops_ml.core.params import read_yaml

    pipeline = load(path)
    recorded = recorded_md5(read_yaml(lock) if lock.is_file() else None, path)
    if recorded is not None and file_md5(Path(path)) != recorded:
        raise UserError(
            str(path),
            "md5",
            f"differs from the model dvc.lock records ({recorded[:12]}): it changed after training",
            f"restore it with `dvc checkout --force {path}`, or re-run `make repro`",
        )
    return pipeline
