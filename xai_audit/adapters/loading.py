"""``load_model``: turn a model object or file into a :class:`ModelAdapter`, safely.

Files are never unpickled by default, because unpickling runs whatever code the file names:
- ``.skops``: skops' restricted loader; types outside skops' defaults and xai-audit's short list of
  estimator classes (scikit-learn, XGBoost, LightGBM) must be trusted by name.
- ``.pt`` / ``.pth`` / ``.pt2``: a TorchScript archive, a ``torch.export`` program, or a state dict
  read with ``weights_only=True`` into an architecture the user names.
- ``.toml``: a manifest for a model made of several files (a torch module and its preprocessor).
- ``.pkl`` / ``.pickle`` / ``.joblib``: refused unless ``trusted=True``.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
import zipfile
from pathlib import Path

from xai_audit._optional import require
from xai_audit.adapters.base import ModelAdapter
from xai_audit.adapters.sklearn import SklearnAdapter
from xai_audit.exceptions import InvalidInputError, UntrustedModelError

PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib")
TORCH_SUFFIXES = (".pt", ".pth", ".pt2", ".ts")
TRUSTED_MODULE_PREFIXES = ("sklearn.", "xgboost.", "lightgbm.")
# Plain containers and the object dtype of arrays (pandas string columns), which define no code.
TRUSTED_TYPE_NAMES = ("collections.OrderedDict", "builtins.object")


def load_model(source, *, trusted=None, task=None, classes=None, positive_class=None,
               feature_names=None, preprocessor=None, architecture=None, architecture_args=None,
               input_kind="tabular", input_shape=None, output="logits", name=None) -> ModelAdapter:
    """Wrap a fitted model object, or load a model file, as a :class:`ModelAdapter`.

    Parameters
    ----------
    source : object, str or Path
        A fitted scikit-learn / XGBoost / LightGBM estimator or Pipeline, a ``torch.nn.Module``, an
        existing adapter, or a path to a ``.skops``, ``.pt``/``.pth``/``.pt2``, ``.toml`` manifest,
        or (only with ``trusted=True``) a pickle/joblib file.
    trusted : None, True or list of str
        None: trust only skops' defaults and known estimator classes. A list: also trust these type
        names (as reported in an :class:`UntrustedModelError`). True: trust the file completely,
        which allows pickle — only for files you made yourself.
    task, classes, positive_class, feature_names, preprocessor, input_kind, input_shape, output
        Needed for PyTorch models, which do not describe themselves (a manifest can hold them).
    architecture : str, optional
        ``"package.module:Class"`` or ``"path/file.py:Class"`` to build before loading a state dict.
    architecture_args : dict, optional
        Keyword arguments for the architecture class.
    name : str, optional
        A readable model name for the report.

    Returns
    -------
    ModelAdapter

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> model = load_model(DecisionTreeClassifier().fit([[0], [1]], ["no", "yes"]))
    >>> model.framework, model.task, model.positive_class
    ('sklearn', 'binary', 'yes')
    """
    torch_options = dict(task=task, classes=classes, positive_class=positive_class,
                         feature_names=feature_names, preprocessor=preprocessor,
                         input_kind=input_kind, input_shape=input_shape, output=output, name=name)
    if isinstance(source, ModelAdapter):
        return source
    if isinstance(source, (str, Path)):
        return _load_file(Path(source), trusted=trusted, architecture=architecture,
                          architecture_args=architecture_args, **torch_options)
    if _is_torch_module(source):
        return _torch_adapter(source, sha256=None, **torch_options)
    return SklearnAdapter(source, name=name)


def sha256_of(*paths: Path) -> str:
    """SHA-256 over the bytes of one or more files, read in chunks."""
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _load_file(path: Path, *, trusted, architecture, architecture_args, **options):
    if not path.is_file():
        raise InvalidInputError(f"The model file '{path}' does not exist; check the path.")
    suffix = path.suffix.lower()
    name = options.pop("name") or path.name
    if suffix == ".skops":
        return SklearnAdapter(_load_skops(path, trusted), name=name, sha256=sha256_of(path))
    if suffix in PICKLE_SUFFIXES:
        return SklearnAdapter(_load_pickle(path, trusted), name=name, sha256=sha256_of(path))
    if suffix in TORCH_SUFFIXES:
        module = _load_torch(path, architecture, architecture_args, base=Path.cwd())
        return _torch_adapter(module, sha256=sha256_of(path), name=name, **options)
    if suffix == ".toml":
        return _load_manifest(path, trusted=trusted)
    raise InvalidInputError(
        f"The model file '{path}' has the suffix '{suffix}', which xai-audit does not read. "
        "Save scikit-learn models with skops (.skops), PyTorch models as TorchScript or torch.export "
        "(.pt, .pt2) or as a state dict with a .toml manifest naming the architecture."
    )


def _import_skops_io():
    """``skops.io``, imported without scikit-learn's walk over all of its modules.

    Upstream cause: ``import skops.io`` (skops 0.16) builds its default list of trusted scikit-learn
    estimators with ``sklearn.utils.all_estimators()``, which imports every public scikit-learn module
    (and, through ``sklearn.externals.array_api_compat``, torch) to look inside it: about 1 CPU second
    more than the modules a model needs, plus 2-3 s for torch. xai-audit does not rely on that list: it
    asks skops for every type in the file outside skops' defaults (``get_untrusted_types``), vets each
    against its own rule (:func:`_is_known_estimator_type`) and passes the vetted ones explicitly. So
    while xai-audit imports skops, ``all_estimators`` answers an empty list: skops' default trust is
    narrower, never wider (no estimator is trusted without xai-audit's check). If skops is already
    imported, it is used as it is.
    """
    if "skops.io" in sys.modules:
        return sys.modules["skops.io"]
    sklearn_utils = require("sklearn.utils", extra="core", purpose="Loading a .skops model")
    walk = sklearn_utils.all_estimators
    sklearn_utils.all_estimators = _no_estimators
    try:
        return require("skops.io", extra="core", purpose="Loading a .skops model")
    finally:
        sklearn_utils.all_estimators = walk


def _no_estimators(type_filter=None):
    """Stands in for ``sklearn.utils.all_estimators`` while skops is imported (see above)."""
    return []


def _load_skops(path: Path, trusted):
    sio = _import_skops_io()
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as error:
        raise InvalidInputError(f"The model file '{path}' is not a readable skops file: {error}.") from error
    if trusted is True:
        allowed = list(untrusted)
    else:
        extra = set(trusted or ())
        refused = [t for t in untrusted if not (t in extra or _is_known_estimator_type(t))]
        if refused:
            raise UntrustedModelError(
                f"The model file '{path}' contains types that are not trusted by default: {refused}. "
                "Loading them could run code they define. If you know where this file comes from, "
                f"trust them by name: load_model(path, trusted={refused!r}) or, on the command line, "
                f"--trust-type {' --trust-type '.join(refused)} (in a batch file: trusted_types = {refused!r})."
            )
        allowed = list(untrusted)
    try:
        return sio.load(path, trusted=allowed)
    except Exception as error:
        raise InvalidInputError(f"The model file '{path}' could not be loaded by skops: {error}.") from error


def _is_known_estimator_type(type_name: str) -> bool:
    """A class (not a function) from scikit-learn, XGBoost or LightGBM, or a plain container."""
    if type_name in TRUSTED_TYPE_NAMES:
        return True
    if not type_name.startswith(TRUSTED_MODULE_PREFIXES):
        return False
    module_name, _, attribute = type_name.rpartition(".")
    try:
        return isinstance(getattr(importlib.import_module(module_name), attribute), type)
    except (ImportError, AttributeError):
        return False


def _load_pickle(path: Path, trusted):
    if trusted is not True:
        raise UntrustedModelError(
            f"The model file '{path}' is a pickle/joblib file. Loading a pickle runs any code the "
            "file contains, so xai-audit refuses it by default. Convert the model to skops "
            "(skops.io.dump(model, 'model.skops')) where it was trained, or, only if you made the "
            "file yourself, opt in with --trust-pickle (in a batch file: trust_pickle = true; in Python: "
            "load_model(path, trusted=True))."
        )
    import joblib

    try:
        return joblib.load(path)
    except Exception as error:
        raise InvalidInputError(f"The model file '{path}' could not be unpickled: {error}.") from error


def _load_torch(path: Path, architecture, architecture_args, *, base: Path, allowed=True):
    torch = require("torch", extra="torch", purpose="Loading a PyTorch model")
    if path.suffix.lower() == ".pt2":
        try:
            return torch.export.load(str(path)).module()
        except Exception as error:
            raise InvalidInputError(f"The file '{path}' is not a loadable torch.export program: {error}.") from error
    if _is_torchscript(path):
        try:
            return torch.jit.load(str(path), map_location="cpu")
        except Exception as error:
            raise InvalidInputError(f"The file '{path}' is not a loadable TorchScript archive: {error}.") from error
    try:
        state = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as error:
        raise UntrustedModelError(
            f"The file '{path}' is neither TorchScript, torch.export nor plain weights: it holds pickled objects "
            f"({type(error).__name__} when read with weights_only=True), which xai-audit does not unpickle from torch files. Save the model with torch.jit.save (TorchScript) or torch.export (.pt2), or "
            "save its state dict (torch.save(model.state_dict(), path)) and describe it in a .toml manifest."
        ) from None
    if architecture is None:
        what = "a state dict (weights only)" if isinstance(state, dict) else f"plain data ({type(state).__name__})"
        raise InvalidInputError(
            f"The file '{path}' is {what}; xai-audit needs the architecture to load it into. Write a .toml manifest "
            "beside it and give the manifest as the model: [model] file = \"" + path.name + "\", architecture = "
            "\"nets.py:Net\" (a file in the same folder), task = \"binary\", classes = [0, 1]; in Python, "
            "load_model(path, architecture=NetClass or 'nets.py:Net', task=...). Or save the model as TorchScript "
            "(torch.jit.save) or torch.export (.pt2)."
        )
    cls = architecture if isinstance(architecture, type) else _resolve_architecture(
        architecture, base, allowed=allowed)
    module = cls(**(architecture_args or {}))
    try:
        module.load_state_dict(state)
    except Exception as error:
        raise InvalidInputError(
            f"The weights in '{path}' do not fit the architecture {architecture}: {error}."
        ) from error
    return module


def _is_torchscript(path: Path) -> bool:
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return any(name.split("/", 1)[-1].startswith("code/") for name in archive.namelist())


def _allowed_architectures(trusted) -> tuple:
    """The ``package.module:Class`` names a manifest may import from outside its folder: those the user
    trusts explicitly (``trusted=[...]`` / ``--trust-type``); ``trusted=True`` is about pickles, not this."""
    if isinstance(trusted, (list, tuple, set)):
        return tuple(str(t) for t in trusted if ":" in str(t))
    return ()


def _resolve_architecture(spec: str, base: Path, *, allowed=True):
    """The ``torch.nn.Module`` subclass that ``spec`` names, as ``package.module:Class`` or ``file.py:Class``.

    Only a subclass of ``torch.nn.Module`` is accepted: anything else (a function such as
    ``subprocess:run``) would let a manifest call arbitrary code with its ``architecture_args``. A
    ``file.py`` is executed like an import, so it must sit in the manifest's folder (or below it).
    ``allowed`` is True when the user named the architecture in code; for a manifest it is the tuple of
    ``module:Class`` names the user trusts: a dotted module is then imported only when it is a file
    beside the manifest or on that list, checked before anything is imported.
    """
    if not isinstance(spec, str) or spec.count(":") != 1 or not all(spec.partition(":")[::2]):
        raise InvalidInputError(f"architecture must look like 'file.py:Class' (a file beside the weights) or "
                                f"'package.module:Class'; got {spec!r}.")
    where, _, class_name = spec.rpartition(":")
    if not where.endswith(".py"):
        beside = _module_file_beside(where, base)
        if beside is not None:
            where = str(beside.relative_to(base.resolve()))
        elif allowed is not True and spec not in allowed:
            raise UntrustedModelError(
                f"The manifest names the architecture {spec!r}, an installed module; xai-audit imports no module a "
                "manifest names (its import runs code) unless you allow it. Put the class in a .py file beside the "
                f"manifest and write architecture = 'file.py:{class_name}', or allow this one with "
                f"--trust-type {spec} (in a batch file: trusted_types = [{spec!r}]; in Python: "
                f"load_model(path, trusted=[{spec!r}]))."
            )
    torch = require("torch", extra="torch", purpose="Loading a PyTorch model")
    try:
        if where.endswith(".py"):
            file = (base / where).resolve()
            if not file.is_relative_to(base.resolve()):
                raise UntrustedModelError(
                    f"The architecture file '{where}' lies outside the folder '{base}'; xai-audit only runs "
                    "an architecture file kept beside the weights (or below that folder). Copy it there."
                )
            if not file.is_file():
                raise InvalidInputError(f"The architecture file '{where}' does not exist in '{base}'; put the file "
                                        "that defines the model's class beside the manifest.")
            module_spec = importlib.util.spec_from_file_location(file.stem, file)
            module = importlib.util.module_from_spec(module_spec)
            module_spec.loader.exec_module(module)
        else:
            module = importlib.import_module(where)
        architecture = getattr(module, class_name)
    except (ImportError, AttributeError, FileNotFoundError, OSError) as error:
        raise InvalidInputError(f"The architecture {spec!r} could not be imported: {error}.") from error
    if not (isinstance(architecture, type) and issubclass(architecture, torch.nn.Module)):
        raise UntrustedModelError(
            f"The architecture {spec!r} is not a torch.nn.Module class ({type(architecture).__name__}); name the "
            "model's class, e.g. 'my_models.py:CreditNet'."
        )
    return architecture


def _module_file_beside(dotted: str, base: Path) -> Path | None:
    """The file of module ``dotted`` when it lies in ``base`` (``nets`` -> ``base/nets.py``)."""
    parts = dotted.split(".")
    if not all(part.isidentifier() for part in parts):
        return None
    root = base.resolve()
    for candidate in (root.joinpath(*parts).with_suffix(".py"), root.joinpath(*parts, "__init__.py")):
        if candidate.is_file() and candidate.resolve().is_relative_to(root):
            return candidate.resolve()
    return None


def _load_manifest(path: Path, *, trusted):
    from xai_audit._toml import read_toml

    section = read_toml(path).get("model")
    if not isinstance(section, dict) or "file" not in section:
        raise InvalidInputError(f"The manifest '{path}' needs a [model] table with at least 'file = \"...\"'.")
    base = path.parent
    files = [base / section["file"]]
    preprocessor = None
    if section.get("preprocessor"):
        files.append(base / section["preprocessor"])
        preprocessor = _load_skops(files[-1], trusted)
    model_file = files[0]
    if not model_file.is_file():
        raise InvalidInputError(f"The manifest '{path}' names the model file '{model_file}', which does not exist.")
    architecture = section.get("architecture")
    if architecture is not None and not isinstance(architecture, str):
        raise InvalidInputError(f"The manifest '{path}' has architecture = {architecture!r}; give a string such as "
                                "'nets.py:Net' (a Python file beside the manifest).")
    module = _load_torch(model_file, architecture, section.get("architecture_args"), base=base,
                         allowed=_allowed_architectures(trusted))
    return _torch_adapter(
        module, sha256=sha256_of(path, *files), task=section.get("task"),
        classes=section.get("classes"), positive_class=section.get("positive_class"),
        feature_names=section.get("feature_names"), preprocessor=preprocessor,
        input_kind=section.get("input_kind", "tabular"), input_shape=section.get("input_shape"),
        output=section.get("output", "logits"), name=section.get("name") or path.stem,
    )


def _is_torch_module(obj) -> bool:
    return any(cls.__module__.startswith("torch.") and cls.__name__ == "Module" for cls in type(obj).__mro__)


def _torch_adapter(module, *, sha256, task, **options):
    from xai_audit.adapters.torch import TorchAdapter

    if task is None:
        raise InvalidInputError(
            "A PyTorch model does not say what task it does: pass task='binary', 'multiclass' or "
            "'regression' and classes=[...] (or use a .toml manifest that states them)."
        )
    return TorchAdapter(module, task=task, sha256=sha256, **options)
