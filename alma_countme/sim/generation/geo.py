"""IP-to-country databases: which networks a real database assigns to each country, and lookups.

Two formats, each read by the library made for it:

- Debian's ``geoip-database`` (``/usr/share/GeoIP/GeoIP.dat`` and
  ``GeoIPv6.dat``, MaxMind's legacy GeoLite Country format), read with
  libGeoIP's Python binding (Debian package ``python3-geoip``);
- a MaxMind DB file (``.mmdb``: GeoLite2-Country, DB-IP's country lite, ...)
  that the user names, read with the ``maxminddb`` package.

The simulator needs every network of a country to draw addresses from, which
neither library lists directly: the legacy database is walked with lookups (each
lookup reports the netmask of the network holding the address, so one lookup
per network), the MaxMind DB by iterating over it. Networks longer than /64
(IPv6) are left out, as are IPv6's mappings of IPv4 space (Teredo 2001::/32,
6to4 2002::/16): addresses are only drawn from networks that hold whole /64s
of one country. The lists are cached per database file (path, size and mtime)
under ``$XDG_CACHE_HOME/alma-countme`` (else ``~/.cache``), so the walk runs
once.
"""

import hashlib
import ipaddress
import os
import socket
import struct
import tempfile

import numpy as np

from alma_countme.sim.common.errors import SimError

DEBIAN = "geoip-database"
DEBIAN_V4 = "/usr/share/GeoIP/GeoIP.dat"
DEBIAN_V6 = "/usr/share/GeoIP/GeoIPv6.dat"
CACHE_VERSION = 1
_GLOBAL_V6 = (0x2000 << 112, 0x4000 << 112)  # 2000::/3, global unicast
_SKIPPED_V6 = ((0x20010000 << 96, 0x20010001 << 96), (0x2002 << 112, 0x2003 << 112))  # Teredo, 6to4
_PACK_V4 = struct.Struct("!I").pack


class Networks:
    """Every usable network of a database, sorted by country then address.

    ``v4_start``/``v4_size``: IPv4 networks (uint64); ``v6_high``/``v6_bits``:
    IPv6 networks as the top 64 bits and the prefix length (at most 64);
    ``*_country``: index into ``codes``.
    """

    def __init__(self, codes, v4_start, v4_size, v4_country, v6_high, v6_bits, v6_country, source):
        self.codes = list(codes)
        self.v4_start, self.v4_size, self.v4_country = v4_start, v4_size, v4_country
        self.v6_high, self.v6_bits, self.v6_country = v6_high, v6_bits, v6_country
        self.source = source

    def v4_total(self, code):
        """IPv4 addresses of ``code`` in the database."""
        if code not in self.codes:
            return 0
        return int(self.v4_size[self.v4_country == self.codes.index(code)].sum())

    def v6_count(self, code):
        """IPv6 networks (/64 or shorter) of ``code`` in the database."""
        if code not in self.codes:
            return 0
        return int((self.v6_country == self.codes.index(code)).sum())


def _from_records(v4, v6, source):
    """Networks from ``[(start, size, code)]`` (IPv4) and ``[(high64, bits, code)]`` (IPv6)."""
    codes = sorted({code for _, _, code in v4} | {code for _, _, code in v6})
    index = {code: number for number, code in enumerate(codes)}
    v4.sort(key=lambda r: (index[r[2]], r[0]))
    v6.sort(key=lambda r: (index[r[2]], r[0]))
    return Networks(codes,
                    np.array([r[0] for r in v4], np.uint64), np.array([r[1] for r in v4], np.uint64),
                    np.array([index[r[2]] for r in v4], np.int16),
                    np.array([r[0] for r in v6], np.uint64), np.array([r[1] for r in v6], np.int16),
                    np.array([index[r[2]] for r in v6], np.int16), source)


# ---- the legacy GeoIP format (Debian's geoip-database) ---------------------------------------------

