"""The replay client's HTTP/1.1 bytes: a request exactly as sent, and where an answer ends.

The client sends prepared requests: plain tuples ``(simulated time, simulated
status or None, whether it is a HEAD, the bytes to send)``, built before the
connections need them (:func:`prepare`, here or in the feeder's process), so
that sending one is a lookup. Tuples rather than a namedtuple: they are
pickled and unpickled by the thousand between processes, in C.
"""

from alma_countme.sim.traffic.server import SIM_STATUS_HEADER, SIM_TIME_HEADER

_SIM_TIME_LINE = SIM_TIME_HEADER + ": %d\r\n"
_SIM_STATUS_LINE = SIM_STATUS_HEADER + ": %d\r\n"


def encode_request(request, host_header, sim_headers=True):
    """The exact bytes sent for one request (a StreamRequest)."""
    # A few formats rather than a list of lines joined: the feeder encodes every request of a stream.
    text = "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nAccept: */*\r\n" % (
        request.method or "GET", request.target, host_header, request.agent)
    if request.addr:
        text += "X-Forwarded-For: %s\r\n" % request.addr
    if sim_headers:
        text += _SIM_TIME_LINE % request.time
        if request.status:
            text += _SIM_STATUS_LINE % request.status
    return (text + "\r\n").encode("latin-1", "replace")


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
