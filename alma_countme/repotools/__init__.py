"""Build-time repo tooling: render the AlmaLinux repo files and check them with libdnf.

Used by tools/render-repos, tools/build-rpms and almalinux-release.spec while
the packages are built; never by the plugin, and the spec does not ship this
subpackage. Runs on Python >= 3.6 (the build host's python3 on AlmaLinux 8)
and needs Jinja2 and PyYAML to render and libdnf's Python bindings to check.
"""
