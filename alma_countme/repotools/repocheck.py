"""Check .repo files the way dnf reads them, with libdnf's own parser.

A file passes when libdnf's ConfigParser reads it, every section is a repo dnf
accepts without a warning (valid id, a name, a metadata source), every option
is one libdnf's ConfigRepo knows and its value is one libdnf accepts, section
ids are unique across all files, countme=1 stands in every primary section and
nowhere in -debuginfo/-debug/-source sections, and no template placeholder or
unknown $variable is left. Problems name the file, line, section and key.

libdnf is imported inside ``check_files``: the interpreter must be one that
has libdnf's Python bindings (/usr/bin/python3 on AlmaLinux and Debian).
"""

import collections
import os
import re
import string

NON_PRIMARY_SUFFIXES = ("-debuginfo", "-debug", "-source")
# What dnf 4.14 substitutes by itself (dnf.Base().conf.substitutions on Debian 12; AlmaLinux 8
# and 9 ship dnf 4.x too): a newer variable such as $releasever_major would stay literal there.
DNF_BUILTIN_VARS = ("arch", "basearch", "releasever")
REPO_ID_CHARS = frozenset(string.ascii_letters + string.digits + "-_.:")
METADATA_SOURCES = ("baseurl", "mirrorlist", "metalink")
# Jinja2 markup, autoconf-style @NAME@ and str.format-style {name} ("${name}" is a dnf variable).
PLACEHOLDER = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}|@[A-Za-z_]+@|(?<!\$)\{[A-Za-z_][A-Za-z0-9_.]*\}")
VARIABLE = re.compile(r"\$(?:\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))")
LIBDNF_LINE = re.compile(r"at line (\d+)")

Problem = collections.namedtuple("Problem", "path line section key message")
CheckResult = collections.namedtuple("CheckResult", "files sections problems")


def format_problem(problem):
    where = problem.path
    if problem.line:
        where += ":{}".format(problem.line)
    parts = [where]
    if problem.section is not None:
        parts.append("[{}]".format(problem.section))
    if problem.key is not None:
        parts.append(problem.key)
    return "{}: {}".format(" ".join(parts), problem.message)


def problem_dict(problem):
    return dict(problem._asdict())


def find_repo_files(paths):
    """The .repo files named or found (recursively) under the given paths."""
    found = []
    for path in paths:
        if os.path.isdir(path):
            for directory, _subdirs, names in sorted(os.walk(path)):
                found.extend(os.path.join(directory, name) for name in sorted(names)
                             if name.endswith(".repo"))
        else:
            found.append(path)
    return found


def check_files(paths, releasever="9", basearch="x86_64", known_vars=()):
    """Check every .repo file under paths; returns a CheckResult."""
    import libdnf.conf

    substitutions = {"releasever": str(releasever), "basearch": basearch, "arch": basearch}
    allowed_vars = set(DNF_BUILTIN_VARS) | set(known_vars)
    problems = []
    first_seen = {}
    files = find_repo_files(paths)
    section_count = 0
    if not files:
        problems.append(Problem(", ".join(paths), None, None, None, "no .repo files found"))
    for path in files:
        layout, text_problems = _scan_text(path, allowed_vars)
        problems.extend(text_problems)
        if layout is None:
            continue
        parser = libdnf.conf.ConfigParser()
        parser.setSubstitutions(substitutions)
        try:
            parser.read(path)
        except RuntimeError as error:
            match = LIBDNF_LINE.search(str(error))
            problems.append(Problem(path, int(match.group(1)) if match else None, None, None,
                                    "libdnf cannot parse it: {}".format(error)))
            continue
        for section in parser.sections():
            section_count += 1
            problems.extend(_check_section(libdnf.conf, parser, path, section, layout))
            if section in first_seen:
                problems.append(Problem(path, layout.line(section), section, None,
                                        "section id already used in {}".format(first_seen[section])))
            else:
                first_seen[section] = path
    order = {path: number for number, path in enumerate(files)}
    problems.sort(key=lambda problem: (order.get(problem.path, -1), problem.line or 0))
    return CheckResult(files, section_count, problems)


