"""Countries: every simulated address lies in a network the database gives the truth's country, per
system and lease, over IPv4 and IPv6, behind NATs too; per-country truth; verify; determinism."""

import csv
import ipaddress
import os

import numpy as np
import pytest
from conftest_helpers import same_trees, tree

from alma_countme.sim.config import scenario
from alma_countme.sim.generation import countries, engine, geo, network
from alma_countme.sim.logs import logsource
from alma_countme.sim.reports import verify_countries

try:
    import GeoIP  # noqa: F401  (Debian's python3-geoip, installed by tools/bootstrap)
    HAVE_DEBIAN_DB = os.path.exists(geo.DEBIAN_V4) and os.path.exists(geo.DEBIAN_V6)
except ImportError:
    HAVE_DEBIAN_DB = False

needs_db = pytest.mark.skipif(not HAVE_DEBIAN_DB, reason="needs Debian's geoip-database and python3-geoip "
                                                          "(tools/bootstrap installs them as root)")
ON = ("--set", "countries.database=geoip-database")
SMALL = ("--set", "population.size=3000", "--set", "run.weeks=3", "--quiet") + ON


@pytest.fixture(scope="module")
def country_run(tmp_path_factory):
    from alma_countme.sim.commands import cli

    if not HAVE_DEBIAN_DB:
        pytest.skip("needs Debian's geoip-database and python3-geoip")
    out = tmp_path_factory.mktemp("countries") / "out"
    assert cli.main(["generate", "--out", str(out), "--jobs", "2", *SMALL]) == 0
    return out


@needs_db
def test_every_system_address_is_in_its_true_country(tmp_path):
    """Per system, lease and family, own addresses and NATs: the database finds the truth's country."""
    loaded = scenario.load(None, ["population.size=40000", "countries.database=geoip-database"])
    run = engine.Run(loaded, str(tmp_path))
    lookup = geo.Lookup(geo.DEBIAN)
    seen_v6 = seen_nat = 0
    for number in range(run.plan.block_count):
        block = run.setup.block(number)
        for lease in range(network.LEASE_CYCLE):
            ids = network.address_ids(block.group, lease, block.ipv6)
            table = run.countries.address_table(number, ids)
            texts = [row.tobytes().replace(b"\0", b"").decode() for row in table]
            expected = [run.countries.codes[c] for c in block.country]
            found = [lookup.country(text) for text in texts]
            assert found == expected, "block %d lease %d" % (number, lease)
            assert all(str(ipaddress.ip_address(text)) == text for text in texts)  # canonical text
            assert len(set(zip(ids.tolist(), texts))) == len(set(ids.tolist())) == len(set(texts))
        seen_v6 += int(block.ipv6.sum())
        seen_nat += int((block.group >= network.NAT_BASE).sum())
    assert seen_v6 > 1000 and seen_nat > 1000


@needs_db
def test_country_shares_follow_the_mix(tmp_path):
    loaded = scenario.load(None, ["population.size=40000", "countries.database=geoip-database"])
    run = engine.Run(loaded, str(tmp_path))
    block = run.setup.block(0)
    shares = np.bincount(block.country, minlength=len(run.countries.codes)) / len(block.country)
    for code, share in zip(run.countries.codes, shares):
        assert abs(share - loaded["countries"]["mix"][code]) < 0.02, code


@needs_db
def test_log_addresses_looked_up_give_the_truths_countries(country_run):
    """Every address in the logs (systems and other clients) is in a country of the mix, and counting
    the logs' countme hits per looked-up country gives truth-countries.csv exactly."""
    lookup = geo.Lookup(geo.DEBIAN)
    mix = set(scenario.load(None, ON[1:])["countries"]["mix"])
    addresses = {record.client_addr for record in logsource.records([str(country_run / "logs")])}
    assert any(":" in a for a in addresses) and any("." in a for a in addresses)
    assert {lookup.country(address) for address in addresses} <= mix
    truth = verify_countries.read(str(country_run / "truth-countries.csv"))
    counted = verify_countries.from_logs([str(country_run / "logs")], geo.DEBIAN)
    assert counted == truth and sum(truth.values()) > 1000


@needs_db
def test_summary_per_country_adds_up(country_run, countme_sim):
    import json

    summary = json.loads((country_run / "summary.json").read_text())
    assert summary["countries"]["database"] == "geoip-database"
    for week in summary["weeks"]:
        per_country = week["countries"]
        assert sum(c["active_systems"] for c in per_country.values()) == week["active_systems"]
        for bucket in "1234":
            assert sum(c["countme_hits_by_bucket"][bucket] for c in per_country.values()) == \
                week["countme_hits_by_bucket"][bucket]
            assert sum(c["true_age_buckets"][bucket] for c in per_country.values()) == \
                week["true_age_buckets"][bucket]
    status, out, _ = countme_sim("summary", country_run)
    assert status == 0 and "per country" in out and "\n    US " in "\n" + out.replace("  US", "    US")


