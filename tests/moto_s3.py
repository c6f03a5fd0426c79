"""moto's standalone S3 server on a free loopback port, and the environment that points
boto3 (in trackstore server, mlflow server and the tests) at it."""

import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.live_server import HOST, free_port


@dataclass(frozen=True)
class MotoS3:
    endpoint: str

    @property
    def environment(self) -> dict[str, str]:
        return {
            "MLFLOW_S3_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        )

    def new_bucket(self) -> str:
        name = f"trackstore-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name


@contextmanager
def moto_s3(log: Path) -> Iterator[MotoS3]:
    """Start `moto_server` from this Python environment; stop it afterwards."""
    port = free_port()
    moto = Path(sys.executable).parent / "moto_server"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(moto), "-H", HOST, "-p", str(port)], stdout=sink, stderr=subprocess.STDOUT
        )
    endpoint = f"http://{HOST}:{port}"
    try:
        _wait(endpoint, process, log)
        yield MotoS3(endpoint)
    finally:
        process.terminate()
        process.wait(timeout=15)


def _wait(endpoint: str, process: "subprocess.Popen[bytes]", log: Path) -> None:
    deadline = time.perf_counter() + 60
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(endpoint + "/moto-api/", timeout=1):
                return
        except urllib.error.HTTPError:
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.05)
    raise RuntimeError(f"moto_server did not answer:\n{log.read_text()}")