def compare_with_expected(expected, directory):
    """Problems where directory's .repo files differ from expected (name -> text)."""
    problems = []
    present = {name for name in os.listdir(directory) if name.endswith(".repo")}
    for name in sorted(set(expected) - present):
        problems.append(Problem(os.path.join(directory, name), None, None, None,
                                "missing: the templates render this file"))
    for name in sorted(present - set(expected)):
        problems.append(Problem(os.path.join(directory, name), None, None, None,
                                "unexpected: the templates do not render this file"))
    for name in sorted(present & set(expected)):
        path = os.path.join(directory, name)
        with open(path, "rb") as stream:
            actual = stream.read().decode("utf-8", "replace").splitlines()
        wanted = expected[name].splitlines()
        for number, (have, want) in enumerate(zip(actual, wanted), 1):
            if have != want:
                problems.append(Problem(path, number, None, None,
                                        "differs from the rendered template: {!r}, expected {!r}".format(
                                            have, want)))
                break
        else:
            if len(actual) != len(wanted):
                problems.append(Problem(path, min(len(actual), len(wanted)) + 1, None, None,
                                        "has {} lines, the rendered template {}".format(
                                            len(actual), len(wanted))))
    return problems


class _Layout(object):
    """Line numbers of sections and keys, as read from the raw text."""

    def __init__(self):
        self.sections = {}
        self.keys = {}

    def line(self, section, key=None):
        if key is None:
            return self.sections.get(section)
        return self.keys.get((section, key), self.sections.get(section))


def _scan_text(path, allowed_vars):
    """Line numbers, duplicates, placeholders and unknown $variables, from the raw text.

    libdnf merges duplicate sections and keeps the last of duplicate keys
    without a word; those silent merges are problems here.
    """
    problems = []
    try:
        with open(path, "rb") as stream:
            text = stream.read().decode("utf-8")
    except (OSError, IOError) as error:
        return None, [Problem(path, None, None, None, "cannot read: {}".format(error))]
    except UnicodeDecodeError as error:
        return None, [Problem(path, None, None, None, "not UTF-8: {}".format(error))]
    layout = _Layout()
    section = None
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        for match in PLACEHOLDER.finditer(line):
            problems.append(Problem(path, number, section, None,
                                    "template placeholder left: {!r}".format(match.group(0))))
        for match in VARIABLE.finditer(line):
            name = match.group(1) or match.group(2)
            if name not in allowed_vars:
                problems.append(Problem(path, number, section, None,
                                        "unknown variable ${} (dnf would leave it as is)".format(name)))
        if "\r" in line:
            problems.append(Problem(path, number, section, None, "carriage return in line"))
        if not stripped or stripped[0] in "#;" or line[0] in " \t":
            continue
        if stripped.startswith("["):
            section = stripped[1:].rstrip("]").strip()
            if section in layout.sections:
                problems.append(Problem(path, number, section, None,
                                        "section repeated (first at line {}); libdnf merges them".format(
                                            layout.sections[section])))
            else:
                layout.sections[section] = number
            continue
        key = stripped.split("=", 1)[0].strip()
        if (section, key) in layout.keys:
            problems.append(Problem(path, number, section, key,
                                    "key repeated (first at line {}); libdnf keeps the last".format(
                                        layout.keys[(section, key)])))
        else:
            layout.keys[(section, key)] = number
    return layout, problems


def _check_section(conf, parser, path, section, layout):
    problems = []

    def problem(key, message):
        problems.append(Problem(path, layout.line(section, key), section, key, message))

    if section == "main":
        problem(None, "[main] in a .repo file is ignored by dnf")
        return problems
    bad = sorted(set(section) - REPO_ID_CHARS)
    if bad:
        problem(None, "repo id has characters dnf rejects: {}".format("".join(bad)))
    options = list(parser.options(section))
    repo_conf = conf.ConfigRepo(conf.ConfigMain())
    binds = repo_conf.optBinds()
    known = {bind.first for bind in binds}
    for key in options:
        if key not in known:
            problem(key, "unknown option (libdnf's ConfigRepo has no {!r})".format(key))
            continue
        value = parser.getSubstitutedValue(section, key)
        try:
            binds.at(key).newString(conf.Option.Priority_REPOCONFIG, value)
        except RuntimeError as error:
            problem(key, "invalid value {!r}: {}".format(value, error))
    if "name" not in options:
        problem(None, "no name (dnf warns and uses the id)")
    if not any(key in options for key in METADATA_SOURCES):
        problem(None, "no baseurl, mirrorlist or metalink")
    countme_valid = not any(found.key == "countme" for found in problems)
    problems.extend(_countme_problems(path, section, options, repo_conf, layout, countme_valid))
    return problems


def _countme_problems(path, section, options, repo_conf, layout, countme_valid):
    line = layout.line(section, "countme")
    if section.endswith(NON_PRIMARY_SUFFIXES):
        if "countme" in options:
            return [Problem(path, line, section, "countme",
                            "countme must not be set in -debuginfo/-debug/-source sections")]
        return []
    if "countme" not in options:
        return [Problem(path, line, section, "countme", "missing: every primary section needs countme=1")]
    if countme_valid and not repo_conf.countme().getValue():
        return [Problem(path, line, section, "countme", "is off: every primary section needs countme=1")]
    return []
