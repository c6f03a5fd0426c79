"""A destination in a local folder (`file:///...` or a plain path)."""

import os
import shutil
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from anyio import to_thread

from store.artifact_destinations.base import (
    CHUNK_BYTES,
    Entry,
    FileTotals,
    Part,
    unsupported_multipart,
)
from store.artifact_destinations.paths import invalid_path
from store.common.errors import not_found

# Uploads in progress live beside their target under this prefix, so that the rename which
# ends them stays on one file system; listings leave them out.
TEMP_PREFIX = ".trackstore-upload-"
# An upload's file is written at least every few seconds while it runs; one untouched this long
# was left by a server killed part-way, and is removed when its folder is next written.
STALE_UPLOAD_SECONDS = 3600


class LocalDestination:
    def __init__(self, uri: str, root: Path) -> None:
        self.uri = uri
        self.root = root.resolve()

    def read(self, path: str) -> Iterator[bytes]:
        target = self._inside(path)
        if not target.is_file():
            raise not_found(f"No artifact file at '{path}'; list the folder to see what exists.")
        return _chunks(target.open("rb"))

    async def write(self, path: str, chunks: AsyncIterator[bytes]) -> None:
        target = self._inside(path)
        if not target.name or target == self.root:
            raise invalid_path(path)
        await to_thread.run_sync(lambda: target.parent.mkdir(parents=True, exist_ok=True))
        self._inside(path)
        await to_thread.run_sync(remove_stale_uploads, target.parent)
        temp = target.with_name(f"{TEMP_PREFIX}{uuid.uuid4().hex}-{target.name}")
        sink = await to_thread.run_sync(temp.open, "wb")
        try:
            pending = bytearray()
            async for chunk in chunks:
                pending += chunk
                if len(pending) >= CHUNK_BYTES:
                    await to_thread.run_sync(sink.write, pending)
                    pending = bytearray()
            await to_thread.run_sync(sink.write, pending)
            sink.close()
            await to_thread.run_sync(os.replace, temp, target)
        except BaseException:
            sink.close()
            temp.unlink(missing_ok=True)
            raise

    def entries(self, path: str) -> list[Entry]:
        folder = self._inside(path)
        if not folder.is_dir():
            return []
        entries = []
        for child in sorted(folder.iterdir()):
            if child.name.startswith(TEMP_PREFIX):
                continue
            is_dir = child.is_dir()
            entries.append(Entry(child.name, is_dir, None if is_dir else child.stat().st_size))
        return entries

    def delete(self, path: str) -> FileTotals:
        target = self._inside(path)
        if target.is_dir() and not target.is_symlink():
            totals = FileTotals()
            for file in (p for p in target.rglob("*") if p.is_file()):
                totals += FileTotals(1, file.stat().st_size)
            shutil.rmtree(target)
            return totals
        if target.exists() or target.is_symlink():
            size = target.lstat().st_size
            target.unlink()
            return FileTotals(1, size)
        return FileTotals()

    def create_multipart(self, path: str, num_parts: int) -> dict[str, Any]:
        raise unsupported_multipart()

    def complete_multipart(self, path: str, upload_id: str, parts: Sequence[Part]) -> None:
        raise unsupported_multipart()

    def abort_multipart(self, path: str, upload_id: str) -> None:
        raise unsupported_multipart()

    def _inside(self, path: str) -> Path:
        """The file `path` names, refused when it (through symlinks) lies outside the root."""
        target = self.root / path if path else self.root
        if not target.resolve().is_relative_to(self.root):
            raise invalid_path(path)
        return target


def remove_stale_uploads(folder: Path) -> None:
    """Remove the temporary files of uploads that a killed server left in `folder`."""
    oldest_live = time.time() - STALE_UPLOAD_SECONDS
    for child in folder.glob(f"{TEMP_PREFIX}*"):
        try:
            if child.stat().st_mtime < oldest_live:
                child.unlink()
        except FileNotFoundError:
            continue


def _chunks(source: BinaryIO) -> Iterator[bytes]:
    with source:
        while chunk := source.read(CHUNK_BYTES):
            yield chunk
