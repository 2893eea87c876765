"""What simulated systems send: the model's rules wired to the scenario's systems.

These tests run blocks of systems week by week through the simulator's own
block lifecycle (blockrun, as the engine does) and check each request against
the countme model (scalar functions of alma_countme.model) and against the
scenario's promises.
"""

import collections

import numpy as np

from alma_countme import model
from alma_countme.sim.config import catalog as cat
from alma_countme.sim.config import scenario
from alma_countme.sim.generation import blockrun
from alma_countme.sim.generation.linerecords import CONTAINER_ID, NOISE_ID
from alma_countme.sim.generation.weekstats import make_unique

ONLY_SERVERS = ["classes.server.share=1.0", "classes.desktop.share=0", "classes.cloud.share=0",
                "classes.ci.share=0"]


def weeks_of(assignments, weeks=1, seed=5):
    """Yield (week, block, simulation, columns) for every block and week of a scenario."""
    settings = scenario.load(assignments=["run.weeks=%d" % weeks] + list(assignments))
    setup = blockrun.Setup(settings, seed, "almalinux")
    blocks = {}
    for number in range(weeks):
        for b in range(setup.plan.blocks_by(number)):
            blocks[b], simulation, columns = blockrun.block_week(setup, b, number, 2, block=blocks.get(b))
            yield number, blocks[b], simulation, columns


def persistent_lines(columns):
    return columns["sysid"] < CONTAINER_ID


def every_behaviour(name):
    shares = {b: (1.0 if b == name else 0.0) for b in cat.BEHAVIOURS}
    text = "{%s}" % ", ".join('%s = %s' % (b, v) for b, v in shares.items())
    return ["behaviour.%s=%s" % (major, text) for major in ("8", "9", "10")]


def test_opted_out_systems_and_removed_countme_never_send_the_flag():
    for behaviour in ("opted-out", "countme-removed"):
        requests = 0
        for _, _, _, columns in weeks_of(["population.size=3000"] + every_behaviour(behaviour), weeks=2):
            requests += int((columns["sysid"] < NOISE_ID).sum())
            assert not columns["countme"].any()
        assert requests > 50000


def test_machine_id_systems_report_their_install_age():
    checked = collections.Counter()
    settings = ["population.size=3000", "classes.server.machine_id_missing=0"] + ONLY_SERVERS
    for _, block, _, columns in weeks_of(settings + every_behaviour("machine-id"), weeks=2):
        flagged = np.flatnonzero(persistent_lines(columns) & (columns["countme"] > 0))
        for row in flagged[::7]:
            local = columns["local"][row]
            now = int(columns["t"][row] + block.skew[local])
            installed = model.monday_epoch(int(block.install_time[local]))
            expected = model.bucket(installed, model.window_start(now))
            assert columns["countme"][row] == expected
            checked[expected] += 1
    assert set(checked) == {1, 2, 3, 4} and sum(checked.values()) > 1000


def test_at_most_one_flag_per_repo_and_week_of_the_client_clock():
    flags = collections.Counter()
    settings = ["population.size=4000", "clock.skew_share=0.3", "clock.far_skew_share=0.1",
                "classes.server.runs_per_week=10", "classes.server.refresh_share=0.8"]
    for _, block, sim, columns in weeks_of(settings, weeks=3):
        rows = np.flatnonzero(persistent_lines(columns) & (columns["countme"] > 0))
        local = columns["local"][rows]
        role = sim.catalog.path_role[columns["path"][rows]]
        window = model.window_start(columns["t"][rows] + block.skew[local])
        flags.update(zip(block.ids[local].tolist(), role.tolist(), window.tolist()))
        containers = (columns["sysid"] >= CONTAINER_ID) & (columns["sysid"] < NOISE_ID)
        assert set(columns["countme"][containers].tolist()) <= {0, 1}  # fresh cookies: first week only
    assert flags and max(flags.values()) == 1


def test_a_major_upgrade_restarts_the_legacy_age_but_not_the_machine_id_age():
    base = ["population.size=2000", 'versions.mix={"8.10" = 1.0}', 'versions.releases={"9.7" = 0}',
            "versions.major_upgrade_per_week.8=1.0"] + ONLY_SERVERS
    for behaviour, ages in (("legacy", {1}), ("machine-id", {1, 2, 3, 4})):
        seen = set()
        for _, block, sim, columns in weeks_of(base + every_behaviour(behaviour)):
            # Systems installed during the week come with the newest 8.x: leave them out.
            flagged = (persistent_lines(columns) & (columns["countme"] > 0)
                       & ~block.installed[columns["local"]])
            seen |= set(columns["countme"][flagged].tolist())
            agents = {sim.catalog.agents[a] for a in columns["ua"][flagged]}
            assert agents and all(" 9.7; " in agent or agent == "libdnf" for agent in agents)
        assert seen == ages, behaviour


