"""CI glue: the checks and files the pull-request workflows need, callable from `make`.

Everything here runs the same on a laptop as in GitHub Actions, so the workflows stay thin,
and the workflow scenarios (tests/template/workflows) run them under act against a double of
GitHub's API.
"""
