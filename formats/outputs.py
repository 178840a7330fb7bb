"""What sourcetag writes outside a single file: its home folder, the default-model link, and the marker that lists
what it wrote in a directory (so that ``train --force`` deletes exactly that).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from .files import write_text_atomic


def home() -> Path:
    """sourcetag's own folder: ``$SOURCETAG_HOME``, else ``$XDG_DATA_HOME/sourcetag`` or ``~/.local/share/sourcetag``."""
    if os.environ.get("SOURCETAG_HOME"):
        return Path(os.environ["SOURCETAG_HOME"]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "sourcetag"


def default_model_link() -> Path:
    """The link that ``sourcetag train --make-default`` points at the newest default model."""
    return home() / "default-model"


def default_model_dir() -> Path:
    """The model used when none is named: ``$SOURCETAG_MODEL``, else the default-model link."""
    env = os.environ.get("SOURCETAG_MODEL")
    if env:
        return Path(env).expanduser()
    return default_model_link()


def set_default_model(model_dir: Path) -> Path:
    """Point the default-model link at ``model_dir`` (atomically replacing an older link, never a real folder)."""
    link = default_model_link()
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.exists() and not link.is_symlink():
        raise FileExistsError(f"{link} exists and is not a link; move it away first")
    tmp = link.with_name(link.name + ".tmp")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(Path(model_dir).resolve(), target_is_directory=True)
    os.replace(tmp, link)
    return link


OUTPUT_MARKER = ".sourcetag-output.json"
"""Written first into every directory ``sourcetag train`` creates; lists the entries sourcetag wrote there.

``train --force`` deletes exactly those entries and nothing else: a folder without the marker is never sourcetag's
to delete, whatever it contains, and a file a user adds later is not listed.
"""


def written_entries(directory: Path) -> list[str] | None:
    """The entry names sourcetag recorded writing in ``directory``; ``None`` when it has no (readable) marker."""
    try:
        data = json.loads((Path(directory) / OUTPUT_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return None
    # only plain names directly inside the directory: a tampered marker must not reach outside it
    return [e for e in entries if isinstance(e, str) and e not in ("", ".", "..") and "/" not in e and "\\" not in e]


def record_written(directory: Path, *names: str, create: bool = False) -> None:
    """Add ``names`` to the marker of ``directory`` (a new marker only with ``create``); a no-op elsewhere."""
    directory = Path(directory)
    entries = written_entries(directory)
    if entries is None:
        if not create:
            return
        entries = []
    entries += [n for n in names if n not in entries and n != OUTPUT_MARKER]
    write_text_atomic(directory / OUTPUT_MARKER, json.dumps(
        {"written_by": "sourcetag", "note": "train --force deletes only these entries", "entries": entries},
        indent=1) + "\n")


def remove_written(directory: Path) -> None:
    """Delete the entries sourcetag recorded in ``directory`` and the marker; everything else stays."""
    directory = Path(directory)
    for name in written_entries(directory) or []:
        p = directory / name
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        elif p.is_symlink() or p.exists():
            p.unlink()
    (directory / OUTPUT_MARKER).unlink(missing_ok=True)
