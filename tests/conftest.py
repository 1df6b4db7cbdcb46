"""Shared fixtures: the seed corpus, an index built from it once per session, a CLI runner."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from searchkit.index.build import build_index
from searchkit.index.generations import IndexStore
from searchkit.ingest.text_dump import split_text
from searchkit.models import Article
from searchkit.query.searcher import Searcher

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def seed_articles() -> dict[str, list[Article]]:
    """Articles of each seed file, by file name."""
    return {
        p.name: split_text(p.read_text(encoding="utf-8"), p.name)
        for p in sorted(SEEDS.glob("*.txt"))
    }


@pytest.fixture(scope="session")
def seed_store(tmp_path_factory: pytest.TempPathFactory) -> IndexStore:
    store = IndexStore(tmp_path_factory.mktemp("seed-index") / "index")
    build_index([SEEDS], store)
    return store


@pytest.fixture(scope="session")
def searcher(seed_store: IndexStore) -> Searcher:
    with Searcher(seed_store) as s:
        yield s


@pytest.fixture()
def corpus_dir(tmp_path: Path) -> Path:
    """A writable copy of the seeds, for tests that add bad files next to good ones."""
    target = tmp_path / "corpus"
    shutil.copytree(SEEDS, target)
    return target


@pytest.fixture()
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture()
def in_tmp_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh working directory holding seeds/ and no index yet (like a new clone)."""
    shutil.copytree(SEEDS, tmp_path / "seeds")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SEARCHKIT_INDEX", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return tmp_path


@pytest.fixture(autouse=True)
def _private_user_index(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> Path:
    """Every test has its own per-user data folder: none reads or writes the real user index
    (``user_index_path``), and a subprocess a test starts inherits the same."""
    data = tmp_path_factory.mktemp("xdg-data")
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    monkeypatch.delenv("SEARCHKIT_INDEX", raising=False)
    return data / "searchkit" / "index"


@pytest.fixture(scope="session")
def cacm_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/data/cacm as ``searchkit eval`` reads it: ``cacm.all`` is kept gzipped (2.2 MB of
    text, 0.7 MB packed), so it is unpacked beside the queries and judgments once per run."""
    import gzip

    source = ROOT / "tests" / "data" / "cacm"
    target = tmp_path_factory.mktemp("cacm")
    for path in source.iterdir():
        if path.suffix == ".gz":
            (target / path.stem).write_bytes(gzip.decompress(path.read_bytes()))
        else:
            shutil.copy(path, target / path.name)
    return target
