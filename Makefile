# Key-account analytics warehouse. `make help` lists the targets.
.DEFAULT_GOAL := help

PYTHON    ?= python3.11
VENV      ?= .venv
RAW_DIR   ?= data/raw
WAREHOUSE ?= warehouse/kam.duckdb
SCALE     ?= 2000
SEED      ?= 42
SOURCE    ?= demo
APPEND    ?=
FULL      ?=
KEEP_WORKING_COPY ?= 1
WAIT      ?= 1
Q         ?=
MONTH     ?=
REGION    ?=
MANAGER   ?=
INDUSTRY  ?=
BENCH_SCALES ?= 20000 100000

BIN := $(VENV)/bin
# Nothing may wait on the network: dbt and Great Expectations telemetry off.
export RAW_DIR WAREHOUSE SCALE SEED FULL KEEP_WORKING_COPY WAIT
export DBT_PROFILES_DIR := $(CURDIR)
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export GX_ANALYTICS_ENABLED := false

.PHONY: help setup data build check-raw validate docs report reports test browser bench lint sql clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# The venv is a file target: created on first use, reinstalled only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

setup: $(VENV)/.installed ## Create or refresh the virtualenv from the pinned dependencies

data: $(VENV)/.installed ## Demo raw data into RAW_DIR (SCALE, SEED; APPEND=1 adds the next month), or SOURCE=cdnow|cdnow-master
	$(BIN)/kam data --raw-dir $(RAW_DIR) --truth-dir $(dir $(patsubst %/,%,$(RAW_DIR)))truth \
		$(if $(APPEND),--append-month,--scale $(SCALE) --seed $(SEED) --source $(SOURCE))

check-raw: $(VENV)/.installed ## Check the raw files' structure against the contract
	$(BIN)/kam check-raw

build: $(VENV)/.installed ## Demo data if RAW_DIR is empty, dbt build (incremental; FULL=1 rebuilds all), validate, publish, latest report; one at a time (WAIT=0: stop if another runs)
	$(BIN)/kam build --report

report: $(VENV)/.installed ## Monthly report: MONTH=YYYY-MM [REGION=.. MANAGER=.. INDUSTRY=..] -> reports/<month>/
	$(BIN)/kam report --month "$(MONTH)" --region "$(REGION)" --manager "$(MANAGER)" --industry "$(INDUSTRY)"

reports: $(VENV)/.installed ## One report per account manager for MONTH=YYYY-MM, in parallel
	$(BIN)/kam reports --month "$(MONTH)"

validate: $(VENV)/.installed ## Run the Great Expectations checkpoints on the published WAREHOUSE
	$(BIN)/kam validate

docs: $(VENV)/.installed ## Build dbt docs and the Great Expectations Data Docs
	$(BIN)/kam docs

test: $(VENV)/.installed browser ## Run the whole test suite (pytest driving dbt on small generated data)
	$(BIN)/pytest

# The report test opens the HTML in headless Chromium (Debian's package, with a CJK font so
# Chinese names render in screenshots; needs root or sudo).
browser:
	@command -v chromium >/dev/null && test -d /usr/share/fonts/truetype/wqy || { \
		echo "installing Debian's chromium and fonts-wqy-zenhei for the report test"; \
		SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			$$SUDO apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null; }

bench: $(VENV)/.installed ## Benchmark at BENCH_SCALES customers; writes bench/results.md (not a test)
	$(BIN)/python bench/run.py --scales $(BENCH_SCALES)

lint: $(VENV)/.installed ## Lint the Python (ruff) and the models' and analyses' SQL (sqlfluff, .sqlfluff)
	$(BIN)/ruff check src tests bench lint
	$(BIN)/sqlfluff lint models analyses --disable-progress-bar

sql: $(VENV)/.installed ## Read-only SQL on WAREHOUSE: interactive, or one query with Q="select ..."
	@test -f $(WAREHOUSE) || { echo "no warehouse at $(WAREHOUSE): run make build first" >&2; exit 1; }
ifeq ($(strip $(Q)),)
	$(BIN)/duckdb -readonly $(WAREHOUSE)
else
	@$(BIN)/duckdb -readonly $(WAREHOUSE) -c "$(Q)"
endif

clean: ## Remove dbt's target folder, the built warehouse and reports (keeps raw data and the venv)
	rm -rf target logs warehouse reports
