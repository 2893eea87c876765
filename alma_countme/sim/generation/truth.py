"""The ground truth of a run: truth.csv in mirrors-countme's totals format, and the weekly summary.

truth.csv holds, for each complete week, what a correct pipeline finds in the
logs: the countme rows (sys_age 1..4) and, as countme-totals also writes them,
the unique-address rows (sys_age -1: per day, the distinct (address, OS fields,
repo) of the counted lines, summed over the week's seven days). "Complete"
follows mirrors-countme: from the week of the first counted line up to, not
including, the week of the last one's time minus 600 seconds.
"""

import csv
import datetime
import io
import json
import os

from alma_countme import model
from alma_countme.sim.common.errors import SimError
from alma_countme.sim.config import catalog as cat
from alma_countme.sim.config.dump import to_json
from alma_countme.sim.generation import vstep

TOTALS_HEADER = ("week_start", "week_end", "hits", "os_name", "os_version", "os_variant", "os_arch",
                 "sys_age", "repo_tag", "repo_arch")
LOG_JITTER_WINDOW = 600  # mirrors-countme: seconds a week stays provisional after it ends
FIRST_COUNTED_WEEK = 2614  # mirrors-countme: countme data before Mon 2020-02-10 is not counted
UNIQUE_AGE = -1
COUNTRY_HEADER = ("week_start", "country", "sys_age", "hits")  # truth-countries.csv
SCHEMA = 1
BUCKETS = [str(b) for b in range(1, vstep.BUCKET_COUNT + 1)]


def week_dates(weeknum):
    """(week_start, week_end) as mirrors-countme writes them: the Monday and the Sunday."""
    monday = datetime.date(1970, 1, 1) + datetime.timedelta(seconds=model.OFFSET + weeknum * model.WINDOW)
    return monday.isoformat(), (monday + datetime.timedelta(days=6)).isoformat()


def complete_weeks(span, first_week):
    """mirrors-countme's complete weeks for lines spanning ``span`` (first, last time)."""
    if span[0] > span[1]:
        return range(0)
    start = max(model.window_index(span[0]), first_week)
    provisional = max(model.window_index(span[1] - LOG_JITTER_WINDOW), first_week)
    return range(start, provisional)


class Truth:
    """Truth rows and summary of a run, from its weekly stats."""

    def __init__(self, run, weekly):
        self.run = run
        self.weekly = weekly
        self.weeknums = [model.window_index(run.plan.week_start(w)) for w in range(len(weekly))]
        countme_span = [min(s.countme_span[0] for s in weekly), max(s.countme_span[1] for s in weekly)]
        unique_span = [min(s.unique_span[0] for s in weekly), max(s.unique_span[1] for s in weekly)]
        self.countme_complete = complete_weeks(countme_span, FIRST_COUNTED_WEEK)
        self.unique_complete = complete_weeks(unique_span, 0)

    def rows(self):
        """Truth rows, sorted: (week_start, week_end, hits, os_name, os_version, os_variant, os_arch,
        sys_age, repo_tag, repo_arch)."""
        c = self.run.catalog
        totals = {}
        for weeknum, stats in zip(self.weeknums, self.weekly):
            start, end = week_dates(weeknum)
            if weeknum in self.countme_complete:
                for fields, age, repo in zip(*stats.truth.nonzero()):
                    key = (start, end) + c.agent_fields[fields] + (int(age),) + c.repo_pairs[repo]
                    totals[key] = totals.get(key, 0) + int(stats.truth[fields, age, repo])
            if weeknum in self.unique_complete:
                for fields, repo in zip(*stats.unique.nonzero()):
                    key = (start, end) + c.agent_fields[fields] + (UNIQUE_AGE,) + c.repo_pairs[repo]
                    totals[key] = totals.get(key, 0) + int(stats.unique[fields, repo])
        rows = [key[:2] + (hits,) + key[2:] for key, hits in totals.items()]
        rows.sort(key=lambda row: (row[0], row[7] < 0, row[3:7], row[7], row[8:]))
        return rows

    def csv_text(self):
        return _csv_text(TOTALS_HEADER, self.rows())

    def summary(self):
        run, c = self.run, self.run.catalog
        weeks = []
        for weeknum, stats in zip(self.weeknums, self.weekly):
            start, end = week_dates(weeknum)
            weeks.append({
                "week_start": start,
                "week_end": end,
                "complete": weeknum in self.countme_complete,
                "active_systems": int(stats.active),
                "true_age_buckets": _buckets(stats.true_age),
                "countme_hits": int(stats.hits_by_bucket.sum()),
                "countme_hits_by_bucket": _buckets(stats.hits_by_bucket),
                "countme_estimate_by_bucket": _buckets(stats.estimate_by_bucket),
                "distinct_addresses": int(stats.addresses),
                "requests": int(stats.requests),
                "lines": int(stats.lines),
                "versions": {c.versions[i]: int(n) for i, n in enumerate(stats.versions) if n},
                "arches": {cat.ARCHES[i]: int(n) for i, n in enumerate(stats.arches) if n},
                "active_by_class": {name: int(n) for name, n in zip(cat.CLASSES, stats.active_by_class)},
                "active_by_behaviour": {name: int(n)
                                        for name, n in zip(cat.BEHAVIOURS, stats.active_by_behaviour)},
                "distinct_libdnf_addresses": int(stats.libdnf_addresses),
                "countme_flags_sent": int(stats.flags_sent),
                "retried_requests": int(stats.retries),
                "other_client_lines": int(stats.noise),
                "unique_rows_complete": weeknum in self.unique_complete,
                "countme_lines_moved": int(stats.nudged),
            })
            if run.countries is not None:
                weeks[-1]["countries"] = _countries(run.countries.codes, stats)
        return {
            "schema": SCHEMA,
            "seed": run.seed,
            "format": run.format,
            "servers": run.servers,
            "reference_repo": "baseos",
            "scenario": to_json(run.scenario),
            "weeks": weeks,
            **({"countries": {"database": run.countries.database, "source": run.countries.networks.source,
                              "codes": run.countries.codes}} if run.countries is not None else {}),
        }

    def country_rows(self):
        """Rows of truth-countries.csv: (week_start, country, sys_age, hits), countme hits of every repo
        per complete week, country and bucket."""
        rows = []
        for weeknum, stats in zip(self.weeknums, self.weekly):
            if weeknum not in self.countme_complete:
                continue
            start, _ = week_dates(weeknum)
            for index, code in enumerate(self.run.countries.codes):
                for bucket in range(1, vstep.BUCKET_COUNT + 1):
                    if stats.hits_by_country[index, bucket]:
                        rows.append((start, code, bucket, int(stats.hits_by_country[index, bucket])))
        return rows

    def country_csv_text(self):
        return _csv_text(COUNTRY_HEADER, self.country_rows())

    def summary_json(self):
        return json.dumps(self.summary(), indent=1, sort_keys=False) + "\n"


