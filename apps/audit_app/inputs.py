"""What the Setup page reads: the bundled samples, uploaded files and the dataset built from them.

Uploads are written to a private temporary folder, loaded from there with ``xai_audit.load_model``
(or the library's data readers) and deleted; which never unpickles by default. The app adds two refusals of its own,
because anyone who can reach the app can upload: pickle files, and manifests that would import an
uploaded Python file or call something that is not a ``torch.nn.Module`` class.
"""

from __future__ import annotations

import importlib
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from xai_audit import AuditDataset, InvalidInputError, UntrustedModelError, XaiAuditError, load_model, sniff_csv
from xai_audit.spec import model_file_suffixes, read_data_file, read_toml_file

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "sample_models"
MODEL_TYPES = ["skops", "pt", "pt2", "pth", "ts", "toml", "py", "pkl", "pickle", "joblib"]
DATA_TYPES = ["csv", "parquet", "pq", "npz"]
POLICY_TYPES = ["toml"]
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
PICKLE_SUFFIXES = model_file_suffixes()["pickle"]
MODEL_SUFFIXES = (".skops", ".toml", *model_file_suffixes()["torch"], *PICKLE_SUFFIXES)
PICKLE_REFUSED = (
    "Pickle files ({names}) are refused: loading a pickle runs whatever code the file contains, and "
    "anyone who can reach this app could use an upload to run code on the server. Convert the model "
    "to skops where it was trained (skops.io.dump(model, 'model.skops')) and upload that. Only on a "
    "private machine, for files you made yourself, start the app with `xai-audit app --allow-pickle`."
)
CODE_REFUSED = (
    "The manifest '{manifest}' names the architecture {spec!r}, which would run the uploaded Python "
    "file '{file}' on the server; the app refuses uploaded code, because anyone who can reach it "
    "could run code on this machine. Save the model as TorchScript (torch.jit.save) or torch.export "
    "(.pt2) instead, or name an installed architecture ('package.module:Class'). Only on a private "
    "machine, start the app with `xai-audit app --allow-pickle`."
)


@dataclass(frozen=True)
class Sample:
    """A bundled model with its data and the roles of the data's columns."""

    label: str
    model: str
    data: str
    target: str | None = None
    positive_label: object = None
    sensitive: tuple = ()
    bins: dict = field(default_factory=dict)
    description: str = ""
    labels: str | None = None

    @property
    def model_path(self) -> Path:
        return SAMPLE_DIR / self.model

    @property
    def data_path(self) -> Path:
        return SAMPLE_DIR / self.data

    @property
    def labels_path(self) -> Path | None:
        """The sample's labels file, when it has one that is present."""
        path = SAMPLE_DIR / self.labels if self.labels else None
        return path if path is not None and path.is_file() else None


SAMPLES = (
    Sample("German credit · gradient boosting", "credit_gbm.skops", "data/german_credit_test.csv",
           "credit_risk", "good", ("sex", "age_group"),
           description="scikit-learn gradient boosting scoring loan applicants as good or bad credit risks.",
           labels="german_credit_labels.toml"),
    Sample("German credit · logistic regression", "credit_logreg.skops", "data/german_credit_test.csv",
           "credit_risk", "good", ("sex", "age_group"),
           description="A scikit-learn logistic regression on the same applicants.",
           labels="german_credit_labels.toml"),
    Sample("German credit · neural network (PyTorch)", "credit_mlp.toml", "data/german_credit_test.csv",
           "credit_risk", "good", ("sex", "age_group"),
           description="A PyTorch multilayer perceptron behind a scikit-learn preprocessor (manifest).",
           labels="german_credit_labels.toml"),
    Sample("Handwritten digits · CNN (PyTorch)", "digits_cnn.toml", "data/digits_test.npz",
           description="A small convolutional network classifying 8×8 digit images; saliency maps."),
    Sample("Diabetes progression · ridge regression", "diabetes_ridge.skops", "data/diabetes_test.csv",
           "disease_progression", None, ("sex_group", "age"), {"age": [50.0]},
           description="A scikit-learn ridge regression predicting disease progression one year on."),
)


