"""Locust replay of a simulated stream, spread over Locust workers.

Run (one master, N workers, on one or many machines that all see the stream)::

    locust -f alma_countme/sim/traffic/locustfile.py --master --headless --expect-workers 2 \\
        -u 64 -r 64 --run-time 10m -H http://127.0.0.1:8080 --stream out/ --speedup 600
    locust -f alma_countme/sim/traffic/locustfile.py --worker --master-host MASTER   # on each worker

Worker k of N (Locust's worker index, N = --expect-workers, both handed out
by the master) replays the requests whose position in the stream is k modulo
N: the shards are disjoint and together are the whole stream (a worker
beyond the N, one more than --expect-workers, replays nothing and says so:
the N shards are already the whole). Its users take
the next request of the worker's shard, wait until it is due (stream time
compressed by --speedup; max, or 0, sends as fast as the users can) and send it with
the simulated client's User-Agent, X-Forwarded-For, X-Countme-Sim-Time and
X-Countme-Sim-Status (see `countme-sim serve --sim-headers`).
When every worker has sent its whole shard it tells the master, which ends
the run; --run-time and --stream-max-requests bound it too. A target that is
not a loopback address is refused unless --allow-remote-target is given.
"""

import argparse
import logging
import sys
import time

import gevent
from locust import FastHttpUser, constant, events, task
from locust.exception import StopUser
from locust.runners import MasterRunner, WorkerRunner

from alma_countme.sim.common.errors import SimError
from alma_countme.sim.logs import logsource
from alma_countme.sim.traffic.server import SIM_STATUS_HEADER, SIM_TIME_HEADER
from alma_countme.sim.traffic.target import check_target

DONE_MESSAGE = "countme_shard_done"
log = logging.getLogger("countme-sim.locust")


@events.init_command_line_parser.add_listener
def _arguments(parser):
    group = parser.add_argument_group("countme-sim replay")
    group.add_argument("--stream", default="", help="generate's output directory, or log files/directories")
    group.add_argument("--speedup", type=speedup, default=0.0, metavar="X|max",
                       help="compress stream time by this factor; max (or 0) sends as fast as possible")
    group.add_argument("--stream-max-requests", type=int, default=0,
                       help="replay only the first N requests of the stream (0: all)")
    group.add_argument("--allow-remote-target", action="store_true", default=False,
                       help="allow a target that is not a loopback address")


def speedup(text):
    """--speedup as `countme-sim replay` takes it: a factor above 0, or max (also 0) for as fast as
    possible, which is 0.0 here (a number, as Locust hands the options to its workers)."""
    if text.strip().lower() == "max":
        return 0.0
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value == 0:
        return 0.0
    if not value > 0:  # also NaN
        raise argparse.ArgumentTypeError("expected a number above 0, or max (or 0) to send as fast as "
                                         "possible, got %r" % text)
    return value


class Shard:
    """This worker's part of the stream: every request at position ``index`` modulo ``count``."""

    def __init__(self, paths, index, count, speedup, max_requests):
        self.index, self.count = index, count
        self.speedup = speedup
        self._requests = self._pick(logsource.replay_requests(paths), max_requests)
        self.start = time.monotonic()
        self.first_time = None
        self.in_flight = 0
        self.exhausted = False
        self.reported = False
        self.sent = 0
        self.failed = 0

    def _pick(self, requests, max_requests):
        for position, request in enumerate(requests):
            if max_requests and position >= max_requests:
                return
            if position % self.count == self.index:
                yield request

    def take(self):
        """The next request and its due time (monotonic), or None when the shard is done."""
        request = None if self.exhausted else next(self._requests, None)
        if request is None:
            self.exhausted = True
            return None
        if self.first_time is None:
            self.first_time = request.time
        self.in_flight += 1
        self.sent += 1
        if not self.speedup:
            return request, self.start
        return request, self.start + (request.time - self.first_time) / self.speedup

    def done_one(self, ok):
        self.in_flight -= 1
        if not ok:
            self.failed += 1

    def finished(self):
        return self.exhausted and self.in_flight == 0


