"""An upload cut short by `kill -9` leaves its hidden temporary file behind (the rename that
would end it never ran); the next write into that folder removes such files once they are an
hour old, and never touches an upload still running."""

import asyncio
import http.client
import os
import signal
import socket
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from store.artifact_destinations.local import (
    STALE_UPLOAD_SECONDS,
    TEMP_PREFIX,
    LocalDestination,
)
from tests.live_server import HOST, free_port, start, trackstore_command

PROXY = "/api/2.0/mlflow-artifacts/artifacts"


async def _one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _write(destination: LocalDestination, path: str, data: bytes) -> None:
    asyncio.run(destination.write(path, _one_chunk(data)))


def _age(file: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(file, (then, then))


def _temporaries(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"{TEMP_PREFIX}*"))


def test_a_stale_upload_is_removed_when_its_folder_is_written(tmp_path: Path) -> None:
    destination = LocalDestination(tmp_path.as_uri(), tmp_path)
    (tmp_path / "run").mkdir()
    stale = tmp_path / "run" / f"{TEMP_PREFIX}dead-model.bin"
    live = tmp_path / "run" / f"{TEMP_PREFIX}live-model.bin"
    stale.write_bytes(b"half")
    live.write_bytes(b"growing")
    _age(stale, STALE_UPLOAD_SECONDS + 60)
    _age(live, STALE_UPLOAD_SECONDS - 60)
    _write(destination, "run/other.txt", b"new")
    assert _temporaries(tmp_path / "run") == [live]
    assert (tmp_path / "run" / "other.txt").read_bytes() == b"new"


def test_other_folders_keep_their_temporaries(tmp_path: Path) -> None:
    destination = LocalDestination(tmp_path.as_uri(), tmp_path)
    (tmp_path / "elsewhere").mkdir()
    stale = tmp_path / "elsewhere" / f"{TEMP_PREFIX}dead.bin"
    stale.write_bytes(b"half")
    _age(stale, STALE_UPLOAD_SECONDS + 60)
    _write(destination, "run/f.txt", b"x")
    assert stale.exists()


def _send_half_an_upload(port: int, path: str, total: int) -> socket.socket:
    """Open an upload of `total` bytes and send only the first half; the socket stays open."""
    sock = socket.create_connection((HOST, port))
    head = f"PUT {PROXY}/{path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: {total}\r\n\r\n"
    sock.sendall(head.encode() + b"x" * (total // 2))
    return sock


def _wait_for(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def test_a_server_killed_mid_upload_leaves_nothing_visible_and_the_next_write_cleans_up(
    tmp_path: Path,
) -> None:
    root = tmp_path / "artifacts"
    uri = f"sqlite:///{tmp_path / 'store.db'}"
    extra = ["--upgrade", "--artifacts-destination", str(root)]
    port = free_port()
    server = start(trackstore_command(uri, port, 1, extra), port, tmp_path / "a.log", timeout=120)
    folder = root / "run"
    try:
        sock = _send_half_an_upload(port, "run/model.bin", 8 * 1024 * 1024)
        _wait_for(lambda: folder.is_dir() and bool(_temporaries(folder)), 30)
        os.killpg(os.getpgid(server.process.pid), signal.SIGKILL)
        server.process.wait()
        sock.close()
    finally:
        server.stop()
    [left] = _temporaries(folder)
    assert not (folder / "model.bin").exists()
    _age(left, STALE_UPLOAD_SECONDS + 60)

    port = free_port()
    again = start(trackstore_command(uri, port, 1, extra), port, tmp_path / "b.log", timeout=120)
    try:
        connection = http.client.HTTPConnection(HOST, port, timeout=60)
        connection.request("PUT", f"{PROXY}/run/model.bin", body=b"whole")
        assert connection.getresponse().status == 200
        connection.close()
    finally:
        again.stop()
    assert _temporaries(folder) == []
    assert (folder / "model.bin").read_bytes() == b"whole"


@pytest.mark.parametrize("name", [f"{TEMP_PREFIX}x", "keep.txt"])
def test_listing_hides_only_temporaries(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_bytes(b"1")
    listed = [entry.name for entry in LocalDestination(tmp_path.as_uri(), tmp_path).entries("")]
    assert listed == ([] if name.startswith(TEMP_PREFIX) else [name])
