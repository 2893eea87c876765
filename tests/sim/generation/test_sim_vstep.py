"""The vectorised countme step equals the model's client_step, request by request."""

import numpy as np
import pytest

from alma_countme import model
from alma_countme.model import Cookie, client_step
from alma_countme.sim.generation import vstep

NOW = 1794787200  # Monday 2026-11-16 00:00 UTC


class OneDraw:
    """A random source that hands out one given draw, and records whether it was asked."""

    def __init__(self, value):
        self.value = value
        self.used = False

    def randint(self, low, high):
        assert (low, high) == (1, model.BUDGET) and not self.used
        self.used = True
        return self.value


def random_cases(rng, count):
    """Cookies, times, system epochs and draws spread over the cases that matter."""
    now = NOW + rng.integers(-200, 200, count) * model.WINDOW // 7 + rng.integers(0, 86400, count)
    weeks_back = rng.integers(-3, 60, count)
    window_kind = rng.integers(0, 4, count)
    window = np.select(
        [window_kind == 0, window_kind == 1, window_kind == 2],
        [model.window_start(now) - weeks_back * model.WINDOW,  # a Monday-aligned earlier window
         np.full(count, model.OFFSET),  # libdnf's default cookie
         now - rng.integers(-10 * model.WINDOW, 10 * model.WINDOW, count)],  # arbitrary, also the future
        default=rng.integers(-(1 << 40), 1 << 40, count),
    )
    epoch_kind = rng.integers(0, 3, count)
    epoch = np.select(
        [epoch_kind == 0, epoch_kind == 1],
        [np.zeros(count, np.int64), model.window_start(now) - rng.integers(-5, 400, count) * model.WINDOW],
        default=rng.integers(-(1 << 40), 1 << 40, count),
    )
    budget = rng.integers(-3, 6, count)
    system_epoch = np.where(rng.random(count) < 0.5, 0,
                            model.window_start(now - rng.integers(-30 * 86400, 3000 * 86400, count)))
    draws = rng.integers(1, model.BUDGET + 1, count)
    return epoch, window, budget, now, system_epoch, draws


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_vectorised_step_equals_client_step(seed):
    rng = np.random.default_rng(seed)
    epoch, window, budget, now, system_epoch, draws = random_cases(rng, 4000)
    flag, bucket, new_epoch, new_window, new_budget, drawn = vstep.countme_step(
        epoch, window, budget, now, system_epoch, draws)
    outcomes = set()
    for i in range(len(now)):
        source = OneDraw(int(draws[i]))
        cookie = Cookie(0, int(epoch[i]), int(window[i]), int(budget[i]))
        step = client_step(cookie, int(now[i]), int(system_epoch[i]) or None, source)
        expected_cookie = step.cookie or cookie
        got = (bool(flag[i]), int(bucket[i]) or None, int(new_epoch[i]), int(new_window[i]),
               int(new_budget[i]), bool(drawn[i]))
        want = (step.flag, step.bucket, expected_cookie.epoch, expected_cookie.window,
                expected_cookie.budget, source.used)
        assert got == want, "case %d: cookie %s at %d, system epoch %d, draw %d" % (
            i, cookie, now[i], system_epoch[i], draws[i])
        outcomes.add((step.reason, step.bucket))
    # The cases reach every outcome and every bucket, so the comparison means something.
    assert {reason for reason, _ in outcomes} == {model.COUNTED, model.SPENDING, model.ALREADY_COUNTED}
    assert {b for _, b in outcomes if b} == {1, 2, 3, 4}


def test_sequences_of_steps_stay_equal():
    """Forty requests per cookie over twenty weeks, carried state and all."""
    rng = np.random.default_rng(9)
    count = 300
    times = NOW + np.sort(rng.integers(0, 20 * model.WINDOW, (count, 40)), axis=1)
    installed = model.window_start(NOW - rng.integers(0, 400, count) * 86400)
    system_epoch = np.where(rng.random(count) < 0.5, 0, installed)
    epoch = np.zeros(count, np.int64)
    window = np.full(count, model.OFFSET, np.int64)
    budget = np.full(count, -1, np.int64)
    cookies = [model.DEFAULT_COOKIE] * count
    for column in range(times.shape[1]):
        draws = rng.integers(1, model.BUDGET + 1, count)
        flag, bucket, epoch, window, budget, _ = vstep.countme_step(
            epoch, window, budget, times[:, column], system_epoch, draws)
        for i in range(count):
            step = client_step(cookies[i], int(times[i, column]), int(system_epoch[i]) or None,
                               OneDraw(int(draws[i])))
            cookies[i] = step.cookie or cookies[i]
            assert (step.flag, step.bucket or 0) == (bool(flag[i]), int(bucket[i]))
            assert tuple(cookies[i][1:]) == (epoch[i], window[i], budget[i])


def test_bucket_helpers_equal_the_model():
    steps = np.arange(-1000, 1000)
    assert vstep.bucket_for_step(steps).tolist() == [model.bucket_for_step(int(s)) for s in steps]
    rng = np.random.default_rng(4)
    epoch = rng.integers(-(1 << 62), 1 << 62, 5000)
    window = rng.integers(-(1 << 62), 1 << 62, 5000)
    assert vstep.weeks_between(epoch, window).tolist() == [
        model.weeks_between(int(e), int(w)) for e, w in zip(epoch, window)]
    expected = [model.bucket(int(e), int(w)) for e, w in zip(epoch, window)]
    assert vstep.bucket(epoch, window).tolist() == expected
    when = rng.integers(0, 1 << 40, 1000)
    assert vstep.monday_epoch(when).tolist() == [model.monday_epoch(int(w)) for w in when]
