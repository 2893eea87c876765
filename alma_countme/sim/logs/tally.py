"""Weekly countme totals from access-log records, by mirrors-countme's rules.

Fedora's pipeline (``countme-parse-access-log --sqlite`` then ``countme-totals``)
turns log lines into rows of ``week_start,week_end,hits,os_name,os_version,
os_variant,os_arch,sys_age,repo_tag,repo_arch``. This module applies the same
rules to records from :mod:`alma_countme.sim.logs.logparse`, so that a server's own
log can be counted without the Fedora tools, and AlmaLinux's path-style
``/mirrorlist/<releasever>/<repo>`` requests (which mirrors-countme skips) are
counted the way the simulator's truth counts them.

The rules, as mirrors-countme 0.1.5 applies them:

- a line counts when its method is GET or HEAD, its status 200 or 302, its
  path exactly ``/metalink`` or ``/mirrorlist`` with a query (here also
  ``/mirrorlist/<releasever>/<repo>``); ``countme=N`` gives ``sys_age`` N,
  no ``countme`` gives -1;
- OS fields come from a libdnf User-Agent, and are blank for any other agent
  (such lines still count);
- identical items (same second, address, agent fields, age and repo) are
  stored once: the parser's duplicate check in SQLite mode;
- countme rows (``sys_age >= 0``) are summed per week for complete weeks:
  from the week of the first countme item (never before week 2614, February
  2020) up to, not including, the week holding the last item's time minus
  600 seconds, which is still provisional;
- unique-address rows (``sys_age`` -1) count, for each of the week's seven
  days, the distinct (address, OS fields, repo) of all matching lines, and
  sum the days; their complete weeks are bounded by the lines without
  ``countme`` in the same way (from week 0).

One difference remains, because a record keeps the query as a dict: a bare
``/mirrorlist?`` (a question mark and nothing after it) counts for
mirrors-countme as a unique-address hit with a blank repo, and not here.
"""

import collections
import datetime
import re

from alma_countme.model import OFFSET, WINDOW, window_index

TOTALS_FIELDS = (
    "week_start", "week_end", "hits", "os_name", "os_version", "os_variant",
    "os_arch", "sys_age", "repo_tag", "repo_arch",
)
# A row of totals without its hits: what verify compares one by one.
TotalsKey = collections.namedtuple(
    "TotalsKey", "week_start week_end os_name os_version os_variant os_arch sys_age repo_tag repo_arch"
)
# One countable line, as mirrors-countme stores it in its raw database.
CountmeItem = collections.namedtuple(
    "CountmeItem", "timestamp host os_name os_version os_variant os_arch sys_age repo_tag repo_arch"
)

FIRST_COUNTME_WEEK = 2614  # mirrors-countme drops countme data before Mon 2020-02-10
LOG_JITTER = 600  # seconds a week stays provisional after it ends
DAY = 86400
UNIQUE_AGE = -1
_MONDAY_ZERO = datetime.date(1970, 1, 5)

COUNTED_METHODS = ("GET", "HEAD")
COUNTED_STATUSES = (200, 302)
FEDORA_PATHS = ("/metalink", "/mirrorlist")
_ALMALINUX_PATH = re.compile(r"/mirrorlist/([^/?\s]+)/([^/?\s]+)\Z")

# libdnf's User-Agent, read the way mirrors-countme reads it (ASCII classes; the
# name is everything up to the last blank before the version).
_LIBDNF_AGENT = re.compile(
    r"(?:libdnf|rpm-ostree)(?:/\S+)?\s+"
    r"\((.*)\s([0-9a-z._-]*?);\s([0-9a-z._-]*);\s[\w./]+\.(\w+)\)",
    re.ASCII,
)


def week_dates(week):
    """``(week_start, week_end)`` as mirrors-countme writes them: Monday and Sunday, ISO dates."""
    monday = _MONDAY_ZERO + datetime.timedelta(days=7 * week)
    return monday.isoformat(), (monday + datetime.timedelta(days=6)).isoformat()


def agent_fields(user_agent):
    """``(os_name, os_version, os_variant, os_arch)`` of a libdnf User-Agent, blanks otherwise."""
    match = _LIBDNF_AGENT.fullmatch(user_agent or "")
    if not match:
        return ("", "", "", "")
    return match.groups()


def almalinux_repo(path):
    """``(releasever, repo)`` of an AlmaLinux ``/mirrorlist/<releasever>/<repo>`` path, or None."""
    match = _ALMALINUX_PATH.match(path)
    return match.groups() if match else None


