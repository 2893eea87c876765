"""Render AlmaLinux repo files from repo-templates/ and check them with libdnf.

Examples:
  render-repos --major 9 --arch x86_64 --output out/
  render-repos --major 9 --arch x86_64 --output out/ --check
  render-repos --check /etc/yum.repos.d
  render-repos --major 9 --arch x86_64 --check out/   (also compare with a fresh rendering)
  render-repos --major 9 --arch x86_64 --root BUILDROOT --minor 6 --codename "Sage Margay" \\
               --gpg-key-dir KEYS --filelists DIR      (what almalinux-release.spec runs)
  render-repos --list --json

Exit status: 0 fine, 1 the check found problems, 2 bad usage, data or input.

tools/render-repos runs this module's ``main`` (so does almalinux-release.spec,
on the build host's python3).
"""

import argparse
import json
import os
import sys

from alma_countme.repotools import repocheck, repotemplates

EXIT_PROBLEMS = 1
EXIT_USAGE = 2


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.list:
            return list_layout(args)
        if args.output or args.root:
            return render(args, parser)
        if args.check:
            return check(args, args.paths, parser)
        parser.error("nothing to do: give --output, --root, --check or --list")
    except repotemplates.TemplateDataError as error:
        return fail(args, str(error))
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except ImportError as error:
        return fail(args, "{} (the renderer needs python3-jinja2 and python3-pyyaml, the check "
                          "needs libdnf's Python bindings; {} lacks one)".format(error, sys.executable))
    return 0


def build_parser():
    parser = argparse.ArgumentParser(
        prog="render-repos",
        description="Render the AlmaLinux .repo files (and the release package's files) for one "
                    "major release and arch from repo-templates/, and check .repo files the way "
                    "dnf reads them, with libdnf's own parser.",
        epilog="Exit status: 0 fine, 1 the check found problems, 2 bad usage, data or input.")
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="with --check: .repo files or directories to check (searched recursively)")
    parser.add_argument("--major", help="AlmaLinux major release (8, 9, 10)")
    parser.add_argument("--arch", help="architecture, e.g. x86_64, x86_64_v2, aarch64, ppc64le, s390x")
    parser.add_argument("--output", metavar="DIR", help="write the .repo files into DIR")
    parser.add_argument("--root", metavar="DIR",
                        help="write the whole payload under DIR: etc/yum.repos.d/*.repo, the release "
                             "files, etc/dnf/vars/* and (with --gpg-key-dir) the GPG keys")
    parser.add_argument("--minor", help="minor release for the release files (with --root)")
    parser.add_argument("--codename", help="release codename for the release files (with --root)")
    parser.add_argument("--gpg-key-dir", metavar="DIR",
                        help="with --root: take the major's GPG public keys (build inputs) from DIR")
    parser.add_argument("--filelists", metavar="DIR",
                        help="with --root: write rpm %%files lists (repos.files, vars.files, "
                             "gpg-keys.files) into DIR")
    parser.add_argument("--check", action="store_true",
                        help="check .repo files: libdnf parses them without a warning, every option is "
                             "known and valid, ids are unique, countme=1 in every primary section and "
                             "never in -debuginfo/-source, no placeholder left; with --major and --arch "
                             "the files must also equal a fresh rendering")
    parser.add_argument("--var", action="append", default=[], metavar="NAME",
                        help="with --check: a dnf variable the files may use besides dnf's own "
                             "(repeatable; a checked root's etc/dnf/vars/* count too)")
    parser.add_argument("--list", action="store_true",
                        help="show the majors, arches and files the data describes")
    parser.add_argument("--data", metavar="FILE", help="data file (default: repo-templates/almalinux.yaml)")
    parser.add_argument("--templates", metavar="DIR", help="template directory (default: repo-templates/)")
    parser.add_argument("--json", action="store_true", help="print a JSON report on stdout")
    return parser


def render(args, parser):
    if not (args.major and args.arch):
        parser.error("rendering needs --major and --arch")
    data = load(args)
    templates = args.templates or (os.path.dirname(args.data) if args.data else None)
    rendered = repotemplates.render_repo_files(data, args.major, args.arch, templates)
    report = {"major": args.major, "arch": args.arch, "repo_files": [], "other_files": []}
    if args.output:
        repo_dir = args.output
        repotemplates.write_tree(rendered, repo_dir)
    else:
        repo_dir = os.path.join(args.root, repotemplates.REPO_DIR)
        repotemplates.write_tree(rendered, repo_dir)
        report["other_files"] = render_root_extras(args, parser, data, templates)
    sections = {repo_file.name: [section.id for section in repo_file.sections]
                for repo_file in repotemplates.expand(data, args.major, args.arch)}
    report["repo_files"] = [{"path": os.path.join(repo_dir, name), "sections": sections[name]}
                            for name in rendered]
    if not args.json:
        print("render-repos: AlmaLinux {} {}: {} repo files, {} sections -> {}".format(
            args.major, args.arch, len(rendered), sum(len(ids) for ids in sections.values()), repo_dir))
        for path in report["other_files"]:
            print("render-repos: wrote {}".format(path))
    if args.check:
        return check(args, [repo_dir], parser, report, expected_dir=repo_dir)
    emit(args, report)
    return 0


