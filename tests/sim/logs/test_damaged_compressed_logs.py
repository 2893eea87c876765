"""Damaged compressed logs (a truncated copy, a flipped byte, not compressed at all): one clear
error naming the file and how many lines were read, from logparse and from verify, never a
traceback; a zstd file cut inside its frame is refused, not read short in silence."""

import gzip
import os
import random
import shutil

import pytest
import zstandard

from alma_countme.sim.logs import logparse

LINE = ('10.%d.%d.%d - - [16/Nov/2026:%02d:%02d:%02d +0000] "GET /mirrorlist?repo=baseos-9&arch=x86_64'
        '&countme=1 HTTP/1.1" 200 512 "-" "libdnf (AlmaLinux 9.5; generic; Linux.x86_64)" "-"\n')
COUNT = 40000


def _text():
    rng = random.Random(3)
    return "".join(LINE % (rng.randrange(256), rng.randrange(256), rng.randrange(256),
                           i // 3600 % 24, i // 60 % 60, i % 60) for i in range(COUNT)).encode()


def _compress(kind, data):
    if kind == "gzip":
        return gzip.compress(data, mtime=0)
    return zstandard.ZstdCompressor(write_checksum=True).compress(data)


def _write(tmp_path, kind, data):
    path = tmp_path / ("access-2026-11-16.log" + {"gzip": ".gz", "zstd": ".zst"}[kind])
    path.write_bytes(data)
    return str(path)


def _damage(kind, how):
    packed = bytearray(_compress(kind, _text()))
    if how == "truncated":
        return bytes(packed[:len(packed) // 2])
    if how == "flipped":
        # gzip: in the trailer's CRC (a flipped byte in the deflate data may decode to other text,
        # which is then a line in neither format); zstd checks its blocks as it goes.
        packed[-6 if kind == "gzip" else len(packed) * 3 // 4] ^= 0xFF
        return bytes(packed)
    return b"not compressed at all\n" * 100


READERS = {"read_log": lambda path: logparse.read_log(path), "read_requests": logparse.read_requests}


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("kind", ["gzip", "zstd"])
@pytest.mark.parametrize("how", ["truncated", "flipped", "garbage"])
def test_damaged_data_is_one_error_naming_the_file_and_the_lines_read(tmp_path, reader, kind, how):
    path = _write(tmp_path, kind, _damage(kind, how))
    read = []
    with pytest.raises(logparse.DamagedLogError) as raised:
        read.extend(READERS[reader](path))
    message = str(raised.value)
    assert message.startswith("%s: truncated or damaged %s data " % (path, kind))
    assert message.endswith("; copy or regenerate the file, or leave it out")
    assert len(read) <= COUNT  # a bad CRC shows only at the end
    if read:
        assert "after reading {:,} lines (".format(len(read)) in message
    else:
        assert "before reading any line (" in message
    if how == "truncated":
        assert read, "half of the file holds whole lines that were read before the cut"


@pytest.mark.parametrize("kind", ["gzip", "zstd"])
def test_undamaged_compressed_logs_read_whole(tmp_path, kind):
    path = _write(tmp_path, kind, _compress(kind, _text()))
    assert sum(1 for _ in logparse.read_log(path)) == COUNT
    assert sum(1 for _ in logparse.read_requests(path)) == COUNT


def test_a_zstd_file_of_several_frames_reads_every_frame(tmp_path):
    # As `zstd -d` reads it (`cat a.zst b.zst > c.zst`): not only the first frame.
    data = _text()
    half = data.index(b"\n", len(data) // 2) + 1
    path = _write(tmp_path, "zstd", _compress("zstd", data[:half]) + _compress("zstd", data[half:]))
    assert sum(1 for _ in logparse.read_requests(path)) == COUNT


@pytest.fixture(scope="module")
def gzip_run(tmp_path_factory):
    from alma_countme.sim.commands import cli

    out = tmp_path_factory.mktemp("gzip-run") / "out"
    assert cli.main(["generate", "--out", str(out), "--gzip", "--set", "population.size=2000",
                     "--set", "run.weeks=1", "--quiet"]) == 0
    return out


def test_verify_of_a_truncated_log_fails_with_one_line(gzip_run, tmp_path, countme_sim):
    bad = tmp_path / "bad"
    shutil.copytree(gzip_run / "logs", bad)
    victim = bad / "mirror1" / sorted(os.listdir(bad / "mirror1"))[0]
    data = victim.read_bytes()
    victim.write_bytes(data[:len(data) // 2])
    status, out, err = countme_sim("verify", "--truth", gzip_run, "--logs", bad)
    assert status == 2 and out == ""
    assert err.startswith("countme-sim: %s: truncated or damaged gzip data after reading " % victim)
    assert err.count("\n") == 1 and "Compressed file ended before the end-of-stream marker" in err
    # The undamaged copy verifies: the error is the damage's, not the reader's.
    assert countme_sim("verify", "--truth", gzip_run, "--logs", gzip_run)[0] == 0
