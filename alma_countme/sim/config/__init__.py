"""What a run is made of: the scenario (TOML, its keys and checks), the catalog of releases, repos
and clients it names, and the units they share.
"""
