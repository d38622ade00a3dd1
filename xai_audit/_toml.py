"""Read TOML files (policies, manifests, batch files) with one clear error for a bad file."""

from __future__ import annotations

import sys
from pathlib import Path

from xai_audit.exceptions import InvalidInputError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


def read_toml(path) -> dict:
    """Parse a TOML file, raising :class:`InvalidInputError` that names the file and the problem."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as error:
        raise InvalidInputError(f"The file '{path}' does not exist; check the path.") from error
    except tomllib.TOMLDecodeError as error:
        raise InvalidInputError(f"The file '{path}' is not valid TOML: {error}.") from error


def parse_toml(text: str, *, source: str) -> dict:
    """Parse TOML text; ``source`` names where it came from in the error message."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InvalidInputError(f"The {source} is not valid TOML: {error}.") from error