def repo_fields(path, query):
    """``(repo_tag, repo_arch)`` of a counted mirrorlist/metalink request, or None if not counted.

    Fedora style: the ``repo`` and ``arch`` query keys (blank when absent).
    AlmaLinux style: the repo id from the path, and ``arch`` from the query
    (AlmaLinux 10's x86_64_v2 builds send it), blank otherwise.
    """
    if path in FEDORA_PATHS:
        if not query:
            return None
        return query.get("repo") or "", query.get("arch") or ""
    parts = almalinux_repo(path)
    if parts is None:
        return None
    return parts[1], query.get("arch") or ""


def countme_item(timestamp, host, method, path, query, status, user_agent):
    """The item mirrors-countme stores for one log line, or None when it skips the line.

    ``query`` is the request's query as a dict (last value wins, as
    mirrors-countme parses it); a ``countme`` value that is not an integer
    makes the line malformed, and it is skipped too.
    """
    if method not in COUNTED_METHODS or int(status) not in COUNTED_STATUSES:
        return None
    repo = repo_fields(path, query)
    if repo is None:
        return None
    value = query.get("countme")
    try:
        # A blank "countme=" is no countme at all: mirrors-countme's query parsing drops blank values.
        sys_age = UNIQUE_AGE if value in (None, "") else int(value)
    except ValueError:
        return None
    return CountmeItem(int(timestamp), host, *agent_fields(user_agent), sys_age, *repo)


class Tally:
    """Accumulates countme items and produces mirrors-countme's weekly totals.

    ``dedupe`` keeps the parser's duplicate check (SQLite mode, the mode the
    totals step reads); ``unique`` adds the unique-address rows.
    """

    def __init__(self, dedupe=True, unique=True):
        self.dedupe = dedupe
        self.unique = unique
        self._seen = set()
        self._countme = collections.Counter()  # (week, fields..., age, repo...) -> hits
        self._daily = set()  # (week, day, host, fields..., repo...) of every item
        self._countme_span = None  # (min, max) timestamp of items with sys_age >= 0
        self._unique_span = None  # (min, max) timestamp of items with sys_age < 0
        self.items = 0
        self.duplicates = 0

    def add(self, item):
        """Count one :class:`CountmeItem` (or an equal tuple)."""
        if self.dedupe:
            if item in self._seen:
                self.duplicates += 1
                return
            self._seen.add(item)
        self.items += 1
        timestamp, host, os_name, os_version, os_variant, os_arch, sys_age, repo_tag, repo_arch = item
        week = window_index(timestamp)
        if sys_age >= 0:
            self._countme[(week, os_name, os_version, os_variant, os_arch, sys_age, repo_tag, repo_arch)] += 1
            self._countme_span = _widen(self._countme_span, timestamp)
        else:
            self._unique_span = _widen(self._unique_span, timestamp)
        if self.unique:
            day = (timestamp - OFFSET - week * WINDOW) // DAY
            self._daily.add((week, day, host, os_name, os_version, os_variant, os_arch, repo_tag, repo_arch))

    def countme_weeks(self):
        """The complete weeks of countme rows (a range, possibly empty)."""
        return _complete_weeks(self._countme_span, FIRST_COUNTME_WEEK)

    def unique_weeks(self):
        """The complete weeks of unique-address rows (a range, possibly empty)."""
        return _complete_weeks(self._unique_span, 0)

    def totals(self):
        """``{TotalsKey: hits}`` for the complete weeks, as countme-totals would write them."""
        result = {}
        weeks = self.countme_weeks()
        for (week, *fields), hits in self._countme.items():
            if week in weeks:
                result[TotalsKey(*week_dates(week), *fields)] = hits
        if self.unique:
            weeks = self.unique_weeks()
            per_key = collections.Counter()
            for week, _day, _host, *fields in self._daily:
                if week in weeks:
                    per_key[(week, *fields)] += 1
            for (week, *os_fields, repo_tag, repo_arch), hits in per_key.items():
                result[TotalsKey(*week_dates(week), *os_fields, UNIQUE_AGE, repo_tag, repo_arch)] = hits
        return result


def _widen(span, timestamp):
    if span is None:
        return (timestamp, timestamp)
    return (min(span[0], timestamp), max(span[1], timestamp))


def _complete_weeks(span, first_week):
    if span is None:
        return range(0)
    start = max(window_index(span[0]), first_week)
    provisional = max(window_index(span[1] - LOG_JITTER), first_week)
    return range(start, provisional)


def tally_records(records, dedupe=True, unique=True):
    """A :class:`Tally` of log records (objects with the fields logparse yields)."""
    tally = Tally(dedupe=dedupe, unique=unique)
    for record in records:
        item = item_from_record(record)
        if item is not None:
            tally.add(item)
    return tally


def item_from_record(record):
    """The countme item of one :mod:`logparse` record, or None."""
    return countme_item(
        record.time, record.client_addr, record.method, record.path, record.query,
        record.status, record.user_agent,
    )
