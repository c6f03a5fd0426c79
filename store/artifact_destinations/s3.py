"""A destination in S3 or S3-compatible storage, through boto3.

Configured as MLflow's S3 artifact repository is: `MLFLOW_S3_ENDPOINT_URL` for a non-AWS
endpoint, `MLFLOW_S3_IGNORE_TLS` to skip certificate checks, and boto3's own AWS_* variables
and files for credentials and region. An upload streams into S3 in parts of PART_BYTES, so the
object appears whole when the upload completes, or not at all.
"""

import os
import posixpath
import urllib.parse
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from anyio import to_thread

from store.artifact_destinations.base import CHUNK_BYTES, Entry, FileTotals, Part
from store.common.errors import not_found

# S3 accepts parts of at least 5 MiB (but the last).
PART_BYTES = 8 * 1024 * 1024
PRESIGNED_SECONDS = 3600
_TRUE = ("true", "1", "yes")


def s3_client() -> Any:
    import boto3
    from botocore.config import Config

    ignore_tls = os.environ.get("MLFLOW_S3_IGNORE_TLS", "").lower() in _TRUE
    return boto3.client(
        "s3",
        endpoint_url=os.environ.get("MLFLOW_S3_ENDPOINT_URL") or None,
        verify=False if ignore_tls else None,
        config=Config(signature_version="s3v4"),
    )


class S3Destination:
    def __init__(self, uri: str) -> None:
        parsed = urllib.parse.urlparse(uri)
        self.uri = uri
        self.bucket = parsed.netloc
        self.prefix = parsed.path.strip("/")
        self.client = s3_client()

    def read(self, path: str) -> Iterator[bytes]:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(path))
        except self.client.exceptions.NoSuchKey:
            raise not_found(
                f"No artifact file at '{path}'; list the folder to see what exists."
            ) from None
        body = answer["Body"]
        return _closing(body.iter_chunks(CHUNK_BYTES), body)

    async def write(self, path: str, chunks: AsyncIterator[bytes]) -> None:
        key = self._key(path)
        pending = bytearray()
        upload_id: str | None = None
        parts: list[dict[str, Any]] = []
        try:
            async for chunk in chunks:
                pending += chunk
                if len(pending) >= PART_BYTES:
                    if upload_id is None:
                        upload_id = await to_thread.run_sync(self._start, key)
                    parts.append(await self._send_part(key, upload_id, len(parts) + 1, pending))
                    pending = bytearray()
            if upload_id is None:
                await to_thread.run_sync(
                    lambda: self.client.put_object(Bucket=self.bucket, Key=key, Body=bytes(pending))
                )
                return
            if pending:
                parts.append(await self._send_part(key, upload_id, len(parts) + 1, pending))
            await to_thread.run_sync(self._finish, key, upload_id, parts)
        except BaseException:
            if upload_id is not None:
                await to_thread.run_sync(self.abort_key, key, upload_id)
            raise

    def entries(self, path: str) -> list[Entry]:
        folder = self._key(path)
        prefix = folder + "/" if folder else ""
        entries = []
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix, Delimiter="/"
        )
        for page in pages:
            for common in page.get("CommonPrefixes", []):
                name = posixpath.basename(common["Prefix"].rstrip("/"))
                entries.append(Entry(name, True, None))
            for item in page.get("Contents", []):
                if item["Key"] != prefix:
                    entries.append(Entry(posixpath.basename(item["Key"]), False, item["Size"]))
        return sorted(entries, key=lambda entry: entry.name)

    def delete(self, path: str) -> FileTotals:
        key = self._key(path)
        totals = FileTotals()
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=key
        )
        for page in pages:
            doomed = [
                item
                for item in page.get("Contents", [])
                if item["Key"] == key or item["Key"].startswith(key + "/") or not key
            ]
            if doomed:
                self.client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": [{"Key": i["Key"]} for i in doomed]}
                )
            for item in doomed:
                totals += FileTotals(1, item["Size"])
        return totals

    def create_multipart(self, path: str, num_parts: int) -> dict[str, Any]:
        key = self._key(path)
        upload_id = self._start(key)
        credentials = [
            {
                "url": self.client.generate_presigned_url(
                    "upload_part",
                    Params={
                        "Bucket": self.bucket,
                        "Key": key,
                        "PartNumber": number,
                        "UploadId": upload_id,
                    },
                    ExpiresIn=PRESIGNED_SECONDS,
                ),
                "part_number": number,
                "headers": {},
            }
            for number in range(1, num_parts + 1)
        ]
        return {"upload_id": upload_id, "credentials": credentials}

    def complete_multipart(self, path: str, upload_id: str, parts: Sequence[Part]) -> None:
        listed = [{"PartNumber": part.number, "ETag": part.etag} for part in parts]
        self._finish(self._key(path), upload_id, listed)

    def abort_multipart(self, path: str, upload_id: str) -> None:
        self.abort_key(self._key(path), upload_id)

    def abort_key(self, key: str, upload_id: str) -> None:
        self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)

    def _start(self, key: str) -> str:
        answer = self.client.create_multipart_upload(Bucket=self.bucket, Key=key)
        return str(answer["UploadId"])

    async def _send_part(
        self, key: str, upload_id: str, number: int, data: bytearray
    ) -> dict[str, Any]:
        answer = await to_thread.run_sync(
            lambda: self.client.upload_part(
                Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data
            )
        )
        return {"PartNumber": number, "ETag": answer["ETag"]}

    def _finish(self, key: str, upload_id: str, parts: list[dict[str, Any]]) -> None:
        self.client.complete_multipart_upload(
            Bucket=self.bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
        )

    def _key(self, path: str) -> str:
        return posixpath.join(self.prefix, path).strip("/") if path else self.prefix


def _closing(chunks: Iterator[bytes], body: Any) -> Iterator[bytes]:
    try:
        yield from chunks
    finally:
        body.close()
