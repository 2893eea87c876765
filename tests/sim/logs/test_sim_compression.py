"""Compressed logs (ISA-L gzip, zlib gzip, zstd): the same lines as the plain logs, readable by the
usual tools, the same bytes whatever --jobs, shards that add up to the whole."""

import gzip
import os
import shutil
import subprocess

import pytest
import zstandard
from conftest_helpers import same_trees, tree

from alma_countme.sim.logs import logparse
from alma_countme.sim.logs.compression import Compression

SMALL = ("--set", "population.size=3000", "--set", "run.weeks=2", "--quiet")


def _logs(out, suffix):
    files = {name: path for name, path in tree(out).items() if name.startswith("logs")}
    assert files and all(name.endswith(suffix) for name in files)
    return files


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    from alma_countme.sim.commands import cli

    out = tmp_path_factory.mktemp("plain") / "out"
    assert cli.main(["generate", "--out", str(out), *SMALL]) == 0
    return {name: _read(path) for name, path in _logs(out, ".log").items()}


def _what_differs(one, two, names, suffix):
    """Whether files whose compressed bytes differ hold different lines or only another encoding
    of the same lines (a compressor's choice, not the simulation's)."""
    if suffix == ".log.gz":
        unpack = gzip.decompress
    else:
        def unpack(data):
            return zstandard.ZstdDecompressor().decompressobj().decompress(data)
    described = []
    for name in names:
        if not ((one / name).is_file() and (two / name).is_file()):
            described.append("%s: in one tree only" % name)
            continue
        first, second = _read(one / name), _read(two / name)
        same = unpack(first) == unpack(second)
        described.append("%s: %d and %d bytes, %s" % (
            name, len(first), len(second), "the same lines" if same else "different lines"))
    return "; ".join(described)


def _read(path):
    with open(path, "rb") as handle:
        return handle.read()


@pytest.mark.parametrize("options, suffix", [
    (["--gzip"], ".log.gz"),
    (["--compress", "gzip", "--gzip-level", "3"], ".log.gz"),
    (["--gzip", "--gzip-level", "6"], ".log.gz"),
    (["--compress", "zstd"], ".log.zst"),
    (["--compress", "zstd", "--zstd-level", "5"], ".log.zst"),
])
def test_compressed_logs_hold_the_plain_lines_and_do_not_depend_on_jobs(tmp_path, countme_sim, plain,
                                                                          options, suffix):
    one, two = tmp_path / "one", tmp_path / "two"
    assert countme_sim("generate", "--out", one, "--jobs", "1", *options, *SMALL)[0] == 0
    assert countme_sim("generate", "--out", two, "--jobs", "2", *options, *SMALL)[0] == 0
    differ = same_trees(one, two)
    assert differ == [], _what_differs(one, two, differ, suffix)
    files = _logs(two, suffix)
    assert {name[:-len(suffix)] + ".log" for name in files} == set(plain)
    for name, path in files.items():
        with open(path, "rb") as handle:
            data = handle.read()
        if suffix == ".log.gz":
            assert data[:2] == b"\x1f\x8b"
            assert gzip.decompress(data) == plain[name[:-3]], name
        else:
            assert zstandard.ZstdDecompressor().decompressobj().decompress(data) == plain[name[:-4]], name
    # The project's own reader (replay, verify) reads them too.
    name, path = sorted(files.items())[0]
    assert len(list(logparse.read_log(path))) == plain[name[:-len(suffix)] + ".log"].count(b"\n")


@pytest.mark.skipif(not shutil.which("zcat"), reason="zcat is not installed")
def test_zcat_reads_the_isal_gzip_logs(tmp_path, countme_sim, plain):
    out = tmp_path / "out"
    assert countme_sim("generate", "--out", out, "--gzip", *SMALL)[0] == 0
    for name, path in _logs(out, ".log.gz").items():
        assert subprocess.run(["zcat", path], capture_output=True, check=True).stdout == plain[name[:-3]]


@pytest.mark.skipif(not shutil.which("zstd"), reason="the zstd command is not installed")
def test_the_zstd_command_reads_the_zstd_logs(tmp_path, countme_sim, plain):
    out = tmp_path / "out"
    assert countme_sim("generate", "--out", out, "--compress", "zstd", *SMALL)[0] == 0
    for name, path in _logs(out, ".log.zst").items():
        unpacked = subprocess.run(["zstd", "-dc", path], capture_output=True, check=True).stdout
        assert unpacked == plain[name[:-4]]


@pytest.mark.parametrize("kind", ["gzip", "zstd"])
def test_compressed_shards_add_up_to_the_whole(tmp_path, countme_sim, kind):
    whole, shared = tmp_path / "whole", tmp_path / "shared"
    assert countme_sim("generate", "--out", whole, "--compress", kind, *SMALL)[0] == 0
    for k in (1, 2, 3):
        shard = ("--shard", "%d/3" % k)
        assert countme_sim("generate", "--out", shared, "--compress", kind, *shard, *SMALL)[0] == 0
    assert same_trees(whole, shared) == []
    assert not [name for name in os.listdir(shared) if name.startswith(".")]


def test_levels_out_of_range_are_refused(countme_sim, capsys):
    with pytest.raises(SystemExit):
        countme_sim("generate", "--out", "x", "--gzip", "--gzip-level", "10")
    assert "--gzip-level" in capsys.readouterr().err
    with pytest.raises(ValueError, match="zstd level 30"):
        Compression("zstd", 30)


def test_isal_and_zlib_levels_both_write_ordinary_gzip(tmp_path):
    data = b"".join(b"%d.%d.%d.%d - - [01/Dec/2026:10:00:00 +0000] \"GET /mirrorlist HTTP/1.1\" 200 9\n"
                    % (i & 255, i >> 8 & 255, 7, 9) for i in range(50000))

    class Sink:
        def __init__(self):
            self.parts = []

        def write(self, chunk):
            self.parts.append(bytes(chunk))

    for level in range(1, 10):
        sink = Sink()
        writer = Compression("gzip", level).writer(sink)
        writer.write(data[:100000])
        writer.write(data[100000:])
        writer.close()
        packed = b"".join(sink.parts)
        assert packed[:4] == b"\x1f\x8b\x08\x00" and packed[4:8] == b"\0\0\0\0"  # no name, time 0
        assert gzip.decompress(packed) == data, level
        assert len(packed) < len(data) / 5
