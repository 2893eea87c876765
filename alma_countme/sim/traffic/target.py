"""Checking a replay's target: an ``http://host[:port]`` URL on this machine unless told otherwise."""

import collections
import ipaddress
import socket
from urllib.parse import urlsplit

from alma_countme.sim.common.errors import SimError

Target = collections.namedtuple("Target", "host port url addresses")


def check_target(url, allow_remote=False):
    """Parse an ``http://host[:port]`` URL; refuse one that is not on this machine.

    Every address the host resolves to must be a loopback address unless
    ``allow_remote`` is set: a replay is real load on a real service.
    """
    parts = urlsplit(url)
    if parts.scheme != "http":
        raise SimError("--target %s: only http:// targets are supported (put a TLS proxy in front)" % url)
    if not parts.hostname:
        raise SimError("--target %s: no host name" % url)
    if parts.path not in ("", "/") or parts.query:
        raise SimError("--target %s: give the server's root URL; the stream supplies paths" % url)
    try:
        port = parts.port or 80
    except ValueError:
        raise SimError("--target %s: bad port" % url) from None
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise SimError("--target %s: cannot resolve %s: %s" % (url, parts.hostname, error.strerror)) from None
    addresses = sorted({info[4][0] for info in infos})
    remote = [address for address in addresses if not ipaddress.ip_address(address.split("%")[0]).is_loopback]
    if remote and not allow_remote:
        raise SimError(
            "refusing to replay against %s: %s resolves to %s, which is not a loopback address; "
            "a replay is real load on a real service, so pass --allow-remote-target to do it on purpose"
            % (url, parts.hostname, ", ".join(remote))
        )
    return Target(parts.hostname, port, "http://%s:%d" % (parts.hostname, port), addresses)


def host_header(target):
    """The Host header for ``target``: the port only when it is not 80, an IPv6 address in brackets."""
    if ":" in target.host:
        return "[%s]:%d" % (target.host, target.port)
    return target.host if target.port == 80 else "%s:%d" % (target.host, target.port)
