"""Build the scikit-learn pipeline from params; save and load it safely and byte-for-byte.

Model files are skops archives. Loading never executes arbitrary code: only types from
trusted modules are accepted, and anything else (a tampered file) is refused by name.
skops archives carry zip timestamps and Python object ids, so `save` rewrites them
into a canonical form: the same model always gives the same bytes.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib
import io
import json
import os
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gitops_ml.atomic import write_bytes
from gitops_ml.data import FeatureSpec
from gitops_ml.errors import UserError
from gitops_ml.params import Params

# Classes from these packages may be rebuilt: skops sets their state, it calls nothing.
TRUSTED_PACKAGES = ("sklearn", "numpy", "scipy.sparse", "collections")
# Functions are where a file could make code run (e.g. a FunctionTransformer holding a
# partial of some helper), so each one a model may reference is named here. HistGradient-
# Boosting with categorical features keeps a partial(check_array); skops vets the wrapped
# function on its own, so trusting partial itself admits nothing new.
TRUSTED_FUNCTIONS = frozenset({"sklearn.utils.validation.check_array"})
TRUSTED_TYPES = frozenset({"functools.partial"})
_TEST_MODULES = re.compile(r"(^|\.)_?(tests?|testing)(\.|$)")
# Estimators that need standardised inputs; trees and boosting do not.
_SCALE_FREE = re.compile(r"(Tree|Forest|Boost|Bagging|Dummy|NaiveBayes|NB)", re.IGNORECASE)
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
MISSING_CATEGORY = "__missing__"  # what a missing categorical value becomes before encoding


def estimator_class(path: str) -> type:
    """Import an estimator class from its dotted path, e.g. sklearn.linear_model.Ridge."""
    module_name, _, class_name = path.rpartition(".")
    full_path = "use a full import path such as sklearn.ensemble.HistGradientBoostingClassifier"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        package = (err.name or module_name).split(".")[0]
        fix = (
            full_path
            if package == "sklearn"
            else f"if {package!r} is a library, add it to pyproject.toml's dependencies, then "
            "`make lock` and `make setup`; else check the spelling (e.g. sklearn.linear_model.Ridge)"
        )
        raise UserError(
            "params.yaml", "model.estimator", f"cannot import {path!r} ({err})", fix
        ) from None
    except ImportError as err:
        raise UserError(
            "params.yaml", "model.estimator", f"cannot import {path!r} ({err})", full_path
        ) from None
    cls = getattr(module, class_name, None)
    if cls is None:
        close = difflib.get_close_matches(class_name, dir(module), n=1)
        raise UserError(
            "params.yaml",
            "model.estimator",
            f"{module_name} has no {class_name!r}",
            f"did you mean {module_name}.{close[0]}?" if close else full_path,
        )
    if not (isinstance(cls, type) and hasattr(cls, "fit") and hasattr(cls, "get_params")):
        raise UserError(
            "params.yaml",
            "model.estimator",
            f"{path!r} is not an estimator (a class with fit and get_params)",
            "name a scikit-learn compatible estimator class, e.g. sklearn.linear_model.Ridge",
        )
    return cls


def build_estimator(params: Params) -> Any:
    from sklearn.base import is_classifier, is_regressor

    cls = estimator_class(params.model.estimator)
    allowed = sorted(cls().get_params(deep=False))
    unknown = sorted(set(params.model.params) - set(allowed))
    if unknown:
        raise UserError(
            "params.yaml",
            f"model.params.{unknown[0]}",
            f"{cls.__name__} has no hyperparameter(s) {unknown}",
            f"allowed: {', '.join(allowed)}",
        )
    hyper = dict(params.model.params)
    if "random_state" in allowed and "random_state" not in hyper:
        hyper["random_state"] = params.seed
    try:
        estimator = cls(**hyper)
        _validate_values(estimator)
    except (TypeError, ValueError) as err:
        named = re.search(r"The '(\w+)' parameter", str(err))
        key = f"model.params.{named.group(1)}" if named else "model.params"
        raise UserError("params.yaml", key, str(err), f"give {key} an allowed value") from None
    wants = "classifier" if params.is_classification else "regressor"
    fits = is_classifier(estimator) if params.is_classification else is_regressor(estimator)
    if not fits:
        raise UserError(
            "params.yaml",
            "model.estimator",
            f"{params.model.estimator} is not a {wants}, but data.task is {params.data.task!r}",
            f"choose a {wants} or change data.task",
        )
    return estimator


def _validate_values(estimator: Any) -> None:
    """Check hyperparameter values as `fit` would (types, ranges, choices), so that
    `make check` refuses `max_iter: -1` before DVC deletes the last model. Estimators
    outside scikit-learn may lack the hook; they are checked when they fit."""
    validate = getattr(estimator, "_validate_params", None)
    if callable(validate):
        validate()


def needs_scaling(params: Params) -> bool:
    if params.model.scale_numeric != "auto":
        return bool(params.model.scale_numeric)
    return not _SCALE_FREE.search(params.model.estimator.rpartition(".")[2])


def _categorical_steps(
    estimator: Any, params: Params, n_numeric: int, n_categorical: int
) -> list[tuple[str, Any]]:
    """Missing values become a category of their own; then one-hot for most estimators and
    integer codes for those that split on categories natively.

    HistGradientBoosting handles categories itself: integer codes keep its input at one
    column per feature, where a dense one-hot matrix is many times the data's size. Setting
    its `categorical_features` to null in params.yaml makes it split on the codes as
    numbers instead, which saves a copy of the feature matrix (docs/scaling.md).
    """
    import numpy as np
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder

    impute = ("impute", SimpleImputer(strategy="constant", fill_value=MISSING_CATEGORY))
    hyper = estimator.get_params(deep=False)
    if "categorical_features" not in hyper:
        return [impute, ("encode", OneHotEncoder(handle_unknown="ignore", sparse_output=False))]
    if "categorical_features" not in params.model.params:  # else the user's choice, e.g. null
        estimator.set_params(categorical_features=[False] * n_numeric + [True] * n_categorical)
    encoder = OrdinalEncoder(
        handle_unknown="use_encoded_value",
        unknown_value=np.nan,
        max_categories=hyper.get("max_bins", 255),
    )
    return [impute, ("encode", encoder)]


def _numeric_steps(params: Params, estimator: Any) -> list[tuple[str, Any]]:
    """Impute and scale as configured; `auto` imputation leaves missing values to estimators
    that handle them (HistGradientBoosting, trees), which learn where missing rows go and
    spare the copies that median imputation makes of the whole numeric block."""
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import StandardScaler
    from sklearn.utils import get_tags

    strategy = params.model.numeric_impute
    allow_nan = get_tags(estimator).input_tags.allow_nan
    if strategy == "auto":
        strategy = "none" if allow_nan else "median"
    elif strategy == "none" and not allow_nan:
        raise UserError(
            "params.yaml",
            "model.numeric_impute",
            f"'none' leaves missing values to {type(estimator).__name__}, which refuses them",
            "use auto (or mean, median, most_frequent)",
        )
    steps: list[tuple[str, Any]] = []
    if strategy != "none":
        steps.append(("impute", SimpleImputer(strategy=strategy)))
    if needs_scaling(params):
        steps.append(("scale", StandardScaler()))
    return steps


@contextmanager
def fixed_threads(threads: int) -> Iterator[None]:
    """Fit and score with exactly `threads` OpenMP and BLAS threads, on any machine.

    HistGradientBoosting sums gradients in parallel; with another thread count the sums
    round differently and the model file differs (1, 2, 3 and 4 threads give four
    models). scikit-learn caps OpenMP threads at the machine's cores unless
    OMP_NUM_THREADS is set, so it is set for the duration, and threadpoolctl sets the
    runtimes already loaded.
    """
    from threadpoolctl import threadpool_limits

    before = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = str(threads)
    try:
        with threadpool_limits(limits=threads):
            yield
    finally:
        if before is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = before


def build_pipeline(params: Params, spec: FeatureSpec) -> Any:
    """ColumnTransformer (impute, scale, encode categories) followed by the configured estimator."""
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    estimator = build_estimator(params)
    transformers: list[tuple[str, Any, list[str]]] = []
    if spec.numeric:
        steps = _numeric_steps(params, estimator)
        transformers.append(("numeric", Pipeline(steps) if steps else "passthrough", spec.numeric))
    if spec.categorical:
        steps = _categorical_steps(estimator, params, len(spec.numeric), len(spec.categorical))
        transformers.append(("categorical", Pipeline(steps), spec.categorical))
    if not transformers:
        raise UserError("params.yaml", "data.features", "no feature columns", "list some features")
    preprocess = ColumnTransformer(
        transformers, sparse_threshold=0.0, verbose_feature_names_out=False
    )
    return Pipeline([("preprocess", preprocess), ("estimator", estimator)])


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
        out = {}
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
    from gitops_ml.params import read_yaml

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
