"""almalinux-release.spec with the real rpmbuild, rpm and dnf.

One session builds the packages (tools/build-rpms, as `make rpm` does) from a
clean checkout: a `git clone` when the work tree has nothing uncommitted, else
an export of exactly the files git would put in a clone (tracked plus
untracked-but-not-ignored: no .venv, caches, egg-info or dist). Three builds:
  A  Release 1, throwaway GPG keys made by build-rpms (Release 1.testkeys);
  B  Release 2, same sources, keys given with --gpg-key-dir (the keys of A);
  C  Release 3, a later version whose repo data and countme.conf changed.
Packages are installed with `rpm --root` into scratch roots with --nodeps:
those roots hold no python3, python3-dnf or glibc packages in their rpm
database, so the Requires cannot be met there; the host's dnf and python run
them. dnf then runs with --installroot and the plugin from the root's payload.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile

import pytest

PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, PROJECT)

from alma_countme.repotools import repotemplates  # noqa: E402

SYSTEM_PYTHON = "/usr/bin/python3"
CLEAN_ENV = {key: value for key, value in os.environ.items()
             if key not in ("DO_NOT_TRACK", "PYTHONPATH", "VIRTUAL_ENV")}


def run(command, check=True, **kwargs):
    kwargs.setdefault("env", CLEAN_ENV)
    finished = subprocess.run([str(part) for part in command], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, universal_newlines=True, timeout=300, **kwargs)
    if check and finished.returncode != 0:
        raise AssertionError("{} failed ({}):\n{}\n{}".format(
            " ".join(str(part) for part in command), finished.returncode, finished.stdout, finished.stderr))
    return finished


def missing_tools():
    return [tool for tool in ("rpmbuild", "rpm", "rpmlint", "gpg", "git") if shutil.which(tool) is None]


# -- the spec, parsed (no build) ------------------------------------------------------


@pytest.mark.parametrize("arguments,message", [
    (["--major", "7"], "no AlmaLinux major '7' (known: 8, 9, 10)"),
    (["--major", "9", "--arch", "x86_64_v2"], "AlmaLinux 9 has no arch 'x86_64_v2' (known: "),
])
def test_build_rpms_refuses_a_release_the_data_lacks_before_building(tmp_path, arguments, message):
    # Without --gpg-key-dir the keys are made first: a major the data lacks once ended in a traceback.
    finished = run([sys.executable, os.path.join(PROJECT, "tools", "build-rpms"), "--out", tmp_path / "out",
                    "--topdir", tmp_path / "top"] + arguments, check=False)
    assert finished.returncode == 2, finished.stderr
    assert finished.stderr.startswith("build-rpms: error: ") and message in finished.stderr
    assert "repo-templates/almalinux.yaml" in finished.stderr and "Traceback" not in finished.stderr
    assert not (tmp_path / "out").exists() and not list((tmp_path / "top").glob("SOURCES/*"))


@pytest.mark.skipif(shutil.which("rpmspec") is None, reason="rpmspec not installed")
@pytest.mark.parametrize("major,version,key", [
    ("8", "8.10", "RPM-GPG-KEY-AlmaLinux"), ("9", "9.6", "RPM-GPG-KEY-AlmaLinux-9"),
    ("10", "10.0", "RPM-GPG-KEY-AlmaLinux-10")])
def test_spec_parses_for_each_major_with_its_point_release(major, version, key):
    finished = run(["rpmspec", "-q", "--srpm", "--define", "major " + major,
                    "--qf", "%{VERSION} %{RELEASE}\n", os.path.join(PROJECT, "almalinux-release.spec")])
    assert finished.stdout.split() == [version, "1"]
    data = repotemplates.load_data()
    assert data["majors"][major]["gpg_keys"] == [key]


@pytest.mark.skipif(shutil.which("rpmspec") is None, reason="rpmspec not installed")
def test_spec_subpackages_and_their_capabilities():
    spec = os.path.join(PROJECT, "almalinux-release.spec")
    names = run(["rpmspec", "-q", "--qf", "%{NAME} %{VERSION} %{ARCH}\n", "--target", "x86_64", spec]).stdout
    assert sorted(names.split("\n")[:-1]) == [
        "almalinux-gpg-keys 9.6 noarch", "almalinux-release 9.6 x86_64", "almalinux-repos 9.6 x86_64",
        "python3-dnf-plugin-countme 0.1.0 noarch"]
    provides = run(["rpmspec", "-q", "--provides", spec]).stdout
    for capability in ("system-release = 9.6-1", "system-release(releasever) = 9", "redhat-release = 9.6-1",
                       "dnf-command(countme)"):
        assert capability in provides


# AlmaLinux's own values of the macros the spec's file list depends on (python-rpm-macros and
# the dist macro of each release); a Debian build has none of them, which is why it is for
# testing only (doc/release-engineering.md).
EL_MACROS = {
    "8": {"dist": ".el8", "python3_sitelib": "/usr/lib/python3.6/site-packages",
          "__python3": "/usr/libexec/platform-python"},
    "9": {"dist": ".el9", "python3_sitelib": "/usr/lib/python3.9/site-packages",
          "__python3": "/usr/bin/python3"},
    "10": {"dist": ".el10_0", "python3_sitelib": "/usr/lib/python3.12/site-packages",
           "__python3": "/usr/bin/python3"},
}


def parsed_spec(major, macros):
    defines = ["--define", "major " + major]
    for name, value in macros.items():
        defines += ["--define", "{} {}".format(name, value)]
    spec = os.path.join(PROJECT, "almalinux-release.spec")
    text = run(["rpmspec", "-P"] + defines + [spec]).stdout
    release = run(["rpmspec", "-q", "--srpm", "--qf", "%{RELEASE}"] + defines + [spec]).stdout
    return text, release


def spec_section(text, header):
    start = text.index(header + "\n") + len(header) + 1
    end = text.find("\n%files", start)
    end = text.find("\n%changelog", start) if end < 0 else end
    return text[start:end]


@pytest.mark.skipif(shutil.which("rpmspec") is None, reason="rpmspec not installed")
@pytest.mark.parametrize("major", sorted(EL_MACROS))
def test_plugin_file_list_under_almalinux_macros(major):
    macros = EL_MACROS[major]
    sitelib = macros["python3_sitelib"]
    text, release = parsed_spec(major, macros)
    assert release == "1" + macros["dist"]
    assert "dist-packages" not in text
    files = [line for line in spec_section(text, "%files -n python3-dnf-plugin-countme").splitlines()
             if line.strip()]
    paths = [line.split()[-1] for line in files]
    # Where EL's dnf looks for plugins (dnf.const.PLUGINPATH is python3_sitelib/dnf-plugins).
    assert sitelib + "/dnf-plugins/countme.py" in paths and sitelib + "/alma_countme/" in paths
    # Byte code from the platform Python of that release: the file list takes any cache tag.
    assert sitelib + "/dnf-plugins/__pycache__/countme.*.pyc" in paths
    for tree in ("alma_countme", "dnf-plugins"):
        assert "{} $optimize -m compileall -q -f -d {}/{}".format(macros["__python3"], sitelib, tree) in text
    assert all(path.startswith((sitelib + "/", "/etc/dnf/plugins/", "/usr/share/man/", "/usr/share/doc/"))
               for path in paths), paths


@pytest.mark.skipif(shutil.which("rpmspec") is None, reason="rpmspec not installed")
def test_check_keeps_pytest_files_in_the_build_tree_and_removes_them():
    text, _ = parsed_spec("9", EL_MACROS["9"])
    check = text[text.index("\n%check\n"):text.index("\n%files")]
    assert '--basetemp="$PWD/pytest-tmp"' in check and "rm -rf pytest-tmp" in check
    assert check.index("--basetemp") < check.index("rm -rf pytest-tmp")


def plugin_subcommands():
    import ast

    with open(os.path.join(PROJECT, "dnf-plugins", "countme.py")) as handle:
        tree = ast.parse(handle.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and [target.id for target in node.targets] == ["SUBCOMMANDS"]:
            return ast.literal_eval(node.value)
    raise AssertionError("dnf-plugins/countme.py has no SUBCOMMANDS")


def test_every_dnf_countme_command_named_in_the_spec_and_docs_exists():
    """The plugin's SUBCOMMANDS are the one list; the package texts and docs may name no other."""
    subcommands = plugin_subcommands()
    assert subcommands == ("status", "opt-out", "opt-in")
    documents = ["almalinux-release.spec", "README.md", "doc/dnf-countme.8"] + [
        os.path.join("doc", name) for name in sorted(os.listdir(os.path.join(PROJECT, "doc")))
        if name.endswith(".md")]
    named = {}
    for document in documents:
        with open(os.path.join(PROJECT, document)) as handle:
            text = handle.read().replace("\\-", "-").replace("\\fB", "").replace("\\fR", "")
        text = re.sub(r"\n\.B[IR]* ", " ", text)  # man page macros that break a command over lines
        # "the dnf countme plugin" is prose, not a command.
        for word in re.findall(r"dnf countme (?!plugin\b)([A-Za-z][\w-]*)", text):
            named.setdefault(word, set()).add(document)
    assert "opt-out" in named and "status" in named
    unknown = {word: sorted(where) for word, where in named.items() if word not in subcommands}
    assert unknown == {}


