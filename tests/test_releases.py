"""MLflow releases by name: the facts table, what is derived from it, and the script behind it."""

import importlib.util
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

from compat import TrackstoreError
from migrations import releases, runner
from migrations.mlflow_releases import RELEASE_HEADS, YANKED

ROOT = Path(__file__).resolve().parent.parent


def load_script() -> ModuleType:
    """ci/mlflow_release_heads.py, which is a script, not a package module."""
    spec = importlib.util.spec_from_file_location(
        "mlflow_release_heads", ROOT / "ci" / "mlflow_release_heads.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


script = load_script()


def release(version: str) -> releases.Release:
    return next(r for r in releases.RELEASES if r.version == version)


def test_the_table_covers_every_minor_from_1_0_to_3_18() -> None:
    minors = {releases.version_key(version)[:2] for version, _ in RELEASE_HEADS}
    expected = {(1, minor) for minor in range(31)} | {(2, minor) for minor in range(23)}
    expected |= {(3, minor) for minor in range(19)}
    assert minors == expected
    assert [r.key for r in releases.RELEASES] == sorted(r.key for r in releases.RELEASES)
    assert YANKED.issubset(version for version, _ in RELEASE_HEADS)


def test_the_table_agrees_with_the_chain_where_both_know_a_revision() -> None:
    """Every revision of trackstore's chain is shipped by a release, and 3.1.4 and 3.18.0 end
    where the design says (bda7b8c39065 and f4a9b2c7d1e6)."""
    chain = runner.chain()
    assert all(releases.first_shipped(revision, chain) is not None for revision in chain)
    assert release("3.1.4").head == "bda7b8c39065"
    assert release("3.18.0").head == "f4a9b2c7d1e6"
    assert release("1.0.0").head == chain[1]


def test_a_revision_is_the_head_of_runs_of_releases() -> None:
    assert releases.describe("bda7b8c39065", runner.chain()) == (
        "the head of MLflow 3.0.1 and 3.1.1 to 3.1.4"
    )
    assert releases.describe("4465047574b1", runner.chain()) == (
        "the head of MLflow 2.15.0 to 2.16.2"
    )


def test_spans_joins_three_runs_with_commas_and_and() -> None:
    chosen = [release(v) for v in ("1.0.0", "1.2.0", "1.3.0", "3.18.0")]
    assert releases.spans(chosen) == "MLflow 1.0.0, 1.2.0 to 1.3.0 and 3.18.0"


def test_a_revision_no_release_ends_at_is_named_by_its_first_release() -> None:
    chain = runner.chain()
    assert releases.describe("df50e92ffc5e", chain) == (
        "first shipped in MLflow 1.2.0, not the head of any release"
    )
    assert releases.shipped_in("451aebb31d03", chain) == "MLflow 1.0.0"


def test_version_order_not_date_order_decides_first_shipped() -> None:
    """3.1.0 ends at 6953534de441 but the earlier-numbered 3.0.1 already ends at bda7b8c39065."""
    assert releases.first_shipped("bda7b8c39065", runner.chain()) == release("3.0.1")


def test_a_head_after_the_chain_counts_as_holding_all_of_it() -> None:
    chain = runner.chain()[: runner.chain().index("0584bdc529eb") + 1]
    assert releases.first_shipped("0584bdc529eb", chain) == release("2.18.0")
    assert releases.newest_within(chain) == release("2.22.5")


def test_a_revision_after_every_release_head_is_in_no_release_yet(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    chain = runner.chain()[:3]
    monkeypatch.setattr(releases, "RELEASES", (release("1.0.0"),))
    assert releases.shipped_in(chain[1], chain) == "MLflow 1.0.0"
    assert releases.shipped_in(chain[2], chain) == "no release yet"


def test_current_line_for_revisions_the_chain_does_not_hold() -> None:
    chain = runner.chain()[: runner.chain().index("0584bdc529eb") + 1]
    assert releases.current_line("bda7b8c39065", chain) == (
        "bda7b8c39065 — the head of MLflow 3.0.1 and 3.1.1 to 3.1.4, newer than this "
        "trackstore knows (its chain ends at 0584bdc529eb)"
    )
    assert releases.current_line("ffffffffffff", chain) == (
        "ffffffffffff — a revision neither an MLflow release nor this trackstore knows "
        "(its chain ends at 0584bdc529eb)"
    )


@pytest.mark.parametrize(
    ("name", "head"),
    [
        ("mlflow-3.1.4", "bda7b8c39065"),
        ("MLflow-3.1.4", "bda7b8c39065"),
        ("mlflow-1.13", "a8c4a736bde6"),
        ("mlflow-1.13.0", "a8c4a736bde6"),
        ("mlflow-3.1.2", "bda7b8c39065"),
        ("mlflow-3.18", "f4a9b2c7d1e6"),
    ],
)
def test_release_names_mean_their_heads(name: str, head: str) -> None:
    assert releases.release_head(name) == head


@pytest.mark.parametrize(
    ("name", "tail"),
    [
        ("mlflow-3.1.5", "the nearest it knows are mlflow-3.1.4 and mlflow-3.2.0."),
        ("mlflow-2.22.6", "the nearest it knows are mlflow-2.22.5 and mlflow-3.0.0."),
        ("mlflow-0.9.1", "the oldest it knows is mlflow-1.0.0."),
        ("mlflow-3.19.0", "the newest it knows is mlflow-3.18.0."),
    ],
)
def test_an_unknown_release_names_the_nearest_known_ones(name: str, tail: str) -> None:
    with pytest.raises(TrackstoreError) as refused:
        releases.release_head(name)
    assert str(refused.value) == f"'{name}' is not an MLflow release trackstore knows; {tail}"


@pytest.mark.parametrize("name", ["mlflow-", "mlflow-three", "mlflow-3..1", "mlflow-3.1.4rc0"])
def test_a_malformed_release_name_says_how_to_write_one(name: str) -> None:
    with pytest.raises(TrackstoreError) as refused:
        releases.release_head(name)
    assert str(refused.value) == (
        f"'{name}' is not an MLflow release name; name one as mlflow-X.Y.Z, "
        "from mlflow-1.0.0 to mlflow-3.18.0."
    )


def test_a_release_beyond_the_chain_is_refused_with_the_newest_it_can_reach(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    future = releases.Release("99.0.0", "ffffffffffff")
    monkeypatch.setattr(releases, "RELEASES", (*releases.RELEASES, future))
    with pytest.raises(TrackstoreError) as refused:
        runner.revision_id("mlflow-99.0.0")
    newest = releases.name_of(releases.newest_within(runner.chain()) or future)
    assert str(refused.value).startswith(
        "mlflow-99.0.0 ends at revision ffffffffffff, which this trackstore does not know: "
        f"its chain ends at {runner.head_revision()}, "
    )
    assert str(refused.value).endswith(f"; name {newest} or an older release.")


def test_a_revision_only_a_release_beyond_the_chain_ends_at_is_named_as_such(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    future = releases.Release("99.0.0", "ffffffffffff")
    monkeypatch.setattr(releases, "RELEASES", (*releases.RELEASES, future))
    with pytest.raises(TrackstoreError) as refused:
        runner.revision_id("ffffffffffff")
    head = runner.head_revision()
    assert str(refused.value) == (
        "'ffffffffffff' is not a revision trackstore knows: it is the head of MLflow 99.0.0, "
        f"and this trackstore's chain ends at {head}, {runner.in_releases(head)}; "
        f"name {head} or an older revision."
    )


def write_wheel(path: Path, folder: str, links: dict[str, str | None]) -> Path:
    """A wheel-shaped zip holding one revision script per link, as MLflow lays them out."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{folder}__init__.py", "")
        archive.writestr(f"{folder}helpers/extra.py", 'revision = "not-a-script"\n')
        for revision, down in links.items():
            body = (
                f"import sqlalchemy as sa\n\nrevision = {revision!r}\n"
                f"down_revision: str | None = {down!r}\nbranch_labels = sa.text('x')\n"
            )
            archive.writestr(f"{folder}{revision}_step.py", body)
    return path


@pytest.mark.parametrize("folder", script.VERSIONS_FOLDERS)
def test_the_script_finds_the_head_in_either_layout(tmp_path: Path, folder: str) -> None:
    links = {"aaa": None, "bbb": "aaa", "ccc": "bbb"}
    wheel = write_wheel(tmp_path / "mlflow-9.9.9-py3-none-any.whl", folder, links)
    assert script.wheel_links(wheel) == links
    assert script.head_of(links) == "ccc"


def test_the_script_refuses_a_release_with_two_heads_or_none(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"expected one head, found \['bbb', 'ccc'\]"):
        script.head_of({"aaa": None, "bbb": "aaa", "ccc": "aaa"})
    empty = tmp_path / "mlflow-9.9.9-py3-none-any.whl"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("mlflow/__init__.py", "")
    with pytest.raises(ValueError, match="holds no revision scripts"):
        script.wheel_links(empty)


def test_the_script_refuses_releases_that_disagree_on_the_chain() -> None:
    seen: dict[str, str | None] = {}
    script.agree_with(seen, {"aaa": None, "bbb": "aaa"}, "1.0.0")
    with pytest.raises(ValueError, match=r"MLflow 1\.1\.0 puts bbb after None, not aaa"):
        script.agree_with(seen, {"bbb": None}, "1.1.0")


def test_the_script_renders_the_committed_table(tmp_path: Path) -> None:
    rows = [
        (script.Release("1.13", "mlflow-1.13-py3-none-any.whl", False), "a8c4a736bde6"),
        (script.Release("2.0.0", "mlflow-2.0.0-py3-none-any.whl", True), "97727af70f4d"),
    ]
    namespace: dict[str, object] = {}
    exec(script.render(rows), namespace)
    assert namespace["RELEASE_HEADS"] == (("1.13", "a8c4a736bde6"), ("2.0.0", "97727af70f4d"))
    assert namespace["YANKED"] == frozenset({"2.0.0"})
    generated = (ROOT / "migrations" / "mlflow_releases.py").read_text()
    assert generated.startswith(script.render(rows).split("RELEASE_HEADS")[0])


@pytest.mark.parametrize(
    ("filename", "version"),
    [
        ("mlflow-1.2.0-py2-none-any.whl", "1.2.0"),
        ("mlflow-1.13-py3-none-any.whl", "1.13"),
        ("mlflow-3.1.0rc0-py3-none-any.whl", None),
        ("mlflow-3.1.0.tar.gz", None),
        ("mlflow_skinny-3.1.0-py3-none-any.whl", None),
    ],
)
def test_the_script_takes_final_pure_python_wheels_only(filename: str, version: str | None) -> None:
    match = script.WHEEL_NAME.match(filename)
    assert (match.group(1) if match else None) == version
