"""alma_countme.settings and libdnfversion: the plugin's configuration and libdnf's epoch rule."""

import pytest

from alma_countme import libdnfversion, settings
from alma_countme.model import EPOCH_LEGACY, EPOCH_MACHINE_ID


def test_defaults_when_nothing_is_set():
    assert settings.parse_settings({}) == (settings.DEFAULT_SETTINGS, [])
    assert settings.DEFAULT_SETTINGS.epoch_source == "machine-id"


@pytest.mark.parametrize("value", ["machine-id", "rpmdb", "none", " RPMDB "])
def test_every_epoch_source_is_accepted(value):
    parsed, problems = settings.parse_settings({"epoch_source": value})
    assert (parsed.epoch_source, problems) == (value.strip().lower(), [])


def test_a_bad_value_is_reported_and_the_default_used():
    parsed, problems = settings.parse_settings({"epoch_source": "banana"}, "/etc/dnf/plugins/countme.conf")
    assert parsed == settings.DEFAULT_SETTINGS
    assert len(problems) == 1
    assert "/etc/dnf/plugins/countme.conf" in problems[0] and "epoch_source=banana" in problems[0]
    assert "machine-id, rpmdb, none" in problems[0]


@pytest.mark.parametrize("version,derives", [
    ("0.63.0", False), ("0.69.0", False), ("0.73.1", False), ("0.73.2", True), ("0.73.10", True),
    ("0.74.0", True), ("1.0", True), ("0.73.2-rc1", True), ("0.73", False),
])
def test_libdnf_versions_that_derive_the_epoch_themselves(version, derives):
    assert libdnfversion.derives_epoch_itself(version) is derives
    assert libdnfversion.epoch_rule(version) == (EPOCH_MACHINE_ID if derives else EPOCH_LEGACY)


def test_a_version_that_is_not_one_raises():
    with pytest.raises(ValueError):
        libdnfversion.parse_version("unknown")
