"""Fixtures for tests that drive the real dnf: mirror server, sandbox, run_dnf.

Any test that uses ``mirror_server``, ``sandbox`` or ``run_dnf`` gets the
``realdnf`` marker automatically (so ``-m "not realdnf"`` deselects it) and is
skipped, with the reason, when this machine cannot run real dnf here.
"""

import functools
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402  (needs the path above)
from harness import dnfrun, repo, server  # noqa: E402
from harness import sandbox as sandbox_module  # noqa: E402  (the fixture takes the name)

REAL_DNF_FIXTURES = {"mirror_server", "sandbox", "run_dnf", "probe_repo", "real_dnf"}


def pytest_collection_modifyitems(items):
    for item in items:
        if REAL_DNF_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.realdnf)


@pytest.fixture(scope="session")
def real_dnf():
    """Skips the test unless root with the system dnf and the tools of harness.TOOLS."""
    missing = harness.missing_requirements()
    if missing:
        pytest.skip("cannot drive real dnf: " + "; ".join(missing))


@pytest.fixture(scope="session")
def probe_repo(real_dnf, tmp_path_factory):
    """A createrepo_c repository shared (read-only) by every mirror server of the session."""
    return repo.make_repo(str(tmp_path_factory.mktemp("probe-repo")))


@pytest.fixture
def mirror_server(probe_repo, tmp_path):
    with server.MirrorServer(repo_dir=probe_repo, log_path=str(tmp_path / "access.log")) as mirror:
        yield mirror


@pytest.fixture
def sandbox(real_dnf, tmp_path):
    return sandbox_module.Sandbox(tmp_path / "sandbox")


@pytest.fixture
def run_dnf(sandbox, mirror_server):
    """``run_dnf(args=None, *, at=None, user=None, ...)`` in this test's sandbox.

    Requests are logged by ``mirror_server`` at the run's fake time.
    """
    return functools.partial(dnfrun.run_dnf, sandbox, server=mirror_server)

