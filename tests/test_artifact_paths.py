"""The one check every client artifact path passes, and the local destination's symlink check."""

from pathlib import Path

import pytest

from store.artifact_destinations.local import LocalDestination
from store.artifact_destinations.paths import safe_file_name, safe_relative_path
from store.common.errors import StoreError

BAD_PATHS = [
    "..",
    "../x",
    "a/../../x",
    "a/..",
    "/etc/passwd",
    "%2e%2e/x",
    "%2E%2E%2Fx",
    "%252e%252e/x",
    "a%2f..%2f..%2fx",
    "a\\..\\x",
    "a%5c..%5cx",
    "C:\\x",
    "C:/x",
    "a\x00b",
    "a%00b",
    "a\nb",
    "a#b",
    "file:///etc/passwd",
    "file:%2Fetc%2Fpasswd",
    "file:../x",
    "FILE:dir/f.txt",
]


@pytest.mark.parametrize("path", BAD_PATHS)
def test_a_path_leaving_the_root_is_refused(path: str) -> None:
    with pytest.raises(StoreError) as refused:
        safe_relative_path(path)
    assert refused.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "Invalid path" in str(refused.value)


@pytest.mark.parametrize(
    ("path", "checked"),
    [
        ("", ""),
        ("0/abc/artifacts/f.txt", "0/abc/artifacts/f.txt"),
        ("a//b/./c", "a/b/c"),
        ("dir/", "dir"),
        ("a%20b.txt", "a b.txt"),
        ("..hidden/x..y", "..hidden/x..y"),
    ],
)
def test_a_path_inside_the_root_is_kept(path: str, checked: str) -> None:
    assert safe_relative_path(path) == checked


@pytest.mark.parametrize("name", ["", "a/b", "..", "/x"])
def test_a_file_name_must_be_one_component(name: str) -> None:
    with pytest.raises(StoreError):
        safe_file_name(name)


def test_a_symlink_pointing_outside_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "root"
    outside = tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    (root / "link").symlink_to(outside)
    destination = LocalDestination(root.as_uri(), root)
    for use in (destination.read, destination.entries, destination.delete):
        with pytest.raises(StoreError, match="Invalid path"):
            use("link/secret.txt")
    assert (outside / "secret.txt").read_text() == "secret"


def test_a_symlink_inside_the_root_is_followed(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "real").mkdir(parents=True)
    (root / "real" / "f.txt").write_text("x")
    (root / "alias").symlink_to(root / "real")
    destination = LocalDestination(root.as_uri(), root)
    assert b"".join(destination.read("alias/f.txt")) == b"x"
