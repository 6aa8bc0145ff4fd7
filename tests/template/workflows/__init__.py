"""The real workflow files run under nektos/act on this machine (`pytest -m workflows`).

- engine.py: runs one workflow for one event and reads act's output (jobs, steps, logs);
- standins.py and actions/: the actions that would need the internet, played locally,
  mapped to the exact pins the workflows use;
- triggers.py: the `on:` filters act ignores, applied as GitHub would;
- conftest.py: a scenario repository (origin, DVC remote on moto S3, GitHub's REST double)
  and the commits and events of a pull request's life.
"""
