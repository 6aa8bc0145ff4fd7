"""GitOps ML template: a reproducible DVC pipeline, pull-request reports and a git-tag model registry."""

__version__ = "0.1.0"
