"""Model registry on git tags (GTO): register versions, promote them through stages, release them.

Everything here reads the registry from git alone (tags, `dvc.lock`, `data.dvc`, committed
metrics), so it works in a fresh CI checkout without the model file.
"""