def test_user_runs_never_flag_and_the_timer_fetches_once_per_expiry():
    users = ["population.size=1500", "classes.server.timer=0", "classes.server.runs_per_week=12",
             "classes.server.non_root_share=1.0"] + ONLY_SERVERS
    for _, _, _, columns in weeks_of(users):
        assert (columns["sysid"] < NOISE_ID).sum() > 10000 and not columns["countme"].any()
    timer = ["population.size=1500", "classes.server.timer=1", "classes.server.runs_per_week=0",
             'versions.mix={"9.7" = 1.0}', "retries.share=0", "offline.start_per_week=0",
             "classes.server.lifetime_weeks=5200"] + ONLY_SERVERS
    for _, block, sim, columns in weeks_of(timer):
        baseos = (persistent_lines(columns) & (sim.catalog.path_role[columns["path"]] == cat.BASEOS)
                  & ~block.installed[columns["local"]])  # on all week
        per_system = np.bincount(columns["local"][baseos])
        per_system = per_system[per_system > 0]
        # metadata_expire 86400 and a check every 12600 s on average: a fetch every ~25.75 h.
        assert 6.2 < per_system.mean() < 6.8 and per_system.max() <= 7 and per_system.min() >= 5


def test_desktops_fetch_on_weekdays_in_working_hours():
    settings = ["population.size=2000", "classes.server.share=0", "classes.desktop.share=1.0",
                "classes.cloud.share=0", "classes.ci.share=0", 'classes.desktop.timezones={"5.5" = 1.0}',
                "classes.desktop.on_weekend=0", "classes.desktop.start_hours=[8.0, 9.0]",
                "classes.desktop.hours_on=[6.0, 8.0]", "retries.share=0"]
    hours = []
    for _, _, _, columns in weeks_of(settings, weeks=2):
        local_time = columns["t"][persistent_lines(columns)] + 19800
        assert set((local_time // 86400 + 3) % 7) <= {0, 1, 2, 3, 4}  # Monday to Friday, local time
        hours.extend(((local_time % 86400) / 3600).tolist())
    assert min(hours) >= 8.0 and max(hours) < 17.0 and len(hours) > 10000


def test_cloud_instances_from_images_inherit_the_image_cookie():
    settings = ["population.size=3000", "classes.server.share=0", "classes.cloud.share=1.0",
                "classes.desktop.share=0", "classes.ci.share=0", "classes.cloud.image_cookie=1.0",
                "classes.cloud.image_age_weeks=[30.0, 40.0]", "classes.cloud.machine_id_missing=0"]
    outcomes = collections.Counter()
    for _, block, _, columns in weeks_of(settings + every_behaviour("legacy")):
        flagged = persistent_lines(columns) & (columns["countme"] > 0) & block.installed[columns["local"]]
        for local, bucket in zip(columns["local"][flagged], columns["countme"][flagged]):
            # Counted while the image was built (a first budget of 1): the image's week is the epoch.
            outcomes[(int(block.image_draw[local]) == 1, int(bucket))] += 1
    assert set(outcomes) == {(True, 4), (False, 1)}


def test_identical_countme_items_are_moved_apart():
    settings = scenario.load(assignments=["population.size=10", "run.weeks=1"])
    catalog = cat.Catalog(settings, "fedora")
    path = catalog.system_path(1, cat.BASEOS, cat.X86_64, 0)
    w0 = 1794787200
    columns = {"t": np.array([w0 + 5, w0 + 5, w0 + 5, w0 + 6, w0 + 5]), "addr": np.array([7, 7, 7, 7, 8]),
               "ua": np.array([0, 0, 0, 0, 0]), "countme": np.array([2, 2, 2, 2, 2], np.int8),
               "path": np.array([path] * 5), "status": np.zeros(5, np.int8)}
    moved = make_unique(columns, catalog, w0, w0 + model.WINDOW)
    items = list(zip(columns["t"].tolist(), columns["addr"].tolist()))
    # Three equal items: two move (to +6 and +7 s), and the one moved onto the item already at
    # +6 s moves on again; the item from another address stays.
    assert moved == 4 and sorted(items[:4]) == [(w0 + 5, 7), (w0 + 6, 7), (w0 + 7, 7), (w0 + 8, 7)]
    assert items[4] == (w0 + 5, 8)
