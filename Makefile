# Two commands do all set-up on a fresh machine:
#   make demo   create .venv, install, run the motivating-trial design
#   make test   create .venv, install, run the whole test suite
#   make docs   the documentation site in site/ (its examples run; a warning fails it)
#   make release-check  the wheel, installed alone in a fresh venv, runs demo, interim, report, app
# PYTHON may be set to an interpreter >= 3.12; otherwise scripts/find-python.sh finds one.

VENV     := .venv
VPY      := $(VENV)/bin/python
STAMP    := $(VENV)/.installed

.PHONY: demo test test-fast lint format bench clean venv screenshots docs release-check test-lower

venv: $(STAMP)

$(STAMP): pyproject.toml
	@if [ ! -x "$(VPY)" ]; then \
		py="$(PYTHON)"; \
		if [ -z "$$py" ]; then py=$$(sh scripts/find-python.sh) || exit 1; fi; \
		echo "Creating $(VENV) with $$py"; \
		"$$py" -m venv $(VENV) || exit 1; \
	fi
	$(VPY) -m pip install --quiet --upgrade pip
	$(VPY) -m pip install --quiet -e ".[dev,app,docs]"
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/adaptive-pilot demo
	$(VENV)/bin/adaptive-pilot report designs/motivating_trial.yaml \
		--scenarios simulations/motivating_trial.yaml --n-trials 20000 --seed 7 --n-jobs 2 \
		--format html,docx,md,csv --out reports/motivating_trial
	@echo "Each subtype's P(false GO) with the calibrated borrowing thresholds, under the global"
	@echo "null and the mixed nulls (the last table shows each subtype's worst):"
	$(VENV)/bin/adaptive-pilot simulate designs/motivating_trial.yaml --analysis hierarchical \
		--scenarios simulations/motivating_trial_nulls.yaml --n-trials 10000 --seed 2026 \
		--n-jobs 2 --no-progress
	@echo "Open reports/motivating_trial/report.html (or report.docx) to read the protocol report."

test: $(STAMP)
	$(VPY) -m pytest -q -n 2 --dist worksteal

test-fast: $(STAMP)
	$(VPY) -m pytest -q -n 2 --dist worksteal -m "not slow"

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff format src tests benchmarks
	$(VENV)/bin/ruff check --fix src tests benchmarks

docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

# build the sdist and wheel, twine check, install the wheel alone in a fresh venv outside
# the repository and run the demo, an interim call, a report and the app from it
release-check: $(STAMP)
	bash scripts/check-release.sh

# the dependencies at the lower bounds pyproject.toml states, on the oldest Python it
# supports (PYTHON_LOWER= to choose): a separate .venv-lower, the suite without slow tests
PYTHON_LOWER ?= $(shell sh scripts/find-python.sh --oldest)
test-lower: $(STAMP)
	rm -rf .venv-lower
	"$(PYTHON_LOWER)" -m venv .venv-lower
	$(VPY) scripts/lower_bounds.py > .venv-lower/constraints.txt
	.venv-lower/bin/python -m pip install --quiet --upgrade pip
	.venv-lower/bin/python -m pip install --quiet -c .venv-lower/constraints.txt -e ".[dev,app]"
	.venv-lower/bin/python -m pip list --format=freeze > .venv-lower/installed.txt
	.venv-lower/bin/python -m pytest -q -n 2 --dist worksteal -m "not slow" -p no:cacheprovider

screenshots: $(STAMP)
	$(VPY) scripts/app_screenshots.py --out docs/screenshots

bench: $(STAMP)
	$(VPY) benchmarks/run.py

clean:
	rm -rf $(VENV) .venv-lower build dist site *.egg-info src/*.egg-info .pytest_cache .ruff_cache .hypothesis
