"""Reading weekly countme totals: mirrors-countme's CSV, its SQLite databases, truth.csv.

All of them become ``{TotalsKey: hits}`` (see :mod:`alma_countme.sim.logs.tally`).
Accepted inputs:

- a CSV file with mirrors-countme's header (``countme-totals --csv-dump``, or
  the simulator's ``truth.csv``), or a directory holding ``truth.csv``;
- the SQLite database ``countme-totals`` writes (table ``countme_totals``);
- the raw SQLite database ``countme-parse-access-log --sqlite`` writes (table
  ``countme_raw``), which is totalled here with mirrors-countme's rules.
"""

import collections
import csv
import os
import sqlite3

from alma_countme.sim.common.errors import SimError
from alma_countme.sim.logs.tally import TOTALS_FIELDS, CountmeItem, Tally, TotalsKey, week_dates

SQLITE_MAGIC = b"SQLite format 3\x00"
RAW_FIELDS = CountmeItem._fields
TOTALS_TABLE_FIELDS = ("hits", "weeknum") + TOTALS_FIELDS[3:]

Totals = collections.namedtuple("Totals", "path kind rows")
Totals.__doc__ = """Totals read from ``path``: ``kind`` names the input, ``rows`` is {TotalsKey: hits}."""


def read_totals(path):
    """The totals held in ``path`` (see the module doc for what it may be)."""
    if os.path.isdir(path):
        candidate = os.path.join(path, "truth.csv")
        if not os.path.isfile(candidate):
            raise SimError("%s: a directory without truth.csv; name a totals CSV or SQLite file" % path)
        path = candidate
    try:
        with open(path, "rb") as handle:
            magic = handle.read(len(SQLITE_MAGIC))
    except OSError as error:
        raise SimError("%s: cannot read: %s" % (path, error.strerror or error)) from None
    if magic == SQLITE_MAGIC:
        return _read_sqlite(path)
    return Totals(path, "csv", read_totals_csv(path))


def read_totals_csv(path):
    """``{TotalsKey: hits}`` from a CSV with mirrors-countme's totals header.

    A key seen twice is summed (a totals file never repeats one, but a
    concatenation of files may).
    """
    rows = collections.Counter()
    with open(path, newline="", encoding="utf-8", errors="replace") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise SimError("%s: empty file, expected a header line: %s" % (path, ",".join(TOTALS_FIELDS)))
        if tuple(header) != TOTALS_FIELDS:
            raise SimError(
                "%s line 1: not a countme totals header: expected %s, found %s"
                % (path, ",".join(TOTALS_FIELDS), ",".join(header))
            )
        for row in reader:
            if not row:
                continue
            if len(row) != len(TOTALS_FIELDS):
                raise SimError("%s line %d: %d fields, expected %d"
                               % (path, reader.line_num, len(row), len(TOTALS_FIELDS)))
            week_start, week_end, hits, *fields = row
            try:
                hits = int(hits)
                fields[4] = int(fields[4])
            except ValueError:
                raise SimError("%s line %d: hits and sys_age must be integers, found %r and %r"
                               % (path, reader.line_num, row[2], row[7])) from None
            rows[TotalsKey(week_start, week_end, *fields)] += hits
    return dict(rows)


def _read_sqlite(path):
    try:
        connection = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
        try:
            listing = connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
            tables = {name for (name,) in listing}
            if "countme_totals" in tables:
                return Totals(path, "sqlite totals", _sqlite_totals(connection, path))
            if "countme_raw" in tables:
                return Totals(path, "sqlite raw", _sqlite_raw(connection, path))
        finally:
            connection.close()
    except sqlite3.Error as error:
        raise SimError("%s: cannot read the SQLite database: %s" % (path, error)) from None
    raise SimError("%s: SQLite database without a countme_totals or countme_raw table" % path)


def _columns(connection, table, expected, path):
    found = tuple(row[1] for row in connection.execute("PRAGMA table_info('%s')" % table))
    if found != expected:
        raise SimError("%s: table %s has columns %s, expected %s"
                       % (path, table, ",".join(found), ",".join(expected)))


def _sqlite_totals(connection, path):
    _columns(connection, "countme_totals", TOTALS_TABLE_FIELDS, path)
    rows = collections.Counter()
    query = "SELECT %s FROM countme_totals" % ",".join(TOTALS_TABLE_FIELDS)
    for hits, week, *fields in connection.execute(query):
        fields = ["" if value is None else value for value in fields]
        fields[4] = int(fields[4])
        rows[TotalsKey(*week_dates(int(week)), *fields)] += int(hits)
    return dict(rows)


def _sqlite_raw(connection, path):
    _columns(connection, "countme_raw", RAW_FIELDS, path)
    tally = Tally(dedupe=False)  # the parser already dropped duplicates when it wrote them
    query = "SELECT %s FROM countme_raw" % ",".join(RAW_FIELDS)
    for row in connection.execute(query):
        row = ["" if value is None else value for value in row]
        row[0], row[6] = int(row[0]), int(row[6])
        tally.add(CountmeItem(*row))
    return tally.totals()
