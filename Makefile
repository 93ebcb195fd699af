# Two commands do all the set-up: `make book` and `make test`.
# Each creates .venv on first use and installs the pinned dependencies into it.

PYTHON ?= python3
VENV   := .venv
BIN    := $(abspath $(VENV))/bin
STAMP  := $(VENV)/.installed
# nbgrader runs `alembic` and Jupyter Book runs kernels by name: the venv's bin/ goes first.
export PATH := $(BIN):$(PATH)
export PYTHONHASHSEED := 0
# The book and the tests multiply small matrices: BLAS threads only spin and wait on them.
# The benchmarks set their own thread count.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1

.PHONY: all venv book book-clean serve test test-fast bench torch clean release collect autograde feedback grades

all: book

$(STAMP): pyproject.toml requirements/lock.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
	    -c requirements/lock.txt -e '.[test,bench]'
	touch $@

venv: $(STAMP)

## book: build the site into _build/html (cells are executed; results are cached)
book: $(STAMP)
	$(BIN)/jupyter-book build . -W -n --keep-going

book-clean:
	rm -rf _build

## serve: read the built book at http://127.0.0.1:8000 (local only; Ctrl-C stops it)
serve: book
	$(BIN)/python -m http.server 8000 --bind 127.0.0.1 --directory _build/html

## test: the whole test suite (package, book, assignments)
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadgroup

## test-fast: everything except the slow training and build tests
test-fast: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadgroup -m "not slow"

## bench: the benchmarks; results are printed as a Markdown table
bench: $(STAMP)
	$(BIN)/python -m bench

## torch: add the optional PyTorch CPU build used by the cross-check tests and benchmarks
torch: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check torch==2.13.0

clean:
	rm -rf _build $(VENV) .pytest_cache

# ---- Instructors: nbgrader, from the repository root (see README, "Grading") ----
ASSIGNMENTS := $(notdir $(wildcard solutions/a*_*))
need-A = @test -n "$(A)" || { echo "usage: make $@ A=<assignment>, one of: $(ASSIGNMENTS)"; exit 2; }

## release: exercises/ from solutions/ with nbgrader (all, or A=<assignment>); commit the result
release: $(STAMP)
	@for a in $(or $(A),$(ASSIGNMENTS)); do $(BIN)/nbgrader generate_assignment $$a --force || exit 1; done

## collect: downloaded/$(A)/archive/<student>/ or <student>.zip -> submitted/<student>/$(A)/
collect: $(STAMP)
	$(need-A)
	$(BIN)/nbgrader zip_collect $(A) --force

## autograde: every submission of A, with progress and a per-student summary
autograde: $(STAMP)
	$(need-A)
	$(BIN)/python -m autograder $(A)

## feedback: feedback/<student>/$(A)/*.html, without the hidden tests
feedback: $(STAMP)
	$(need-A)
	$(BIN)/nbgrader generate_feedback $(A) --force

## grades: grades.csv, one row per student and assignment
grades: $(STAMP)
	$(BIN)/nbgrader export --to grades.csv
