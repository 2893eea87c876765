"""When the next countme flag goes out, with which bucket, after how many requests, and to which URL.

The prediction replays the one model (:func:`alma_countme.model.client_step`)
on the cookie libdnf will read, drawing the lowest and then the highest budget,
so the answer holds whatever libdnf draws.

Runs on Python 3.6: standard library only.
"""

import collections

from .isotime import iso_date, iso_time
from .model import BUCKET_LABELS, BUDGET, client_step, next_countable_time


class _Draw(object):
    """A stand-in for ``random`` that always draws the lowest or the highest budget."""

    def __init__(self, highest):
        self.highest = highest

    def randint(self, low, high):
        return high if self.highest else low


def flag_url(url, flag):
    """The URL librepo requests when it appends the one-time flag to ``url``."""
    return url + ("&" if "?" in url else "?") + flag


def _requests_until_flag(cookie, when, system_epoch, highest):
    """How many eligible requests at ``when`` until the flag, and the Step that carries it."""
    for count in range(1, 2 * BUDGET + 2):
        step = client_step(cookie, when, system_epoch, rng=_Draw(highest))
        if step.flag:
            return count, step
        cookie = step.cookie
    return None, None


def predict_next_flag(cookie, now, system_epoch=None):
    """When, with which bucket, and after how many eligible requests the next flag goes out.

    The earliest week is certain once that many requests happen in it; fewer
    requests carry the unspent budget into later weeks (and maybe a later bucket).
    """
    when = next_countable_time(cookie, now)
    fewest, step = _requests_until_flag(cookie, when, system_epoch, highest=False)
    most, _ = _requests_until_flag(cookie, when, system_epoch, highest=True)
    if step is None:
        # A damaged budget far above 1..4: libdnf spends one per request until it runs out.
        fewest = most = cookie.budget
        _, step = _requests_until_flag(cookie._replace(budget=1), when, system_epoch, highest=False)
    week = step.cookie.window
    return collections.OrderedDict([
        ("earliest", when),
        ("earliest_iso", iso_time(when)),
        ("week_start", week),
        ("week_start_iso", iso_date(week)),
        ("bucket", step.bucket),
        ("bucket_label", BUCKET_LABELS.get(step.bucket)),
        ("flag", "countme=%d" % step.bucket),
        ("requests_min", fewest),
        ("requests_max", most),
    ])
