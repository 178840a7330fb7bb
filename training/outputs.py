"""The training output directory: checked before anything is written, cleared only of what sourcetag wrote, and
the checkpoints a run can resume from."""

from __future__ import annotations

import json
from pathlib import Path

from ..formats.files import check_parents
from ..formats.outputs import OUTPUT_MARKER, record_written, remove_written, written_entries
from ..model.errors import OutputError
from .config import TrainArguments


def check_output_dir(args: TrainArguments) -> tuple[Path, str | None]:
    """The output directory and the checkpoint to resume from, checked before anything is written or deleted.

    A fresh run needs an empty or missing directory, or with ``--force`` one that sourcetag wrote (it carries
    :data:`OUTPUT_MARKER`). ``--resume-from last`` needs such a directory with a checkpoint in it.
    """
    out = Path(args.output_dir)
    check_parents(out)
    ours = written_entries(out) is not None
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out} exists and is not a directory")
    empty = not out.exists() or not any(out.iterdir())
    if args.resume_from == "last":
        if not ours:
            raise OutputError(f"{out} is not a sourcetag training directory (no {OUTPUT_MARKER}); "
                              "nothing to resume there")
        return out, last_checkpoint(out)
    if args.resume_from:
        if not is_complete_checkpoint(Path(args.resume_from)):
            raise OutputError(f"{args.resume_from}: not a complete checkpoint to resume from")
        if not (empty or ours):
            raise OutputError(f"{out} is not empty and not a sourcetag training directory; refusing to write into it")
        return out, args.resume_from
    if not empty:
        if not args.force:
            raise OutputError(f"{out} exists and is not empty; refusing to write into it", option="force")
        if not ours:
            raise OutputError(f"{out} was not written by sourcetag train (no {OUTPUT_MARKER}); refusing to delete "
                              "anything in it even when forced")
    return out, None


def prepare_output_dir(args: TrainArguments) -> Path:
    """Check the output directory (:func:`check_output_dir`), clear what an earlier run wrote there with
    ``--force`` (only the entries its marker lists) and create it with a fresh marker."""
    out, _ = check_output_dir(args)
    if not args.resume_from:
        remove_written(out)
    out.mkdir(parents=True, exist_ok=True)
    record_written(out, create=True)
    return out


def is_complete_checkpoint(path: Path) -> bool:
    """Whether a Trainer checkpoint was written to the end. The Trainer writes ``trainer_state.json`` after the
    weights, optimizer and RNG states, so one without it (or with half of it) was cut short, the run killed while
    saving, and cannot be resumed from."""
    try:
        json.loads((path / "trainer_state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return True


def complete_checkpoints(out: Path) -> list[Path]:
    """The complete checkpoints in ``OUT/checkpoints`` (:func:`is_complete_checkpoint`), oldest first."""
    found = [p for p in (out / "checkpoints").glob("checkpoint-*")
             if p.name.split("-")[-1].isdigit() and is_complete_checkpoint(p)]
    return sorted(found, key=lambda p: int(p.name.split("-")[-1]))


def last_checkpoint(out: Path) -> str:
    ckpts = complete_checkpoints(out)
    if not ckpts:
        raise OutputError(f"{out / 'checkpoints'}: no complete checkpoint to resume from")
    return str(ckpts[-1])


def discard_failed_run(out: Path, created: bool) -> None:
    """After a failure, remove what the run wrote unless a checkpoint is there to resume from."""
    if list((out / "checkpoints").glob("checkpoint-*")):
        return
    remove_written(out)
    if created and not any(out.iterdir()):
        out.rmdir()
