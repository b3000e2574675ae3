# The two commands of the README: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The Spark engine's dbt (dbt-spark, pyspark) lives in its own environment: with pyspark importable,
# Great Expectations imports pyspark.sql.connect, which exits the process under pytest-xdist.
SPARK_VENV := .venv-spark
SPARK_STAMP := $(SPARK_VENV)/.installed
# Both environments start from the same interpreter.
NEED_PYTHON = command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found; cs-warehouse needs Python 3.11 (set PYTHON=/path/to/python3.11)"; exit 1; }

.PHONY: setup setup-spark demo test lint format lock clean

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@$(NEED_PYTHON)
	@echo "==> creating $(VENV) and installing the locked dependencies (first time: a minute or two)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

# The optional Spark engine (dbt-spark, pyspark; Spark 4 runs on Java 17) in .venv-spark, dbt's
# shared packages at requirements.lock's versions: the tests build the dbt project on it too.
setup-spark: $(SPARK_STAMP)

$(SPARK_STAMP): requirements.lock requirements-spark.lock
	@$(NEED_PYTHON)
	@command -v java >/dev/null 2>&1 || { \
		echo "==> installing Java 17 (Debian package) for Spark"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq openjdk-17-jre-headless; }
	@echo "==> creating $(SPARK_VENV): dbt-spark and pyspark for the Spark engine"
	$(PYTHON) -m venv $(SPARK_VENV)
	$(SPARK_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -r requirements-spark.lock
	@touch $(SPARK_STAMP)

demo: setup
	$(BIN)/csw demo

test: setup setup-spark
	@# The report's browser test needs Debian's chromium; install it only when it is missing.
	@command -v chromium >/dev/null 2>&1 || { \
		echo "==> installing chromium (Debian package) for the report's browser test"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium; }
	@# The live-source extractor tests start their own PostgreSQL server (Debian puts initdb off PATH).
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || { \
		echo "==> installing postgresql (Debian package) for the extractor tests"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq postgresql; }
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@# Two workers (pytest-xdist); tests/conftest.py keeps each shared warehouse on one of them.
	$(BIN)/pytest -n 2 --no-loadscope-reorder

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

# Re-resolve the lock after changing pyproject's dependencies.
lock:
	rm -rf /tmp/csw-lock-venv && $(PYTHON) -m venv /tmp/csw-lock-venv
	/tmp/csw-lock-venv/bin/pip install --quiet -e '.[dev]'
	/tmp/csw-lock-venv/bin/pip freeze --exclude-editable | grep -v '^cs-warehouse' > requirements.lock
	rm -rf /tmp/csw-lock-spark && $(PYTHON) -m venv /tmp/csw-lock-spark
	/tmp/csw-lock-spark/bin/pip install --quiet -c requirements.lock 'dbt-spark[session]==1.11.0' 'pyspark==4.3.0'
	{ echo '# The Spark engine (.venv-spark; issue #27): pip install -c requirements.lock -r requirements-spark.lock'; \
	  /tmp/csw-lock-spark/bin/pip freeze | grep -vxF -f requirements.lock; } > requirements-spark.lock

clean:
	rm -rf $(VENV) $(SPARK_VENV) data dbt_project/target dbt_project/logs