# -- the source tarball (no build) -------------------------------------------------------


def build_rpms_module():
    from alma_countme.repotools import build_rpms

    return build_rpms


def git(directory, *args):
    env = dict(CLEAN_ENV, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@invalid", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@invalid")
    return run(["git", "-C", directory] + list(args), env=env).stdout


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
@pytest.mark.parametrize("layout", ["clone", "linked worktree"])
def test_source_tarball_holds_exactly_the_tracked_files(tmp_path, layout):
    """Untracked files (the README's examples write out/, f/, raw.db, totals.csv) never go in."""
    build_rpms = build_rpms_module()
    origin = tmp_path / "origin"
    (origin / "pkg").mkdir(parents=True)
    (origin / "pkg" / "a.py").write_text("A = 1\n")
    (origin / "README.md").write_text("readme\n")
    (origin / ".gitignore").write_text("/out/\n")
    git(origin, "init", "-q")
    git(origin, "add", "-A")
    git(origin, "commit", "-qm", "one")
    tree = tmp_path / "tree"
    if layout == "clone":
        git(tmp_path, "clone", "-q", str(origin), str(tree))
    else:
        git(origin, "worktree", "add", "-q", str(tree))
        assert (tree / ".git").is_file()
    clean = tmp_path / "clean.tar.gz"
    assert build_rpms.write_source_tarball(str(tree), str(clean), "p-1") == 3
    for name in ("raw.db", "totals.csv", "f/logs/mirror1/access.log", "out/x.log", "small/truth.csv"):
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_text("simulator output\n")
    cluttered = tmp_path / "cluttered.tar.gz"
    build_rpms.write_source_tarball(str(tree), str(cluttered), "p-1")
    assert cluttered.read_bytes() == clean.read_bytes()
    with tarfile.open(str(cluttered)) as archive:
        assert sorted(archive.getnames()) == ["p-1/.gitignore", "p-1/README.md", "p-1/pkg/a.py"]
    assert build_rpms.uncommitted_changes(str(tree)) == []
    (tree / "pkg" / "a.py").write_text("A = 2\n")
    assert build_rpms.uncommitted_changes(str(tree)) == ["pkg/a.py"]


