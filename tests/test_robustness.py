"""Bad files: each one is read or becomes a counted skip with its reason; the run goes on."""

from __future__ import annotations

import os
import shutil

import pytest

from searchkit.index.build import build_index
from searchkit.index.generations import IndexStore
from searchkit.ingest.decode import decode
from searchkit.query.searcher import Searcher
from tests.conftest import SEEDS

STORY = (
    "Beijing’s regulators ordered app stores to remove forty apps on Tuesday, saying they had "
    "collected personal data without consent. The companies have two weeks to respond, and "
    "several said they would cooperate with the investigation. – “We take privacy seriously,” "
    "one of them said in a statement. Café owners reported that payments still worked."
)
CHINESE = (
    "微信支付在香港的商店和出租车中越来越普及，内地游客希望在任何地方都能用手机付款。"
    "当地商家也开始跟随他们带来的资金，接受这种支付方式。监管机构表示将密切关注个人隐私的保护。"
)


def index_one(tmp_path, name: str, data: bytes):
    folder = tmp_path / "docs"
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(data)
    store = IndexStore(tmp_path / "index")
    return store, build_index([folder], store)


def only_text(store) -> str:
    """The cleaned text of the one article in the index, as `searchkit show` prints it."""
    with Searcher(store) as searcher:
        (article_id,) = _ids(searcher)
        return searcher.article(article_id).text


def _ids(searcher) -> list[str]:
    from whoosh import query

    return [fields["id"] for fields in searcher.documents(query.Term("kind", "article"))]


@pytest.mark.parametrize(
    ("encoding", "text"),
    [("cp1252", STORY), ("gbk", CHINESE), ("gb18030", CHINESE)],
)
def test_legacy_encodings_are_detected_and_decoded(tmp_path, encoding, text):
    data = text.encode(encoding)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    decoded, _ = decode(data)
    assert decoded == text
    store, report = index_one(tmp_path, "legacy.txt", data)
    assert (report.files, report.articles, report.skipped) == (1, 1, [])
    assert only_text(store) == text


def test_declared_charset_of_an_html_page_is_used(tmp_path):
    html = (
        '<html><head><meta charset="windows-1252"><title>Apps removed</title></head>'
        f"<body><h1>Apps removed</h1><p>{STORY}</p></body></html>"
    )
    store, report = index_one(tmp_path, "page.html", html.encode("cp1252"))
    assert report.articles == 1
    assert "“We take privacy seriously,”" in only_text(store)


def test_invalid_utf8_bytes_are_replaced_not_fatal(tmp_path):
    data = STORY.encode("utf-8").replace(b"Tuesday", b"Tues\xffday")
    decoded, name = decode(data)
    assert name == "utf-8 (damaged bytes replaced)"
    assert "Tues\ufffdday" in decoded and "Beijing’s regulators" in decoded
    _, report = index_one(tmp_path, "damaged.txt", data)
    assert report.articles == 1 and report.skipped == []


def test_nul_bytes_inside_text_are_dropped(tmp_path):
    data = STORY.encode("utf-8").replace(b"apps", b"ap\x00ps", 1)
    store, report = index_one(tmp_path, "nul.txt", data)
    assert report.articles == 1
    body = only_text(store)
    assert "\x00" not in body and "forty apps" in body


def test_utf16_with_byte_order_mark_is_read(tmp_path):
    store, report = index_one(tmp_path, "wide.txt", STORY.encode("utf-16"))
    assert report.articles == 1
    assert only_text(store) == STORY


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.html", b"", "empty file"),
        ("spaces.md", b" \n\t\n", "empty file"),
        ("random.txt", bytes(range(256)) * 64, "binary file (not text)"),
        ("scan.txt", b"%PDF-1.7\n" + bytes(range(32, 127)) * 50, "binary file (not text)"),
        ("zipped.jsonl", b"PK\x03\x04" + b"a" * 100, "binary file (not text)"),
        (
            "nav.html",
            b"<html><body><nav><a href='/'>Home</a></nav></body></html>",
            "no article text found",
        ),
        ("broken.jsonl", b"{not json\n[1, 2]\n", "no article text found"),
    ],
)
def test_unreadable_content_is_a_counted_skip(corpus_dir, tmp_path, name, data, reason):
    (corpus_dir / name).write_bytes(data)
    store = IndexStore(tmp_path / "index")
    report = build_index([corpus_dir], store)
    assert [(s.relpath, s.reason) for s in report.skipped] == [(f"corpus/{name}", reason)]
    assert (report.files, report.articles) == (5, 21)


