"""Build almalinux-release.spec into a source RPM and binary RPMs (what `make rpm` runs).

The project tree becomes the source tarball: in a git work tree exactly the
files git tracks, as they are in the work tree (untracked files such as
simulator output never go in, so one commit gives one tarball; uncommitted
edits of tracked files do go in, with a warning naming them); elsewhere every
file but caches and build output.

The GPG public keys are build inputs: --gpg-key-dir names a directory holding
the files repo-templates/almalinux.yaml lists for the major. Without it the
build makes THROWAWAY keys with gpg, marks them so in their user id, and the
packages' Release ends in ".testkeys": never ship those.

Exit status: 0 built (and lint clean with --lint), 1 build or lint failed, 2 bad input.
"""

import argparse
import glob
import gzip
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile

from alma_countme.repotools import repotemplates

# alma_countme/repotools/ -> the checkout (tools/build-rpms runs this module).
PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SPEC = "almalinux-release.spec"
RPMLINTRC = "almalinux-release.rpmlintrc"
TARBALL_NAME = "alma-countme"
SKIP_DIRS = {".git", ".venv", "dist", "build", "out", "__pycache__", ".pytest_cache", ".ruff_cache"}
TEST_KEY_UID = "AlmaLinux countme THROWAWAY TEST KEY - not for release <throwaway-test-key@invalid>"


class BuildError(Exception):
    pass


def main(argv=None):
    args = parse_args(argv)
    try:
        result = build(args)
    except BuildError as error:
        return fail(args, str(error), 1)
    except repotemplates.TemplateDataError as error:
        return fail(args, str(error), 2)
    if args.json:
        json.dump(result, sys.stdout, indent=2, sort_keys=True)
        sys.stdout.write("\n")
    else:
        for path in result["packages"]:
            print(path)
    return 0 if result.get("lint_ok", True) else 1


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="build-rpms",
        description="Build almalinux-release.spec (almalinux-release, almalinux-repos, "
                    "almalinux-gpg-keys, python3-dnf-plugin-countme) into --out.",
        epilog="Exit status: 0 built, 1 build or lint failed, 2 bad input.")
    parser.add_argument("--major", default="9", help="AlmaLinux major release (default 9)")
    parser.add_argument("--minor", help="point release (default: the spec's for the major)")
    parser.add_argument("--codename", help="release codename (default: the spec's for the major)")
    parser.add_argument("--release", default="1", help="Release number (default 1)")
    parser.add_argument("--arch", help="arch whose repo files to ship (default: rpm's target cpu)")
    parser.add_argument("--out", default=os.path.join(PROJECT, "dist"),
                        help="output directory (default dist/)")
    parser.add_argument("--gpg-key-dir", metavar="DIR",
                        help="directory with the major's GPG public keys; without it THROWAWAY keys are made")
    parser.add_argument("--source-dir", default=PROJECT, metavar="DIR",
                        help="project tree to package (default: this checkout)")
    parser.add_argument("--topdir", metavar="DIR",
                        help="rpmbuild _topdir to use and keep (default: a temporary one)")
    parser.add_argument("--nocheck", action="store_true", help="skip %%check entirely")
    parser.add_argument("--without-tests", action="store_true",
                        help="skip the unit tests in %%check, keep the repo file and version checks")
    parser.add_argument("--lint", action="store_true",
                        help="run rpmlint with the waivers; errors fail the build")
    parser.add_argument("--json", action="store_true", help="print a JSON report on stdout")
    return parser.parse_args(argv)


