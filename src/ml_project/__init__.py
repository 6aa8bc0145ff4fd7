"""The team's own code: the model pipeline and the DVC stages (yours to edit)."""