def test_truncated_html_keeps_what_arrived(tmp_path):
    html = (
        "<html><head><title>Half a page | Site</title></head><body><article><h1>Half a page</h1>"
        f"<p>{STORY}</p><p>The second paragraph was cut off in the mid"
    )
    store, report = index_one(tmp_path, "cut.html", html.encode())
    assert report.articles == 1
    body = only_text(store)
    assert body.startswith("Beijing’s regulators") and "cut off in the mid" in body


def test_html_nested_ten_thousand_deep_is_read(corpus_dir, tmp_path):
    deep = "<div>" * 10_000 + f"<p>{STORY}</p>" + "</div>" * 10_000
    (corpus_dir / "deep.html").write_text(f"<html><body>{deep}</body></html>")
    spans = "<span>" * 10_000 + "x" + "</span>" * 10_000
    (corpus_dir / "deep2.html").write_text(f"<html><body><p>{STORY}</p>{spans}</body></html>")
    store = IndexStore(tmp_path / "index")
    report = build_index([corpus_dir], store)
    assert report.skipped == []
    assert (report.files, report.articles) == (7, 23)
    with Searcher(store) as searcher:
        (hit,) = searcher.search('"forty apps"').hits  # the same story in both: one cluster
        assert sorted([hit.source, *(d.source for d in hit.duplicates)]) == [
            "corpus/deep.html",
            "corpus/deep2.html",
        ]


def test_a_file_over_the_size_cap_is_skipped_without_being_read(corpus_dir, tmp_path):
    big = corpus_dir / "huge.txt"
    with open(big, "wb") as fh:  # 100 MB, sparse: costs no disk
        fh.truncate(100 * 1024 * 1024)
    store = IndexStore(tmp_path / "index")
    report = build_index([corpus_dir], store)
    assert [(s.relpath, s.reason) for s in report.skipped] == [
        ("corpus/huge.txt", "larger than the size cap (100.0 MB > 50.0 MB)")
    ]
    assert report.articles == 21


def test_an_unreadable_file_is_a_counted_skip(corpus_dir, tmp_path, monkeypatch):
    victim = corpus_dir / "001_988f91d272dd2678.txt"
    real_open = os.open

    def guarded_open(path, *args, **kwargs):
        # chmod 000 does not stop root, so the permission error is raised where os.open() would.
        if os.fspath(path) == str(victim):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", guarded_open)
    victim.chmod(0)
    try:
        store = IndexStore(tmp_path / "index")
        report = build_index([corpus_dir], store)
    finally:
        victim.chmod(0o644)
    assert [(s.relpath, s.reason) for s in report.skipped] == [
        ("corpus/001_988f91d272dd2678.txt", "cannot read: Permission denied")
    ]
    assert report.files == 4


def test_a_file_deleted_mid_run_is_a_counted_skip(corpus_dir, tmp_path, monkeypatch):
    import searchkit.ingest.discover as sources

    victim = corpus_dir / "002_5c42664f1906b5a1.txt"
    real_discover = sources.discover

    def discover_then_delete(*args, **kwargs):
        for found in real_discover(*args, **kwargs):
            yield found
            if found.relpath.endswith("000_8c6565e280eec17d.txt"):
                victim.unlink()  # gone after it was listed, before it is read

    monkeypatch.setattr("searchkit.index.build.discover", discover_then_delete)
    store = IndexStore(tmp_path / "index")
    report = build_index([corpus_dir], store)
    assert [(s.relpath, s.reason) for s in report.skipped] == [
        ("corpus/002_5c42664f1906b5a1.txt", "cannot read: No such file or directory")
    ]
    assert report.files == 4


def test_symlinks_never_lead_out_of_the_root(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(STORY)
    root = tmp_path / "root"
    shutil.copytree(SEEDS, root)
    (root / "link.txt").symlink_to(outside / "secret.txt")
    (root / "linkdir").symlink_to(outside, target_is_directory=True)
    (root / "inner.txt").symlink_to(root / "000_8c6565e280eec17d.txt")
    (root / "loop").symlink_to(root, target_is_directory=True)
    store = IndexStore(tmp_path / "index")
    report = build_index([root], store)
    assert sorted((s.relpath, s.reason) for s in report.skipped) == [
        ("root/link.txt", "symlink pointing outside the indexed folder"),
        ("root/linkdir", "symlink pointing outside the indexed folder"),
    ]
    assert (report.files, report.articles) == (5, 21)