# -- builds ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def clean_checkout(tmp_path_factory):
    missing = missing_tools()
    if missing:
        pytest.skip("cannot build RPMs here: missing " + ", ".join(missing))
    target = tmp_path_factory.mktemp("checkout") / "alma-countme"
    dirty = run(["git", "-C", PROJECT, "status", "--porcelain"]).stdout.strip()
    if not dirty:
        run(["git", "clone", "--quiet", PROJECT, target])
        return target
    listed = run(["git", "-C", PROJECT, "ls-files", "-z", "--cached", "--others",
                  "--exclude-standard"]).stdout
    for name in listed.split("\0"):
        source = os.path.join(PROJECT, name)
        if name and os.path.isfile(source):
            os.makedirs(str(target / os.path.dirname(name)), exist_ok=True)
            shutil.copy2(source, str(target / name))
    return target


def build(source_dir, out_dir, *extra):
    """tools/build-rpms from source_dir (its own copy) into out_dir; returns its JSON report."""
    finished = run([SYSTEM_PYTHON, os.path.join(str(source_dir), "tools", "build-rpms"),
                    "--source-dir", source_dir, "--out", out_dir, "--json"] + list(extra))
    report = json.loads(finished.stdout)
    report["stderr"] = finished.stderr
    return report


class Builds(object):
    """The three builds of the session, and where their inputs live."""


