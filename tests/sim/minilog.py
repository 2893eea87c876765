"""A small, hand-built request stream with known counts, for verify/plot/serve/replay tests.

Independent of `countme-sim generate`: a few hundred systems run dnf on most
days, each request decided by the project's one countme model
(`alma_countme.model.client_step`). The truth is counted from the events as
they are made, never by parsing the log, so a pipeline that reads the log back
is checked against something it did not produce. Some first attempts fail with
503 and are retried with the same URL a little later (a correct pipeline counts
only the answered one).

Layout, like generate's: DIR/logs/mirror1/access-YYYY-MM-DD.log, DIR/truth.csv
(countme rows of the complete weeks), DIR/summary.json (schema 1).
"""

import calendar
import collections
import csv
import json
import os
import random
import time

from alma_countme import model
from alma_countme.useragent import user_agent

MONDAY = calendar.timegm((2026, 11, 2, 0, 0, 0))  # a Monday, 00:00 UTC
REPOS = ("baseos", "appstream")
REFERENCE_REPO = "baseos"
RELEASES = (("8.10", 0.2), ("9.4", 0.3), ("9.5", 0.4), ("10.0", 0.1))
ARCHES = (("x86_64", 0.7), ("aarch64", 0.2), ("ppc64le", 0.1))
TOTALS_HEADER = ("week_start", "week_end", "hits", "os_name", "os_version", "os_variant", "os_arch",
                 "sys_age", "repo_tag", "repo_arch")

Event = collections.namedtuple("Event", "time addr path ua status flag bucket system repo")
Stream = collections.namedtuple("Stream", "dir log_files events truth_path summary_path weeks")


def _pick(rng, weighted):
    point, total = rng.random(), 0.0
    for value, weight in weighted:
        total += weight
        if point < total:
            return value
    return weighted[-1][0]


def fedora_repo_tag(repo, version):
    return "almalinux-%s-%s" % (repo, version.split(".")[0])


def clf_time(when):
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(when))


def build(out, systems=300, weeks=3, seed=7, retry_rate=0.05, daily=0.8, fmt="fedora"):
    """Write the stream into ``out`` and return a Stream describing it."""
    rng = random.Random(seed)
    first = MONDAY
    end = first + weeks * model.WINDOW + model.WINDOW // 7  # one day of the next week closes the last
    events = []
    installs = {}
    for system in range(systems):
        version, arch = _pick(rng, RELEASES), _pick(rng, ARCHES)
        ua = user_agent({"NAME": "AlmaLinux", "VERSION_ID": version}, arch)
        addr = "10.%d.%d.%d" % ((system >> 16) & 255, (system >> 8) & 255, system & 255)
        age_weeks = rng.choice((0, 0, 1, 3, 8, 20, 30, 60))
        installed = first - age_weeks * model.WINDOW + rng.randrange(model.WINDOW)
        installs[system] = installed
        cookies = {}
        for repo in REPOS:
            # Counted before, in the week before the stream starts (legacy epoch: first count).
            epoch = model.window_start(installed) if age_weeks else 0
            last = first - model.WINDOW if age_weeks else model.OFFSET
            cookies[repo] = model.Cookie(0, epoch, last, -1)
        day = max(first, installed - installed % 86400)
        while day < end:
            if rng.random() < daily or day == end - 86400:
                now = max(day + rng.randrange(86400), installed)
                if now >= end:
                    break
                for repo in REPOS:
                    step = model.client_step(cookies[repo], now, rng=rng)
                    if step.cookie is not None:
                        cookies[repo] = step.cookie
                    events.extend(_requests(rng, now, addr, ua, version, arch, repo, step, system, fmt,
                                            retry_rate))
            day += 86400
    events.sort(key=lambda event: (event.time, event.addr, event.path))
    os.makedirs(out, exist_ok=True)
    log_files = _write_logs(out, events, fmt)
    week_range = range(model.window_index(first), model.window_index(first) + weeks)
    truth_path = _write_truth(out, events, week_range, fmt)
    summary_path = _write_summary(out, events, week_range, installs, fmt, seed)
    return Stream(out, log_files, events, truth_path, summary_path, week_range)


