"""Writes the render mode's pending files in one process: {"directory": ..., "files": [{"file", "content"}]}
on stdin. One process for all files instead of a module run per file keeps big renders fast."""

import json
import os
import sys
import tempfile
from pathlib import Path


def main() -> None:
    request = json.load(sys.stdin)
    directory = Path(request["directory"])
    written = []
    for entry in request["files"]:
        name = entry["file"]
        if Path(name).name != name or name.startswith("."):
            sys.exit(f"refusing to write {name!r}: not a plain file name")
        # Write to a temporary file and rename, so a reader never sees half a manifest.
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(entry["content"])
        Path(temporary).chmod(0o644)
        Path(temporary).replace(directory / name)
        written.append(name)
    json.dump({"written": written}, sys.stdout)


if __name__ == "__main__":
    main()
