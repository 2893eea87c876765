"""The types of scenario values: what each accepts, how it says so, and its value normalised.

Each :class:`Spec` checks one key's value (``check``) and describes what is
allowed (``allowed``) for the messages and ``countme-sim scenario --keys``;
:mod:`alma_countme.sim.config.schema` lists which key has which.
"""

import datetime
import math
import re

SHARE_TOLERANCE = 1e-6
# mirrors-countme ignores countme data before this Monday (its COUNTME_START_TIME).
FIRST_COUNTED_MONDAY = datetime.date(2020, 2, 10)
# An AlmaLinux version, as os-release's VERSION_ID gives it.
VERSION = re.compile(r"(8|9|10)\.(0|[1-9][0-9]?)\Z")


class Spec:
    """One key's type and allowed values."""

    atomic = True  # a new value replaces the old one as a whole

    def __init__(self, doc):
        self.doc = doc

    def allowed(self):
        raise NotImplementedError

    def check(self, value, key):
        """The value, normalised; raises ValueError(reason) when it is not allowed."""
        raise NotImplementedError


def _number(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("not a number: %r" % (value,))
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("not a finite number: %r" % (value,))
    return value


class Int(Spec):
    def __init__(self, low, high, doc):
        super().__init__(doc)
        self.low, self.high = low, high

    def allowed(self):
        return "an integer from %s to %s" % (self.low, self.high)

    def check(self, value, key):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("not an integer: %r" % (value,))
        if not self.low <= value <= self.high:
            raise ValueError("%d is out of range" % value)
        return value


class Float(Spec):
    def __init__(self, low, high, doc):
        super().__init__(doc)
        self.low, self.high = low, high

    def allowed(self):
        return "a number from %s to %s" % (self.low, self.high)

    def check(self, value, key):
        value = float(_number(value))
        if not self.low <= value <= self.high:
            raise ValueError("%s is out of range" % value)
        return value


def Share(doc):
    return Float(0.0, 1.0, doc)


class Choice(Spec):
    def __init__(self, choices, doc):
        super().__init__(doc)
        self.choices = choices

    def allowed(self):
        return "one of: %s" % ", ".join(self.choices)

    def check(self, value, key):
        if value not in self.choices:
            raise ValueError("%r is not allowed" % (value,))
        return value


class Text(Spec):
    """Text matching ``pattern``, never with a double quote or semicolon (they would end a User-Agent
    field); ``allowed_text`` says what ``pattern`` allows."""

    def __init__(self, doc, pattern=r"[ -~]{1,80}\Z",
                 allowed_text="printable ASCII text, 1 to 80 characters, no double quote or semicolon"):
        super().__init__(doc)
        self.pattern = re.compile(pattern)
        self.allowed_text = allowed_text

    def allowed(self):
        return self.allowed_text

    def check(self, value, key):
        if not isinstance(value, str) or not self.pattern.match(value) or '"' in value or ";" in value:
            raise ValueError("%r is not allowed" % (value,))
        return value


class Monday(Spec):
    def allowed(self):
        return "a date (YYYY-MM-DD, no quotes) that is a Monday, from %s on" % FIRST_COUNTED_MONDAY

    def check(self, value, key):
        if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
            raise ValueError("not a date: %r" % (value,))
        if value.weekday() != 0:
            raise ValueError("%s is a %s" % (value, value.strftime("%A")))
        if value < FIRST_COUNTED_MONDAY:
            raise ValueError("%s is before mirrors-countme's first counted week" % value)
        return value


class Date(Spec):
    def allowed(self):
        return "a date (YYYY-MM-DD, no quotes)"

    def check(self, value, key):
        if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
            raise ValueError("not a date: %r" % (value,))
        return value


class Range(Spec):
    def __init__(self, low, high, doc):
        super().__init__(doc)
        self.low, self.high = low, high

    def allowed(self):
        return "[LOW, HIGH] with %s <= LOW <= HIGH <= %s" % (self.low, self.high)

    def check(self, value, key):
        if not isinstance(value, list) or len(value) != 2:
            raise ValueError("not a pair [LOW, HIGH]: %r" % (value,))
        low, high = (float(_number(v)) for v in value)
        if not self.low <= low <= high <= self.high:
            raise ValueError("%r is out of range or not in order" % (value,))
        return [low, high]


class Mix(Spec):
    """Shares of named things that add up to 1."""

    def __init__(self, names, doc, name_check=None, names_text=None):
        super().__init__(doc)
        self.names = names
        self.name_check = name_check
        self.names_text = names_text

    def allowed(self):
        names = self.names_text or ", ".join(self.names)
        return "a table {NAME = SHARE, ...} of shares adding up to 1; NAME: %s" % names

    def check(self, value, key):
        if not isinstance(value, dict) or not value:
            raise ValueError("not a non-empty table of shares: %r" % (value,))
        result = {}
        for name, share in value.items():
            if self.name_check is not None:
                if not self.name_check(name):
                    raise ValueError("%r is not an allowed name" % name)
            elif name not in self.names:
                raise ValueError("%r is not an allowed name" % name)
            share = float(_number(share))
            if not 0.0 <= share <= 1.0:
                raise ValueError("share of %r is %s, not between 0 and 1" % (name, share))
            result[name] = share
        total = sum(result.values())
        if abs(total - 1.0) > SHARE_TOLERANCE:
            raise ValueError("shares add up to %.6g, not 1" % total)
        return result


class PerMajor(Spec):
    """A value for each major version; a file may change some of them."""

    atomic = False

    def __init__(self, value_spec, doc, majors):
        super().__init__(doc)
        self.value_spec = value_spec
        self.majors = majors

    def allowed(self):
        items = ", ".join('"%s" = V' % major for major in self.majors)
        return "a table {%s}, V: %s" % (items, self.value_spec.allowed())

    def check(self, value, key):
        if not isinstance(value, dict):
            raise ValueError("not a table: %r" % (value,))
        result = {}
        for major in self.majors:
            if major not in value:
                raise ValueError("no value for major version %s" % major)
        for major, item in value.items():
            if major not in self.majors:
                raise ValueError("%r is not one of %s" % (major, ", ".join(self.majors)))
            try:
                result[major] = self.value_spec.check(item, key)
            except ValueError as error:
                raise ValueError('"%s": %s' % (major, error)) from None
        return result


class VersionWeeks(Spec):
    """Versions released during the run: {"9.8" = WEEK}."""

    def allowed(self):
        return 'a table {"MAJOR.MINOR" = WEEK, ...}, MAJOR 8, 9 or 10, WEEK a week of the run (0 = first)'

    def check(self, value, key):
        if not isinstance(value, dict):
            raise ValueError("not a table: %r" % (value,))
        for version, week in value.items():
            if not VERSION.match(version):
                raise ValueError("%r is not MAJOR.MINOR with MAJOR 8, 9 or 10" % version)
            if isinstance(week, bool) or not isinstance(week, int) or week < 0:
                raise ValueError("week of %s must be an integer >= 0, not %r" % (version, week))
        return dict(value)


class Schedule(Spec):
    """A share that changes during the run: {"WEEK" = SHARE, ...}, each from its week on."""

    def allowed(self):
        return ('a table {"WEEK" = SHARE, ...}, WEEK a week of the run (0 = first), SHARE from 0 to 1, '
                'not decreasing from week to week; {} = never')

    def check(self, value, key):
        if not isinstance(value, dict):
            raise ValueError("not a table: %r" % (value,))
        steps = []
        for week, share in value.items():
            if not re.match(r"(0|[1-9][0-9]*)\Z", week):
                raise ValueError("%r is not a week number" % week)
            share = float(_number(share))
            if not 0.0 <= share <= 1.0:
                raise ValueError("share of week %s is %s, not between 0 and 1" % (week, share))
            steps.append((int(week), share))
        steps.sort()
        for (week, share), (_, before) in zip(steps[1:], steps):
            if share < before:
                raise ValueError("share drops in week %d (%s after %s)" % (week, share, before))
        return {str(week): share for week, share in steps}


def schedule_at(schedule, week):
    """The share a :class:`Schedule` value gives ``week`` (0 before its first step)."""
    share = 0.0
    for step, value in schedule.items():
        if int(step) <= week:
            share = value
    return share


class Database(Spec):
    """Where countries come from: none, Debian's geoip-database, or a MaxMind DB file."""

    def allowed(self):
        return ('"none" (no countries), "geoip-database" (Debian\'s /usr/share/GeoIP/GeoIP.dat and '
                'GeoIPv6.dat) or the path of a MaxMind DB country database (.mmdb)')

    def check(self, value, key):
        if not isinstance(value, str) or not value or "\0" in value or len(value) > 4096:
            raise ValueError("%r is not allowed" % (value,))
        return value