def available_samples() -> list[Sample]:
    """The samples whose model and data files are present in ``sample_models/``."""
    return [s for s in SAMPLES if s.model_path.is_file() and s.data_path.is_file()]


@contextmanager
def saved_uploads(files):
    """The uploaded files written to a private temporary folder (mode 0700), deleted on exit.

    Everything is read into memory while the folder exists, so no uploaded file outlives its load.
    An error's message names the uploaded files as the analyst named them, never the server's
    temporary folder.
    """
    with tempfile.TemporaryDirectory(prefix="xai-audit-app-") as folder:
        try:
            yield save_uploads(files, Path(folder))
        except XaiAuditError as error:
            raise type(error)(without_folder(str(error), folder)) from None


def without_folder(message: str, folder) -> str:
    """``message`` with every mention of the server-side ``folder`` removed (files keep their names).

    Examples
    --------
    >>> without_folder("The file '/tmp/xai-audit-app-x1/m.toml' names 'net.py'; no file '/tmp/xai-audit-app-x1'.",
    ...                "/tmp/xai-audit-app-x1")
    "The file 'm.toml' names 'net.py'; no file 'the uploaded files'."
    """
    folder = str(folder).rstrip("/")
    return message.replace(folder + "/", "").replace(folder, "the uploaded files")


def save_uploads(files, folder: Path) -> list[Path]:
    """Write uploaded files into ``folder`` under their base names; return the paths."""
    paths = []
    for upload in files:
        name = Path(str(upload.name).replace("\\", "/")).name
        if not name or name.startswith("."):
            raise InvalidInputError(f"The uploaded file name {upload.name!r} is not usable; rename the file.")
        path = folder / name
        path.write_bytes(upload.getvalue())
        paths.append(path)
    return paths


def main_model_name(names) -> str | None:
    """The file among uploaded ones that is the model: the manifest, else the one model file."""
    names = [Path(str(n)).name for n in names]
    manifests = [n for n in names if n.lower().endswith(".toml")]
    models = [n for n in names if Path(n).suffix.lower() in MODEL_SUFFIXES]
    return (manifests or models or [None])[0]


def load_uploaded_model(paths: list[Path], *, allow_code: bool):
    """Load the model among uploaded files: a manifest if there is one, else the one model file.

    Parameters
    ----------
    paths : list of Path
        The uploaded files, saved in one folder.
    allow_code : bool
        The app was started with ``--allow-pickle``: pickles and uploaded Python are accepted.

    Returns
    -------
    xai_audit.ModelAdapter
    """
    names = [p.name for p in paths]
    pickles = [p.name for p in paths if p.suffix.lower() in PICKLE_SUFFIXES]
    if pickles and not allow_code:
        raise UntrustedModelError(PICKLE_REFUSED.format(names=", ".join(pickles)))
    manifests = [p for p in paths if p.suffix.lower() == ".toml"]
    if len(manifests) > 1:
        raise InvalidInputError(f"Upload one manifest at a time; got {[p.name for p in manifests]}.")
    if manifests:
        check_manifest(manifests[0], allow_code=allow_code)
        return load_model(manifests[0], trusted=True if allow_code else None)
    models = [p for p in paths if p.suffix.lower() in MODEL_SUFFIXES]
    if len(models) != 1:
        raise InvalidInputError(
            f"Upload one model file (.skops, .pt, .pt2), or a .toml manifest with the files it names; "
            f"got {names}."
        )
    return load_model(models[0], trusted=True if allow_code else None)


