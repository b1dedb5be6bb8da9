#!/usr/bin/env python3
"""Times commands in alternation: one run of each, round after round.

The development machine's speed moves by tens of percent from one minute to the next, so timing
all runs of an old binary and then all runs of a new one can credit the host's mood to the
change. Alternating single runs puts both under the same conditions. Each run is started with
posix_spawn, its output thrown away; the time includes this script's own spawn and wait.

Usage: benches/interleave.py ROUNDS 'label=[VAR=value ...] /path/to/program args...' ...

Prints, per label, the median, 10th and 90th percentile wall time and the median of the minor
page faults (from wait4). The first three rounds are warm-up and not counted.
"""
import os
import shlex
import statistics
import sys
import time

WARMUP_ROUNDS = 3


def parse(spec):
    label, command = spec.split("=", 1)
    argv = shlex.split(command)
    env = dict(os.environ)
    while argv and "=" in argv[0] and not argv[0].startswith("/"):
        name, value = argv.pop(0).split("=", 1)
        env[name] = value
    if not argv:
        sys.exit(f"interleave: no program in {spec!r}")
    return label, argv, env


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    rounds = int(sys.argv[1])
    commands = [parse(spec) for spec in sys.argv[2:]]
    times = {label: [] for label, _, _ in commands}
    faults = {label: [] for label, _, _ in commands}
    devnull = os.open(os.devnull, os.O_WRONLY)
    quiet = [(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)]
    for round_number in range(rounds + WARMUP_ROUNDS):
        for label, argv, env in commands:
            start = time.perf_counter()
            pid = os.posix_spawn(argv[0], argv, env, file_actions=quiet)
            _, _, usage = os.wait4(pid, 0)
            elapsed = time.perf_counter() - start
            if round_number >= WARMUP_ROUNDS:
                times[label].append(elapsed * 1000)
                faults[label].append(usage.ru_minflt)
    for label, _, _ in commands:
        runs = sorted(times[label])
        n = len(runs)
        print(
            f"{label:30s} median {statistics.median(runs):7.3f} ms"
            f"  p10 {runs[n // 10]:7.3f}  p90 {runs[(9 * n) // 10]:7.3f}"
            f"  minflt {statistics.median(faults[label]):.0f}"
        )


if __name__ == "__main__":
    main()
