"""The grading kernel: IPython's kernel, started under resource limits with trusted modules loaded.

    python autograder/kernel.py --memory-mib 2048 -f <connection file>

nbgrader runs each submission in one kernel with no limits of its own. This launcher, run by
`autograder.execute.GradingExecute` in place of `python -m ipykernel_launcher`, first

- limits the kernel's address space (a memory bomb raises MemoryError or ends the kernel, and
  the machine survives), the size of any file it writes, and core dumps;
- imports numpy and every module of backprop_ref from their installed places, before the
  submission's folder is on sys.path: a `numpy.py` or `backprop_ref/` handed in next to the
  notebook cannot replace them;

and then starts ipykernel as usual. It imports nothing from this repository but backprop_ref,
so it runs as a script from any working directory.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import resource
import sys

MIB = 1 << 20


def limit(memory_mib: int, file_mib: int) -> None:
    """Cap the address space and the size of written files; no core dumps."""
    for kind, mib in ((resource.RLIMIT_AS, memory_mib), (resource.RLIMIT_FSIZE, file_mib)):
        if mib > 0:
            resource.setrlimit(kind, (mib * MIB, mib * MIB))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def load_trusted_modules() -> None:
    """Import numpy and all of backprop_ref now, so later imports find these in sys.modules."""
    import numpy  # noqa: F401
    import numpy.linalg  # noqa: F401
    import numpy.random  # noqa: F401
    import numpy.testing  # noqa: F401

    import backprop_ref

    for module in pkgutil.walk_packages(backprop_ref.__path__, "backprop_ref."):
        importlib.import_module(module.name)


def main() -> None:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--memory-mib", type=int, default=2048)
    parser.add_argument("--file-mib", type=int, default=256)
    ours, kernel_args = parser.parse_known_args()
    # `python path/to/kernel.py` puts this folder first on sys.path: nothing here is needed.
    sys.path.pop(0)
    load_trusted_modules()
    limit(ours.memory_mib, ours.file_mib)
    sys.argv = [sys.argv[0], *kernel_args]
    from ipykernel.kernelapp import launch_new_instance

    launch_new_instance()


if __name__ == "__main__":
    main()
