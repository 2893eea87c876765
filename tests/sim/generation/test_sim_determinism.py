"""Same scenario and seed, same bytes: whatever the jobs; shards are disjoint and add up to the whole."""

import os

from conftest_helpers import same_trees, tree

SMALL = ("--set", "population.size=1200", "--set", "run.weeks=2", "--quiet")


def test_jobs_do_not_change_a_byte(tmp_path, countme_sim):
    """Several blocks of systems over two weeks (state carried between weeks), one process or two."""
    one, two = tmp_path / "one", tmp_path / "two"
    options = ("--set", "population.size=20000", "--set", "run.weeks=2", "--servers", "1", "--quiet")
    assert countme_sim("generate", "--out", one, "--jobs", "1", *options)[0] == 0
    assert countme_sim("generate", "--out", two, "--jobs", "2", *options)[0] == 0
    assert same_trees(one, two) == []
    assert len(tree(two)) == 2 * 7 + 4  # no temporary files left behind


def test_another_seed_gives_other_logs_and_the_same_scenario_file_reproduces(tmp_path, countme_sim):
    first, other, replayed = tmp_path / "first", tmp_path / "other", tmp_path / "replayed"
    assert countme_sim("generate", "--out", first, "--gzip", *SMALL)[0] == 0
    assert countme_sim("generate", "--out", other, "--gzip", "--seed", "2", *SMALL)[0] == 0
    differ = same_trees(first, other)
    assert "truth.csv" in differ and all(name in differ for name in tree(first) if name.endswith(".log.gz"))
    # scenario.toml holds the seed and every key: it alone reproduces the run.
    assert countme_sim("generate", "--out", replayed, "--gzip", "--quiet",
                       "--scenario", first / "scenario.toml")[0] == 0
    assert same_trees(first, replayed) == []


def test_shards_are_disjoint_and_their_union_is_the_whole(tmp_path, countme_sim):
    whole = tmp_path / "whole"
    assert countme_sim("generate", "--out", whole, "--format", "fedora", "--servers", "3", *SMALL)[0] == 0
    parts = []
    for k in (1, 2, 3):
        part = tmp_path / ("shard%d" % k)
        assert countme_sim("generate", "--out", part, "--format", "fedora", "--servers", "3",
                           "--shard", "%d/3" % k, "--jobs", "1", *SMALL)[0] == 0
        parts.append(tree(part))
    names = [set(part) for part in parts]
    assert not (names[0] & names[1]) and not (names[0] & names[2]) and not (names[1] & names[2])
    assert {"truth.csv", "summary.json", "summary.txt", "scenario.toml"} <= names[0]
    assert all(len(part) >= 10 for part in names)  # 2 weeks x 7 days x 3 servers, dealt out in three
    whole_files = tree(whole)
    assert set().union(*names) == set(whole_files)
    for part in parts:
        for name, path in part.items():
            with open(path, "rb") as a, open(whole_files[name], "rb") as b:
                assert a.read() == b.read(), name


def test_shards_into_one_directory_make_the_whole(tmp_path, countme_sim):
    whole, shared = tmp_path / "whole", tmp_path / "shared"
    assert countme_sim("generate", "--out", whole, *SMALL)[0] == 0
    for k in (2, 1):
        assert countme_sim("generate", "--out", shared, "--shard", "%d/2" % k, *SMALL)[0] == 0
    assert same_trees(whole, shared) == []
    assert not [name for name in os.listdir(shared) if name.startswith(".")]
