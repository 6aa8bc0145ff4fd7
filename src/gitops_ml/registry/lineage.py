"""What a commit says about its model, read from git alone: no model file, no DVC cache.

`dvc.lock` holds the content hash of every pipeline output, `data.dvc` the data's hash and
`metrics/metrics.json` the committed metrics, so a fresh CI checkout can decide whether the
model changed and whether it passes the gate before anything is pulled.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from gitops_ml.core import config, params
from gitops_ml.core.errors import UserError
from gitops_ml.registry import git
from gitops_ml.registry.settings import RegistrySettings

DVC_YAML = "dvc.yaml"
DVC_LOCK = "dvc.lock"
DATA_DVC = "data.dvc"


@dataclass(frozen=True)
class ModelArtifact:
    """The model as declared in dvc.yaml `artifacts:` (the one place its name is written)."""

    name: str
    path: str
    desc: str = ""


@dataclass(frozen=True)
class Snapshot:
    """The registry-relevant facts of one commit."""

    commit: str
    artifact: ModelArtifact
    model_md5: str | None
    model_size: int | None
    data_md5: str | None
    features_md5: str | None
    contract: str  # canonical JSON of the data contract the model was trained under
    metrics: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    outs: dict[str, str] = field(default_factory=dict)  # dvc.lock: output path -> md5


def _yaml(rev: str | None, path: str) -> Any:
    text = git.text_at(rev, path)
    if text is None:
        return None
    try:
        return params.yaml_text(text)
    except yaml.YAMLError as err:
        where = f"at {rev[:12]}" if rev else ""
        raise UserError(path, where, f"invalid YAML: {err}", "fix the file") from None


def model_artifact(dvc_yaml: Any, settings: RegistrySettings) -> ModelArtifact:
    """Pick the model from dvc.yaml's `artifacts:`: the one named in params, else the only model."""
    artifacts = (dvc_yaml or {}).get("artifacts") or {}
    models = {n: a for n, a in artifacts.items() if (a or {}).get("type") == "model"}
    fix = "declare it in dvc.yaml `artifacts:` with `type: model` (or set registry.model)"
    if settings.model:
        chosen = artifacts.get(settings.model)
        if not chosen:
            raise UserError(DVC_YAML, f"artifacts.{settings.model}", "not declared", fix)
        name = settings.model
    elif len(models) == 1:
        name, chosen = next(iter(models.items()))
    else:
        found = ", ".join(sorted(models)) or "none"
        raise UserError(
            DVC_YAML, "artifacts", f"need exactly one model artifact, found {found}", fix
        )
    if not chosen.get("path"):
        raise UserError(DVC_YAML, f"artifacts.{name}.path", "missing", "name the model file")
    return ModelArtifact(name, str(chosen["path"]), str(chosen.get("desc") or ""))


def current_artifact(settings: RegistrySettings) -> ModelArtifact:
    """The model declared in the working tree's dvc.yaml."""
    from gitops_ml.core.params import read_yaml

    return model_artifact(read_yaml(DVC_YAML), settings)


def lock_entries(lock: Any) -> list[dict[str, Any]]:
    """Every dep and out recorded in dvc.lock, with its stage's params alongside."""
    entries = []
    for stage in ((lock or {}).get("stages") or {}).values():
        for kind in ("deps", "outs"):
            for item in stage.get(kind) or []:
                entries.append({**item, "kind": kind})
    return entries


def _lock_params(lock: Any) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for stage in ((lock or {}).get("stages") or {}).values():
        for values in (stage.get("params") or {}).values():
            merged.update(values)
    return merged


def contract_fingerprint(lock_params: dict[str, Any]) -> str:
    """The data contract a model was trained under: target, task and the `contract:` rules."""
    data = lock_params.get("data") or {}
    keys = {
        "target": data.get("target", lock_params.get("data.target")),
        "task": data.get("task", lock_params.get("data.task")),
        "contract": lock_params.get("contract"),
    }
    return json.dumps(keys, sort_keys=True, default=str)


def snapshot(rev: str | None, settings: RegistrySettings) -> Snapshot:
    """Read the model facts of commit `rev` (None: the working tree, on top of HEAD)."""
    commit = git.resolve(rev or "HEAD")
    source = commit if rev else None
    artifact = model_artifact(_yaml(source, DVC_YAML), settings)
    lock = _yaml(source, DVC_LOCK)
    entries = lock_entries(lock)
    outs = {e["path"]: str(e.get("md5")) for e in entries if e["kind"] == "outs"}
    model = next((e for e in entries if e["kind"] == "outs" and e["path"] == artifact.path), None)
    features = next((e for e in entries if e["path"] == str(config.FEATURES_FILE)), None)
    data_outs = ((_yaml(source, DATA_DVC) or {}).get("outs")) or [{}]
    metrics_text = git.text_at(source, str(config.METRICS_FILE))
    return Snapshot(
        commit=commit,
        artifact=artifact,
        model_md5=str(model["md5"]) if model else None,
        model_size=model.get("size") if model else None,
        data_md5=data_outs[0].get("md5"),
        features_md5=str(features["md5"]) if features else None,
        contract=contract_fingerprint(_lock_params(lock)),
        metrics=json.loads(metrics_text) if metrics_text else {},
        params=_yaml(source, str(config.PARAMS_FILE)) or {},
        outs=outs,
    )


def committed_json(commit: str, path: Path) -> Any:
    """A JSON file as committed at `commit` (metrics, baselines, slices), or None."""
    text = git.text_at(commit, str(path))
    return json.loads(text) if text else None


def require_model(snap: Snapshot) -> str:
    """The model hash, or a UserError saying the pipeline output is not committed yet."""
    if not snap.model_md5:
        raise UserError(
            DVC_LOCK,
            f"outs {snap.artifact.path}",
            f"no hash recorded at commit {snap.commit[:12]}",
            "run `make repro` and commit dvc.lock and metrics/",
        )
    return snap.model_md5
