"""Messages about uploaded files name the files as the analyst named them, never the server's
temporary folder (which would leak the server's layout and mean nothing to the analyst)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from xai_audit import XaiAuditError

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "apps"))
from audit_app import inputs  # noqa: E402


class Upload:
    """What Streamlit's uploader hands over: a name and the bytes."""

    def __init__(self, name: str, content: bytes):
        self.name, self._content = name, content

    def getvalue(self) -> bytes:
        return self._content


@pytest.mark.parametrize("files", [
    [Upload("net.toml", b'[model]\nfile = "missing.pt"\ntask = "binary"\n')],
    [Upload("model.skops", b"not a zip file")],
    [Upload("broken.toml", b"[model\n")],
])
def test_an_upload_error_names_the_file_not_the_temporary_folder(files):
    with pytest.raises(XaiAuditError) as caught:
        with inputs.saved_uploads(files) as paths:
            inputs.load_uploaded_model(paths, allow_code=False)
    message = str(caught.value)
    assert "xai-audit-app-" not in message and "/tmp" not in message, message
    assert files[0].name in message or "uploaded" in message, message
