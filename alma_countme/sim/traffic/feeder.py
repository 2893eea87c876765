"""Reading and encoding a logged stream in a process of its own, for the replay client.

Why a second process: reading the logs back (a regular expression per line)
and encoding each request cost the client about as much per request as the
HTTP itself, and the client is one Python process on one core. The feeder
does both on the other core and hands over prepared requests (see
:mod:`wire`) in batches through a pipe; the client unpickles a batch in one C
call and sends. The bytes on the wire are those :func:`wire.encode_request`
gives, in the stream's order, as when the client encodes them itself.

At --speedup max the feeder runs at the lowest priority (nice 19). Client
and server answer each other over the connections and leave the cores idle
for moments; a feeder at their priority takes its core from one of them
instead, and the other then waits for it. (Ten alternating 3-second replays
of a generated 20,000-system stream on the project's 2-core VM: 7% more
answers with the feeder at nice 19.) A paced replay keeps the feeder at the
client's priority: on a machine busy with other work, a feeder at nice 19
could fall behind the schedule.

The pipe bounds how far the feeder runs ahead (1 MiB where Linux allows it,
a few thousand requests), so memory stays constant however long the stream.
A stream that fails to read (a line in neither log format, an unreadable
file) ends the replay with the same SimError it would give in the client's
own process.
"""

import contextlib
import itertools
import multiprocessing
import os
import signal

try:
    from fcntl import F_SETPIPE_SZ, fcntl
except ImportError:  # not Linux, or Python before 3.10: the pipe keeps its size
    F_SETPIPE_SZ = None

from alma_countme.sim.common.errors import SimError
from alma_countme.sim.logs import logsource
from alma_countme.sim.traffic.wire import prepare_logged

BATCH = 512  # requests per message: one pickle and one wake-up per 512 requests
LOWEST_PRIORITY = 19  # the nice value of the feeder at --speedup max
PIPE_BYTES = 1 << 20  # Linux's default ceiling for a pipe: about 4,000 requests of lead


class Feed:
    """The prepared requests of the logs under ``paths``, read and encoded in a child process.

    Iterate it once; close it (or use it as a context manager) so the child
    stops when the replay stops before the end of the stream.
    """

    def __init__(self, paths, host_header, sim_headers=True, batch=BATCH, lowest_priority=False):
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self.receiver, sender = context.Pipe(duplex=False)
        _widen(self.receiver)
        self.process = context.Process(
            target=_feed,
            args=(list(paths), host_header, sim_headers, sender, self.receiver, batch, lowest_priority),
            name="countme-sim replay feeder", daemon=True)
        self.process.start()
        sender.close()  # the child holds the only writing end: its exit is our end of file
        self.requests = itertools.chain.from_iterable(self._batches())

    def __iter__(self):
        return self.requests

    def _batches(self):
        while True:
            try:
                batch = self.receiver.recv()
            except EOFError:
                self.process.join(5)
                raise SimError("replay: the process reading the stream stopped (exit status %s)"
                               % self.process.exitcode) from None
            if batch is None:
                return
            if isinstance(batch, str):
                raise SimError(batch)
            yield batch

    def close(self):
        self.receiver.close()
        if self.process.is_alive():
            self.process.terminate()
        self.process.join(10)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def prepared_stream(paths, host_header, sim_headers=True):
    """The prepared requests of the logs under ``paths``, in time order: what wire.prepare of
    logsource.replay_requests gives, at less cost (each directory's requests encoded from their
    logged fields, then merged by time, prepared[0])."""
    return logsource.merge_by_time([prepare_logged(stream, host_header, sim_headers)
                                    for stream in logsource.logged_streams(paths)])


def _widen(pipe):
    """Let the feeder run further ahead (64 KiB by default), so that the client does not wait
    for it when the scheduler gives the feeder's core to the server for a moment."""
    if F_SETPIPE_SZ is not None:
        with contextlib.suppress(OSError):  # above /proc/sys/fs/pipe-max-size: the default will do
            fcntl(pipe.fileno(), F_SETPIPE_SZ, PIPE_BYTES)


def _feed(paths, host_header, sim_headers, sender, receiver, batch, lowest_priority):
    """The child: send lists of prepared requests, then None (or the error message, a str)."""
    receiver.close()  # so that the parent closing its end breaks the pipe
    # Ctrl-C is the replay's to handle (it reports, then closes the Feed): the feeder must
    # not end first, or the client would take its end of file for a failed stream.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if lowest_priority:
        with contextlib.suppress(OSError, AttributeError):  # no nice() (not Unix): as it is
            os.nice(LOWEST_PRIORITY - os.nice(0))
    try:
        prepared = prepared_stream(paths, host_header, sim_headers)
        while True:
            chunk = list(itertools.islice(prepared, batch))
            if not chunk:
                break
            sender.send(chunk)
        sender.send(None)
    except SimError as error:
        sender.send(str(error))
    except BrokenPipeError:
        pass  # the replay stopped reading: it ended before the stream
    finally:
        sender.close()
