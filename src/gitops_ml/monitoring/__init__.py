"""After release: drift between data revisions, quality on new labelled rows, and how
quality falls with a model's age."""
