"""A country database that is not one (garbage bytes, a damaged MaxMind DB): one line naming where it
was given (countries.database, verify --geoip), exit 2, nothing written; never maxminddb's traceback."""

import os

import pytest

from alma_countme.sim.common.errors import SimError
from alma_countme.sim.generation import geo
from alma_countme.sim.reports import verify_countries

GARBAGE = bytes(range(256)) * 20  # no MaxMind DB metadata anywhere


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    """Network lists cached under tmp_path, none remembered from other tests."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(geo, "_LOADED", {})


def _one_line(err):
    assert err.endswith("\n") and err.count("\n") == 1 and "Traceback" not in err, err
    return err.strip()


@pytest.fixture
def garbage(tmp_path):
    path = tmp_path / "bad.mmdb"
    path.write_bytes(GARBAGE)
    return path


@pytest.fixture
def damaged(tmp_path):
    """A real MaxMind DB whose search tree is overwritten: its metadata still reads."""
    mmdb_writer = pytest.importorskip("mmdb_writer")
    from netaddr import IPSet

    good = tmp_path / "good.mmdb"
    writer = mmdb_writer.MMDBWriter(ip_version=6, database_type="Test-Country", ipv4_compatible=True)
    writer.insert_network(IPSet(["5.0.0.0/13", "2a02:8100::/27"]), {"country": {"iso_code": "DE"}})
    writer.insert_network(IPSet(["177.0.0.0/10", "2804::/16"]), {"country": {"iso_code": "BR"}})
    writer.to_db_file(str(good))
    data = good.read_bytes()
    marker = data.find(geo.MMDB_MARKER)
    assert marker > 0
    path = tmp_path / "damaged.mmdb"
    path.write_bytes(b"\xff" * (len(data) // 2) + data[len(data) // 2:])
    assert len(data) // 2 < marker
    return path


def test_garbage_is_not_a_maxmind_db_file(garbage):
    with pytest.raises(SimError) as caught:
        geo.networks(str(garbage))
    assert str(caught.value) == ("countries.database %s is not a MaxMind DB file (no MaxMind DB metadata "
                                 "marker near its end)" % garbage)


def test_a_damaged_search_tree_is_named_when_walked_and_looked_up(damaged):
    with pytest.raises(SimError, match=r"^countries\.database .*damaged\.mmdb is a damaged MaxMind DB file "
                                       r"\(maxminddb: .*corrupt"):
        geo.networks(str(damaged))
    lookup = geo.Lookup(str(damaged), "--geoip")
    with pytest.raises(SimError, match=r"^--geoip .*damaged\.mmdb is a damaged MaxMind DB file"):
        lookup.country("5.0.0.1")


def test_generate_refuses_garbage_before_writing_anything(garbage, tmp_path, countme_sim):
    out = tmp_path / "out"
    status, stdout, err = countme_sim("generate", "--out", out, "--set", "countries.database=%s" % garbage,
                                      "--set", "population.size=1000", "--set", "run.weeks=2", "--quiet")
    assert status == 2 and stdout == ""
    assert _one_line(err) == ("countme-sim: countries.database %s is not a MaxMind DB file (no MaxMind DB "
                              "metadata marker near its end)" % garbage)
    assert not out.exists()


def test_verify_geoip_refuses_garbage_naming_the_option(garbage, small_run, tmp_path, countme_sim):
    truth = tmp_path / "truth"
    truth.mkdir()
    (truth / "truth.csv").write_bytes((small_run / "truth.csv").read_bytes())
    (truth / "truth-countries.csv").write_text("week_start,country,sys_age,hits\n")
    status, stdout, err = countme_sim("verify", "--truth", truth, "--logs", small_run / "logs",
                                      "--geoip", garbage)
    assert status == 2 and stdout == ""
    assert _one_line(err).startswith("countme-sim: --geoip %s is not a MaxMind DB file (" % garbage)


def test_from_logs_names_geoip(garbage, small_run):
    with pytest.raises(SimError, match="^--geoip .* is not a MaxMind DB file"):
        verify_countries.from_logs([str(small_run / "logs")], str(garbage))


def test_a_host_name_in_the_host_field_has_no_country(tmp_path):
    # Apache with HostnameLookups On logs names; neither maxminddb nor GeoIP may raise on them.
    mmdb_writer = pytest.importorskip("mmdb_writer")
    from netaddr import IPSet

    path = tmp_path / "good.mmdb"
    writer = mmdb_writer.MMDBWriter(ip_version=6, database_type="Test-Country", ipv4_compatible=True)
    writer.insert_network(IPSet(["5.0.0.0/13"]), {"country": {"iso_code": "DE"}})
    writer.to_db_file(str(path))
    lookup = geo.Lookup(str(path), "--geoip")
    assert lookup.country("5.0.0.1") == "DE"
    assert [lookup.country(host) for host in ("mirror.example.org", "localhost", "")] == [None] * 3


@pytest.mark.skipif(not all(map(os.path.exists, (geo.DEBIAN_V4, geo.DEBIAN_V6))),
                    reason="Debian's geoip-database is not installed")
def test_a_host_name_has_no_country_in_debians_database_either():
    lookup = geo.Lookup(geo.DEBIAN)
    assert lookup.country("mirror.example.org") is None and lookup.country("localhost") is None
