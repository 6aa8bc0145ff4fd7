from gitops_ml.cli import main
from gitops_ml.core.process import run

run(main)
