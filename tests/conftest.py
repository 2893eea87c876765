"""Fixtures for tests that drive the real dnf: mirror server, sandbox, run_dnf, client.

Any test that uses ``mirror_server``, ``sandbox`` or ``run_dnf`` gets the
``realdnf`` marker automatically (so ``-m "not realdnf"`` deselects it) and is
skipped, with the reason, when this machine cannot run real dnf here.

``client`` is the real dnf a test's sandbox runs (countme_harness.clients): the host's
unless the test (or its module's ``pytestmark``) is marked
``@pytest.mark.clients([names])``, which runs it once per client named (all
when no names are given). ``COUNTME_CLIENTS=trixie,forky`` limits a run to
those clients. A client whose chroot cannot be built FAILS the test with the
reason (network to Debian's mirror, debootstrap missing, ...): CI must not
pass without the matrix.
"""

import functools
import os
import sys

import pytest

# tests/ (publiccopy, ...) and the checkout (countme_harness, alma_countme).
TESTS = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [TESTS, os.path.dirname(TESTS)]

import countme_harness  # noqa: E402  (needs the path above)
from countme_harness import chroots, clients, dnfrun, repo, server  # noqa: E402
from countme_harness import sandbox as sandbox_module  # noqa: E402  (the fixture takes the name)

REAL_DNF_FIXTURES = {"mirror_server", "sandbox", "run_dnf", "probe_repo", "real_dnf", "client"}
CLIENTS_ENV = "COUNTME_CLIENTS"
_CLIENTS = {}  # name -> Client or the ChrootError it gave, once per session


def selected_clients(names):
    wanted = os.environ.get(CLIENTS_ENV)
    if not wanted:
        return list(names)
    chosen = set(part.strip() for part in wanted.split(","))
    return [name for name in names if name in chosen]


def pytest_generate_tests(metafunc):
    marker = metafunc.definition.get_closest_marker("clients")
    if marker is None or "client" not in metafunc.fixturenames:
        return
    names = list(marker.args[0]) if marker.args else list(clients.CLIENT_NAMES)
    metafunc.parametrize("client", selected_clients(names), indirect=True)


def pytest_collection_finish(session):
    """Build the chroots the selected tests need in parallel, while the first tests run."""
    # A test whose clients COUNTME_CLIENTS leaves out is parametrized with no value (pytest's NOTSET).
    names = {item.callspec.params.get("client") for item in session.items if hasattr(item, "callspec")}
    names = {name for name in names if isinstance(name, str)}
    if names and not countme_harness.missing_requirements():
        clients.prepare(sorted(names), progress=lambda text: print(text, file=sys.stderr))


def pytest_collection_modifyitems(items):
    for item in items:
        if REAL_DNF_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.realdnf)


@pytest.fixture
def client(request, real_dnf):
    """The countme_harness.clients.Client this test runs (its chroot built on first use)."""
    name = getattr(request, "param", clients.HOST_CLIENT)
    if name not in _CLIENTS:
        try:
            _CLIENTS[name] = clients.get_client(name, progress=lambda text: print(text, file=sys.stderr))
        except chroots.ChrootError as exc:
            _CLIENTS[name] = exc
    found = _CLIENTS[name]
    if isinstance(found, Exception):
        pytest.fail("real client %s is not available: %s" % (name, found), pytrace=False)
    return found


@pytest.fixture(scope="session")
def real_dnf():
    """Skips the test unless root with the system dnf and the tools of countme_harness.TOOLS."""
    missing = countme_harness.missing_requirements()
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
def sandbox(real_dnf, client, tmp_path):
    return sandbox_module.Sandbox(tmp_path / "sandbox", client=client)


@pytest.fixture
def run_dnf(sandbox, mirror_server):
    """``run_dnf(args=None, *, at=None, user=None, ...)`` in this test's sandbox.

    Requests are logged by ``mirror_server`` at the run's fake time.
    """
    return functools.partial(dnfrun.run_dnf, sandbox, server=mirror_server)