def _countries(codes, stats):
    result = {}
    for index, code in enumerate(codes):
        result[code] = {
            "active_systems": int(stats.active_by_country[index].sum()),
            "true_age_buckets": _buckets(stats.active_by_country[index]),
            "countme_hits_by_bucket": _buckets(stats.hits_by_country[index]),
            "countme_estimate_by_bucket": _buckets(stats.estimate_by_country[index]),
        }
    return result


def _buckets(counts):
    return {bucket: int(counts[int(bucket)]) for bucket in BUCKETS}


def load_summary(path):
    """summary.json (a file, or the directory generate wrote), checked for this schema."""
    if os.path.isdir(path):
        path = os.path.join(path, "summary.json")
    try:
        with open(path, encoding="utf-8") as handle:
            summary = json.load(handle)
    except OSError as error:
        raise SimError("%s: cannot read: %s" % (path, error.strerror or error)) from None
    except ValueError as error:
        raise SimError("%s: not valid JSON: %s" % (path, error)) from None
    if not isinstance(summary, dict) or summary.get("schema") != SCHEMA or not isinstance(
            summary.get("weeks"), list):
        raise SimError("%s is not a countme-sim summary (schema %d, with weeks)" % (path, SCHEMA))
    return summary


def summary_table(summary):
    """summary.json as a readable table, one column per week."""
    weeks = summary["weeks"]
    if not weeks:
        # generate always writes at least one week: this summary was cut down or written by hand.
        return "%s\n\nno weeks: this summary holds no weekly rows\n" % _table_title(summary)
    rows = [
        ("week (Monday)", [w["week_start"] for w in weeks]),
        ("complete (mirrors-countme)", ["yes" if w["complete"] else "no" for w in weeks]),
        ("active systems (truth)", [w["active_systems"] for w in weeks]),
    ]
    for b in BUCKETS:
        rows.append(("  truth, age bucket %s" % b, [w["true_age_buckets"][b] for w in weeks]))
    rows.append(("countme estimate (%s hits)" % summary.get("reference_repo", "baseos"),
                 [sum(w["countme_estimate_by_bucket"].values()) for w in weeks]))
    for b in BUCKETS:
        rows.append(("  estimate, bucket %s" % b, [w["countme_estimate_by_bucket"][b] for w in weeks]))
    rows += [
        ("countme hits, all repos", [w["countme_hits"] for w in weeks]),
        ("distinct client addresses", [w["distinct_addresses"] for w in weeks]),
        ("requests from systems", [w["requests"] for w in weeks]),
        ("log lines", [w["lines"] for w in weeks]),
    ]
    label_width = max(len(label) for label, _ in rows)
    cells = [[_cell(v) for v in values] for _, values in rows]
    width = max(len(cell) for row in cells for cell in row)
    lines = [_table_title(summary), ""]
    for (label, _), row in zip(rows, cells):
        cells_text = "  ".join(cell.rjust(width) for cell in row)
        lines.append(("%-*s  %s" % (label_width, label, cells_text)).rstrip())
    if summary.get("countries"):
        lines += ["", "per country: true active systems / countme estimate (%s hits), %s"
                  % (summary.get("reference_repo", "baseos"), summary["countries"]["source"])]
        for code in summary["countries"]["codes"]:
            cells_text = "  ".join(("%s/%s" % (_cell(w["countries"][code]["active_systems"]),
                                               _cell(sum(w["countries"][code]["countme_estimate_by_bucket"]
                                                         .values())))).rjust(width + 4) for w in weeks)
            lines.append(("%-*s  %s" % (label_width, "  " + code, cells_text)).rstrip())
    lines += ["", "The estimate counts one repo's countme hits; mirrors-countme holds the last week back."]
    return "\n".join(lines) + "\n"


def _table_title(summary):
    return "countme-sim summary: seed %s, format %s, %d server%s" % (
        summary["seed"], summary["format"], summary["servers"], "" if summary["servers"] == 1 else "s")


def _cell(value):
    return "{:,}".format(value) if isinstance(value, int) else str(value)


def _csv_text(header, rows):
    # csv's default dialect, as countme-totals writes its dump (\r\n line ends).
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()
