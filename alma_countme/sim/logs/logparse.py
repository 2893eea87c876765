"""Reading access logs back: one record per line, from either format, plain, gzip or zstd.

Independent of the code that writes the logs (a regular expression over the
text), so that tests, replay and verify read what is really in the files.

Formats:

- almalinux (AlmaLinux's mirror service, nginx behind a proxy):
  ``XFF - USER [TIME] "METHOD TARGET PROTOCOL" STATUS BYTES "REFERER" "AGENT" "REMOTE_ADDR"``
- fedora (Combined Log Format, as mirrors-countme reads it):
  ``HOST - USER [TIME] "METHOD TARGET PROTOCOL" STATUS BYTES "REFERER" "AGENT"``

A line of either is recognised by itself; ``remote_addr`` is None for the
second. Lines that are neither raise :class:`LogFormatError` (naming the
file and line), or are skipped when ``errors="skip"``. Compressed data that
is truncated or damaged raises :class:`DamagedLogError` (a LogFormatError,
naming the file and the last whole line), whatever ``errors``.
"""

import calendar
import collections
import re
from urllib.parse import parse_qsl

from alma_countme.sim.logs import compression

Record = collections.namedtuple(
    "Record", "time client_addr method path query status bytes user_agent remote_addr"
)
Record.__doc__ = """One request: ``time`` (int, seconds since 1970, from the logged time and offset),
``client_addr`` (the first field), ``method``, ``path`` (without the query), ``query`` (dict;
the last value of a repeated key wins, as mirrors-countme reads it), ``status`` (int), ``bytes``
(int, 0 for "-"), ``user_agent``, ``remote_addr`` (the trailing quoted field of the AlmaLinux
format, else None)."""

_LINE = re.compile(
    r'(?P<client>\S+) \S+ \S+ \[(?P<time>[^\]]+)\] '
    r'"(?P<method>[A-Z]+) (?P<target>\S+) (?P<protocol>[^"\s]+)" '
    r'(?P<status>\d{3}) (?P<bytes>\d+|-) "(?P<referer>[^"]*)" "(?P<agent>[^"]*)"'
    r'(?: "(?P<remote>[^"]*)")?\s*\Z'
)
_TIME = re.compile(r"(\d{2})/([A-Z][a-z]{2})/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})\Z")
_MONTHS = {name: number for number, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}


class LogFormatError(ValueError):
    """A line that is in neither log format."""


class DamagedLogError(LogFormatError):
    """A compressed log whose data stops short or is damaged, after a number of whole lines."""


def _damaged(path, number, error):
    """The DamagedLogError for ``error`` (a compression.DamagedData) met after line ``number``."""
    where = "after reading {:,} line{}".format(number, "" if number == 1 else "s") if number else \
        "before reading any line"
    return DamagedLogError("%s: truncated or damaged %s data %s (%s); copy or regenerate the file, or "
                           "leave it out" % (path, error.kind, where, error.detail))


def parse_time(text):
    """Seconds since 1970 of a log time such as ``21/Nov/2026:10:50:42 +0000``."""
    match = _TIME.match(text)
    if not match or match.group(2) not in _MONTHS:
        raise ValueError("not a log time: %r" % text)
    day, month, year, hour, minute, second, sign, off_h, off_m = match.groups()
    when = calendar.timegm((int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second)))
    offset = (int(off_h) * 60 + int(off_m)) * 60
    return when - offset if sign == "+" else when + offset


_CLOCK = {}  # "HH:MM:SS" -> seconds into the day, filled on first use (TimeReader)


