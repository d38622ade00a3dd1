"""Collection rules for the whole repository (tests/ and the doctests in xai_audit/)."""

import importlib.util

# The doctests of the PyTorch modules need the 'torch' extra; without it they are not collected.
if importlib.util.find_spec("torch") is None or importlib.util.find_spec("captum") is None:
    collect_ignore = ["xai_audit/adapters/torch.py", "xai_audit/explainers/captum",
                      "xai_audit/explainers/images.py"]
