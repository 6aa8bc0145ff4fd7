"""Pipeline stages: each module is one `dvc.yaml` stage with a thin `main()`."""
