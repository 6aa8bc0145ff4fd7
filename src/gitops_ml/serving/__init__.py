"""Using a trained model: `make predict` and `make explain`."""
