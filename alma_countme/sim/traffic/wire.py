"""The replay client's HTTP/1.1 bytes: a request exactly as sent, and where an answer ends.

The client sends prepared requests: plain tuples ``(simulated time, simulated
status or None, whether it is a HEAD, the bytes to send)``, built before the
connections need them (:func:`prepare`, here or in the feeder's process), so
that sending one is a lookup. Tuples rather than a namedtuple: they are
pickled and unpickled by the thousand between processes, in C.
"""

from alma_countme.sim.traffic.server import SIM_STATUS_HEADER, SIM_TIME_HEADER


def encode_request(request, host_header, sim_headers=True):
    """The exact bytes sent for one request (a StreamRequest)."""
    lines = [
        "%s %s HTTP/1.1" % (request.method or "GET", request.target),
        "Host: %s" % host_header,
        "User-Agent: %s" % request.agent,
        "Accept: */*",
    ]
    if request.addr:
        lines.append("X-Forwarded-For: %s" % request.addr)
    if sim_headers:
        lines.append("%s: %d" % (SIM_TIME_HEADER, request.time))
        if request.status:
            lines.append("%s: %d" % (SIM_STATUS_HEADER, request.status))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")


def prepare(requests, host_header, sim_headers=True):
    """The prepared request of each StreamRequest of ``requests``, in order."""
    for request in requests:
        yield (request.time, request.status, request.method == "HEAD",
               encode_request(request, host_header, sim_headers))


def content_length(head):
    """The Content-Length of an answer's status line and headers (bytes, without the blank line)."""
    index = head.find(b"\r\nContent-Length:")  # as most servers spell it; any case is allowed
    if index < 0:
        index = head.lower().find(b"\r\ncontent-length:")
    if index < 0:
        raise ValueError("no Content-Length")  # this client relies on it for keep-alive
    end = head.find(b"\r\n", index + 2)
    return int(head[index + 17:end if end > 0 else None])
