"""A saved sourcetag model: one typed description (:class:`ModelArtifact`) and the one place that writes and
reads a model directory (:func:`save_model`, :func:`load_model`).

A model directory holds the architecture's weights, configuration and tokenizer (safetensors only),
``official_roles.txt`` (the lexicon the model was trained with) and ``sourcetag.json``, the artifact: which
architecture reads the weights, the label order of the outputs, the input spec, the calibration temperature and
the training provenance (configuration, data files, scores). Nothing else opens ``sourcetag.json`` by name.
"""

from __future__ import annotations

import contextlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ModelError
from .labels import LABELS
from .lexicon import compile_lexicon
from .paths import METADATA_FILE

LEXICON_FILE = "official_roles.txt"

MODEL_FILES: tuple[tuple[str, ...], ...] = (
    ("config.json",),
    ("model.safetensors", "model.safetensors.index.json"),  # never pickled weights: see check_safetensors
    ("tokenizer.json",),
    ("tokenizer_config.json",),
)
"""Files a model folder needs (any one name of each group). transformers loads a folder without its tokenizer
files anyway, as a BERT tokenizer with a 5-token vocabulary whose every input reads as unknown, and the model
then gives one label to everything; training writes all of them."""

SAFE_WEIGHTS = ("model.safetensors", "model.safetensors.index.json")
PICKLED_WEIGHTS = ("*.bin", "*.pt", "*.pth", "*.ckpt", "*.pkl", "*.pickle")
_CORE = ("architecture", "labels", "input_spec", "temperature", "sourcetag_version")


@dataclass
class ModelArtifact:
    """What a trained model is: read by :func:`load_model`, written by :func:`save_model`.

    ``training`` holds the provenance written at training time (resolved configuration, command line, data files
    and their SHA-256, label counts, scores, timings); it is stored at the top level of ``sourcetag.json``.
    """

    architecture: str = "sequence"
    labels: tuple[str, ...] = LABELS
    input_spec: dict = field(default_factory=dict)
    temperature: float = 1.0
    sourcetag_version: str = ""
    training: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"sourcetag_version": self.sourcetag_version, "architecture": self.architecture,
                "labels": list(self.labels), "input_spec": dict(self.input_spec), "temperature": self.temperature,
                **self.training}

    @classmethod
    def from_dict(cls, data: dict, where: str = METADATA_FILE) -> ModelArtifact:
        if not isinstance(data, dict):
            raise ModelError(f"{where}: broken metadata (not a JSON object)")
        try:
            temperature = float(data.get("temperature", 1.0))
        except (TypeError, ValueError) as e:
            raise ModelError(f"{where}: broken metadata (temperature {data.get('temperature')!r})") from e
        if not temperature > 0:
            raise ModelError(f"{where}: broken metadata (temperature {temperature} is not > 0)")
        spec = data.get("input_spec") or {}
        if not isinstance(spec, dict):
            raise ModelError(f"{where}: broken metadata (input_spec is not an object)")
        return cls(architecture=str(data.get("architecture", "sequence")),  # models before the field: sequence
                   labels=tuple(data.get("labels") or LABELS), input_spec=spec, temperature=temperature,
                   sourcetag_version=str(data.get("sourcetag_version", "")),
                   training={k: v for k, v in data.items() if k not in _CORE})

    @property
    def scores(self) -> dict:
        return self.training.get("scores") or {}


@dataclass
class LoadedModel:
    """A model directory read back: the architecture bound to its weights, the artifact and the lexicon text."""

    architecture: object  # sourcetag.model.architectures.Architecture
    artifact: ModelArtifact
    lexicon_text: str | None
    model_dir: Path


def read_artifact(model_dir: str | Path) -> ModelArtifact:
    """The artifact of a model directory, without loading weights."""
    model_dir = Path(model_dir)
    path = model_dir / METADATA_FILE
    if not path.is_file():
        raise ModelError(f"{model_dir}: not a sourcetag model (no {METADATA_FILE})")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ModelError(f"{path}: broken metadata ({e})") from e
    return ModelArtifact.from_dict(data, str(path))


def artifact_fingerprint(model_dir: str | Path) -> str:
    """A short hash of a model directory's artifact (it changes with every training); empty when unreadable."""
    import hashlib

    try:
        return hashlib.sha256((Path(model_dir) / METADATA_FILE).read_bytes()).hexdigest()[:16]
    except OSError:
        return ""


