"""Peak resident memory of a child process, as the child itself saw it.

`ru_maxrss` (getrusage, wait4) is no good here: Linux carries a process's high-water mark across
fork and exec, so a child started by a 250 MB pytest reports at least 250 MB whatever it did.
`VmHWM` in /proc/self/status belongs to the memory map that exec made new, so it is the child's own.
"""

from __future__ import annotations

PEAK_MIB = (
    "int(next(line for line in open('/proc/self/status') if line.startswith('VmHWM:'))"
    ".split()[1]) // 1024"
)
