"""The DVC stages (dvc.yaml): each module is one stage with a thin `main()`; yours to edit or extend."""