def write_artifact(model_dir: str | Path, artifact: ModelArtifact) -> Path:
    path = Path(model_dir) / METADATA_FILE
    path.write_text(json.dumps(artifact.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def save_model(out: str | Path, architecture, artifact: ModelArtifact, lexicon_text: str) -> list[str]:
    """Write a complete model directory: weights, tokenizer, lexicon and artifact. Returns the names written."""
    out = Path(out)
    names = architecture.save(out)
    (out / LEXICON_FILE).write_text(lexicon_text, encoding="utf-8")
    write_artifact(out, artifact)
    return [*names, LEXICON_FILE, METADATA_FILE]


def load_model(model_dir: str | Path, options: dict | None = None) -> LoadedModel:
    """Read a model directory written by :func:`save_model`, checking it before any weight is loaded.

    ``options`` override input-spec entries that only change how the model reads at prediction (for example the
    article encoder's window ``overlap``); unknown keys are refused.
    """
    from .architectures import architecture_class

    model_dir = Path(model_dir)
    if not model_dir.exists():
        raise ModelError(f"{model_dir}: no such model directory")
    artifact = read_artifact(model_dir)
    check_safetensors(model_dir)  # first: a folder of pickled weights gets the reason it is refused
    missing = missing_model_files(model_dir)
    if missing:
        raise ModelError(f"{model_dir}: incomplete model folder, missing {', '.join(missing)}")
    try:
        cls = architecture_class(artifact.architecture)
    except ValueError as e:
        raise ModelError(f"{model_dir / METADATA_FILE}: {e} (written by a newer sourcetag?)") from e
    if options:
        unknown = sorted(set(options) - set(artifact.input_spec) - set(getattr(cls, "PREDICTION_OPTIONS", ())))
        if unknown:
            raise ModelError(f"{model_dir}: the {artifact.architecture} model has no option {', '.join(unknown)}")
        artifact.input_spec = {**artifact.input_spec, **options}
    lex_path = model_dir / LEXICON_FILE
    lexicon_text = lex_path.read_text(encoding="utf-8") if lex_path.is_file() else None
    lexicon = compile_lexicon(lexicon_text) if lexicon_text else None
    try:
        with _weight_bars_only_on_a_terminal():
            arch = cls.load(model_dir, artifact.input_spec, lexicon=lexicon)
    except ModelError:
        raise
    except Exception as e:  # transformers and safetensors raise many types for a broken directory
        raise ModelError(f"{model_dir}: cannot load the model ({str(e).splitlines()[0]})") from e
    check_label_order(arch.module.config, artifact)
    return LoadedModel(arch, artifact, lexicon_text, model_dir)


def missing_model_files(model_dir: Path) -> list[str]:
    """The needed files that ``model_dir`` lacks (named by the first name of each group of :data:`MODEL_FILES`)."""
    return [group[0] for group in MODEL_FILES if not any((model_dir / name).is_file() for name in group)]


def check_label_order(config, artifact: ModelArtifact) -> tuple[str, ...]:
    """The label of each model output, after checking it against the order training recorded.

    Output units are only numbers: ``id2label`` in ``config.json`` names them, so an edited or mixed-up map would
    swap labels in silence (official sentences reported as filler). The artifact records the order training used.
    """
    id2label = {int(k): v for k, v in config.id2label.items()}
    names = [id2label.get(i) for i in range(config.num_labels)]
    if sorted(map(str, names)) != sorted(LABELS):
        raise ModelError(f"model labels {names} are not the sourcetag labels {list(LABELS)}")
    recorded = list(artifact.labels)
    if names != recorded:
        raise ModelError(f"config.json id2label gives the outputs the order {names}, but training recorded "
                         f"{recorded} in {METADATA_FILE}; refusing a label map that would swap labels")
    label2id = {str(k): int(v) for k, v in (config.label2id or {}).items()}
    if label2id and label2id != {name: i for i, name in enumerate(names)}:
        raise ModelError(f"config.json label2id {label2id} disagrees with its id2label {names}")
    return tuple(names)


def check_safetensors(model_dir: Path) -> None:
    """:class:`ModelError` for a folder whose weights are pickled only, or whose config names a weights file that is
    not safetensors, saying why it is refused (a folder without weights is reported by :func:`missing_model_files`)."""
    config = model_dir / "config.json"
    try:
        named = json.loads(config.read_text(encoding="utf-8")).get("transformers_weights") if config.is_file() else None
    except (OSError, ValueError, AttributeError):
        named = None  # transformers reports a broken config itself
    if isinstance(named, str) and not named.endswith((".safetensors", ".safetensors.index.json")):
        raise ModelError(f"{config}: names the weights file {named!r}, which is not safetensors; sourcetag loads "
                         "safetensors only")
    if any((model_dir / name).is_file() for name in SAFE_WEIGHTS):
        return
    pickled = sorted({p.name for pattern in PICKLED_WEIGHTS for p in model_dir.glob(pattern)})
    if pickled:
        raise ModelError(f"{model_dir}: holds only pickled weights ({', '.join(pickled)}); sourcetag loads "
                         "safetensors only, because loading a pickle can run code hidden in it (re-save the model "
                         "with save_pretrained, which writes model.safetensors)")


@contextlib.contextmanager
def _weight_bars_only_on_a_terminal():
    """transformers draws a 'Loading weights' bar on every load; written to a log it is only litter."""
    from transformers.utils import logging as hf_logging

    off = hf_logging.is_progress_bar_enabled() and not sys.stderr.isatty()
    if off:
        hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if off:
            hf_logging.enable_progress_bar()
