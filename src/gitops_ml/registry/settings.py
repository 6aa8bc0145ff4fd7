"""The `registry:` section of params.yaml; validated with every other section in params.py."""

from __future__ import annotations

from gitops_ml.core.params import RegistryParams as RegistrySettings

__all__ = ["RegistrySettings", "load"]


def load() -> RegistrySettings:
    """The registry settings from the working tree's params.yaml."""
    from gitops_ml.core import params

    return params.load().registry
