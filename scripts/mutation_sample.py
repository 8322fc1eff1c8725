"""A reproducible random sample of the mutants mutmut generated, stratified by module.

    .venv/bin/python scripts/mutation_sample.py [--size 300] [--seed 20261201]   # prints mutant names
    .venv/bin/python scripts/mutation_sample.py --report                         # the sample's kill rate

Running every mutant of the security-critical modules takes hours on two cores; a sample drawn in
proportion to each module's mutants (at least a few from each) estimates the whole kill rate within a
few points in a fraction of the time. Reads the names from ``mutants/**/*.meta``, which ``mutmut run``
writes before it runs anything (``make mutation-sample`` generates them, then runs the sample).
"""

from __future__ import annotations

import argparse
import json
import random
from collections import Counter
from pathlib import Path

MINIMUM_PER_MODULE = 5


def verdicts_by_module(root: Path) -> dict[str, dict[str, int | None]]:
    """Module → mutant name → mutmut's exit code for it (None: not run yet)."""
    found = {}
    for meta in sorted(root.glob("**/*.py.meta")):
        found[str(meta.relative_to(root))] = json.loads(meta.read_text())["exit_code_by_key"]
    return found


def mutants_by_module(root: Path) -> dict[str, list[str]]:
    return {module: sorted(verdicts) for module, verdicts in verdicts_by_module(root).items()}


def verdict(exit_code: int | None) -> str:
    """As mutmut names them (mutmut.stats): a test failing, or pytest erroring, kills the mutant."""
    from mutmut.stats import status_by_exit_code

    return status_by_exit_code[exit_code]


def report(root: Path, sample: list[str]) -> None:
    """Per module and in all: killed / (killed + survived), timeouts counted as killed and shown apart."""
    chosen, total = set(sample), Counter()
    for module, verdicts in verdicts_by_module(root).items():
        counts = Counter(verdict(code) for name, code in verdicts.items() if name in chosen)
        total += counts
        print(f"{module:40} {_rate(counts)}")
    print(f"{'all sampled':40} {_rate(total)}")


def _rate(counts: Counter) -> str:
    killed = counts["killed"] + counts["timeout"] + counts["caught by type check"]
    decided = killed + counts["survived"] + counts["no tests"]
    rate = f"{100 * killed / decided:5.1f}%" if decided else "  -  "
    rest = ", ".join(f"{name} {n}" for name, n in sorted(counts.items()))
    return f"{rate} killed ({killed} of {decided} run)  [{rest}]"


def stratified(modules: dict[str, list[str]], size: int, seed: int) -> list[str]:
    total = sum(len(names) for names in modules.values())
    rng = random.Random(seed)
    chosen = []
    for names in modules.values():
        share = max(MINIMUM_PER_MODULE, round(size * len(names) / total))
        chosen += rng.sample(names, min(share, len(names)))
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=300)
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--mutants", type=Path, default=Path("mutants"))
    parser.add_argument("--report", action="store_true", help="the sample's verdicts instead of its names")
    args = parser.parse_args()
    sample = stratified(mutants_by_module(args.mutants), args.size, args.seed)
    if args.report:
        report(args.mutants, sample)
    else:
        print("\n".join(sample))


if __name__ == "__main__":
    main()
