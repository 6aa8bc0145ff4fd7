"""The machinery's tests (src/gitops_ml, the workflows, the Makefile): taken with template updates."""