def _open_legacy(path):
    try:
        import GeoIP
    except ImportError:
        raise SimError("countries.database = %s needs libGeoIP's Python binding: apt-get install "
                       "python3-geoip geoip-database" % DEBIAN) from None
    if not os.path.exists(path):
        raise SimError("countries.database = %s: %s is missing: apt-get install geoip-database, or name a "
                       "MaxMind DB file (countries.database = \"/path/to/country.mmdb\")" % (DEBIAN, path))
    try:
        return GeoIP.open(path, GeoIP.GEOIP_MEMORY_CACHE)
    except Exception as error:  # the binding raises plain SystemError/GeoIP.error
        raise SimError("cannot open the GeoIP database %s: %s" % (path, error)) from None


def _walk_legacy():
    v4_db, v6_db = _open_legacy(DEBIAN_V4), _open_legacy(DEBIAN_V6)
    v4 = []
    address = 0
    while address < 1 << 32:
        code = v4_db.country_code_by_addr(socket.inet_ntoa(_PACK_V4(address)))
        size = 1 << (32 - v4_db.last_netmask())
        start = address & ~(size - 1)
        if code:
            v4.append((start, size, code))
        address = start + size
    v6 = []
    address, end = _GLOBAL_V6
    while address < end:
        skipped = [high for low, high in _SKIPPED_V6 if low <= address < high]
        if skipped:
            address = skipped[0]
            continue
        code = v6_db.country_code_by_addr_v6(socket.inet_ntop(socket.AF_INET6, address.to_bytes(16, "big")))
        bits = v6_db.last_netmask()
        if bits > 64:  # a network smaller than a /64: no whole /64 to draw from
            address = ((address >> 64) + 1) << 64
            continue
        size = 1 << (128 - bits)
        start = address & ~(size - 1)
        if code:
            v6.append((start >> 64, bits, code))
        address = start + size
    return _from_records(v4, v6, "%s (%s, %s)" % (DEBIAN, DEBIAN_V4, DEBIAN_V6))


# ---- MaxMind DB files -------------------------------------------------------------------------------

MMDB_MARKER = b"\xab\xcd\xefMaxMind.com"  # starts the metadata section near a MaxMind DB file's end


def _open_mmdb(path, option="countries.database"):
    """A maxminddb Reader of ``path``; SimError naming ``option`` when it cannot be read or is not one."""
    try:
        import maxminddb
    except ImportError:
        raise SimError("a MaxMind DB file needs the maxminddb package: pip install maxminddb") from None
    try:
        return maxminddb.open_database(path)
    except (OSError, ValueError) as error:
        raise SimError("cannot read the MaxMind DB %s: %s" % (path, getattr(error, "strerror", None) or error)
                       ) from None
    except maxminddb.InvalidDatabaseError as error:
        raise SimError(_not_mmdb(path, option, error)) from None


def _not_mmdb(path, option, error):
    """The message for a file maxminddb refuses: garbage, a truncated download, another format."""
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, os.fstat(handle.fileno()).st_size - 128 * 1024))
            marked = MMDB_MARKER in handle.read()
    except OSError:
        marked = False
    detail = "maxminddb: %s" % error if marked else "no MaxMind DB metadata marker near its end"
    return "%s %s is not a MaxMind DB file (%s)" % (option, path, detail)


def _damaged_mmdb(path, option, error):
    return "%s %s is a damaged MaxMind DB file (maxminddb: %s)" % (option, path, error)


def _mmdb_code(record):
    if not isinstance(record, dict):
        return None
    for field in ("country", "registered_country"):
        value = record.get(field)
        if isinstance(value, dict) and value.get("iso_code"):
            return value["iso_code"]
    return None


def _walk_mmdb(path):
    import maxminddb

    with _open_mmdb(path) as reader:
        try:
            return _mmdb_records(reader, path)
        except (maxminddb.InvalidDatabaseError, ValueError) as error:
            raise SimError(_damaged_mmdb(path, "countries.database", error)) from None


