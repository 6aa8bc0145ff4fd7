"""Where data comes from: `make data` (DVC remote, else the embedded sample), bundled and
synthetic datasets (`make sample-data`)."""