@needs_db
def test_verify_countries_finds_a_changed_cell_and_names_bad_lines(country_run, countme_sim, tmp_path):
    truth = country_run / "truth-countries.csv"
    assert countme_sim("verify", "--truth", country_run, "--countries", truth)[0] == 0
    with open(country_run / "truth-countries.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[1][3] = str(int(rows[1][3]) + 5)
    changed = tmp_path / "changed.csv"
    with open(changed, "w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    status, out, _ = countme_sim("verify", "--truth", country_run, "--countries", changed)
    assert status == 1 and "%s %s bucket %s" % (rows[1][0], rows[1][1], rows[1][2]) in out
    assert countme_sim("verify", "--truth", country_run, "--countries", changed, "--tolerance", "5")[0] == 0
    (tmp_path / "bad.csv").write_text("week_start,country,sys_age,hits\n2026-11-16,US,7,3\n")
    status, _, err = countme_sim("verify", "--truth", country_run, "--countries", tmp_path / "bad.csv")
    assert status == 2 and "bad.csv: line 2" in err


@needs_db
def test_generate_names_truth_countries_among_what_it_wrote(tmp_path, countme_sim):
    status, _, err = countme_sim("generate", "--out", tmp_path / "out", "--set", "population.size=2000",
                                 "--set", "run.weeks=1", *ON)
    assert status == 0 and "truth-countries.csv" in err
    assert (tmp_path / "out" / "truth-countries.csv").exists()
    status, _, err = countme_sim("generate", "--out", tmp_path / "plain", "--set", "population.size=2000",
                                 "--set", "run.weeks=1")
    assert status == 0 and "truth.csv" in err and "truth-countries.csv" not in err


@needs_db
def test_countries_keep_determinism_and_sharding(tmp_path, countme_sim):
    one, two = tmp_path / "one", tmp_path / "two"
    options = ("--set", "population.size=20000", "--set", "run.weeks=2", "--servers", "1", "--quiet") + ON
    assert countme_sim("generate", "--out", one, "--jobs", "1", *options)[0] == 0
    assert countme_sim("generate", "--out", two, "--jobs", "2", *options)[0] == 0
    assert same_trees(one, two) == []
    whole = tree(one)
    parts = []
    for k in (1, 2):
        part = tmp_path / ("shard%d" % k)
        assert countme_sim("generate", "--out", part, "--shard", "%d/2" % k, *options)[0] == 0
        parts.append(tree(part))
    assert not set(parts[0]) & set(parts[1]) and set(parts[0]) | set(parts[1]) == set(whole)
    for part in parts:
        for name, path in part.items():
            with open(path, "rb") as a, open(whole[name], "rb") as b:
                assert a.read() == b.read(), name


def test_a_maxmind_db_file_works_too(tmp_path):
    """A user-named MaxMind DB: networks from iterating it, addresses looked up with maxminddb."""
    mmdb_writer = pytest.importorskip("mmdb_writer")
    from netaddr import IPSet

    path = tmp_path / "tiny.mmdb"
    writer = mmdb_writer.MMDBWriter(ip_version=6, database_type="Test-Country", ipv4_compatible=True)
    plan = {"DE": ["5.0.0.0/13", "2a02:8100::/27"], "JP": ["1.0.16.0/20", "1.4.0.0/14", "2400:4000::/22"],
            "BR": ["177.0.0.0/10", "2804::/16"]}
    for code, nets in plan.items():
        writer.insert_network(IPSet(nets), {"country": {"iso_code": code}})
    writer.to_db_file(str(path))
    loaded = scenario.load(None, ["population.size=3000", "countries.database=%s" % path,
                                  'countries.mix={ DE = 0.3, JP = 0.3, BR = 0.4 }'])
    run = engine.Run(loaded, str(tmp_path / "out"))
    lookup = geo.Lookup(str(path))
    block = run.setup.block(0)
    ids = network.address_ids(block.group, 3, block.ipv6)
    texts = [row.tobytes().replace(b"\0", b"").decode() for row in run.countries.address_table(0, ids)]
    assert [lookup.country(text) for text in texts] == [run.countries.codes[c] for c in block.country]
    assert any(":" in text for text in texts)


def test_a_country_without_enough_addresses_is_refused(tmp_path):
    mmdb_writer = pytest.importorskip("mmdb_writer")
    from netaddr import IPSet

    from alma_countme.sim.common.errors import SimError

    path = tmp_path / "small.mmdb"
    writer = mmdb_writer.MMDBWriter(ip_version=6, database_type="Test-Country", ipv4_compatible=True)
    writer.insert_network(IPSet(["5.1.0.0/24", "2a02:8100::/32"]), {"country": {"iso_code": "DE"}})
    writer.insert_network(IPSet(["177.0.0.0/10", "2804::/16"]), {"country": {"iso_code": "BR"}})
    writer.to_db_file(str(path))
    loaded = scenario.load(None, ["population.size=3000", "countries.database=%s" % path,
                                  'countries.mix={ DE = 0.5, BR = 0.5 }'])
    with pytest.raises(SimError, match="DE has 256 IPv4 addresses"):
        countries.from_scenario(loaded, 1, 1)
    loaded["countries"]["mix"] = {"DE": 0.5, "FR": 0.5}
    with pytest.raises(SimError, match="FR has no networks"):
        countries.from_scenario(loaded, 1, 1)


@needs_db
def test_plot_draws_the_countries_picture(country_run, countme_sim, tmp_path):
    status, out, _ = countme_sim("plot", country_run, "--out", tmp_path / "plots", "--width", "900",
                                 "--height", "600", "--json")
    assert status == 0
    import json

    files = {os.path.basename(f["path"]): (f["width"], f["height"]) for f in json.loads(out)["files"]}
    assert files["countries.png"] == (900, 600)