_state = {"shard": None, "done": {}}


@events.init.add_listener
def _on_init(environment, **_kwargs):
    if isinstance(environment.runner, WorkerRunner):
        return  # a worker learns the host and the options from the master when the test starts
    problem = _problem(environment)
    if problem:
        sys.exit("countme-sim locustfile: %s" % problem)  # before any user or worker starts
    if isinstance(environment.runner, MasterRunner):
        environment.runner.register_message(DONE_MESSAGE, _shard_done_on_master(environment))


def _problem(environment):
    """Why this run must not start (no stream, or a target outside loopback), or None."""
    options = environment.parsed_options
    if options is None:
        return None
    if not options.stream:
        return "--stream is required (generate's output directory, or log files)"
    if environment.host:
        try:
            check_target(environment.host.rstrip("/"), allow_remote=options.allow_remote_target)
        except SimError as error:
            return str(error)
    return None


def _shard_done_on_master(environment):
    def receive(msg, **_kwargs):
        expected = environment.parsed_options.expect_workers
        if msg.data["index"] >= expected:
            return  # a worker beyond --expect-workers has no shard; only the N shards end the run
        _state["done"][msg.data["index"]] = msg.data
        log.info("worker %s finished its shard (%s requests); %d of %d done",
                 msg.data["index"], msg.data["sent"], len(_state["done"]), expected)
        if len(_state["done"]) >= expected:
            gevent.spawn(environment.runner.quit)

    return receive


@events.test_start.add_listener
def _on_test_start(environment, **_kwargs):
    if isinstance(environment.runner, MasterRunner):
        _state["done"] = {}
        return
    problem = _problem(environment)
    if problem:  # the master checked already; a worker checks what it was sent
        log.error("not replaying: %s", problem)
        _state["shard"] = None
        return
    options = environment.parsed_options
    if isinstance(environment.runner, WorkerRunner):
        index, count = environment.runner.worker_index, max(1, options.expect_workers)
    else:
        index, count = 0, 1
    if index >= count:
        whole = "worker 0 replays" if count == 1 else "workers 0 to %d replay" % (count - 1)
        log.warning("not replaying: worker %d is beyond --expect-workers %d (%s the whole stream)",
                    index, count, whole)
        _state["shard"] = None
        return
    _state["shard"] = Shard([options.stream], index, count, options.speedup, options.stream_max_requests)
    log.info("replaying shard %d of %d of %s", index, count, options.stream)


def _report_done(environment, shard):
    if shard.reported:
        return
    shard.reported = True
    data = {"index": shard.index, "count": shard.count, "sent": shard.sent, "failed": shard.failed}
    if isinstance(environment.runner, WorkerRunner):
        environment.runner.send_message(DONE_MESSAGE, data)
    else:
        gevent.spawn(environment.runner.quit)


class CountmeReplayUser(FastHttpUser):
    """Sends the worker's shard, one request at a time per user, each when it is due."""

    wait_time = constant(0)

    @task
    def replay_next(self):
        shard = _state["shard"]
        item = shard.take() if shard is not None else None
        if item is None:
            if shard is not None and shard.finished():
                _report_done(self.environment, shard)
            raise StopUser()
        request, due = item
        delay = due - time.monotonic()
        if delay > 0:
            gevent.sleep(delay)
        headers = {"User-Agent": request.agent, "X-Forwarded-For": request.addr,
                   SIM_TIME_HEADER: str(request.time), SIM_STATUS_HEADER: str(request.status)}
        ok = False
        try:
            with self.client.request(request.method, request.target, headers=headers,
                                     name=request.target.split("?", 1)[0], catch_response=True) as response:
                # An error status is fine when it is the one the simulated service gave.
                ok = response.status_code is not None and (0 < response.status_code < 400
                                                           or response.status_code == request.status)
                if ok:
                    response.success()  # else Locust marks every status >= 400 as a failure
                else:
                    response.failure("status %s" % response.status_code)
        finally:
            shard.done_one(ok)
            if shard.finished():
                _report_done(self.environment, shard)
