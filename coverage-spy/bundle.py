"""Pack the spy's files for a Docker engine that cannot see this machine's folders.

On a remote engine (``remoteEngine: true``) the spy's assets, coverage.py and the generated ``.coveragerc`` cannot
be bind-mounted: components/engine/ uploads one tar of them into a one-shot container, which unpacks it into the
stack's spy volume, laid out as ``/opt/coverage-spy`` is in a measured service::

    assets/   this folder, less its tests and bytecode caches
    lib/      coverage.py (scripts/spy-lib.sh), with the bytecode written for the base images' Pythons
    config/   coveragerc
    data/     empty: where the data volume is mounted

``hash`` prints a digest of the assets and lib as they would be packed (the program reads it at preview, so the
volume is filled again only when a file changed); ``write`` writes the tar, atomically. The tar is reproducible:
sorted, owned by root, dated 0, every file readable by any user (services run as any user).
Standard library only; run by the host's python3.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import sys
import tarfile
from collections.abc import Iterator

#: Folders of the assets that no container needs.
SKIPPED_DIRS = {"tests", "__pycache__"}


def walk(root: str, skip: set[str]) -> Iterator[str]:
    """Every file under ``root``, as a path relative to it, sorted; folders named in ``skip`` are left out."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in skip)
        for name in sorted(files):
            yield os.path.relpath(os.path.join(folder, name), root)


def members(assets: str, lib: str, config: str | None) -> Iterator[tuple[str, str]]:
    """(name in the tar, host path) of every file packed."""
    for prefix, root, skip in (("assets", assets, SKIPPED_DIRS), ("lib", lib, set())):
        for rel in walk(root, skip):
            yield f"{prefix}/{rel}", os.path.join(root, rel)
    if config is not None:
        yield "config/coveragerc", config


def digest(assets: str, lib: str) -> str:
    """sha256 over the packed names, their executable bit and their content."""
    h = hashlib.sha256()
    for name, path in members(assets, lib, None):
        h.update(name.encode() + b"\0" + (b"x" if os.access(path, os.X_OK) else b"-"))
        with open(path, "rb") as f:
            h.update(hashlib.sha256(f.read()).digest())
    return h.hexdigest()


def _info(name: str, size: int = 0, *, folder: bool = False, executable: bool = False) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE if folder else tarfile.REGTYPE
    info.mode = 0o755 if folder or executable else 0o644
    info.size = size
    info.uid = info.gid = 0
    info.mtime = 0
    return info


def write(out: str, assets: str, lib: str, config: str) -> int:
    """Writes the tar to ``out`` (through a temporary file beside it); returns the number of files."""
    count = 0
    tmp = f"{out}.tmp{os.getpid()}"
    with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as tar:
        for folder in ("assets", "lib", "config", "data"):
            tar.addfile(_info(folder, folder=True))
        seen: set[str] = set()
        for name, path in members(assets, lib, config):
            parent = os.path.dirname(name)
            while parent not in ("", "assets", "lib", "config") and parent not in seen:
                seen.add(parent)
                parent = os.path.dirname(parent)
            with open(path, "rb") as f:
                content = f.read()
            tar.addfile(_info(name, len(content), executable=os.access(path, os.X_OK)), io.BytesIO(content))
            count += 1
        # Folders are implied by their files for tar; listed explicitly so each gets a readable mode.
        for folder in sorted(seen):
            tar.addfile(_info(folder, folder=True))
    os.replace(tmp, out)
    return count


def main(argv: list[str] | None = None) -> int:
    """The command line (see the module's doc); returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=["hash", "write"])
    parser.add_argument("--assets", required=True)
    parser.add_argument("--lib", required=True)
    parser.add_argument("--config", help="the generated coveragerc (write)")
    parser.add_argument("--out", help="the tar to write (write)")
    args = parser.parse_args(argv)
    for what in ("assets", "lib"):
        if not os.path.isdir(getattr(args, what)):
            parser.error(f"--{what} {getattr(args, what)} is not a folder")
    if args.action == "hash":
        print(digest(args.assets, args.lib))
        return 0
    if args.config is None or args.out is None:
        parser.error("write needs --config and --out")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    count = write(args.out, args.assets, args.lib, args.config)
    print(f"coverage-spy: packed {count} files for the engine into {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
