"""replay's closing summary on stderr: errors by kind as a reader reads them; --json keeps the dict."""

import json
import socket

from simcli import countme_sim

from alma_countme.sim.reports import replay_text


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_summary_names_each_kind_of_error_with_its_count(small_stream):
    target = "http://127.0.0.1:%d" % _free_port()  # nobody listens there
    common = ("replay", small_stream.dir, "--target", target, "--speedup", "max", "--max-requests", 20,
              "--connections", 4)
    result = countme_sim(*common, check=1, timeout=60)
    summary = result.stderr.splitlines()[-1]
    assert summary.startswith("countme-sim replay: max requests: 20 sent, 0 ok, 20 errors in ")
    assert summary.endswith("; errors: 20 (connect: Connection refused)")
    assert "{" not in summary
    report = json.loads(countme_sim(*common, "--json", "--quiet", check=1, timeout=60).stdout)
    assert report["errors_by_kind"] == {"connect: Connection refused": 20}


def test_several_kinds_most_first_with_thousands_separated():
    kinds = {"timeout": 3, "connect: Connection refused": 1000, "http 503": 3, "connection closed": 12}
    assert replay_text.errors_text(kinds) == ("1,000 (connect: Connection refused), 12 (connection closed), "
                                              "3 (http 503), 3 (timeout)")
