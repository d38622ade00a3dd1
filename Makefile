# Every target creates or updates the virtual environment first, from the project's own files.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: venv demo app test bench browser samples clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[all,dev]"
	touch $(STAMP)

# Byte-compile the package (kept when PYTHONDONTWRITEBYTECODE is set, which otherwise makes every run
# compile it again) and compile the Tree SHAP kernels into numba's cache: about a second when both are current.
venv: $(STAMP)
	$(BIN)/python -m compileall -q xai_audit
	$(BIN)/python -m xai_audit.explainers.warm

demo: venv
	$(BIN)/xai-audit demo

app: venv
	$(BIN)/xai-audit app

# Debian's chromium and axe-core for the browser tests, where this machine can install them;
# without them those tests skip and say why.
browser:
	@bash tools/setup_browser.sh

test: venv browser
	$(BIN)/python -m pytest -n 2 -q

bench: venv
	$(BIN)/python benchmarks/run_all.py

samples: venv
	$(BIN)/python sample_models/build.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info