class TimeReader:
    """parse_time for the lines of one file, in their order, at a fraction of its cost.

    Lines come in time order, so most share the date and offset of the line
    before: after a full parse_time of a day's first line, the next lines with
    the same date and offset only look their clock up in a table of the day's
    86,400. The seconds are parse_time's own (it is linear in hours, minutes
    and seconds); anything else goes through parse_time, errors included.
    """

    def __init__(self):
        if not _CLOCK:
            _CLOCK.update(("%02d:%02d:%02d" % (second // 3600, second // 60 % 60, second % 60), second)
                          for second in range(86400))
        self._date = self._zone = None
        self._midnight = 0

    def parse(self, text):
        if text[:12] == self._date and text[20:] == self._zone:
            second = _CLOCK.get(text[12:20])
            if second is not None:
                return self._midnight + second
        when = parse_time(text)
        self._date, self._zone = text[:12], text[20:]
        self._midnight = when - (int(text[12:14]) * 3600 + int(text[15:17]) * 60 + int(text[18:20]))
        return when


def parse_line(line):
    """The Record of one line (str, newline allowed); raises ValueError when it is in neither format."""
    match = _LINE.match(line)
    if not match:
        raise ValueError("not an access-log line")
    path, _, query = match.group("target").partition("?")
    size = match.group("bytes")
    return Record(
        time=parse_time(match.group("time")),
        client_addr=match.group("client"),
        method=match.group("method"),
        path=path,
        query=dict(parse_qsl(query, keep_blank_values=True)),
        status=int(match.group("status")),
        bytes=0 if size == "-" else int(size),
        user_agent=match.group("agent"),
        remote_addr=match.group("remote"),
    )


def _open(path):
    return compression.open_text(path)


class SkippedLines:
    """What ``errors="skip"`` passed over: how many lines, one example, and the files with no log line."""

    def __init__(self):
        self.count = 0
        self.example = None  # (path, line number, the line's first 200 characters)
        self.files_without_records = []  # (path, lines that were not blank)

    def skip(self, path, number, line):
        self.count += 1
        if self.example is None:
            self.example = (str(path), number, line.rstrip("\r\n")[:200])

    def file_done(self, path, records, lines):
        if records == 0:
            self.files_without_records.append((str(path), lines))


def read_log(path, errors="raise", skipped=None):
    """Records of the log file at ``path`` (``.gz`` and ``.zst`` are decompressed), in file order.

    ``errors="skip"`` passes over lines in neither format instead of raising
    LogFormatError, and counts them in ``skipped`` (a SkippedLines) when given.
    """
    records = lines = number = 0
    with _open(path) as handle:
        try:
            for number, line in enumerate(handle, 1):  # noqa: B007 - `number` is read after the loop
                if not line.strip():
                    continue
                lines += 1
                try:
                    record = parse_line(line)
                except ValueError as error:
                    if errors == "skip":
                        if skipped is not None:
                            skipped.skip(path, number, line)
                        continue
                    raise LogFormatError("%s line %d: %s: %r" % (path, number, error, line[:200])) from None
                records += 1
                yield record
        except compression.DamagedData as error:
            raise _damaged(path, number, error) from None
    if skipped is not None:
        skipped.file_done(path, records, lines)


def read_requests(path):
    """``(time, client_addr, method, target, user_agent, status)`` of each line of the log file at
    ``path``, the request target as logged: what a replay sends, with no more parsing than that.
    Lines in neither format raise LogFormatError."""
    match_line = _LINE.match
    times = TimeReader()
    number = 0
    with _open(path) as handle:
        try:  # around the loop, not in it: no cost per line
            for number, line in enumerate(handle, 1):  # noqa: B007 - `number` is read after the loop
                match = match_line(line)
                if match is None:
                    if not line.strip():
                        continue
                    raise LogFormatError("%s line %d: not an access-log line: %r"
                                         % (path, number, line[:200]))
                # groups() and unpacking: a fraction of the cost of group() by name, on every line replayed
                client, text, method, target, _, status, _, _, agent, _ = match.groups()
                try:
                    when = times.parse(text)
                except ValueError as error:
                    raise LogFormatError("%s line %d: %s" % (path, number, error)) from None
                yield when, client, method, target, agent, int(status)
        except compression.DamagedData as error:
            raise _damaged(path, number, error) from None


def read_logs(paths, errors="raise"):
    """Records of several files, one file after the other."""
    for path in paths:
        yield from read_log(path, errors)
