"""`python -m bench NAME [options]`: run one benchmark module of this package by name."""

import importlib
import pkgutil
import sys

import bench


def main() -> None:
    names = sorted(m.name for m in pkgutil.iter_modules(bench.__path__))
    if len(sys.argv) < 2 or sys.argv[1] not in names:
        print(f"usage: python -m bench {{{'|'.join(names)}}} [options]", file=sys.stderr)
        sys.exit(2)
    module = importlib.import_module(f"bench.{sys.argv[1]}")
    sys.argv = [f"bench {sys.argv[1]}", *sys.argv[2:]]
    module.main()


if __name__ == "__main__":
    main()