def build(args):
    source_dir = os.path.abspath(args.source_dir)
    version = project_version(source_dir)
    check_release(source_dir, args.major, args.arch)
    topdir = os.path.abspath(args.topdir) if args.topdir else tempfile.mkdtemp(prefix="build-rpms-")
    for sub in ("SOURCES", "SPECS", "BUILD", "RPMS", "SRPMS", "BUILDROOT"):
        os.makedirs(os.path.join(topdir, sub), exist_ok=True)
    try:
        defines = [("major", args.major), ("release_number", args.release), ("plugin_version", version)]
        defines += [(name, value) for name, value in
                    (("minor", args.minor), ("codename", args.codename), ("repo_arch", args.arch)) if value]
        tarball = os.path.join(topdir, "SOURCES", "{}-{}.tar.gz".format(TARBALL_NAME, version))
        count = write_source_tarball(source_dir, tarball, "{}-{}".format(TARBALL_NAME, version))
        progress("source tarball {} ({} files{})".format(
            tarball, count, ", the files git tracks" if git_top(source_dir) else ""))
        uncommitted = uncommitted_changes(source_dir)
        if uncommitted:
            progress("WARNING: {} tracked file(s) differ from the last commit and go in as they are now "
                     "(commit them for a build that the commit alone reproduces): {}".format(
                         len(uncommitted), ", ".join(uncommitted)))
        if not prepare_keys(args, source_dir, topdir):
            defines.append(("test_keys", "1"))
        spec = os.path.join(topdir, "SPECS", SPEC)
        write_spec(os.path.join(source_dir, SPEC), spec, defines)
        run_rpmbuild(args, topdir, spec)
        testing_only = not_an_almalinux_build()
        if testing_only:
            progress("NOTE: {}: these packages are for testing only; release builds run on AlmaLinux "
                     "(doc/release-engineering.md)".format(testing_only))
        packages = collect(topdir, args.out)
        result = {"packages": packages, "topdir": topdir, "test_keys": ("test_keys", "1") in defines,
                  "testing_only": bool(testing_only),
                  "source_files": count, "uncommitted": uncommitted}
        if args.lint:
            result.update(lint(source_dir, packages))
        return result
    finally:
        if not args.topdir:
            shutil.rmtree(topdir, ignore_errors=True)


def check_release(source_dir, major, arch):
    """TemplateDataError naming the data file unless it describes ``major`` (and ``arch``, when
    given): before anything is built, rather than from deep in rpmbuild's log."""
    data = repotemplates.load_data(os.path.join(source_dir, "repo-templates", repotemplates.DATA_FILE_NAME))
    known = repotemplates.arches(data, major)
    if arch and arch not in known:
        raise repotemplates.TemplateDataError("{}: AlmaLinux {} has no arch {!r} (known: {})".format(
            data["path"], major, arch, ", ".join(known)))


def project_version(source_dir):
    with open(os.path.join(source_dir, "alma_countme", "__init__.py")) as stream:
        match = re.search(r'^__version__ = "([^"]+)"', stream.read(), re.M)
    if not match:
        raise BuildError("{}/alma_countme/__init__.py has no __version__".format(source_dir))
    return match.group(1)


