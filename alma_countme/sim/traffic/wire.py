"""The replay client's HTTP/1.1 bytes: a request exactly as sent, and where an answer ends.

The client sends prepared requests: plain tuples ``(simulated time, simulated
status or None, whether it is a HEAD, the bytes to send)``, built before the
connections need them (:func:`prepare`, here or in the feeder's process), so
that sending one is a lookup. Tuples rather than a namedtuple: they are
pickled and unpickled by the thousand between processes, in C.
"""

import functools

from alma_countme.sim.traffic.server import SIM_STATUS_HEADER, SIM_TIME_HEADER


@functools.lru_cache(maxsize=64)
def _template(host_header, addr, sim_time, sim_status):
    """The %-template of a request's bytes: method, target, User-Agent, then the address, the
    simulated time and status where the request has them. One layout for every way of encoding."""
    text = ("%s %s HTTP/1.1\r\nHost: " + host_header.replace("%", "%%")
            + "\r\nUser-Agent: %s\r\nAccept: */*\r\n")
    if addr:
        text += "X-Forwarded-For: %s\r\n"
    if sim_time:
        text += SIM_TIME_HEADER + ": %d\r\n"
    if sim_status:
        text += SIM_STATUS_HEADER + ": %d\r\n"
    return text + "\r\n"


def _encode(text):
    try:
        return text.encode("latin-1")  # the common case, without the cost of an error handler
    except UnicodeEncodeError:
        return text.encode("latin-1", "replace")


def encode_request(request, host_header, sim_headers=True):
    """The exact bytes sent for one request (a StreamRequest)."""
    values = [request.method or "GET", request.target, request.agent]
    if request.addr:
        values.append(request.addr)
    if sim_headers:
        values.append(request.time)
        if request.status:
            values.append(request.status)
    template = _template(host_header, bool(request.addr), sim_headers, bool(sim_headers and request.status))
    return _encode(template % tuple(values))


def prepare(requests, host_header, sim_headers=True):
    """The prepared request of each StreamRequest of ``requests``, in order."""
    for request in requests:
        yield (request.time, request.status, request.method == "HEAD",
               encode_request(request, host_header, sim_headers))


def prepare_logged(requests, host_header, sim_headers=True):
    """:func:`prepare` for requests read from a log (logparse.read_requests's tuples: every one
    has a method, an address and a status), at a fraction of its cost: the feeder encodes every
    request of a stream, and the replay goes no faster than it."""
    with_status = _template(host_header, True, sim_headers, sim_headers)
    without_status = _template(host_header, True, sim_headers, False)
    for when, addr, method, target, agent, status in requests:
        if not sim_headers:
            text = with_status % (method, target, agent, addr)
        elif status:
            text = with_status % (method, target, agent, addr, when, status)
        else:  # status 000, which encode_request leaves out too
            text = without_status % (method, target, agent, addr, when)
        yield when, status, method == "HEAD", _encode(text)


def content_length(head):
    """The Content-Length of an answer's status line and headers (bytes, without the blank line)."""
    index = head.find(b"\r\nContent-Length:")  # as most servers spell it; any case is allowed
    if index < 0:
        index = head.lower().find(b"\r\ncontent-length:")
    if index < 0:
        raise ValueError("no Content-Length")  # this client relies on it for keep-alive
    end = head.find(b"\r\n", index + 2)
    return int(head[index + 17:end if end > 0 else None])
