"""The AlmaLinux repo layout: expand repo-templates/almalinux.yaml and render it.

The data file describes each major release (its repo files, each repo's id,
name, mirrorlist name and tree, which arches get which files); this module
turns it into sections (``expand``) and renders them with the Jinja2
templates next to the data (``render_repo_files``, ``render_release_files``).
almalinux-release.spec calls it at package build time, so it runs on the build
host's python3 (3.6 on AlmaLinux 8). PyYAML and Jinja2 are imported inside the
functions that need them: the checker and ``--help`` work without them.
"""

import collections
import os
import re
import tempfile

DATA_FILE_NAME = "almalinux.yaml"
REPO_TEMPLATE = "repo-file.repo.j2"
SECTION_KINDS = ("primary", "debuginfo", "source")
# Files of the release package: path under the root -> template.
RELEASE_FILES = collections.OrderedDict([
    ("etc/almalinux-release", "almalinux-release.j2"),
    ("etc/system-release-cpe", "system-release-cpe.j2"),
    ("etc/issue", "issue.j2"),
    ("etc/issue.net", "issue.net.j2"),
    ("usr/lib/os-release", "os-release.j2"),
    ("usr/lib/rpm/macros.d/macros.dist", "macros.dist.j2"),
])
REPO_DIR = "etc/yum.repos.d"
VARS_DIR = "etc/dnf/vars"
ARMORED_PUBLIC_KEY = "-----BEGIN PGP PUBLIC KEY BLOCK-----"

Section = collections.namedtuple(
    "Section", "id kind name mirrorlist baseurl enabled countme gpgkey options")
RepoFile = collections.namedtuple("RepoFile", "name sections")


class TemplateDataError(ValueError):
    """The data file, a template or a build input is unusable; says where."""


def project_dir():
    # alma_countme/repotools/ -> the checkout.
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def default_template_dir():
    return os.path.join(project_dir(), "repo-templates")


def load_data(path=None):
    """The data file as a dict, with its structure checked."""
    import yaml

    path = path or os.path.join(default_template_dir(), DATA_FILE_NAME)
    try:
        with open(path) as stream:
            data = yaml.safe_load(stream)
    except (OSError, IOError) as error:
        raise TemplateDataError("{}: cannot read: {}".format(path, error)) from None
    except yaml.YAMLError as error:
        raise TemplateDataError("{}: not valid YAML: {}".format(path, error)) from None
    _validate(data, path)
    data["majors"] = {str(major): entry for major, entry in data["majors"].items()}
    data["path"] = path
    return data


def majors(data):
    return sorted(data["majors"], key=int)


def arches(data, major):
    return list(_major(data, major)["arches"])


def expand(data, major, arch):
    """The repo files one major and arch get, as RepoFile tuples in file order."""
    entry = _major(data, major)
    if arch not in entry["arches"]:
        raise TemplateDataError("{}: AlmaLinux {} has no arch {!r} (known: {})".format(
            data["path"], major, arch, ", ".join(entry["arches"])))
    files = []
    for number, spec in enumerate(entry["files"]):
        if arch not in spec.get("arches", entry["arches"]):
            continue
        where = "majors.{}.files[{}]".format(major, number)
        sections = _file_sections(data, entry, spec, arch, where)
        files.append(RepoFile(spec["file"], sections))
    return files


def render_repo_files(data, major, arch, template_dir=None):
    """File name -> text of every repo file for this major and arch."""
    template = _environment(template_dir).get_template(REPO_TEMPLATE)
    return collections.OrderedDict(
        (repo_file.name, template.render(file=repo_file))
        for repo_file in expand(data, major, arch))


def render_release_files(data, major, minor, codename, template_dir=None):
    """Path under the root -> text of the release package's files."""
    if not re.match(r"^[0-9]+$", str(minor)):
        raise TemplateDataError("minor version must be a number, not {!r}".format(minor))
    if not codename or "\n" in codename or '"' in codename:
        raise TemplateDataError("codename must be one line without quotes, not {!r}".format(codename))
    entry = _major(data, major)
    context = dict(data["os_release"])
    context.update(entry["release"])
    context.update(major=major, minor=str(minor), version="{}.{}".format(major, minor),
                   codename=codename)
    environment = _environment(template_dir)
    return collections.OrderedDict(
        (path, environment.get_template(name).render(**context))
        for path, name in RELEASE_FILES.items())


def dnf_var_files(data, major):
    """Path under the root -> text of the /etc/dnf/vars files for this major."""
    variables = _major(data, major).get("dnf_vars") or {}
    return collections.OrderedDict(
        ("{}/{}".format(VARS_DIR, name), "{}\n".format(value))
        for name, value in sorted(variables.items()))


def gpg_key_files(data, major, key_dir):
    """Path under the root -> bytes of each key the data names, read from key_dir.

    The keys are build inputs from release engineering: each must be an
    ASCII-armored public key; a private key is refused outright.
    """
    files = collections.OrderedDict()
    for name in _major(data, major)["gpg_keys"]:
        path = os.path.join(key_dir, name)
        try:
            with open(path, "rb") as stream:
                content = stream.read()
        except (OSError, IOError) as error:
            raise TemplateDataError("{}: GPG key {} for AlmaLinux {} is missing: {}".format(
                key_dir, name, major, error)) from None
        text = content.decode("ascii", "replace")
        if "PRIVATE KEY" in text:
            raise TemplateDataError("{}: holds a PRIVATE key; refusing to package it".format(path))
        if ARMORED_PUBLIC_KEY not in text:
            raise TemplateDataError("{}: not an ASCII-armored OpenPGP public key".format(path))
        files["{}/{}".format(data["gpg_dir"].strip("/"), name)] = content
    return files