def _requests(rng, now, addr, ua, version, arch, repo, step, system, fmt, retry_rate):
    if fmt == "fedora":
        query = "repo=%s&arch=%s" % (fedora_repo_tag(repo, version), arch)
        if step.flag:
            query += "&countme=%d" % step.bucket
        path = "/metalink?" + query
    else:
        path = "/mirrorlist/%s/%s" % (version.split(".")[0], repo)
        if step.flag:
            path += "?countme=%d" % step.bucket
    made = []
    if rng.random() < retry_rate:
        made.append(Event(now, addr, path, ua, 503, step.flag, step.bucket, system, repo))
        now += rng.randint(2, 40)
    made.append(Event(now, addr, path, ua, 200, step.flag, step.bucket, system, repo))
    return made


def _write_logs(out, events, fmt):
    by_day = collections.defaultdict(list)
    for event in events:
        by_day[time.strftime("%Y-%m-%d", time.gmtime(event.time))].append(event)
    paths = []
    directory = os.path.join(out, "logs", "mirror1")
    os.makedirs(directory, exist_ok=True)
    for day, day_events in sorted(by_day.items()):
        path = os.path.join(directory, "access-%s.log" % day)
        with open(path, "w") as handle:
            for event in day_events:
                handle.write(log_line(event, fmt) + "\n")
        paths.append(path)
    return paths


def log_line(event, fmt):
    size = 2048 if event.status == 200 else 0
    request = "GET %s HTTP/1.1" % event.path
    if fmt == "fedora":
        return '%s - - [%s] "%s" %d %d "-" "%s"' % (event.addr, clf_time(event.time), request, event.status,
                                                    size, event.ua)
    return '%s - - [%s] "%s" %d %d "-" "%s" "127.0.0.1"' % (event.addr, clf_time(event.time), request,
                                                            event.status, size, event.ua)


def _week_dates(week):
    start = model.OFFSET + week * model.WINDOW
    return (time.strftime("%Y-%m-%d", time.gmtime(start)),
            time.strftime("%Y-%m-%d", time.gmtime(start + 6 * 86400)))


def _write_truth(out, events, week_range, fmt):
    hits = collections.Counter()
    for event in events:
        week = model.window_index(event.time)
        if event.flag and event.status == 200 and week in week_range:
            name, rest = event.ua[len("libdnf ("):-1].split(" ", 1)
            version, variant, canon = [part.strip() for part in rest.split(";")]
            arch = canon.split(".", 1)[1]
            tag = fedora_repo_tag(event.repo, version) if fmt == "fedora" else event.repo
            repo_arch = arch if fmt == "fedora" else ""
            hits[(week, name, version, variant, arch, event.bucket, tag, repo_arch)] += 1
    path = os.path.join(out, "truth.csv")
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(TOTALS_HEADER)
        for (week, *fields), count in sorted(hits.items()):
            writer.writerow(list(_week_dates(week)) + [count] + fields)
    return path


def _write_summary(out, events, week_range, installs, fmt, seed):
    weeks = []
    for week in range(week_range.start, week_range.stop + 1):
        in_week = [event for event in events if model.window_index(event.time) == week]
        week_start = model.OFFSET + week * model.WINDOW
        systems = {event.system: event for event in in_week}
        true_buckets = collections.Counter(
            str(model.bucket(model.window_start(installs[system]), week_start)) for system in systems)
        counted = [event for event in in_week if event.flag and event.status == 200]
        versions = collections.Counter(event.ua.split(" ")[2].rstrip(";") for event in systems.values())
        arches = collections.Counter(event.ua.rsplit(".", 1)[1].rstrip(")") for event in systems.values())
        start, end = _week_dates(week)
        weeks.append({
            "week_start": start, "week_end": end, "complete": week in week_range,
            "active_systems": len(systems),
            "true_age_buckets": {str(b): true_buckets.get(str(b), 0) for b in range(1, 5)},
            "countme_hits": len(counted),
            "countme_hits_by_bucket": {str(b): sum(1 for e in counted if e.bucket == b) for b in range(1, 5)},
            "countme_estimate_by_bucket": {
                str(b): sum(1 for e in counted if e.bucket == b and e.repo == REFERENCE_REPO)
                for b in range(1, 5)},
            "distinct_addresses": len({event.addr for event in in_week}),
            "requests": len(in_week), "lines": len(in_week),
            "versions": dict(versions), "arches": dict(arches),
        })
    summary = {"schema": 1, "seed": seed, "format": fmt, "servers": 1, "scenario": {"name": "minilog"},
               "weeks": weeks}
    path = os.path.join(out, "summary.json")
    with open(path, "w") as handle:
        json.dump(summary, handle, indent=1)
    return path
