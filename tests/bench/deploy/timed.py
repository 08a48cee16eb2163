#!/usr/bin/env python3
"""timed.py COMMAND [ARGS...] — runs COMMAND and prints "SECONDS PEAK_RSS_KIB EXIT_CODE".

The peer side of bench_deploy.sh: the wall time of the command alone (not of starting
Python), and the kernel's peak RSS of the largest process in it (tar -xz runs gzip as a
child; RUSAGE_CHILDREN covers both). The command's own output goes to stderr.
"""
import resource
import subprocess
import sys
import time

start = time.monotonic()
code = subprocess.run(sys.argv[1:], stdout=sys.stderr).returncode
seconds = time.monotonic() - start
print(f"{seconds:.4f} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss} {code}")