def write_tree(files, root, mode=0o644):
    """Write path -> text/bytes under root, each file atomically; returns the paths."""
    written = []
    for relative, content in files.items():
        target = os.path.join(root, relative)
        directory = os.path.dirname(target)
        if not os.path.isdir(directory):
            os.makedirs(directory)
        if not isinstance(content, bytes):
            content = content.encode("utf-8")
        descriptor, temporary = tempfile.mkstemp(prefix=".render-", dir=directory)
        try:
            with os.fdopen(descriptor, "wb") as stream:
                stream.write(content)
            os.chmod(temporary, mode)
            os.rename(temporary, target)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
        written.append(target)
    return written


def _file_sections(data, entry, spec, arch, where):
    overrides = (entry.get("arch_overrides") or {}).get(arch, {})
    by_kind = {kind: [] for kind in SECTION_KINDS}
    for number, repo in enumerate(spec["repos"]):
        repo_where = "{}.repos[{}]".format(where, number)
        for kind in SECTION_KINDS:
            by_kind[kind].append(_section(data, entry, repo, kind, overrides, repo_where))
    if len(spec["repos"]) == 1:
        return [by_kind[kind][0] for kind in SECTION_KINDS]
    return [section for kind in SECTION_KINDS for section in by_kind[kind]]


def _section(data, entry, repo, kind, overrides, where):
    urls = dict(data["urls"], **(entry.get("urls") or {}))
    mirror = repo.get("mirror", repo["id"])
    tree_arch = overrides.get("baseurl_arch", "$basearch")
    query = overrides.get("mirrorlist_query", "")
    options = collections.OrderedDict((entry.get("options") or {}).get(kind) or {})
    if kind == "primary":
        repo_id, name = repo["id"], repo["name"]
        baseurl = "{}/{}/{}/os/".format(urls["repo"], repo["dir"], tree_arch)
        options.update(repo.get("options") or {})
    else:
        pattern = entry[kind]
        own = repo.get(kind) or {}
        repo_id = own.get("id") or _fill(pattern["id"], where, id=repo["id"])
        name = own.get("name") or _fill(pattern["name"], where, name=repo["name"])
        mirror = own.get("mirror") or _fill(pattern["mirror"], where, mirror=mirror)
        if kind == "debuginfo":
            baseurl = "{}/{}/debug/{}/".format(urls["vault"], repo["dir"], tree_arch)
        else:
            baseurl = "{}/{}/Source/".format(urls["vault"], repo["dir"])
            query = ""  # sources are the same for every arch
    return Section(
        id=repo_id, kind=kind, name=data["name_prefix"] + name,
        mirrorlist="{}/{}{}".format(urls["mirrorlist"], mirror, query),
        baseurl=baseurl,
        enabled=int(repo["enabled"]) if kind == "primary" else 0,
        countme=kind == "primary",
        gpgkey="file://{}/{}".format(data["gpg_dir"].rstrip("/"), entry["gpgkey"]),
        options=[(key, _option_text(value)) for key, value in options.items()])


def _fill(pattern, where, **values):
    try:
        return pattern.format(**values)
    except (KeyError, IndexError, ValueError) as error:
        raise TemplateDataError(
            "{}: pattern {!r} cannot be filled: {}".format(where, pattern, error)) from None


def _option_text(value):
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _major(data, major):
    try:
        return data["majors"][str(major)]
    except KeyError:
        raise TemplateDataError("{}: no AlmaLinux major {!r} (known: {})".format(
            data["path"], major, ", ".join(majors(data)))) from None


def _environment(template_dir):
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(template_dir or default_template_dir()),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def _validate(data, path):
    """Fail early, naming the key, rather than deep inside rendering."""
    def need(mapping, key, where, kind=None):
        if not isinstance(mapping, dict) or key not in mapping:
            raise TemplateDataError("{}: {}: missing {!r}".format(path, where, key))
        value = mapping[key]
        if kind is not None and not isinstance(value, kind):
            raise TemplateDataError("{}: {}.{}: expected {}, found {!r}".format(
                path, where, key, kind.__name__, value))
        return value

    if not isinstance(data, dict) or data.get("schema") != 1:
        raise TemplateDataError("{}: expected a mapping with 'schema: 1'".format(path))
    for key in ("mirrorlist", "repo", "vault"):
        need(need(data, "urls", "top level", dict), key, "urls", str)
    need(data, "gpg_dir", "top level", str)
    need(data, "name_prefix", "top level", str)
    need(data, "os_release", "top level", dict)
    for major, entry in need(data, "majors", "top level", dict).items():
        where = "majors.{}".format(major)
        need(entry, "arches", where, list)
        need(entry, "gpg_keys", where, list)
        need(entry, "gpgkey", where, str)
        need(entry, "release", where, dict)
        for kind in ("debuginfo", "source"):
            for key in ("id", "name", "mirror"):
                need(need(entry, kind, where, dict), key, "{}.{}".format(where, kind), str)
        for number, spec in enumerate(need(entry, "files", where, list)):
            file_where = "{}.files[{}]".format(where, number)
            need(spec, "file", file_where, str)
            for arch in spec.get("arches", []):
                if arch not in entry["arches"]:
                    raise TemplateDataError("{}: {}: arch {!r} is not one of {}.arches".format(
                        path, file_where, arch, where))
            for index, repo in enumerate(need(spec, "repos", file_where, list)):
                repo_where = "{}.repos[{}]".format(file_where, index)
                for key in ("id", "name", "dir"):
                    need(repo, key, repo_where, str)
                need(repo, "enabled", repo_where, int)
