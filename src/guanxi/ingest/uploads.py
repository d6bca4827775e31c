"""The upload handler that holds an import file to the upload limit while it
arrives, so a file far beyond it never reaches memory or disk."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.utils.translation import gettext as _

from guanxi.ingest.limits import MB, file_limits

__all__ = ["CappedUploadHandler", "upload_too_large_message"]


def upload_too_large_message() -> str:
    return _(
        "the file is larger than %(limit)s MB (the limit; an admin can raise it "
        "with GUANXI_IMPORT_MAX_UPLOAD_MB)"
    ) % {"limit": f"{file_limits().max_upload_bytes // MB:,}"}


class CappedUploadHandler(FileUploadHandler):
    """First of ``FILE_UPLOAD_HANDLERS``: a file that grows past the limit is
    dropped (the rest of it is read and discarded) and the request is marked
    ``upload_too_large`` for the view to say so."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.limit = file_limits().max_upload_bytes

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            if self.request is not None:
                setattr(self.request, "upload_too_large", True)  # noqa: B010
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
