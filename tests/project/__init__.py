"""Your tests: your data, your pipeline, your model (the template's tests are in tests/template)."""
