"""The countme model against the facts of doc/background.md §1."""

import calendar
import random

import pytest

from alma_countme import model
from alma_countme.model import DEFAULT_COOKIE, WINDOW, Cookie, client_step


def utc(text):
    fields = text.replace("-", " ").replace(":", " ").split()
    return calendar.timegm(tuple(int(p) for p in fields) + (0, 0, 0))


class FixedDraws:
    """An rng whose randint returns the given draws in order, and counts them."""

    def __init__(self, *draws):
        self.draws = list(draws)

    def randint(self, low, high):
        value = self.draws.pop(0)
        assert low <= value <= high
        return value


def test_windows_start_on_monday_midnight_utc():
    # 2026-11-21 is a Saturday; its window starts Monday 2026-11-16.
    assert model.window_start(utc("2026-11-21 10:50:00")) == utc("2026-11-16 00:00:00")
    assert model.window_start(utc("2026-11-16 00:00:00")) == utc("2026-11-16 00:00:00")
    assert model.window_start(utc("2026-11-15 23:59:59")) == utc("2026-11-09 00:00:00")
    assert model.window_start(utc("1970-01-05 00:00:00")) == model.OFFSET


@pytest.mark.parametrize(
    "step,expected",
    [(-3, 1), (0, 1), (1, 1), (2, 2), (4, 2), (5, 3), (24, 3), (25, 4), (1000, 4)],
)
def test_bucket_table(step, expected):
    assert model.bucket_for_step(step) == expected
    epoch = utc("2025-01-06 00:00:00")
    assert model.bucket(epoch, epoch + step * WINDOW) == expected


def test_step_truncates_toward_zero_like_cxx():
    # An epoch half a week in the future of the window: C++ gives step 0, floor would give -1.
    assert model.weeks_between(WINDOW // 2, 0) == 0
    assert model.weeks_between(0, -WINDOW - 1) == -1


def test_first_request_with_budget_one_counts_in_bucket_one():
    now = utc("2026-11-18 12:00:00")
    step = client_step(DEFAULT_COOKIE, now, rng=FixedDraws(1))
    assert step.flag and step.bucket == 1 and step.drawn == 1
    assert step.cookie == Cookie(0, utc("2026-11-16 00:00:00"), utc("2026-11-16 00:00:00"), -1)


def test_budget_is_spent_before_the_flag_and_carries_across_weeks():
    now = utc("2026-11-18 12:00:00")
    first = client_step(DEFAULT_COOKIE, now, rng=FixedDraws(3))
    assert not first.flag and first.cookie.budget == 2 and first.reason == model.SPENDING
    # The next request comes two weeks later: the unspent budget is used, no new draw.
    later = client_step(first.cookie, now + 2 * WINDOW, rng=FixedDraws())
    assert not later.flag and later.cookie.budget == 1 and later.drawn is None
    counted = client_step(later.cookie, now + 2 * WINDOW + 60, rng=FixedDraws())
    assert counted.flag and counted.bucket == 1
    assert counted.cookie.window == utc("2026-11-30 00:00:00")


def test_counted_window_is_not_counted_again():
    now = utc("2026-11-18 12:00:00")
    counted = client_step(DEFAULT_COOKIE, now, rng=FixedDraws(1)).cookie
    again = client_step(counted, utc("2026-11-22 23:59:59"), rng=FixedDraws())
    assert again == model.Step(False, None, None, model.ALREADY_COUNTED, None)
    assert model.next_countable_time(counted, now) == utc("2026-11-23 00:00:00")


def test_legacy_age_is_weeks_since_first_count():
    rng = random.Random(7)
    cookie = DEFAULT_COOKIE
    start = utc("2026-01-05 09:00:00")
    buckets = []
    for week in range(30):
        for run in range(4):
            step = client_step(cookie, start + week * WINDOW + run * 3600, rng=rng)
            cookie = step.cookie or cookie
            if step.flag:
                buckets.append(step.bucket)
    # Four requests a week always exhaust a budget of at most four: one flag a week.
    assert buckets == [1, 1, 2, 2, 2, 3] + [3] * 19 + [4] * 5


def test_machine_id_rule_uses_install_week():
    installed = utc("2025-03-12 08:00:00")  # a Wednesday
    epoch = model.system_epoch_for(model.EPOCH_MACHINE_ID, installed)
    assert epoch == utc("2025-03-10 00:00:00")
    step = client_step(DEFAULT_COOKIE, utc("2026-11-18 12:00:00"), epoch, FixedDraws(1))
    assert step.bucket == 4 and step.cookie.epoch == epoch
    assert model.system_epoch_for(model.EPOCH_LEGACY, installed) is None
    assert model.system_epoch_for(model.EPOCH_MACHINE_ID, None) is None
    with pytest.raises(ValueError, match="unknown epoch rule"):
        model.system_epoch_for("nonsense", installed)


def test_window_field_of_zero_gives_thursday_aligned_windows():
    # libdnf aligns the new window to the cookie's window field, not to Monday:
    # a garbage field read as 0 (1970-01-01, a Thursday) shifts every later window.
    now = utc("2026-11-21 10:00:00")
    step = client_step(Cookie(0, 0, 0, -1), now, rng=FixedDraws(1))
    assert step.cookie.window == utc("2026-11-19 00:00:00")


def test_window_in_the_future_blocks_counting_without_writing():
    now = utc("2026-11-21 10:00:00")
    step = client_step(Cookie(0, 0, now + 10 * WINDOW, 2), now, rng=FixedDraws())
    assert step.cookie is None and not step.flag


def test_huge_window_field_does_not_overflow():
    now = utc("2026-11-21 10:00:00")
    assert client_step(Cookie(0, 0, -(1 << 63), -1), now).cookie is None
    assert client_step(Cookie(0, 0, (1 << 63) - 1, -1), now).cookie is None
