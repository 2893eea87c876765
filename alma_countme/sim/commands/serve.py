"""countme-sim serve: a small, fast local mirrorlist server that writes an access log."""

import argparse
import errno
import os
import sys

from alma_countme.sim.commands import options

SUMMARY = "run a small local mirrorlist/metalink server that writes an access log"

DESCRIPTION = """\
Serve /mirrorlist/<releasever>/<repo>, /mirrorlist?repo=&arch= and
/metalink?repo=&arch= over HTTP/1.1 (keep-alive), as a target for
`countme-sim replay` and for dnf itself, and log every request:

  --format almalinux   AlmaLinux's nginx format: the X-Forwarded-For address
                       first, the peer address (REMOTE_ADDR) last, quoted
  --format fedora      Combined Log Format, the client being the first
                       X-Forwarded-For address, else the peer

With --sim-headers the server plays the simulated service back for
`countme-sim replay`: a request is logged at the simulated time it carries in
X-Countme-Sim-Time (so the weekly totals of a compressed replay fall in the
simulated weeks) and answered with the status in X-Countme-Sim-Status (the
simulated service's failures, which a correct pipeline does not count).
Requests without them are logged at the wall-clock time and answered as usual.

Prints "listening on URL" on stderr once ready; stops on Ctrl-C or SIGTERM
(or after --duration), flushing the log."""

EPILOG = """\
examples:
  countme-sim serve --port 8080 --log access.log
  countme-sim serve --port 0 --format fedora --sim-headers --log server.log"""


def register(subparsers):
    parser = subparsers.add_parser(
        "serve", help=SUMMARY, description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=options.port, default=8080,
                        help="port to listen on; 0 picks a free one (default: %(default)s)")
    parser.add_argument("--log", default="-", metavar="FILE",
                        help="access log to append to; - is standard output (default: -)")
    parser.add_argument("--format", choices=("almalinux", "fedora"), default="almalinux",
                        help="access log format (default: %(default)s)")
    parser.add_argument("--sim-headers", action="store_true",
                        help="log X-Countme-Sim-Time as the request's time and answer with the status"
                             " in X-Countme-Sim-Status (replays of a simulation)")
    parser.add_argument("--duration", type=options.positive_number, metavar="SECONDS",
                        help="stop after this many seconds (default: run until stopped)")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    parser.set_defaults(func=run)
    return parser


def run(args):
    from alma_countme.sim.traffic import server as server_module

    listening = []

    def announce(server):
        listening.append(server)
        if not args.quiet:
            played = ", simulated time and status" if args.sim_headers else ""
            print("countme-sim serve: listening on %s (log: %s, %s format%s)"
                  % (server.url, args.log, args.format, played), file=sys.stderr, flush=True)

    try:
        server = server_module.serve(args.host, args.port, args.log, args.format, args.sim_headers, announce,
                                     duration=args.duration)
    except OSError as error:
        raise _failure(args, error, bool(listening)) from None
    if not args.quiet:
        print("countme-sim serve: stopped after %d requests" % server.requests, file=sys.stderr, flush=True)
    return 0


def _failure(args, error, listening):
    """The SimError for an OSError out of the server. The log is opened before the socket (an error
    naming a file is the log's) and, once listening, only the log's writes raise: anything else
    is the socket's."""
    from alma_countme.sim.common.errors import SimError

    if error.filename is not None or listening:
        return SimError("serve: cannot %s the access log --log %s: %s; give a file in a directory you can "
                        "write to, or - for standard output"
                        % ("write" if listening else "open", args.log, error.strerror or error))
    # asyncio words a bind error "error while attempting to bind on address ...": the errno says it plainly.
    reason = os.strerror(error.errno) if error.errno and error.errno > 0 else (error.strerror or str(error))
    free = "pick another --port (0 picks a free one)"
    hint = {errno.EADDRINUSE: "another process listens there: stop it, or " + free,
            errno.EACCES: "ports below 1024 need privileges: " + free,
            errno.EADDRNOTAVAIL: "--host %s is not an address of this machine" % args.host,
            }.get(error.errno, "check --host and --port")
    return SimError("serve: cannot listen on %s port %d: %s; %s" % (args.host, args.port, reason, hint))