def git_top(source_dir):
    """The work tree's top directory when source_dir is the top of a git work tree, else None.

    A linked worktree (``git worktree add``) has a ``.git`` file, not a directory: ask git.
    """
    if shutil.which("git") is None:
        return None
    finished = subprocess.run(["git", "-C", source_dir, "rev-parse", "--show-toplevel"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    top = finished.stdout.decode("utf-8").strip()
    if finished.returncode != 0 or os.path.realpath(top) != os.path.realpath(source_dir):
        return None
    return top


def git_lines(source_dir, *args):
    finished = subprocess.run(["git", "-C", source_dir] + list(args), check=True, stdout=subprocess.PIPE)
    return [name for name in finished.stdout.decode("utf-8").split("\0") if name]


def source_files(source_dir):
    """Paths relative to source_dir that go into the tarball, sorted.

    In a git work tree: exactly the files git tracks (as they are in the work
    tree, so uncommitted edits of tracked files are built; see
    uncommitted_changes). Untracked files (simulator output, databases, a
    .venv) never go in, so the same commit gives the same tarball whatever
    else lies in the checkout. Outside git: every file but caches and build output.
    """
    if git_top(source_dir):
        deleted = set(git_lines(source_dir, "ls-files", "-z", "--deleted"))
        names = {name for name in git_lines(source_dir, "ls-files", "-z", "--cached")
                 if name not in deleted and os.path.isfile(os.path.join(source_dir, name))}
        return sorted(names)
    names = set()
    for directory, subdirs, files in os.walk(source_dir):
        subdirs[:] = [name for name in subdirs
                      if name not in SKIP_DIRS and not name.endswith(".egg-info")]
        relative = os.path.relpath(directory, source_dir)
        names.update(os.path.normpath(os.path.join(relative, name)) for name in files
                     if not name.endswith((".pyc", ".pyo")))
    return sorted(name for name in names if not set(name.split(os.sep)) & SKIP_DIRS)


def uncommitted_changes(source_dir):
    """Tracked files whose work tree content differs from HEAD (they go in as they are now)."""
    if not git_top(source_dir):
        return []
    return sorted(git_lines(source_dir, "diff", "--name-only", "-z", "HEAD"))


def write_source_tarball(source_dir, path, prefix):
    """A reproducible tar.gz of the project: sorted, owner root, fixed times."""
    names = source_files(source_dir)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as archive:
        for name in names:
            info = archive.gettarinfo(os.path.join(source_dir, name), arcname="{}/{}".format(prefix, name))
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            info.mtime = 0
            if info.isreg():
                with open(os.path.join(source_dir, name), "rb") as stream:
                    archive.addfile(info, stream)
            else:
                archive.addfile(info)
    with open(path, "wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as compressed:
        compressed.write(buffer.getvalue())
    return len(names)


def prepare_keys(args, source_dir, topdir):
    """Put the keys tarball in SOURCES; True when they are real (supplied) keys."""
    data = repotemplates.load_data(os.path.join(source_dir, "repo-templates", repotemplates.DATA_FILE_NAME))
    key_dir = args.gpg_key_dir
    supplied = bool(key_dir)
    if not supplied:
        key_dir = os.path.join(topdir, "throwaway-keys")
        make_throwaway_keys(data["majors"][str(args.major)]["gpg_keys"], key_dir)
        progress("WARNING: no --gpg-key-dir: packaging THROWAWAY test keys; Release gets .testkeys")
    keys = repotemplates.gpg_key_files(data, args.major, key_dir)
    tarball = os.path.join(topdir, "SOURCES", "almalinux-gpg-keys-el{}.tar.gz".format(args.major))
    with tarfile.open(tarball, "w:gz") as archive:
        for relative in keys:
            name = os.path.basename(relative)
            archive.add(os.path.join(key_dir, name), arcname=name)
    progress("GPG keys {}: {}".format(tarball, ", ".join(os.path.basename(name) for name in keys)))
    return supplied


def make_throwaway_keys(names, key_dir):
    """Fresh ed25519 public keys, one per name, in a private GNUPGHOME that is then removed."""
    if shutil.which("gpg") is None:
        raise BuildError("gpg not found: install gnupg or give --gpg-key-dir")
    os.makedirs(key_dir, exist_ok=True)
    home = tempfile.mkdtemp(prefix="throwaway-gnupg-")
    env = dict(os.environ, GNUPGHOME=home)
    try:
        for number, name in enumerate(names):
            uid = TEST_KEY_UID.replace(" <", " {} <".format(number + 1)) if len(names) > 1 else TEST_KEY_UID
            subprocess.run(["gpg", "--batch", "--quiet", "--passphrase", "", "--quick-gen-key", uid,
                            "ed25519", "sign", "1d"], env=env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            exported = subprocess.run(["gpg", "--batch", "--armor", "--export", uid], env=env, check=True,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE).stdout
            with open(os.path.join(key_dir, name), "wb") as stream:
                stream.write(exported)
    except subprocess.CalledProcessError as error:
        raise BuildError("gpg failed making a throwaway key: {}".format(
            error.stderr.decode("utf-8", "replace"))) from None
    finally:
        subprocess.run(["gpgconf", "--kill", "all"], env=env, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(home, ignore_errors=True)


def write_spec(source, target, defines):
    """The spec with this build's macros set at its top.

    They travel inside the source RPM, so `rpmbuild --rebuild` of it makes the
    same packages (a .testkeys build stays .testkeys).
    """
    with open(source) as stream:
        text = stream.read()
    header = "".join("%global {} {}\n".format(name, value) for name, value in defines)
    with open(target, "w") as stream:
        stream.write("# Set by tools/build-rpms for this build:\n" + header + "\n" + text)


def run_rpmbuild(args, topdir, spec):
    command = ["rpmbuild", "-ba", "--define", "_topdir {}".format(topdir)]
    if not rpmdb_knows_build_deps():
        # Debian's rpm database is empty: BuildRequires would all look missing.
        progress("rpm database does not list this system's packages: building with --nodeps")
        command.append("--nodeps")
    if args.nocheck:
        command.append("--nocheck")
    if args.without_tests:
        command += ["--without", "tests"]
    command.append(spec)
    log_path = os.path.join(topdir, "rpmbuild.log")
    progress("rpmbuild -ba {} (log: {})".format(os.path.basename(spec), log_path))
    with open(log_path, "wb") as log:
        finished = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT)
    if finished.returncode != 0:
        with open(log_path, "rb") as log:
            tail = log.read().decode("utf-8", "replace").splitlines()[-40:]
        raise BuildError("rpmbuild failed ({}); last lines of {}:\n{}".format(
            finished.returncode, log_path, "\n".join(tail)))


def not_an_almalinux_build():
    """Why rpm here does not build what AlmaLinux builds (no %dist, another Python), else None."""
    dist = subprocess.run(["rpm", "--eval", "%{?dist}"], stdout=subprocess.PIPE).stdout.decode().strip()
    sitelib = subprocess.run(["rpm", "--eval", "%{?python3_sitelib}"],
                             stdout=subprocess.PIPE).stdout.decode().strip()
    if not re.match(r"^\.el\d+", dist):
        return "rpm on this host has no AlmaLinux %dist (Release gets no .elN)"
    if not sitelib:
        return "rpm on this host has no %python3_sitelib (the plugin goes where this host's Python looks)"
    return None


def rpmdb_knows_build_deps():
    return subprocess.run(["rpm", "-q", "--quiet", "--whatprovides", "python3"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0


def collect(topdir, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    built = sorted(glob.glob(os.path.join(topdir, "SRPMS", "*.src.rpm"))
                   + glob.glob(os.path.join(topdir, "RPMS", "*", "*.rpm")))
    copied = []
    for path in built:
        target = os.path.join(os.path.abspath(out_dir), os.path.basename(path))
        shutil.copy2(path, target)
        copied.append(target)
    # Next to the packages, plain `rpmlint DIR` finds the waivers (rpmlint loads the one
    # *.rpmlintrc of the folder it is given).
    shutil.copy2(os.path.join(PROJECT, RPMLINTRC), os.path.join(out_dir, RPMLINTRC))
    progress("{} packages in {} (with {}: `rpmlint {}` uses it)".format(
        len(copied), out_dir, RPMLINTRC, out_dir))
    return copied


def lint(source_dir, packages):
    if shutil.which("rpmlint") is None:
        raise BuildError("rpmlint not found")
    # Some waivers only apply to Debian's rpmlint profile, some only to EL's.
    command = (["rpmlint", "--ignore-unused-rpmlintrc", "-r", os.path.join(source_dir, RPMLINTRC),
                os.path.join(source_dir, SPEC)] + packages)
    finished = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = finished.stdout.decode("utf-8", "replace")
    sys.stderr.write(output)
    summary = re.search(r"(\d+) errors?, (\d+) warnings?", output)
    errors = int(summary.group(1)) if summary else None
    ok = finished.returncode == 0 and errors == 0
    progress("rpmlint: {}".format(summary.group(0) if summary else "no summary (exit {})".format(
        finished.returncode)))
    return {"lint_ok": ok, "lint_errors": errors, "lint_output": output}


def progress(message):
    print("build-rpms: {}".format(message), file=sys.stderr, flush=True)


def fail(args, message, status):
    if args.json:
        json.dump({"ok": False, "error": message}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    print("build-rpms: error: {}".format(message), file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
