"""verify's totals of a log equal the real mirrors-countme's on the lines where it is easy to differ."""

import calendar
import collections
import time

from alma_countme.sim.logs import tally, totals_file
from alma_countme.sim.logs.logsource import records

MONDAY = calendar.timegm((2026, 11, 16, 0, 0, 0))
ALMA = "libdnf (AlmaLinux 9.6; generic; Linux.x86_64)"
LINES = [
    # (seconds after Monday, client, method, target, status, agent)
    (100, "192.0.2.1", "GET", "/metalink?repo=almalinux-baseos-9&arch=x86_64&countme=2", 200, ALMA),
    # The same line twice: stored once.
    (100, "192.0.2.1", "GET", "/metalink?repo=almalinux-baseos-9&arch=x86_64&countme=2", 200, ALMA),
    (160, "192.0.2.2", "HEAD", "/mirrorlist?repo=almalinux-appstream-9&arch=x86_64&countme=3", 302, ALMA),
    (200, "192.0.2.3", "GET", "/metalink?repo=almalinux-baseos-9&arch=x86_64&countme=", 200, ALMA),
    (300, "192.0.2.4", "GET", "/metalink?repo=almalinux-baseos-9&arch=x86_64&countme=1", 200, "curl/8.5.0"),
    (400, "192.0.2.5", "GET", "/metalink?repo=almalinux-baseos-9&arch=x86_64&countme=1", 503, ALMA),
    (410, "192.0.2.5", "GET", "/metalink?repo=almalinux-baseos-9&arch=x86_64", 200, ALMA),  # its retry
    (500, "192.0.2.6", "GET", "/metalink/?repo=almalinux-baseos-9&arch=x86_64&countme=1", 200, ALMA),
    (600, "192.0.2.7", "GET", "/mirrorlist", 200, ALMA),
    (700, "192.0.2.8", "GET", "/metalink?repo=almalinux-baseos-9&arch=x86_64&countme=abc", 200, ALMA),
    (800, "192.0.2.9", "GET", "/metalink?repo=almalinux-crb-9&arch=x86_64&countme=1&countme=4", 200, ALMA),
    (900, "192.0.2.10", "POST", "/metalink?repo=almalinux-baseos-9&arch=x86_64&countme=1", 200, ALMA),
    (1000, "2001:db8::1", "GET", "/metalink?repo=fedora-41&arch=aarch64&countme=4", 200,
     "libdnf (Fedora 41; workstation; Linux.aarch64)"),
    (1100, "192.0.2.11", "GET", "/metalink?repo=rhel-9&arch=x86_64&countme=3", 200,
     "libdnf (Red Hat Enterprise Linux 9.4; generic; Linux.x86_64)"),
    (1200, "192.0.2.12", "GET", "/metalink?repo=almalinux-baseos-9&arch=x86_64&countme=1", 200, "libdnf"),
    (1300, "192.0.2.12", "GET", "/metalink?repo=almalinux-baseos-9&arch=x86_64", 200, "libdnf"),
    (86400 + 5, "192.0.2.12", "GET", "/metalink?repo=almalinux-baseos-9&arch=x86_64", 200, "libdnf"),  # day 2
    # These close the first week, for countme rows and for unique-address rows.
    (7 * 86400 + 3600, "192.0.2.1", "GET", "/metalink?repo=almalinux-baseos-9&arch=x86_64&countme=2", 200,
     ALMA),
    (7 * 86400 + 3601, "192.0.2.1", "GET", "/metalink?repo=almalinux-appstream-9&arch=x86_64", 200, ALMA),
]


def test_tally_equals_mirrors_countme_on_edge_cases(tmp_path, mirrors_countme):
    log = tmp_path / "access.log"
    log.write_text("".join(
        '%s - - [%s] "%s %s HTTP/1.1" %d 512 "-" "%s"\n' % (
            client, _clf_time(MONDAY + offset), method, target, status, agent)
        for offset, client, method, target, status, agent in LINES))
    csv_path, _, _ = mirrors_countme([str(log)], "edge-cases")
    real = totals_file.read_totals(csv_path).rows
    ours = tally.tally_records(records([str(log)])).totals()
    assert ours == real
    countme_rows = {key: hits for key, hits in real.items() if key.sys_age >= 0}
    # GET 2 (once: the duplicate is dropped), HEAD 3, curl 1, crb 4 (last value wins), Fedora 4,
    # RHEL 3, plain libdnf 1; not the 503, /metalink/, countme=abc, POST or blank countme.
    assert sum(countme_rows.values()) == 7
    by_age = collections.Counter()
    for key, hits in countme_rows.items():
        by_age[key.sys_age] += hits
    assert by_age == {1: 2, 2: 1, 3: 2, 4: 2}
    names = {(key.os_name, key.os_version) for key in countme_rows}
    assert names >= {("Red Hat Enterprise Linux", "9.4"), ("", "")}
    assert any(key.sys_age == -1 for key in real)


def _clf_time(when):
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(when))
