"""A mirror service on 127.0.0.1 for real dnf: mirrorlist, metalink and the repo itself.

Every request is recorded twice: in :attr:`MirrorServer.requests` (parsed) and in
:attr:`MirrorServer.log_path` as one Combined Log Format line with the User-Agent,
the format mirrors-countme's ``countme-parse-access-log`` reads.
"""

import collections
import contextlib
import hashlib
import http.server
import os
import shutil
import tempfile
import threading
import time
import urllib.parse
from email.utils import formatdate

from .repo import make_repo

_RequestBase = collections.namedtuple("Request", "method path query user_agent status time")


class Request(_RequestBase):
    """One logged request; ``query`` maps each key to its last value."""

    __slots__ = ()

    @property
    def countme(self):
        """The ``countme`` bucket this request carried as an int, or None."""
        value = self.query.get("countme")
        return int(value) if value is not None else None


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def clf_time(when):
    """``[21/Nov/2026:10:50:00 +0000]`` for an epoch time (always UTC)."""
    tm = time.gmtime(int(when))
    return "[%02d/%s/%04d:%02d:%02d:%02d +0000]" % (
        tm.tm_mday, _MONTHS[tm.tm_mon - 1], tm.tm_year, tm.tm_hour, tm.tm_min, tm.tm_sec,
    )


def _quoted(text):
    return '"%s"' % (text or "-").replace("\\", "\\\\").replace('"', '\\"')


def metalink_xml(repomd_path, repomd_url):
    """A metalink (v3, as MirrorManager serves) listing one mirror of ``repomd.xml``.

    librepo checks the downloaded repomd.xml against the size and sha256 given
    here, so they are computed from the file being served.
    """
    with open(repomd_path, "rb") as handle:
        content = handle.read()
    mtime = int(os.stat(repomd_path).st_mtime)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<metalink version="3.0" xmlns="http://www.metalinker.org/" type="dynamic"'
        ' pubdate="{pubdate}" generator="countme-test-harness"'
        ' xmlns:mm0="http://fedorahosted.org/mirrormanager">\n'
        " <files>\n"
        '  <file name="repomd.xml">\n'
        "   <mm0:timestamp>{mtime}</mm0:timestamp>\n"
        "   <size>{size}</size>\n"
        "   <verification>\n"
        '    <hash type="sha256">{sha256}</hash>\n'
        "   </verification>\n"
        '   <resources maxconnections="1">\n'
        '    <url protocol="http" type="http" location="XX" preference="100">{url}</url>\n'
        "   </resources>\n"
        "  </file>\n"
        " </files>\n"
        "</metalink>\n"
    ).format(
        pubdate=formatdate(mtime, usegmt=True),
        mtime=mtime,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        url=repomd_url,
    )


class MirrorServer:
    """A ThreadingHTTPServer on 127.0.0.1 (free port) in a background thread.

    Serves ``/mirrorlist...`` (one line: ``<url>/repo/``), ``/metalink...`` (a
    metalink for ``<url>/repo/repodata/repomd.xml``) and ``/repo/<file>`` from
    ``repo_dir`` (made with :func:`countme_harness.repo.make_repo` when None). Use as a
    context manager, or call :meth:`start` and :meth:`stop`.

    ``clock`` gives the time a request is logged at (default: real time);
    :meth:`faking_time` logs at a dnf run's fake time instead.
    """

    def __init__(self, repo_dir=None, log_path=None):
        self._tempdir = None
        if repo_dir is None or log_path is None:
            self._tempdir = tempfile.mkdtemp(prefix="countme-mirror-")
        self.repo_dir = repo_dir or make_repo(os.path.join(self._tempdir, "repo"))
        self.log_path = log_path or os.path.join(self._tempdir, "access.log")
        self.requests = []
        self.clock = time.time
        self._lock = threading.Lock()
        self._httpd = None
        self._thread = None
        self.url = None

    # -- lifecycle ---------------------------------------------------------

    def start(self):
        handler = type("Handler", (_Handler,), {"mirror": self})
        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self._httpd.server_address[1]
        open(self.log_path, "a").close()
        # A short poll interval: stop() waits for it, once per test.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name="mirror-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self):
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join(timeout=10)
            self._httpd = None
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    # -- what tests read ---------------------------------------------------

    def clear(self):
        """Forget the recorded requests and empty the log file."""
        with self._lock:
            self.requests = []
            open(self.log_path, "w").close()

    def countme_requests(self):
        """The requests whose query has a ``countme`` key, in arrival order."""
        with self._lock:
            return [request for request in self.requests if "countme" in request.query]

    def mirror_requests(self):
        """The requests to ``/mirrorlist...`` or ``/metalink...`` (the ones libdnf may flag)."""
        with self._lock:
            return [request for request in self.requests if _kind(request.path) in ("mirrorlist", "metalink")]

    def log_lines(self):
        with open(self.log_path) as handle:
            return handle.read().splitlines()

    @contextlib.contextmanager
    def faking_time(self, at):
        """Log requests made inside the block at fake time ``at`` (plus real time elapsed)."""
        started = time.time()
        previous = self.clock
        self.clock = lambda: at + (time.time() - started)
        try:
            yield self
        finally:
            self.clock = previous

    # -- used by the handler -----------------------------------------------

    def _record(self, handler, status, size):
        target = urllib.parse.urlsplit(handler.path)
        now = self.clock()
        request = Request(
            method=handler.command,
            path=target.path,
            query=dict(urllib.parse.parse_qsl(target.query, keep_blank_values=True)),
            user_agent=handler.headers.get("User-Agent", ""),
            status=status,
            time=now,
        )
        line = "%s - - %s %s %d %s %s %s\n" % (
            handler.client_address[0], clf_time(now), _quoted(handler.requestline), status,
            size if size else "-", _quoted(handler.headers.get("Referer")), _quoted(request.user_agent),
        )
        with self._lock:
            self.requests.append(request)
            with open(self.log_path, "a") as log:
                log.write(line)


def _kind(path):
    """Which part of the service a path asks for: mirrorlist, metalink, repo or None."""
    for kind in ("mirrorlist", "metalink"):
        if path == "/" + kind or path.startswith("/%s/" % kind):
            return kind
    if path.startswith("/repo/"):
        return "repo"
    return None


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    mirror = None  # the MirrorServer, set on the subclass made per server

    def do_GET(self):
        self._answer(send_body=True)

    def do_HEAD(self):
        self._answer(send_body=False)

    def log_message(self, *args):
        pass  # the MirrorServer keeps its own log

    def _answer(self, send_body):
        status, body, content_type = self._response()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)
        self.mirror._record(self, status, len(body) if send_body else 0)

    def _response(self):
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        kind = _kind(path)
        base = self.mirror.url
        repo_dir = self.mirror.repo_dir
        if kind == "mirrorlist":
            return 200, ("%s/repo/\n" % base).encode(), "text/plain"
        if kind == "metalink":
            repomd = os.path.join(repo_dir, "repodata", "repomd.xml")
            text = metalink_xml(repomd, "%s/repo/repodata/repomd.xml" % base)
            return 200, text.encode(), "application/metalink+xml"
        if kind == "repo":
            relative = os.path.normpath(path[len("/repo/"):])
            full = os.path.join(repo_dir, relative)
            if not relative.startswith("..") and os.path.isfile(full):
                with open(full, "rb") as handle:
                    return 200, handle.read(), "application/octet-stream"
        return 404, b"not found\n", "text/plain"
