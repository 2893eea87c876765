"""A synthetic request stream: what `replay --bench` sends when no stream is given."""

import time

from alma_countme.sim.logs.logsource import StreamRequest


def stream():
    """An endless stream of plausible AlmaLinux requests, all at this second, from distinct addresses."""
    agents = ["libdnf (AlmaLinux %s; generic; Linux.%s)" % (version, arch)
              for version in ("8.10", "9.5", "9.6", "10.0") for arch in ("x86_64", "aarch64")]
    repos = ("baseos", "appstream", "extras", "crb")
    now = int(time.time())
    index = 0
    while True:
        agent = agents[index % len(agents)]
        release = agent.split()[2].split(".")[0]
        target = "/mirrorlist/%s/%s" % (release, repos[index % len(repos)])
        if index % 29 == 0:
            target += "?countme=%d" % (1 + index % 4)
        addr = "10.%d.%d.%d" % (index >> 16 & 255, index >> 8 & 255, index & 255)
        yield StreamRequest(now, addr, "GET", target, agent, 200)
        index += 1
