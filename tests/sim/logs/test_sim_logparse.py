"""Reading log times: TimeReader, the replay's fast path, gives parse_time's seconds and errors."""

import calendar

import pytest

from alma_countme.sim.logs import logparse


def _expected(text):
    try:
        return logparse.parse_time(text)
    except ValueError:
        return ValueError


def _read(reader, text):
    try:
        return reader.parse(text)
    except ValueError:
        return ValueError


def test_time_reader_agrees_with_parse_time_line_after_line():
    texts = [
        "16/Nov/2026:00:00:29 +0000", "16/Nov/2026:00:00:29 +0000", "16/Nov/2026:23:59:59 +0000",
        "17/Nov/2026:00:00:00 +0000", "17/Nov/2026:00:00:01 +0130", "17/Nov/2026:00:00:02 +0130",
        "17/Nov/2026:12:34:56 -0800", "17/Nov/2026:25:61:61 -0800",  # \d{2}: parse_time takes it
        "17/Nov/2026:1\u0662:00:00 -0800",  # an Arabic-Indic digit is \d too
        "17/Nov/2026:12:00 -0800", "17/Nov/2026:12:00:00:00 -0800", "17/Nov/2026:12-00-00 -0800",
        "17/Nov/2026:ab:cd:ef -0800", "17/Nov/2026:12:00:00 -0800x", "", "17/Xyz/2026:12:00:00 -0800",
        "17/Nov/2026:12:00:00 -0800",
    ]
    reader = logparse.TimeReader()
    for text in texts:
        assert _read(reader, text) == _expected(text), text


def test_time_reader_counts_the_clock_from_the_day_it_parsed():
    reader = logparse.TimeReader()
    midnight = calendar.timegm((2026, 11, 16, 0, 0, 0))
    assert reader.parse("16/Nov/2026:10:00:00 +0200") == midnight + 8 * 3600
    for second in (0, 1, 59, 3599, 86399):
        text = "16/Nov/2026:%02d:%02d:%02d +0200" % (second // 3600, second // 60 % 60, second % 60)
        assert reader.parse(text) == midnight + second - 7200 == logparse.parse_time(text)


def test_a_bad_time_in_a_log_names_its_line(tmp_path):
    line = '1.2.3.4 - - [%s] "GET /mirrorlist/9/baseos HTTP/1.1" 200 10 "-" "libdnf"\n'
    log = tmp_path / "access.log"
    log.write_text(line % "16/Nov/2026:10:00:00 +0000" + line % "16/Nov/2026:10:00 +0000")
    with pytest.raises(logparse.LogFormatError, match=r"access.log line 2: not a log time"):
        list(logparse.read_requests(str(log)))
