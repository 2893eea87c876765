# Entry points. `make test` is what CI runs; `make simulate` is the main job.
PY := .venv/bin/python
# The plugin and everything it imports must stay valid Python 3.6 (AlmaLinux 8's dnf).
PLUGIN_CLOSURE := $(wildcard dnf-plugins/*.py) $(wildcard alma_countme/*.py)

.PHONY: deps test lint unit simulate demo bench rpm clean

deps:
	@./tools/bootstrap

lint: deps
	.venv/bin/ruff check .
	.venv/bin/vermin --no-tips --violations --target=3.6- --eval-annotations $(PLUGIN_CLOSURE)

test: lint
	$(PY) -m pytest

unit: deps
	$(PY) -m pytest -m "not realdnf and not rpmbuild"

demo: deps
	$(PY) tools/countme-demo

clean:
	rm -rf dist build .pytest_cache .ruff_cache