def check_manifest(path: Path, *, allow_code: bool) -> None:
    """Refuse an uploaded manifest that reaches outside its folder or would run uploaded code."""
    try:
        section = read_toml_file(path).get("model")
    except Exception as error:
        raise InvalidInputError(f"The manifest '{path.name}' is not valid TOML: {error}.") from error
    if not isinstance(section, dict) or "file" not in section:
        raise InvalidInputError(f"The manifest '{path.name}' needs a [model] table with at least 'file = \"...\"'.")
    for role in ("file", "preprocessor"):
        name = section.get(role)
        if name and (Path(str(name)).name != str(name) or not (path.parent / str(name)).is_file()):
            raise InvalidInputError(
                f"The manifest '{path.name}' names the {role} '{name}', which was not uploaded with it; "
                "upload the manifest together with the files it names (plain file names, same folder)."
            )
    spec = section.get("architecture")
    if not spec:
        return
    where, _, class_name = str(spec).rpartition(":")
    if where.endswith(".py"):
        if not allow_code:
            raise UntrustedModelError(CODE_REFUSED.format(manifest=path.name, spec=spec, file=where))
        if Path(where).name != where or not (path.parent / where).is_file():
            raise InvalidInputError(f"The manifest '{path.name}' names the architecture file '{where}', which was "
                                    "not uploaded with it.")
        return
    if not allow_code:
        _require_module_class(path.name, spec, where, class_name)


def _require_module_class(manifest, spec, module_name, class_name) -> None:
    torch = importlib.import_module("torch")
    try:
        candidate = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError, ValueError) as error:
        raise InvalidInputError(f"The architecture {spec!r} in '{manifest}' could not be imported: {error}.") from error
    if not (isinstance(candidate, type) and issubclass(candidate, torch.nn.Module)):
        raise UntrustedModelError(
            f"The architecture {spec!r} in '{manifest}' is not a torch.nn.Module class; the app builds "
            "only network classes from uploaded manifests."
        )


@dataclass(frozen=True)
class Table:
    """Loaded data before its columns get roles: a frame, or an image dataset ready to audit."""

    name: str
    source: str
    frame: object
    images: AuditDataset | None = None
    dialect: str | None = None

    @property
    def n_rows(self) -> int:
        return len(self.frame)


def read_table(path: Path, *, source: str) -> Table:
    """Read a CSV, Parquet or NPZ (images + labels) file with the library's own readers."""
    dataset = read_data_file(path)
    if dataset.images is not None:
        labels = dataset.frame["label"].to_numpy() if "label" in dataset.frame else None
        images = AuditDataset.from_arrays(dataset.images, labels, source=source)
        return Table(name=path.name, source=source, frame=images.frame, images=images)
    dialect = sniff_csv(path).describe() if path.suffix.lower() in CSV_SUFFIXES else None
    return Table(name=path.name, source=source, frame=dataset.frame, dialect=dialect)


def sample_table(sample: Sample) -> Table:
    """The sample's data, with the path as the CLI would record it."""
    return read_table(sample.data_path, source=str(sample.data_path))


def build_dataset(table: Table, roles: dict, labels: dict | None = None
                  ) -> tuple[AuditDataset | None, str | None, str | None]:
    """Validate the chosen roles step by step so an error can be shown beside its control.

    Returns
    -------
    (dataset, control, message)
        The dataset and ``(None, None)`` when every role is valid; otherwise None, the name of the
        control at fault (``"target"``, ``"sensitive"``, ``"predictions"``, ``"labels"``) and the library's
        message. ``labels`` are the plain names (a labels table), checked against the table's columns.
    """
    if table.images is not None:
        return table.images, None, None
    stages = (
        ("labels", {}),
        ("target", {"target": roles.get("target"), "positive_label": roles.get("positive_label")}),
        ("sensitive", {"sensitive": roles.get("sensitive", []), "bins": roles.get("bins") or None}),
        ("predictions", {"predictions": roles.get("predictions"), "scores": roles.get("scores")}),
    )
    options = {"labels": labels}
    dataset = None
    for control, stage in stages:
        options.update(stage)
        try:
            dataset = AuditDataset.from_frame(table.frame, source=table.source, **options)
        except InvalidInputError as error:
            return None, control, str(error)
    return dataset, None, None
