"""The pull-request review: the report, its checks (train and feature cost, tune-check)
and the gate verdict, comparing the workspace (the PR) with BASE.

BASE is never retrained: its metrics, params, lock file and plot data come from git, its
predictions, model and data from the DVC cache or remote.
"""
