"""Checks before and after training: params and data (make check, make init), data
contracts, the serving contract, behavioural model tests (make test-model)."""