def render_root_extras(args, parser, data, templates):
    if not (args.minor and args.codename):
        parser.error("--root needs --minor and --codename for the release files")
    files = repotemplates.render_release_files(data, args.major, args.minor, args.codename, templates)
    files.update(repotemplates.dnf_var_files(data, args.major))
    keys = {}
    if args.gpg_key_dir:
        keys = repotemplates.gpg_key_files(data, args.major, args.gpg_key_dir)
    written = repotemplates.write_tree(files, args.root) + repotemplates.write_tree(keys, args.root)
    vars_dir = os.path.join(args.root, repotemplates.VARS_DIR)
    if not os.path.isdir(vars_dir):
        os.makedirs(vars_dir)
    if args.filelists:
        write_filelists(args, data, keys)
    return written


def write_filelists(args, data, keys):
    repo_names = [repo_file.name for repo_file in repotemplates.expand(data, args.major, args.arch)]
    lists = {
        "repos.files": ["%dir /{}".format(repotemplates.REPO_DIR)]
        + ["%config(noreplace) /{}/{}".format(repotemplates.REPO_DIR, name) for name in repo_names],
        # Always the directory: rpm refuses an empty %files list.
        "vars.files": ["%dir /{}".format(repotemplates.VARS_DIR)]
        + ["%config(noreplace) /{}".format(path) for path in repotemplates.dnf_var_files(data, args.major)],
        "gpg-keys.files": ["%dir /{}".format(data["gpg_dir"].strip("/"))]
        + ["/{}".format(path) for path in keys],
    }
    repotemplates.write_tree({name: "".join(line + "\n" for line in lines)
                              for name, lines in lists.items()}, args.filelists)


def check(args, paths, parser, report=None, expected_dir=None):
    if not paths:
        parser.error("--check needs PATHs (or --output/--root to check what was rendered)")
    if bool(args.major) != bool(args.arch):
        parser.error("--major and --arch go together")
    missing = [path for path in paths if not os.path.exists(path)]
    if missing:
        return fail(args, "--check {}: no such file or directory".format(", ".join(missing)))
    known_vars = list(args.var) + vars_in_roots(paths)
    if args.major:
        data = load(args)
        known_vars += list((data["majors"].get(str(args.major)) or {}).get("dnf_vars") or {})
    result = repocheck.check_files(paths, releasever=args.major or "9", basearch=basearch(args.arch),
                                   known_vars=known_vars)
    problems = list(result.problems)
    if args.major:
        compare_dir = expected_dir or single_repo_dir(paths, parser)
        templates = args.templates or (os.path.dirname(args.data) if args.data else None)
        expected = repotemplates.render_repo_files(data, args.major, args.arch, templates)
        problems.extend(repocheck.compare_with_expected(expected, compare_dir))
    report = dict(report or {})
    report.update(ok=not problems, files=result.files, sections=result.sections,
                  problems=[repocheck.problem_dict(problem) for problem in problems])
    if args.json:
        emit(args, report)
    else:
        for problem in problems:
            print(repocheck.format_problem(problem), file=sys.stderr)
        print("render-repos: checked {} files, {} sections: {}".format(
            len(result.files), result.sections,
            "no problems" if not problems else "{} problems".format(len(problems))))
    return EXIT_PROBLEMS if problems else 0


def vars_in_roots(paths):
    """Names of the dnf variables a checked root tree defines in etc/dnf/vars."""
    names = []
    for path in paths:
        vars_dir = os.path.join(path, repotemplates.VARS_DIR)
        if os.path.isdir(vars_dir):
            names.extend(os.listdir(vars_dir))
    return names


def single_repo_dir(paths, parser):
    if len(paths) != 1 or not os.path.isdir(paths[0]):
        parser.error("comparing with a fresh rendering (--major/--arch) needs one directory")
    nested = os.path.join(paths[0], repotemplates.REPO_DIR)
    return nested if os.path.isdir(nested) else paths[0]


def basearch(arch):
    # dnf's $basearch for the x86_64 micro-architecture levels is x86_64.
    if arch and arch.startswith("x86_64"):
        return "x86_64"
    return arch or "x86_64"


def list_layout(args):
    data = load(args)
    chosen = [str(args.major)] if args.major else repotemplates.majors(data)
    layout = {}
    for major in chosen:
        layout[major] = {}
        for arch in repotemplates.arches(data, major):
            if args.arch and arch != args.arch:
                continue
            layout[major][arch] = {
                repo_file.name: [section.id for section in repo_file.sections]
                for repo_file in repotemplates.expand(data, major, arch)}
    if args.json:
        emit(args, {"data": data["path"], "majors": layout})
        return 0
    for major, arches in layout.items():
        for arch, files in arches.items():
            print("AlmaLinux {} {}: {}".format(major, arch, " ".join(files)))
    return 0


def load(args):
    return repotemplates.load_data(args.data)


def emit(args, report):
    if args.json:
        json.dump(report, sys.stdout, indent=2, sort_keys=True)
        sys.stdout.write("\n")


def fail(args, message):
    if args.json:
        emit(args, {"ok": False, "error": message})
    print("render-repos: error: {}".format(message), file=sys.stderr)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