@pytest.fixture(scope="session")
def builds(clean_checkout, tmp_path_factory):
    base = tmp_path_factory.mktemp("builds")
    result = Builds()
    result.base = base
    result.checkout = clean_checkout
    result.a = build(clean_checkout, base / "a", "--release", "1", "--lint", "--topdir", base / "top-a")
    keys = base / "keys"
    with tarfile.open(str(base / "top-a" / "SOURCES" / "almalinux-gpg-keys-el9.tar.gz")) as archive:
        archive.extractall(str(keys))
    result.keys = keys
    result.b = build(clean_checkout, base / "b", "--release", "2", "--gpg-key-dir", keys)
    later = base / "later-checkout"
    shutil.copytree(str(clean_checkout), str(later))
    data_file = later / "repo-templates" / "almalinux.yaml"
    text = data_file.read_text()
    changed = text.replace("primary: {metadata_expire: 86400,", "primary: {metadata_expire: 21600,")
    assert changed != text
    data_file.write_text(changed)
    conf = later / "dnf-plugins" / "countme.conf"
    conf.write_text(conf.read_text() + "# A comment added in a later build.\n")
    result.later = later
    # The unit tests pin today's layout (metadata_expire=86400); the repo file check still runs.
    result.c = build(later, base / "c", "--release", "3", "--gpg-key-dir", keys, "--without-tests")
    return result


def packages(report, name=None):
    found = {}
    for path in report["packages"]:
        if path.endswith(".src.rpm"):
            continue
        query = run(["rpm", "-qp", "--qf", "%{NAME}", path]).stdout
        found[query] = path
    return found[name] if name else found


def payload(path):
    """Path -> (mode, file flags, link target) of an RPM's payload, as rpm reports them."""
    query = "[%{FILENAMES}\t%{FILEMODES:octal}\t%{FILEFLAGS:fflags}\t%{FILELINKTOS}\n]"
    out = run(["rpm", "-qp", "--qf", query, path]).stdout
    files = {}
    for line in out.splitlines():
        name, mode, flags, link = line.split("\t")
        files[name] = (mode, flags, link)
    return files


@pytest.mark.rpmbuild
def test_packages_build_from_a_clean_checkout_and_rpmlint_reports_no_errors(builds):
    names = sorted(os.path.basename(path) for path in builds.a["packages"])
    assert names == [
        "almalinux-gpg-keys-9.6-1.testkeys.noarch.rpm", "almalinux-release-9.6-1.testkeys.src.rpm",
        "almalinux-release-9.6-1.testkeys.x86_64.rpm", "almalinux-repos-9.6-1.testkeys.x86_64.rpm",
        "python3-dnf-plugin-countme-0.1.0-1.testkeys.noarch.rpm"]
    assert builds.a["test_keys"] is True and "THROWAWAY" in builds.a["stderr"]
    assert builds.a["lint_ok"] is True and builds.a["lint_errors"] == 0
    later = sorted(os.path.basename(path) for path in builds.b["packages"])
    assert later[1] == "almalinux-release-9.6-2.src.rpm"
    assert builds.b["test_keys"] is False


@pytest.mark.rpmbuild
def test_plain_rpmlint_of_the_output_folder_finds_the_waivers(builds):
    """`rpmlint dist/` loads the one *.rpmlintrc of that folder, which build-rpms puts there."""
    out = os.path.dirname(builds.a["packages"][0])
    assert os.path.isfile(os.path.join(out, "almalinux-release.rpmlintrc"))
    finished = run(["rpmlint", out], check=False)
    summary = re.search(r"(\d+) errors?, (\d+) warnings?", finished.stdout)
    assert summary and summary.group(1) == "0", finished.stdout[-3000:]
    host_dist = run(["rpm", "--eval", "%{?dist}"]).stdout.strip()
    assert builds.a["testing_only"] is (not host_dist.startswith(".el"))


@pytest.mark.rpmbuild
def test_check_ran_the_repo_check_and_the_unit_tests_inside_rpmbuild(builds):
    text = (builds.base / "top-a" / "rpmbuild.log").read_text()
    check = text[text.index("Executing(%check)"):]
    assert "render-repos: checked 11 files, 33 sections: no problems" in check
    passed = re.search(r"(\d+) passed", check)
    assert passed and int(passed.group(1)) > 50
    assert "tests/repotools/test_templates.py" in check and " failed" not in check


