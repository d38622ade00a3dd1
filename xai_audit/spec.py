"""``AuditSpec``: everything that defines one audit run, shared by the CLI, the batch file and the app.

Every front end builds one frozen :class:`AuditSpec` and calls the same four steps:

- :meth:`AuditSpec.validate` checks the spec before any expensive work (paths, output folder, names,
  seed, formats) and raises :class:`~xai_audit.exceptions.InvalidInputError` naming the fix;
- :meth:`AuditSpec.load` reads the model, the data and the policy;
- :meth:`AuditSpec.run` audits them and returns an :class:`~xai_audit.result.AuditResult`;
- :meth:`AuditSpec.write` writes the requested formats (each file whole or not at all).

:meth:`AuditSpec.key` is a stable hash of the inputs (configuration and file contents): the batch
cache skips an entry whose key has not changed, and the app knows when a result can be reused.

This module imports nothing heavy at import time (numpy, pandas and the audit load inside methods).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from xai_audit._version import __version__
from xai_audit._spec_inputs import (
    audit_columns,
    input_hashes,
    labels_option,
    need_data_source,
    need_file,
    need_writable_folder,
    read_dataset,
    read_train,
)
from xai_audit._spec_scale import check_summaries_spec, is_out_of_core, run_scaled
from xai_audit._spec_toml import NAME_PATTERN
from xai_audit.exceptions import InvalidInputError

FORMATS = ("html", "json", "md", "pdf")
DEFAULT_FORMATS = ("html", "json")
EXIT_BY_STATUS = {"pass": 0, "warn": 0, "fail": 1}
MAX_NAME = 120  # file names are at most 255 bytes; room for the suffix and the temporary file's prefix


@dataclass(frozen=True)
class AuditSpec:
    """One audit run: its inputs, its settings and where its outputs go.

    Parameters
    ----------
    data : str or Path
        The data file (.csv, .parquet, or .npz with images and labels).
    model : str, Path, object or None
        A model file, a fitted model object (or :class:`~xai_audit.adapters.ModelAdapter`), or None
        for a predictions-only audit (then ``predictions`` names the decisions column).
    target, positive_label, predictions, scores : optional
        Columns of the data (see :meth:`xai_audit.AuditDataset.from_frame`).
    features : tuple of str, optional
        The model's input columns; default: as the model declares them.
    sensitive : tuple of str
        Sensitive attributes.
    bins : dict
        ``{column: [edge, ...]}`` for continuous sensitive attributes.
    labels : str or Path, optional
        A labels.toml file with plain names for columns and category codes.
    policy : str, Path or Policy
        A bundled policy name, a policy TOML file, or a loaded :class:`~xai_audit.Policy`.
    train : str, Path or AuditDataset, optional
        Training data with the audit data's columns: the challengers are fitted on it (else cross-fitted).
    model_card : dict, str or Path, optional
        The model card, or a TOML file holding it.
    random_state : int
        Seed for every sample and resample.
    explainers, explain_rows, n_resamples : optional
        Passed to :class:`~xai_audit.audit.Audit` (None: the audit's defaults).
    trust_pickle : bool
        Allow a pickle/joblib model file (runs code from the file).
    trusted_types : tuple of str
        Further type names to trust in a .skops file.
    backend, workers, scheduler : optional
        Where the audit's chunked work runs (see :func:`xai_audit.parallel.chunking`).
    out : str or Path
        Output folder.
    name : str, optional
        Report file stem; default: the model or data file name.
    formats : tuple of str
        From ``html``, ``json``, ``md``, ``pdf``.
    junit, markdown : str or Path, optional
        Also write JUnit XML / a Markdown summary for CI (both need the JSON record, which is added).
    summaries, out_of_core, sample_rows : optional
        Summary files to pool instead of reading data; Parquet audited by partition (None: above
        2,000,000 rows) and its sample's size (:mod:`xai_audit.scale`, :mod:`xai_audit._spec_scale`).

    Examples
    --------
    >>> spec = AuditSpec(data="d.csv", predictions="p", target="y", sensitive=("sex",), out="reports")
    >>> spec.report_name, spec.output_formats
    ('d', ('html', 'json'))
    """

    data: object
    model: object = None
    target: str | None = None
    positive_label: object = None
    predictions: str | None = None
    scores: str | None = None
    features: tuple | None = None
    sensitive: tuple = ()
    bins: dict = field(default_factory=dict)
    labels: object = None
    train: object = None
    policy: object = "default"
    model_card: object = None
    random_state: int = 0
    explainers: tuple | None = None
    explain_rows: int | None = None
    n_resamples: int | None = None
    trust_pickle: bool = False
    trusted_types: tuple = ()
    backend: str | None = None
    workers: int | None = None
    scheduler: str | None = None
    out: object = "reports"
    name: str | None = None
    formats: tuple = DEFAULT_FORMATS
    junit: object = None
    markdown: object = None
    summaries: tuple = ()
    out_of_core: bool | None = None
    sample_rows: int | None = None

    @classmethod
    def from_toml_table(cls, table, base_dir, *, defaults=None, out=None, where="[[audit]]") -> "AuditSpec":
        """The spec of one batch entry (an ``[[audit]]`` table; paths relative to ``base_dir``).

        Parameters
        ----------
        table : dict
            The entry's keys (``model``, ``data``, ``target``, ``sensitive``, ``seed``, ...).
        base_dir : str or Path
            The batch file's folder.
        defaults : dict, optional
            The batch file's ``[defaults]``, applied under the entry's own keys.
        out : Path, optional
            The output folder when the entry names none; default ``reports/`` under ``base_dir``.
        where : str
            How messages name the entry.

        Raises
        ------
        InvalidInputError
            Listing every problem of the table at once.

        Examples
        --------
        >>> spec = AuditSpec.from_toml_table({"data": "d.csv", "predictions": "p"}, "/batch")
        >>> str(spec.data), str(spec.out), spec.name
        ('/batch/d.csv', '/batch/reports', 'd')
        """
        from xai_audit._spec_toml import parse_toml_table

        fields, problems = parse_toml_table(table, Path(base_dir), defaults=defaults, out=out, where=where)
        if problems:
            raise InvalidInputError(f"The batch entry has {len(problems)} problem(s): {'; '.join(problems)}.")
        return cls(**fields)

    # -- derived values ---------------------------------------------------------------------------

    @property
    def report_name(self) -> str:
        """The report file stem: ``name``, else the model file's (or data file's) stem."""
        if self.name:
            return self.name
        source = self.model if isinstance(self.model, (str, Path)) else self.data
        return Path(str(source)).stem if isinstance(source, (str, Path)) else "audit"

    @property
    def output_formats(self) -> tuple:
        """The formats written: ``formats``, plus ``json`` when JUnit or Markdown is asked for."""
        formats = tuple(dict.fromkeys(self.formats))
        if (self.junit or self.markdown) and "json" not in formats:
            formats += ("json",)
        return formats

    @property
    def trusted(self):
        """What :func:`xai_audit.load_model` gets as ``trusted``."""
        return True if self.trust_pickle else (list(self.trusted_types) or None)

    def config(self) -> dict:
        """The spec as plain data (paths as strings; an in-memory model or data by its type).

        Examples
        --------
        >>> AuditSpec(data="d.csv", predictions="p").config()["data"]
        'd.csv'
        """
        record = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, Path):
                value = str(value)
            elif isinstance(value, tuple):
                value = list(value)
            elif value is not None and not isinstance(value, (str, int, float, bool, dict, list)):
                value = f"<in-memory {type(value).__name__}>"
            record[item.name] = value
        return record

    # -- checking -----------------------------------------------------------------------------------

    def validate(self) -> "AuditSpec":
        """Check the spec before any expensive work; return it unchanged, or raise with the fix.

        Raises
        ------
        InvalidInputError
            A missing input file (or a folder where a file is needed), an output folder that is a
            file or cannot be written, a name that would leave the output folder, a negative or
            non-integer seed, an unknown format, a JUnit or Markdown path that is a folder.

        Examples
        --------
        >>> AuditSpec(data="d.csv", predictions="p", name="../x").validate()
        Traceback (most recent call last):
        ...
        xai_audit.exceptions.InvalidInputError: The report name '../x' must be letters, digits, '.', '_' or '-' and start with a letter or digit (it names files inside the output folder); got a name that could leave it.
        """
        if self.summaries:
            return check_summaries_spec(self)
        if self.model is None and self.predictions is None:
            raise InvalidInputError("Give --model FILE, or --predictions COLUMN for a predictions-only audit "
                                    "(in Python: AuditSpec(model=...) or AuditSpec(predictions=...)).")
        if not NAME_PATTERN.fullmatch(self.report_name) or self.report_name in (".", ".."):
            raise InvalidInputError(
                f"The report name {self.report_name!r} must be letters, digits, '.', '_' or '-' and start with a "
                "letter or digit (it names files inside the output folder); got a name that could leave it.")
        if len(self.report_name) > MAX_NAME:
            raise InvalidInputError(f"The report name is {len(self.report_name)} characters long; give a name of at "
                                    f"most {MAX_NAME} characters (--name NAME; it becomes the output file names).")
        unknown = sorted(set(self.formats) - set(FORMATS))
        if unknown or not self.formats:
            raise InvalidInputError(f"The formats {list(self.formats)} name {unknown or 'nothing'}; "
                                    f"choose from {list(FORMATS)}.")
        seed = self.random_state
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise InvalidInputError(f"The seed (random_state) must be a non-negative whole number; got {seed!r}.")
        if self.workers is not None and (isinstance(self.workers, bool) or not isinstance(self.workers, int)
                                         or self.workers < 1):
            raise InvalidInputError(f"workers must be a positive number of processes; got {self.workers!r}.")
        for source in (self.data, self.train):
            if isinstance(source, (str, Path)):
                need_data_source(source)
        if isinstance(self.model, (str, Path)):
            need_file(self.model, "model file")
        for path, what in ((self.labels, "labels file"), (self.policy_path, "policy file")):
            if path is not None:
                need_file(path, what)
        if isinstance(self.model_card, (str, Path)):
            need_file(self.model_card, "model card file")
        need_writable_folder(Path(self.out))
        for path, option in ((self.junit, "junit"), (self.markdown, "markdown")):
            if path is not None and Path(path).is_dir():
                raise InvalidInputError(f"The {option} output '{path}' is a folder; give a file path, "
                                        f"e.g. {Path(path) / ('audit.xml' if option == 'junit' else 'audit.md')}.")
        return self

    @property
    def policy_path(self) -> Path | None:
        """The policy file, when ``policy`` names a file rather than a bundled policy."""
        if not isinstance(self.policy, (str, Path)):
            return None
        policy = str(self.policy)
        if policy.endswith(".toml") or os.sep in policy or "/" in policy:
            return Path(policy)
        return None

    # -- the run ------------------------------------------------------------------------------------

    def load(self):
        """Read the inputs: ``(model adapter or None, AuditDataset, Policy)``."""
        from xai_audit.adapters import load_model
        from xai_audit.policy import load_policy

        adapter = None if self.model is None else load_model(self.model, trusted=self.trusted)
        data = self._read_data(adapter, self.data_options())
        return adapter, data, load_policy(self.policy)

    def data_options(self) -> dict:
        """How the data is read: the column roles, bins and labels, as ``AuditDataset`` takes them."""
        options = dict(target=self.target, positive_label=self.positive_label, sensitive=list(self.sensitive),
                       bins=dict(self.bins) or None, features=list(self.features) if self.features else None,
                       predictions=self.predictions, scores=self.scores)
        if self.labels is not None:
            options["labels"] = labels_option(self.labels)
        return options

    def _read_data(self, adapter, options: dict):
        from xai_audit.data import AuditDataset

        if isinstance(self.data, AuditDataset):  # already built (the app checks it as it is made)
            return self.data
        if not isinstance(self.data, (str, Path)):  # an in-memory table
            return AuditDataset.from_frame(self.data, **options)
        path = Path(self.data)
        if path.suffix.lower() == ".npz":
            return read_dataset(path)
        if path.suffix.lower() in (".parquet", ".pq") or path.is_dir() or any(ch in str(path) for ch in "*?["):
            options["columns"] = audit_columns(adapter, options)
        return read_dataset(path, **options)

    def run(self, *, progress=None, loaded=None, on_section=None):
        """Load (unless ``loaded`` is given) and audit; return the :class:`~xai_audit.result.AuditResult`.

        Parameters
        ----------
        progress : callable, optional
            Passed to :class:`~xai_audit.audit.Audit` (called as the audit's steps finish).
        on_section : callable, optional
            Passed to :class:`~xai_audit.audit.Audit` (called with each section of the record as it is ready).
        loaded : tuple, optional
            What :meth:`load` returned, to audit without reading the inputs again.
        """
        from xai_audit.audit import Audit

        if loaded is None and (self.summaries or is_out_of_core(self)):
            return run_scaled(self)
        adapter, data, policy = loaded if loaded is not None else self.load()
        options = {name: getattr(self, name) for name in ("explainers", "explain_rows", "n_resamples")
                   if getattr(self, name) is not None}
        return Audit(policy=policy, random_state=self.random_state, model_card=self.model_card_dict(),
                     progress=progress, on_section=on_section, backend=self.backend, workers=self.workers,
                     scheduler=self.scheduler, train=read_train(self.train, adapter, data),
                     **options).run(adapter, data)

    def model_card_dict(self) -> dict:
        """The model card as a dict (read from its file when ``model_card`` is a path)."""
        if isinstance(self.model_card, (str, Path)):
            from xai_audit.model_card import read_model_card

            return read_model_card(self.model_card)
        return dict(self.model_card or {})

    def write(self, result) -> dict:
        """Write ``result`` in the spec's formats (and JUnit / Markdown); return ``{format: path}``.

        The formats in the output folder are written as one set (:func:`xai_audit._io.write_set`): a run
        killed while writing leaves all of them or none under their final names. The JUnit and Markdown
        files, which may live elsewhere, are written after the set, each whole or not at all."""
        from xai_audit._io import write_set

        writers = {"html": result.save_html, "json": result.save_json, "md": result.save_markdown,
                   "pdf": result.save_pdf}
        # All formats appear together or not at all; stale temporary files of killed runs are swept.
        written = write_set(Path(self.out), {f"{self.report_name}.{fmt}": writers[fmt] for fmt in self.output_formats})
        paths = {fmt: written[f"{self.report_name}.{fmt}"] for fmt in self.output_formats}
        if self.junit or self.markdown:
            from xai_audit.gate import write_gate_outputs

            paths.update(write_gate_outputs(result, name=self.report_name, junit=self.junit, markdown=self.markdown))
        return paths

    # -- identity -----------------------------------------------------------------------------------

    def input_hashes(self) -> dict:
        """SHA-256 of the model file(s), data and policy (as loaded); of the labels, training data and model
        card too when given. A file that is missing has the hash None."""
        return input_hashes(self)

    def key(self, hashes: dict | None = None) -> str:
        """A stable SHA-256 over the tool version, the configuration and the inputs' contents.

        Parameters
        ----------
        hashes : dict, optional
            :meth:`input_hashes`, when already computed.

        Examples
        --------
        >>> first = AuditSpec(data="d.csv", predictions="p")
        >>> first.key() == replace(first, workers=4).key(), first.key() == replace(first, random_state=1).key()
        (True, False)
        """
        # Where the work runs does not change the record, so it does not change the key.
        config = {k: v for k, v in self.config().items() if k not in ("backend", "workers", "scheduler")}
        text = json.dumps({"tool_version": __version__, "config": config,
                           "inputs": self.input_hashes() if hashes is None else hashes},
                          sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def replace(self, **changes) -> "AuditSpec":
        """A copy with some fields changed (``dataclasses.replace``)."""
        return replace(self, **changes)


def exit_code(result) -> int:
    """The gate's exit code for one audit: 0 pass or warn, 1 fail.

    Examples
    --------
    >>> class Result: status = "warn"
    >>> exit_code(Result())
    0
    """
    return EXIT_BY_STATUS[result.status]


def parse_bins(specs) -> dict:
    """Bins from their command-line form (``["age_years=25,60"]`` or ``"age=25,40;income=1000"``),
    checked by the data layer (:func:`xai_audit.data.groups.parse_bins`), which refuses non-finite or
    unordered edges with the fix.

    Examples
    --------
    >>> parse_bins(["age_years=25,60"])
    {'age_years': [25.0, 60.0]}
    """
    from xai_audit.data.groups import parse_bins as parse

    return parse(specs)


def split_list(text) -> list[str]:
    """``"a, b,,c"`` → ``["a", "b", "c"]``.

    Examples
    --------
    >>> split_list(" sex, age_group ,")
    ['sex', 'age_group']
    """
    return [part.strip() for part in (text or "").split(",") if part.strip()]


# -- library helpers the front ends share (public, so the app needs no private imports) ---------------


def read_data_file(path):
    """An :class:`~xai_audit.AuditDataset` of every column of a CSV, Parquet or NPZ (images + labels) file,
    with no roles yet (the app assigns them as the user picks)."""
    return read_dataset(Path(path))


def read_toml_file(path) -> dict:
    """A TOML file as a dict, with a clear :class:`InvalidInputError` when it is missing or malformed."""
    from xai_audit._toml import read_toml

    return read_toml(Path(path))


def model_file_suffixes() -> dict:
    """The model file suffixes :func:`xai_audit.load_model` reads: ``{"pickle": (...), "torch": (...)}``.

    Examples
    --------
    >>> model_file_suffixes()["pickle"]
    ('.pkl', '.pickle', '.joblib')
    """
    from xai_audit.adapters.loading import PICKLE_SUFFIXES, TORCH_SUFFIXES

    return {"pickle": PICKLE_SUFFIXES, "torch": TORCH_SUFFIXES}


def model_features(adapter, data) -> list:
    """The columns of ``data`` that ``adapter`` reads, as the audit pairs them (an error names the fix)."""
    from xai_audit.adapters.pairing import resolve_features

    return resolve_features(adapter, data)


def model_for_data(adapter, data):
    """``adapter`` with its classes paired with the target's labels, as the audit uses it."""
    from xai_audit.adapters.pairing import align_classes

    return align_classes(adapter, data)


def check_predictions_only(data) -> bool:
    """Check that ``data`` can be audited without a model; return whether it has scores (probabilities)."""
    from xai_audit.adapters import PredictionsAdapter

    return bool(PredictionsAdapter(data).has_proba)
