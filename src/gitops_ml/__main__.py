from gitops_ml.cli import main
from gitops_ml.process import run

run(main)