@pytest.mark.rpmbuild
def test_payloads_hold_exactly_the_intended_files_modes_and_config_flags(builds):
    data = repotemplates.load_data(os.path.join(str(builds.checkout), "repo-templates", "almalinux.yaml"))
    repo_files = repotemplates.render_repo_files(data, "9", "x86_64")
    assert payload(packages(builds.a, "almalinux-repos")) == dict(
        [("/etc/yum.repos.d", ("40755", "", ""))]
        + [("/etc/yum.repos.d/" + name, ("100644", "cn", "")) for name in repo_files])
    assert payload(packages(builds.a, "almalinux-gpg-keys")) == {
        "/etc/pki/rpm-gpg": ("40755", "", ""),
        "/etc/pki/rpm-gpg/RPM-GPG-KEY-AlmaLinux-9": ("100644", "", "")}
    assert payload(packages(builds.a, "almalinux-release")) == {
        "/etc/almalinux-release": ("100644", "", ""),
        "/etc/dnf/vars": ("40755", "", ""),
        "/etc/issue": ("100644", "cn", ""),
        "/etc/issue.net": ("100644", "cn", ""),
        "/etc/os-release": ("120777", "", "../usr/lib/os-release"),
        "/etc/redhat-release": ("120777", "", "almalinux-release"),
        "/etc/system-release": ("120777", "", "almalinux-release"),
        "/etc/system-release-cpe": ("100644", "", ""),
        "/usr/lib/os-release": ("100644", "", ""),
        "/usr/lib/rpm/macros.d/macros.dist": ("100644", "", "")}
    plugin = payload(packages(builds.a, "python3-dnf-plugin-countme"))
    sitelib = os.path.dirname(os.path.dirname(next(name for name in plugin if name.endswith("/countme.py"))))
    tag = run([SYSTEM_PYTHON, "-c", "import sys; print(sys.implementation.cache_tag)"]).stdout.strip()
    modules = sorted(name[:-3] for name in os.listdir(str(builds.checkout / "alma_countme"))
                     if name.endswith(".py"))
    assert "model" in modules and "cookie" in modules
    expected = {
        "/etc/dnf/plugins/countme.conf": ("100644", "cn", ""),
        "/usr/share/man/man8/dnf-countme.8.gz": ("100644", "d", ""),
        # Where dnf-countme(8) says the status schema is.
        "/usr/share/doc/python3-dnf-plugin-countme": ("40755", "", ""),
        "/usr/share/doc/python3-dnf-plugin-countme/countme-status-schema.md": ("100644", "d", ""),
        sitelib + "/dnf-plugins/countme.py": ("100644", "", ""),
        sitelib + "/alma_countme": ("40755", "", ""),
        sitelib + "/alma_countme/__pycache__": ("40755", "", ""),
    }
    for pycache, module in [(sitelib + "/dnf-plugins/__pycache__", "countme")] + [
            (sitelib + "/alma_countme/__pycache__", module) for module in modules]:
        for suffix in (".pyc", ".opt-1.pyc"):
            expected["{}/{}.{}{}".format(pycache, module, tag, suffix)] = ("100644", "", "")
    for module in modules:
        expected["{}/alma_countme/{}.py".format(sitelib, module)] = ("100644", "", "")
    assert plugin == expected
    # The plugin lands where this host's dnf looks for plugins.
    pluginpath = run([SYSTEM_PYTHON, "-c", "import dnf.const; print(dnf.const.PLUGINPATH)"]).stdout.strip()
    assert sitelib + "/dnf-plugins" == pluginpath


@pytest.mark.rpmbuild
def test_packages_declare_release_capabilities_and_the_plugin_command(builds):
    release = run(["rpm", "-qp", "--provides", packages(builds.a, "almalinux-release")]).stdout.splitlines()
    assert "system-release(releasever) = 9" in release
    assert "system-release = 9.6-1.testkeys" in release
    assert "base-module(platform:el9)" in release
    plugin = run(["rpm", "-qp", "--provides", packages(builds.a, "python3-dnf-plugin-countme")]).stdout
    assert "dnf-command(countme)" in plugin.splitlines()
    requires = run(["rpm", "-qp", "--requires", packages(builds.a, "almalinux-repos")]).stdout.splitlines()
    assert "almalinux-gpg-keys = 9.6-1.testkeys" in requires


