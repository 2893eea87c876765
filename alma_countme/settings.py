"""The plugin's own settings, from the ``[main]`` section of countme.conf.

A bad value never stops dnf: it is reported (file, option, value, what is
allowed) and the default is used instead.

Runs on Python 3.6: standard library only.
"""

import collections

CONFIG_NAME = "countme.conf"

# Where the plugin takes a system's install time from.
SOURCE_MACHINE_ID = "machine-id"  # /etc/machine-id's mtime: what libdnf >= 0.73.2 uses
SOURCE_RPMDB = "rpmdb"  # the oldest package install time in the rpm database
SOURCE_NONE = "none"  # leave the epoch to libdnf (the first counted week)
EPOCH_SOURCES = (SOURCE_MACHINE_ID, SOURCE_RPMDB, SOURCE_NONE)

Settings = collections.namedtuple("Settings", "epoch_source")
DEFAULT_SETTINGS = Settings(epoch_source=SOURCE_MACHINE_ID)


def parse_settings(options, path=CONFIG_NAME):
    """Settings from ``options`` (option name -> raw string of [main]).

    Returns ``(settings, problems)``: each problem is one sentence naming the
    file, the option and the value that was ignored.
    """
    problems = []
    source = options.get("epoch_source")
    if source is None:
        source = DEFAULT_SETTINGS.epoch_source
    else:
        source = source.strip().lower()
        if source not in EPOCH_SOURCES:
            problems.append(
                "%s: [main] epoch_source=%s is not one of %s; using %s"
                % (path, options["epoch_source"], ", ".join(EPOCH_SOURCES), DEFAULT_SETTINGS.epoch_source)
            )
            source = DEFAULT_SETTINGS.epoch_source
    return Settings(epoch_source=source), problems
