"""Per-country countme totals: a pipeline's (CSV) against the simulator's truth-countries.csv.

The CSV format, which the simulator writes as ``truth-countries.csv`` and a
pipeline that aggregates by country writes for ``verify --countries``::

    week_start,country,sys_age,hits
    2026-11-16,US,4,8910

one row per complete week (its Monday, YYYY-MM-DD), country (the code the
IP-to-country database gives the line's client address) and bucket (1 to 4):
the countme hits of every repo, counted with mirrors-countme's rules (GET or
HEAD, status 200 or 302, a known repo path, identical lines once). Rows with 0
hits may be left out. :func:`from_logs` is such a pipeline, for logs.
"""

import collections
import csv
import datetime

from alma_countme.sim.common.errors import SimError
from alma_countme.sim.generation.truth import COUNTRY_HEADER
from alma_countme.sim.logs import logsource, tally
from alma_countme.sim.reports import verify

Key = collections.namedtuple("Key", "week_start country sys_age")


def read(path):
    """``{Key: hits}`` of a per-country totals CSV; SimError naming the file and line when it is bad."""
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            return _read_rows(path, csv.reader(handle))
    except OSError as error:
        raise SimError("%s: cannot read: %s" % (path, error.strerror or error)) from None


def _read_rows(path, reader):
    header = next(reader, None)
    if header is None or tuple(h.strip() for h in header) != COUNTRY_HEADER:
        raise SimError("%s: line 1: expected the header %s" % (path, ",".join(COUNTRY_HEADER)))
    rows = {}
    for number, row in enumerate(reader, 2):
        if not row:
            continue
        try:
            week, country, age, hits = row
            datetime.date.fromisoformat(week)
            key = Key(week, country.strip(), int(age))
            count = int(hits)
            if count < 0 or not 1 <= key.sys_age <= 4 or not key.country:
                raise ValueError
        except ValueError:
            raise SimError("%s: line %d: expected WEEK_START,COUNTRY,SYS_AGE (1-4),HITS (>= 0), got %s"
                           % (path, number, ",".join(row))) from None
        rows[key] = rows.get(key, 0) + count
    return rows


def from_logs(paths, database, dedupe=True):
    """Per-country totals of access logs, looking every client address up in ``database``."""
    from alma_countme.sim.generation import geo

    lookup = geo.Lookup(database, "--geoip")
    countries = {}
    counts = collections.Counter()
    counter = tally.Tally(dedupe=dedupe, unique=False)
    for record in logsource.records(paths):
        item = tally.item_from_record(record)
        if item is None or item.sys_age < 1:
            continue
        before = counter.items
        counter.add(item)
        if counter.items == before:  # a duplicate the parser stores once
            continue
        host = item.host
        if host not in countries:
            countries[host] = lookup.country(host) or "--"
        counts[(tally.window_index(item.timestamp), countries[host], item.sys_age)] += 1
    weeks = counter.countme_weeks()
    return {Key(tally.week_dates(week)[0], country, age): hits
            for (week, country, age), hits in counts.items() if week in weeks}


def compare(truth, server, tolerance):
    """Differences ``[(key, truth hits, server hits, beyond tolerance)]`` over every key of either side."""
    result = []
    for key in sorted(set(truth) | set(server)):
        true_hits, server_hits = truth.get(key, 0), server.get(key, 0)
        if true_hits != server_hits:
            beyond = abs(true_hits - server_hits) > verify.allowed(tolerance, true_hits)
            result.append((key, true_hits, server_hits, beyond))
    return result


def report(truth, server, tolerance, label):
    """JSON-ready comparison."""
    differences = compare(truth, server, tolerance)
    return {
        "server": label,
        "cells": len(set(truth) | set(server)),
        "truth_hits": sum(truth.values()),
        "server_hits": sum(server.values()),
        "countries": sorted({key.country for key in truth} | {key.country for key in server}),
        "differences": [{"week_start": key.week_start, "country": key.country, "sys_age": key.sys_age,
                         "truth": t, "server": s, "beyond_tolerance": beyond}
                        for key, t, s, beyond in differences],
        "ok": not any(beyond for *_, beyond in differences),
    }


def format_text(result, max_differences=20):
    lines = ["per-country countme totals (%s): %d cells, %s hits in the truth, %s in the server's"
             % (result["server"], result["cells"], "{:,}".format(result["truth_hits"]),
                "{:,}".format(result["server_hits"]))]
    beyond = [d for d in result["differences"] if d["beyond_tolerance"]]
    if not beyond:
        lines.append("  every (week, country, bucket) within the tolerance: OK")
    for diff in beyond[:max_differences]:
        lines.append("  %s %s bucket %d: truth %s, server %s" % (
            diff["week_start"], diff["country"], diff["sys_age"], "{:,}".format(diff["truth"]),
            "{:,}".format(diff["server"])))
    if len(beyond) > max_differences:
        lines.append("  ... %d more differences (--json lists all)" % (len(beyond) - max_differences))
    return "\n".join(lines)