@pytest.mark.rpmbuild
def test_the_source_rpm_rebuilds_to_the_same_packages(builds, tmp_path):
    srpm = next(path for path in builds.a["packages"] if path.endswith(".src.rpm"))
    run(["rpmbuild", "--rebuild", "--nodeps", "--nocheck", "--define", "_topdir {}".format(tmp_path), srpm])
    rebuilt = sorted(os.path.basename(path) for path in (tmp_path / "RPMS").glob("*/*.rpm"))
    assert rebuilt == sorted(os.path.basename(path) for path in builds.a["packages"]
                             if not path.endswith(".src.rpm"))


@pytest.mark.rpmbuild
@pytest.mark.parametrize("major,arch,expect_file,expect_text", [
    ("10", "x86_64_v2", "/etc/yum.repos.d/almalinux-rt.repo", "mirrorlist/$releasever/rt?arch=x86_64_v2"),
    ("8", "aarch64", "/etc/yum.repos.d/almalinux-powertools.repo", "RPM-GPG-KEY-AlmaLinux\n"),
])
def test_other_majors_and_arches_build(builds, tmp_path, major, arch, expect_file, expect_text):
    report = build(builds.checkout, tmp_path / "out", "--major", major, "--arch", arch, "--nocheck",
                   "--topdir", tmp_path / "top")
    repos = packages(report, "almalinux-repos")
    files = payload(repos)
    assert expect_file in files
    if arch == "aarch64":
        assert "/etc/yum.repos.d/almalinux-rt.repo" not in files
    root = tmp_path / "root"
    root.mkdir()
    run(["rpm", "--root", root, "-i", "--nodeps", repos, packages(report, "almalinux-release")])
    assert expect_text in (root / expect_file.lstrip("/")).read_text()
    version = run(["rpm", "-qp", "--qf", "%{VERSION}", packages(report, "almalinux-release")]).stdout
    assert version == {"10": "10.0", "8": "8.10"}[major]


# -- installed into a scratch root, used by the real dnf ------------------------------------


@pytest.fixture(scope="session")
def system_dnf():
    if not os.path.exists("/usr/bin/dnf") or run([SYSTEM_PYTHON, "-c", "import dnf"], check=False).returncode:
        pytest.skip("no system dnf (/usr/bin/dnf and {} importing dnf)".format(SYSTEM_PYTHON))
    if os.geteuid() != 0:
        pytest.skip("dnf countme opt-out needs root")


def install(root, report, upgrade=False):
    if os.geteuid() != 0:
        pytest.skip("rpm --root installs files owned by root: needs root")
    root.mkdir(exist_ok=True)
    rpms = sorted(packages(report).values())
    run(["rpm", "--root", root, "-U" if upgrade else "-i", "--nodeps"] + rpms)


def sitelib_in(root):
    return next(str(path.parent.parent) for path in root.glob("usr/lib/**/dnf-plugins/countme.py"))


def dnf(root, *args, check=True):
    """The system dnf in root, with the plugin and alma_countme from root's own payload."""
    conf = root / "etc" / "dnf" / "dnf.conf"
    if not conf.exists():
        conf.write_text("[main]\ngpgcheck=0\npluginpath={}\npluginconfpath={}\nreposdir={}\n".format(
            sitelib_in(root) + "/dnf-plugins", root / "etc/dnf/plugins", root / "etc/yum.repos.d"))
    env = dict(CLEAN_ENV, PYTHONPATH=sitelib_in(root))
    return run([SYSTEM_PYTHON, "/usr/bin/dnf", "--installroot={}".format(root), "-y"] + list(args),
               check=check, env=env, cwd=str(root))


def status(root):
    return json.loads(dnf(root, "countme", "status", "--json").stdout)


def rpmnew_files(root):
    return sorted(str(path.relative_to(root)) for path in root.glob("etc/**/*.rpmnew"))


def repo_texts(root):
    directory = root / "etc" / "yum.repos.d"
    return {path.name: path.read_text() for path in directory.glob("*.repo")}


def rendered(checkout):
    data = repotemplates.load_data(os.path.join(str(checkout), "repo-templates", "almalinux.yaml"))
    return dict(repotemplates.render_repo_files(data, "9", "x86_64"))


