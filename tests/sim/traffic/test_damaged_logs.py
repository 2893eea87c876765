"""countme-sim replay of a damaged compressed log: the feeder's reader gives one clear error
naming the file and how far it read, and replay exits 2 without a traceback."""

import os

import pytest
from simcli import countme_sim


@pytest.mark.parametrize("kind, suffix", [("gzip", ".log.gz"), ("zstd", ".log.zst")])
def test_replay_of_a_truncated_log_fails_with_one_line(tmp_path, serve, kind, suffix):
    out = tmp_path / "out"
    countme_sim("generate", "--out", out, "--compress", kind, "--servers", 1, "--set", "population.size=2000",
                "--set", "run.weeks=1", "--quiet", check=0)
    directory = out / "logs" / "mirror1"
    victim = directory / sorted(name for name in os.listdir(directory) if name.endswith(suffix))[0]
    data = victim.read_bytes()
    victim.write_bytes(data[:len(data) // 2])
    server = serve()
    result = countme_sim("replay", victim, "--target", server.url, "--speedup", "max", "--quiet")
    server.stop()
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("countme-sim: %s: truncated or damaged %s data after reading "
                                    % (victim, kind))
    assert result.stderr.count("\n") == 1
