"""The scenario's numbers as arrays indexed by class, major, role..., shared by every block."""

import numpy as np

from alma_countme.sim.common.errors import SimError
from alma_countme.sim.config import catalog as cat
from alma_countme.sim.config.units import MANUAL_SLOTS
from alma_countme.sim.generation.network import BLOCK, NAT_BASE
from alma_countme.sim.generation.plan import epoch_seconds


class Params:
    """The scenario's numbers as arrays indexed by class, major, role..., shared by every block."""

    def __init__(self, scenario, catalog):
        self.scenario = scenario
        classes = scenario["classes"]
        self.class_share = np.array([classes[c]["share"] for c in cat.CLASSES])
        self.lifetime = np.array([classes[c]["lifetime_weeks"] for c in cat.CLASSES])

        def per_class(key, default=0.0):
            return np.array([classes[c].get(key, default) for c in cat.CLASSES], np.float64)

        self.timer = per_class("timer")
        self.runs_per_week = per_class("runs_per_week")
        self.non_root_share = per_class("non_root_share")
        self.refresh_share = per_class("refresh_share")
        self.machine_id_missing = per_class("machine_id_missing", 1.0)
        self.ipv6 = per_class("ipv6")
        self.nat = per_class("nat")
        self.nat_size = per_class("nat_size", 1.0)
        self.dynamic_ip = per_class("dynamic_ip")
        self.lease_days = per_class("lease_days", 7.0)
        desktop = classes["desktop"]
        self.desktop_on = (desktop["on_weekday"], desktop["on_weekend"])
        self.desktop_start = desktop["start_hours"]
        self.desktop_hours = desktop["hours_on"]
        self.timezone_names = list(desktop["timezones"])
        self.timezone_offsets = np.array([int(round(float(h) * 3600)) for h in self.timezone_names], np.int64)
        self.timezone_shares = np.array(list(desktop["timezones"].values()))
        cloud = classes["cloud"]
        self.image_cookie = cloud["image_cookie"]
        self.image_age = cloud["image_age_weeks"]
        self.cloud_init = cloud["cloud_init_update"]
        self.containers_per_day = classes["ci"]["containers_per_day"]
        on_days = np.full(len(cat.CLASSES), 7.0)
        on_days[cat.DESKTOP] = 5 * desktop["on_weekday"] + 2 * desktop["on_weekend"]
        self.on_days = on_days
        self.runs_slot_chance = np.divide(self.runs_per_week, on_days * MANUAL_SLOTS,
                                          out=np.zeros(len(cat.CLASSES)), where=on_days > 0)
        for index, name in enumerate(cat.CLASSES):
            if self.runs_slot_chance[index] > 1.0:
                raise SimError("scenario: key classes.%s.runs_per_week: %s runs a week need more than %d "
                               "a day "
                               "on the %.2f days a week it is on; allowed: up to %.1f"
                               % (name, self.runs_per_week[index], MANUAL_SLOTS, on_days[index],
                                  on_days[index] * MANUAL_SLOTS))
        # NAT groups per class within a block, from the class's share of it.
        groups = np.maximum(1, np.round(BLOCK * self.class_share * self.nat / self.nat_size)).astype(np.int64)
        self.nat_groups = groups
        self.nat_group_base = NAT_BASE + np.concatenate([[0], np.cumsum(groups)[:-1]])

        versions = scenario["versions"]
        self.version_shares = np.array([versions["mix"].get(v, 0.0) for v in catalog.versions])
        major_shares = np.zeros(len(cat.MAJORS))
        np.add.at(major_shares, catalog.version_major, self.version_shares)
        self.major_shares = major_shares
        self.minor_upgrade = versions["minor_upgrade_per_week"]
        self.major_upgrade = np.array([versions["major_upgrade_per_week"].get(m, 0.0) for m in cat.MAJORS])
        self.countme_since = np.array([epoch_seconds(versions["countme_since"][m]) for m in cat.MAJORS],
                                      np.int64)
        self.metadata_expire = np.array([versions["metadata_expire"][m] for m in cat.MAJORS], np.int64)
        self.plugin_schedule = scenario["rollout"]["plugin_share_by_week"]
        arches = scenario["arches"]
        self.arch_shares = np.array([arches["mix"].get(a, 0.0) for a in cat.ARCHES[:-1]])
        self.v2_share = arches["x86_64_v2_share"]
        os_release = scenario["os_release"]["mix"]
        self.os_release_shares = np.array([os_release.get(k, 0.0) for k in cat.OS_RELEASES])
        self.behaviour_shares = np.array([[scenario["behaviour"][m].get(b, 0.0) for b in cat.BEHAVIOURS]
                                          for m in cat.MAJORS])
        repos = scenario["repos"]
        self.role_shares = np.array([repos["enabled"][r] for r in cat.ROLES[:-1]] + [repos["stale"]])
        ages = scenario["population"]["install_age_weeks"]
        self.age_ranges = np.array([[int(x) for x in name.split("-")] for name in ages], np.float64)
        self.age_shares = np.array(list(ages.values()))
        timer = scenario["timer"]
        self.boot_delay = timer["boot_delay"]
        self.check_interval = timer["check_interval"]
        clock = scenario["clock"]
        self.skew = (clock["skew_share"], clock["skew_minutes"], clock["far_skew_share"],
                     clock["far_skew_days"])
        offline = scenario["offline"]
        self.offline_start = offline["start_per_week"]
        self.offline_mean = offline["mean_weeks"]
        retries = scenario["retries"]
        self.retry_share = retries["share"]
        self.retry_status = np.array([cat.STATUS_INDEX[int(s)] for s in retries["first_status"]], np.int8)
        self.retry_status_shares = np.array(list(retries["first_status"].values()))
        self.retry_delay = retries["delay_seconds"]
        noise = scenario["noise"]
        self.noise_rate = noise["lines_per_1000_systems"] / 1000.0
        self.noise_shares = np.array([noise["mix"].get(k, 0.0) for k in cat.NOISE_KINDS])
        self.metalink_share = scenario["output"]["fedora_metalink_share"]
        self.countries = None  # the run's countries.Countries, when countries.database names one

