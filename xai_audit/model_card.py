"""The model card block of an audit: what the model is for and who answers for it.

The report's identification, model-card and data sections read it; a key that is missing is shown as
"Not provided", never guessed. The same keys are accepted from Python (``Audit(model_card={...})``),
a TOML file (``xai-audit run --model-card card.toml``), a batch file (``[audit.model_card]``) and the app.
"""

from __future__ import annotations

from pathlib import Path

from xai_audit.exceptions import InvalidInputError

MODEL_CARD_KEYS = {
    "name": "the model's name as the organisation knows it",
    "owner": "the person or team who answers for the model",
    "version": "the model's version",
    "intended_use": "what the model is for, for whom, and where it must not be used",
    "decision_role": "whether the model decides alone or informs a person who decides",
    "human_oversight": "who reviews the model's outputs, how, and how a decision is contested",
    "limitations": "known weaknesses, populations and conditions where it performs worse",
    "data_period": "the period the audit data covers, e.g. 2023-01 to 2024-06",
}


def check_model_card(card, where: str = "model_card") -> dict:
    """The card as a plain dict of strings, or an :class:`InvalidInputError` naming what is wrong.

    Examples
    --------
    >>> check_model_card({"owner": "Credit risk team", "version": 3})
    {'owner': 'Credit risk team', 'version': '3'}
    """
    if not isinstance(card, dict):
        raise InvalidInputError(f"{where} must be a table of text fields; got {type(card).__name__}.")
    unknown = sorted(set(card) - set(MODEL_CARD_KEYS))
    if unknown:
        raise InvalidInputError(f"{where} has unknown keys {unknown}; the model card takes {sorted(MODEL_CARD_KEYS)}.")
    wrong = sorted(key for key, value in card.items() if not isinstance(value, (str, int, float)) or isinstance(value, bool))
    if wrong:
        raise InvalidInputError(f"{where}: {wrong} must be text (or a number, for version).")
    return {key: str(value) for key, value in card.items()}


def read_model_card(path) -> dict:
    """A model card from a TOML file: its keys at the top level, or in a ``[model_card]`` table."""
    from xai_audit._toml import read_toml

    path = Path(path)
    if not path.is_file():
        raise InvalidInputError(f"The model card file '{path}' does not exist; check the path.")
    content = read_toml(path)
    card = content["model_card"] if "model_card" in content else content
    return check_model_card(card, where=f"The model card '{path}'")
