"""What the artifact routes need from a place that keeps artifact files.

Paths given to a destination have passed `paths.safe_relative_path`. Reads come back as an
iterator of chunks and writes take an async stream of chunks, so no file is ever held whole in
memory; a write lands under a temporary name first and appears whole or not at all.
"""

from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from store.common.errors import NOT_IMPLEMENTED, StoreError

CHUNK_BYTES = 1024 * 1024
# MLflow's sentence for a destination without multipart uploads; the MLflow
# client recognises the sentence and falls back to one PUT of the whole file.
UNSUPPORTED_MULTIPART = "Multipart upload is not supported for the current artifact repository"


@dataclass(frozen=True)
class Entry:
    """One file or folder directly under a listed folder."""

    name: str
    is_dir: bool
    size: int | None

    def to_json(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"path": self.name, "is_dir": self.is_dir}
        if self.size is not None:
            shown["file_size"] = self.size
        return shown


@dataclass(frozen=True)
class Part:
    """One uploaded part of a multipart upload, as the client reports it."""

    number: int
    etag: str


@dataclass(frozen=True)
class FileTotals:
    """How many files and bytes a deletion removed."""

    files: int = 0
    size: int = 0

    def __add__(self, other: "FileTotals") -> "FileTotals":
        return FileTotals(self.files + other.files, self.size + other.size)


class Destination(Protocol):
    uri: str

    def read(self, path: str) -> Iterator[bytes]:
        """The file's bytes in chunks; RESOURCE_DOES_NOT_EXIST if there is no such file."""

    async def write(self, path: str, chunks: AsyncIterator[bytes]) -> None:
        """Store the streamed bytes as `path`, replacing any file there, whole or not at all."""

    def entries(self, path: str) -> list[Entry]:
        """What lies directly under the folder `path`; empty for a file or nothing."""

    def delete(self, path: str) -> FileTotals:
        """Remove the file or the folder `path` with everything under it."""

    def create_multipart(self, path: str, num_parts: int) -> dict[str, Any]:
        """Start a multipart upload to `path`: MLflow's CreateMultipartUpload response."""

    def complete_multipart(self, path: str, upload_id: str, parts: Sequence[Part]) -> None: ...

    def abort_multipart(self, path: str, upload_id: str) -> None: ...


def unsupported_multipart() -> StoreError:
    return StoreError(UNSUPPORTED_MULTIPART, NOT_IMPLEMENTED)
