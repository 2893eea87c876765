# Shortcuts; the scripts in tools/ are the real entry points (a fresh machine may lack make).
PY := .venv/bin/python

.PHONY: deps test unit lint simulate demo rpm clean

deps:
	@./tools/bootstrap

test:
	./tools/test

# Quick loop while developing: no real dnf, no rpmbuild.
unit: deps
	$(PY) -m pytest -m "not realdnf and not rpmbuild"

lint: deps
	./tools/lint

simulate:
	./tools/simulate

demo: deps
	$(PY) tools/countme-demo

# Source and binary RPMs of almalinux-release.spec into dist/, rpmlint-clean. System python3 only.
# MAJOR=8|9|10; GPG_KEY_DIR=<release keys> (without it: THROWAWAY keys, Release ends in .testkeys).
rpm:
	./tools/build-rpms --lint --out dist $(if $(MAJOR),--major $(MAJOR)) $(if $(GPG_KEY_DIR),--gpg-key-dir $(GPG_KEY_DIR))

clean:
	rm -rf dist build .pytest_cache .ruff_cache