def _mmdb_records(reader, path):
    v4, v6 = [], []
    for network, record in reader:
        code = _mmdb_code(record)
        if not code:
            continue
        if network.version == 4:
            v4.append((int(network.network_address), network.num_addresses, code))
            continue
        start = int(network.network_address)
        if network.prefixlen > 64 or not _GLOBAL_V6[0] <= start < _GLOBAL_V6[1]:
            continue
        if any(low <= start < high for low, high in _SKIPPED_V6):
            continue
        v6.append((start >> 64, network.prefixlen, code))
    return _from_records(v4, v6, "MaxMind DB %s" % path)


# ---- choosing, caching ------------------------------------------------------------------------------

def _files(database):
    return [DEBIAN_V4, DEBIAN_V6] if database == DEBIAN else [database]


def _cache_path(database):
    parts = [str(CACHE_VERSION), database]
    for path in _files(database):
        try:
            info = os.stat(path)
        except OSError as error:
            if database == DEBIAN:
                _open_legacy(path)  # names the package to install
            raise SimError("cannot read the country database %s: %s" % (path, error.strerror or error)
                           ) from None
        parts += [os.path.abspath(path), str(info.st_size), str(info.st_mtime_ns)]
    digest = hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest()[:24]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "alma-countme", "geo-%s.npz" % digest)


_LOADED = {}


def networks(database):
    """The :class:`Networks` of ``database`` (``geoip-database`` or a MaxMind DB path), cached."""
    if database in _LOADED:
        return _LOADED[database]
    cache = _cache_path(database)
    result = None
    if os.path.exists(cache):
        try:
            with np.load(cache) as data:
                result = Networks([str(c) for c in data["codes"]], data["v4_start"], data["v4_size"],
                                  data["v4_country"], data["v6_high"], data["v6_bits"], data["v6_country"],
                                  str(data["source"]))
        except (OSError, ValueError, KeyError):
            result = None  # a damaged cache: walk again
    if result is None:
        result = _walk_legacy() if database == DEBIAN else _walk_mmdb(database)
        _save_cache(cache, result)
    _LOADED[database] = result
    return result


def _save_cache(path, result):
    """Write the cache atomically; a cache that cannot be written only costs the next run a walk."""
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".geo-", suffix=".npz", dir=os.path.dirname(path))
        with os.fdopen(handle, "wb") as stream:
            np.savez(stream, codes=np.array(result.codes), v4_start=result.v4_start, v4_size=result.v4_size,
                     v4_country=result.v4_country, v6_high=result.v6_high, v6_bits=result.v6_bits,
                     v6_country=result.v6_country, source=np.array(result.source))
        os.replace(temporary, path)
    except OSError:
        pass


class Lookup:
    """Country codes of address texts, as a pipeline using the same database finds them.

    ``option`` names where the database was given (``--geoip``) in the SimError of a file that is
    not a MaxMind DB or is damaged.
    """

    def __init__(self, database, option="countries.database"):
        self.database, self.option = database, option
        if database == DEBIAN:
            self.v4, self.v6 = _open_legacy(DEBIAN_V4), _open_legacy(DEBIAN_V6)
            self.reader = None
        else:
            self.reader = _open_mmdb(database, option)
            import maxminddb

            self._damaged = maxminddb.InvalidDatabaseError

    def country(self, address):
        """The country code of ``address``, None when the database has none for it or it is no address
        (a log written with HostnameLookups On holds host names)."""
        try:
            ipaddress.ip_address(address)
        except ValueError:
            return None
        if self.reader is not None:
            try:
                return _mmdb_code(self.reader.get(address))
            except self._damaged as error:
                raise SimError(_damaged_mmdb(self.database, self.option, error)) from None
        if ":" in address:
            return self.v6.country_code_by_addr_v6(address)
        return self.v4.country_code_by_addr(address)
