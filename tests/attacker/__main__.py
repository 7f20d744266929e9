"""Attack one pack from the command line: ``python -m tests.attacker PACK TRUTH``.

``PACK`` is a ``wres run`` output folder; ``TRUTH`` the same run with nothing withheld (the
policy ``[primary] suppress_if_count_at_most = 0``), which only judges. Prints how many counts
were judged and every one below the requirement; exits 1 if there is any.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

from tests.attacker.system import Policy
from tests.attacker.verdict import attack
from wres.rules.policy import load_policy


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.attacker", description=__doc__)
    parser.add_argument("pack", type=Path)
    parser.add_argument("truth", type=Path)
    parser.add_argument("--standard", default="wres", choices=("wres", "wdes"))
    parser.add_argument("--policy", default="wres-default")
    args = parser.parse_args()
    policy = load_policy(args.policy)
    reader = Policy(
        at_most=policy.primary.suppress_if_count_at_most,
        need=policy.secondary.min_attacker_interval,
        rounding=policy.rounding.round_counts_to_nearest,
        public=policy.primary.public_measures,
    )
    start = time.perf_counter()
    verdict = attack(args.pack, args.truth, args.standard, reader)
    system = verdict.system
    print(
        f"{len(system.keys):,} counts in the reader's system, {int(system.withheld.sum()):,}"
        f" withheld, {len(verdict.judged):,} judged; below the requirement:"
        f" {len(verdict.failures)} ({len(verdict.exact())} recovered exactly);"
        f" {time.perf_counter() - start:.0f} s"
    )
    kinds = collections.Counter((key[0], key[3]) for key, *_ in verdict.failures)
    for (quantity, group), n in kinds.most_common():
        print(f"  {n} x {quantity} ({group})")
    for key, true, low, high in verdict.failures:
        print(f"  {key}: true {true}, the reader's interval [{low:g}, {high:g}]")
    return 1 if verdict.failures else 0


if __name__ == "__main__":
    sys.exit(main())