@pytest.mark.rpmbuild
def test_installed_repo_files_are_what_the_templates_render_and_pass_the_check(builds, tmp_path):
    root = tmp_path / "root"
    install(root, builds.a)
    assert repo_texts(root) == rendered(builds.checkout)
    finished = run([SYSTEM_PYTHON, os.path.join(PROJECT, "tools", "render-repos"), "--check", root,
                    "--major", "9", "--arch", "x86_64", "--json"])
    assert json.loads(finished.stdout)["problems"] == []
    assert (root / "etc/os-release").resolve() == (root / "usr/lib/os-release").resolve()
    assert "VERSION_ID=\"9.6\"" in (root / "etc/os-release").read_text()


@pytest.mark.rpmbuild
@pytest.mark.realdnf
def test_real_dnf_in_the_root_runs_the_installed_plugin(builds, system_dnf, tmp_path):
    root = tmp_path / "root"
    install(root, builds.a)
    finished = dnf(root, "countme", "status")
    assert finished.stdout.startswith("countme: dnf runs as root send countme for 3 of 33 repositories")
    report = status(root)
    # dnf took $releasever from almalinux-release's system-release(releasever) provide.
    urls = {repo["id"]: repo["url"] for repo in report["repos"]}
    assert urls["baseos"] == "https://mirrors.almalinux.org/mirrorlist/9/baseos"
    assert report["sending_repos"] == ["appstream", "baseos", "extras"]
    assert report["plugin"]["config_path"] == str(root / "etc/dnf/plugins/countme.conf")


@pytest.mark.rpmbuild
@pytest.mark.realdnf
def test_opt_out_by_the_plugin_switch_survives_upgrades(builds, system_dnf, tmp_path):
    root = tmp_path / "root"
    install(root, builds.a)
    dnf(root, "countme", "opt-out")
    state = (root / "etc/dnf/countme-optout").read_bytes()
    conf = root / "etc/dnf/plugins/countme.conf"
    conf.write_text(conf.read_text().replace("epoch_source=machine-id", "epoch_source=rpmdb"))
    assert status(root)["will_send"] is False
    assert repo_texts(root) == rendered(builds.checkout)  # the switch leaves the repo files alone

    install(root, builds.b, upgrade=True)  # Release bump, same content
    assert rpmnew_files(root) == []
    assert (root / "etc/dnf/countme-optout").read_bytes() == state
    assert "epoch_source=rpmdb" in conf.read_text()
    assert status(root)["will_send"] is False

    install(root, builds.c, upgrade=True)  # repo data and countme.conf changed upstream
    # Unedited repo files are simply replaced; the edited countme.conf is kept, the new one lands beside it.
    assert repo_texts(root) == rendered(builds.later)
    assert rpmnew_files(root) == ["etc/dnf/plugins/countme.conf.rpmnew"]
    assert "epoch_source=rpmdb" in conf.read_text()
    assert (root / "etc/dnf/countme-optout").read_bytes() == state
    after = status(root)
    assert after["will_send"] is False and after["opt_out"]["all"] is True


@pytest.mark.rpmbuild
@pytest.mark.realdnf
def test_opt_out_by_repo_files_survives_upgrades_and_new_files_land_as_rpmnew(builds, system_dnf, tmp_path):
    root = tmp_path / "root"
    install(root, builds.a)
    dnf(root, "countme", "opt-out", "--repo-files")
    edited = repo_texts(root)
    assert all("countme=1" not in text for text in edited.values())
    assert status(root)["will_send"] is False

    install(root, builds.b, upgrade=True)  # packaged files unchanged: edits kept, no .rpmnew
    assert repo_texts(root) == edited
    assert rpmnew_files(root) == []
    assert status(root)["will_send"] is False

    install(root, builds.c, upgrade=True)  # packaged files changed: edits kept, new files as .rpmnew
    assert repo_texts(root) == edited
    later = rendered(builds.later)
    assert rpmnew_files(root) == sorted("etc/yum.repos.d/{}.rpmnew".format(name) for name in later)
    for name, text in later.items():
        assert (root / "etc/yum.repos.d" / (name + ".rpmnew")).read_text() == text
    assert status(root)["will_send"] is False

    # An admin who takes the new files (countme=1 again) stays opted out: the switch still holds.
    for name in later:
        os.replace(str(root / "etc/yum.repos.d" / (name + ".rpmnew")), str(root / "etc/yum.repos.d" / name))
    assert repo_texts(root) == later
    after = status(root)
    assert after["will_send"] is False and after["opt_out"]["all"] is True
