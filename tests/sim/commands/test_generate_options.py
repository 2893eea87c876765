"""generate's options that the scenario or each other bound: --servers has output.servers's range;
a compression level without its compression, or two compressions, are refused naming both."""

import gzip
import json
import os
import shutil
import subprocess

import pytest

from alma_countme.sim.config import scenario

TWO_KINDS = "--gzip and --compress zstd ask for two compressions; give one of them"
TINY = ("--set", "population.size=300", "--set", "run.weeks=1", "--quiet")


@pytest.mark.parametrize("servers", ["65", "1000", "0"])
def test_servers_out_of_output_servers_range_are_refused_naming_the_option(tmp_path, countme_sim, servers):
    out = tmp_path / "out"
    status, _, err = countme_sim("generate", "--out", out, "--servers", servers, *TINY)
    assert status == 2
    assert err == ("countme-sim: --servers %s: key output.servers: %s is out of range; allowed: an integer "
                   "from 1 to 64\n" % (servers, servers))
    assert not os.path.exists(out / "logs")


def test_the_largest_servers_gives_a_scenario_that_loads(tmp_path, countme_sim):
    out = tmp_path / "out"
    status, text, _ = countme_sim("generate", "--out", out, "--servers", "64", "--set", "population.size=300",
                                  "--set", "run.weeks=1", "--json")
    assert status == 0 and json.loads(text)["files"] == 7 * 64
    again = scenario.load(str(out / "scenario.toml"))
    assert again["output"]["servers"] == 64
    # --servers wins over --set output.servers, as it always did.
    status, text, _ = countme_sim("generate", "--out", tmp_path / "two", "--set", "output.servers=5",
                                  "--servers", "1", "--set", "population.size=300", "--set", "run.weeks=1",
                                  "--json")
    assert status == 0 and json.loads(text)["files"] == 7


@pytest.mark.parametrize("options, message", [
    (["--gzip-level", "6"],
     "--gzip-level 6 without --gzip: the logs would be plain and the level unused; add --gzip, or leave "
     "--gzip-level out"),
    (["--zstd-level", "5"],
     "--zstd-level 5 without --compress zstd: the logs would be plain and the level unused; add "
     "--compress zstd, or leave --zstd-level out"),
    (["--zstd-level", "5", "--gzip"],
     "--zstd-level 5 with --gzip: --zstd-level is the level of zstd logs (--compress zstd); for gzip "
     "logs give --gzip-level, or leave --zstd-level out"),
    (["--compress", "zstd", "--gzip-level", "3"],
     "--gzip-level 3 with --compress zstd: --gzip-level is the level of gzip logs (--gzip); for zstd "
     "logs give --zstd-level, or leave --gzip-level out"),
    (["--gzip", "--compress", "zstd"], TWO_KINDS),
    (["--compress", "zstd", "--gzip"], TWO_KINDS),
])
def test_compression_options_that_would_be_ignored_are_refused(tmp_path, countme_sim, options, message):
    out = tmp_path / "out"
    status, _, err = countme_sim("generate", "--out", out, *options, *TINY)
    assert status == 2 and err == "countme-sim: %s\n" % message
    assert not os.path.exists(out / "logs")


@pytest.mark.parametrize("options, suffix", [
    ([], ".log"),
    (["--gzip", "--compress", "gzip", "--gzip-level", "6"], ".log.gz"),
    (["--compress", "zstd", "--zstd-level", "3"], ".log.zst"),
])
def test_compression_options_that_agree_are_taken(tmp_path, countme_sim, options, suffix):
    out = tmp_path / "out"
    assert countme_sim("generate", "--out", out, *options, *TINY)[0] == 0
    names = os.listdir(out / "logs" / "mirror1")
    assert len(names) == 7 and all(name.endswith(suffix) and name.count(".") == suffix.count(".")
                                   for name in names)


def _decompressed(path):
    """The file's text as other programs read it: Python's gzip, the zstd command."""
    if path.suffix == ".gz":
        with gzip.open(path) as handle:
            return handle.read()
    if shutil.which("zstd") is None:
        pytest.skip("no zstd command to read .log.zst (tools/bootstrap installs it)")
    return subprocess.run(["zstd", "-dc", str(path)], stdout=subprocess.PIPE, check=True).stdout


@pytest.mark.parametrize("kind, level", [(["--gzip"], ["--gzip-level", "9"]),
                                         (["--compress", "zstd"], ["--zstd-level", "19"])])
def test_a_compression_level_given_is_the_level_written(tmp_path, countme_sim, kind, level):
    # The same lines at the default level (1) and at the one given: the same text, fewer bytes.
    sizes, texts = [], []
    for name, options in (("default", kind), ("given", kind + level)):
        out = tmp_path / name
        assert countme_sim("generate", "--out", out, *options, "--set", "population.size=2000",
                           "--set", "run.weeks=1", "--quiet")[0] == 0
        paths = sorted((out / "logs" / "mirror1").iterdir())
        sizes.append(sum(path.stat().st_size for path in paths))
        texts.append(b"".join(_decompressed(path) for path in paths))
    assert texts[0] == texts[1] and len(texts[0]) > 100_000
    assert sizes[1] < 0.95 * sizes[0], sizes


def test_bench_refuses_a_level_without_its_compression(countme_sim):
    # A small bench, should the check ever let it through.
    status, _, err = countme_sim("bench", "--gzip-level", "6", "--systems", "300", "--weeks", "1",
                                 "--jobs", "1")
    assert status == 2 and err.startswith("countme-sim: --gzip-level 6 without --gzip")
