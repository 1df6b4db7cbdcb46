"""The command line: output users read, the JSON contract scripts rely on, and exit codes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from searchkit.cli import app, search_app

ROOT = Path(__file__).resolve().parent.parent
OPEN_SESAME = "Open Sesame: Social Credit in China as Gate to Punitive Measures and Personal Perks"
HIT_KEYS = {
    "id",
    "title",
    "authors",
    "date",
    "site",
    "category",
    "source",
    "score",
    "snippet",
    "duplicates",
}


@pytest.fixture()
def index_env(seed_store, monkeypatch):
    monkeypatch.setenv("SEARCHKIT_INDEX", str(seed_store.path))
    monkeypatch.delenv("NO_COLOR", raising=False)
    return seed_store


def test_search_prints_ranked_hits_with_byline_copies_and_id(runner, index_env):
    result = runner.invoke(search_app, ["social credit blacklist"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    lines = out.splitlines()
    assert lines[0] == "2 articles contain all the words; 16 more contain some of them."
    assert lines[1] == "18 results for 'social credit blacklist' (showing 1–10)"
    assert lines[3] == f" 1. {OPEN_SESAME}"
    assert lines[4] == "    Manya Koetse · Whatsonweibo · seeds/001_988f91d272dd2678.txt"
    assert "blacklist" in lines[5]
    assert "(+1 similar copy: seeds/003_2ea9e9789186997a.txt)" in lines[6]
    assert out.count(OPEN_SESAME) == 1
    assert "\x1b[" not in out  # not a terminal: no colour codes


def test_a_page_short_of_full_matches_is_filled_with_partial_ones_below_a_line(runner, index_env):
    lines = runner.invoke(search_app, ["social credit blacklist"]).stdout.splitlines()
    ranks = [line[:3] for line in lines if line[:2].strip().isdigit() and line[2] == "."]
    assert ranks == [f"{n:>2}." for n in range(1, 11)]  # a full page, not the 2 full matches
    third = next(i for i, line in enumerate(lines) if line.startswith(" 3. "))
    assert lines[third - 2] == "--- articles with some of the words ---"
    assert lines.count("--- articles with some of the words ---") == 1
    page2 = runner.invoke(search_app, ["social credit blacklist", "--page", "2"]).stdout
    assert "--- articles with some of the words ---" not in page2  # the line sits on page 1
    assert "11. " in page2


def test_words_need_no_quotes_and_scores_show_only_when_asked(runner, index_env):
    quoted = runner.invoke(search_app, ["social credit blacklist"]).stdout
    bare = runner.invoke(search_app, ["social", "credit", "blacklist"])
    assert bare.exit_code == 0 and bare.stdout == quoted
    assert " · score " not in quoted
    verbose = runner.invoke(search_app, ["social", "credit", "blacklist", "-v"]).stdout
    byline = verbose.splitlines()[4]
    assert byline.startswith("    Manya Koetse · Whatsonweibo · seeds/001_988f91d272dd2678.txt · score ")


def test_a_search_finding_nothing_names_the_filters_in_force(runner, index_env):
    out = runner.invoke(search_app, ["china", "--site", "nowhere.example", "--year", "2030"]).stdout
    assert out.splitlines() == [
        "No results for 'china' with --site nowhere.example --year 2030.",
        "Drop a filter to search every article.",
    ]


@pytest.mark.parametrize("command", [["--version"], ["search", "--version"]])
def test_version_is_printed(runner, command):
    from searchkit import __version__

    result = runner.invoke(app, command)
    assert result.exit_code == 0 and result.stdout == f"searchkit {__version__}\n"
    shortcut = runner.invoke(search_app, ["--version"])
    assert shortcut.stdout == f"searchkit {__version__}\n"


def test_hits_wrap_to_the_terminal_width_keeping_their_indent():
    from searchkit.models import Hit
    from searchkit.render import Style, hit_lines

    hit = Hit(
        rank=3,
        id="abc123abc123",
        title="A title long enough to wrap at a narrow terminal width for sure",
        authors=["Jane Doe"],
        date=None,
        site="Example",
        category=None,
        source="pages/a.html",
        score=1.0,
        snippet=[("word " * 30, False)],
    )
    lines = hit_lines(hit, Style(False), width=40)
    assert all(len(line) <= 40 for line in lines)
    assert lines[0].startswith(" 3. A title") and len(lines) > 3
    assert all(line.startswith("    ") for line in lines[1:])
    assert hit_lines(hit, Style(False))[0] == f" 3. {hit.title}"  # no width: one line


def test_color_always_highlights_matches(runner, index_env):
    result = runner.invoke(search_app, ["social credit blacklist", "--color", "always"])
    assert "\x1b[1;33mblacklist\x1b[0m" in result.stdout


def test_no_color_env_wins_over_auto(runner, index_env, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    result = runner.invoke(search_app, ["sesame"])
    assert "\x1b[" not in result.stdout


def test_searchkit_search_and_search_shortcut_agree(runner, index_env):
    a = runner.invoke(app, ["search", "wechat privacy", "--json"])
    b = runner.invoke(search_app, ["wechat privacy", "--json"])
    assert a.exit_code == b.exit_code == 0
    assert json.loads(a.stdout) == json.loads(b.stdout)


def test_search_json_contract(runner, index_env):
    result = runner.invoke(search_app, ["social credit blacklist", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["query"] == "social credit blacklist"
    assert data["total"] == 18 and data["all_words"] == 2
    top = data["hits"][0]
    assert set(top) >= HIT_KEYS
    assert top["title"] == OPEN_SESAME
    assert top["authors"] == ["Manya Koetse"]
    assert top["date"] is None
    assert top["site"] == "Whatsonweibo"
    assert top["category"] == "China Digital"
    assert top["source"] == "seeds/001_988f91d272dd2678.txt"
    assert isinstance(top["score"], float) and top["score"] > data["hits"][1]["score"]
    assert "<mark>blacklist</mark>" in top["snippet"]
    assert [{k: d[k] for k in ("id", "source")} for d in top["duplicates"]] == [
        {"id": top["duplicates"][0]["id"], "source": "seeds/003_2ea9e9789186997a.txt"}
    ]
    dated = json.loads(runner.invoke(search_app, ["tencent profit", "--json"]).stdout)["hits"][0]
    assert dated["date"] == "2018-11-14"


def test_search_options_limit_page_and_filters(runner, index_env):
    data = json.loads(
        runner.invoke(search_app, ["china", "--json", "--limit", "3", "--page", "2"]).stdout
    )
    assert [h["rank"] for h in data["hits"]] == [4, 5, 6]
    data = json.loads(
        runner.invoke(search_app, ["china", "--json", "--author", "Brydon Brancart"]).stdout
    )
    assert [h["authors"] for h in data["hits"]] == [["Brydon Brancart"]]
    data = json.loads(
        runner.invoke(
            search_app, ["china", "--json", "--since", "2019-01", "--until", "2019-01-31"]
        ).stdout
    )
    assert sorted(h["date"] for h in data["hits"]) == ["2019-01-03", "2019-01-07"]
    data = json.loads(
        runner.invoke(search_app, ["internet", "--json", "--site", "The New York Times"]).stdout
    )
    assert [h["site"] for h in data["hits"]] == ["The New York Times"]


def test_zero_hits_exit_0(runner, index_env):
    result = runner.invoke(search_app, ["xylophone"])
    assert result.exit_code == 0
    assert result.stdout.strip() == "No results for 'xylophone'."
    data = json.loads(runner.invoke(search_app, ["xylophone", "--json"]).stdout)
    assert data["total"] == 0 and data["hits"] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (['"social credit'], 'searchkit: error: unbalanced quote (") in query'),
        (["(a OR b"], "searchkit: error: unbalanced parentheses in query: '(' without ')'"),
        (["date:[garbage to junk]"], "searchkit: error: cannot parse query"),
    ],
)
def test_unparsable_query_exit_2_one_line(runner, index_env, args, message):
    result = runner.invoke(search_app, args)
    assert result.exit_code == 2
    assert result.stderr.startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""


def test_bad_options_exit_2(runner, index_env):
    assert runner.invoke(search_app, ["china", "--since", "last week"]).exit_code == 2
    assert runner.invoke(search_app, ["china", "--limit", "0"]).exit_code == 2
    assert runner.invoke(app, ["nonsense-command"]).exit_code == 2


def test_show_text_and_json(runner, index_env):
    hit = json.loads(runner.invoke(search_app, ["social credit blacklist", "--json"]).stdout)[
        "hits"
    ][0]
    text = runner.invoke(app, ["show", hit["id"]])
    assert text.exit_code == 0
    assert text.stdout.startswith(OPEN_SESAME + "\n")
    assert "Other copies of this story:" in text.stdout
    data = json.loads(runner.invoke(app, ["show", hit["id"], "--json"]).stdout)
    assert {
        "id",
        "title",
        "authors",
        "date",
        "site",
        "category",
        "source",
        "text",
        "duplicates",
    } <= set(data)
    assert data["text"].startswith("Chinese social credit system has become a hot topic")
    assert data["text"].endswith("[26.5.18].")
    assert [d["source"] for d in data["duplicates"]] == ["seeds/003_2ea9e9789186997a.txt"]


def test_show_unknown_id_exit_1(runner, index_env):
    result = runner.invoke(app, ["show", "0000000000"])
    assert result.exit_code == 1
    assert result.stderr.strip() == "searchkit: error: no article with id '0000000000'"


def test_dups_and_stats(runner, index_env):
    dups = runner.invoke(app, ["dups"])
    assert dups.exit_code == 0
    assert "1 story has copies:" in dups.stdout
    assert "copy:   " in dups.stdout and "seeds/003_2ea9e9789186997a.txt" in dups.stdout
    data = json.loads(runner.invoke(app, ["dups", "--json"]).stdout)
    assert data["clusters"][0]["canonical"]["title"] == OPEN_SESAME
    stats = json.loads(runner.invoke(app, ["stats", "--json"]).stdout)
    assert (stats["articles"], stats["duplicates"], stats["sources"]) == (21, 1, 5)
    assert (
        "articles:   21 (20 distinct, 1 duplicate copy in 1 cluster)"
        in runner.invoke(app, ["stats"]).stdout
    )


def test_missing_index_is_a_one_line_error(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no seeds/ here, so nothing to build automatically
    result = runner.invoke(app, ["stats", "--index", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert result.stderr.startswith("searchkit: error: no index at ")


def test_search_builds_the_default_index_on_first_use(runner, in_tmp_project):
    result = runner.invoke(search_app, ["social credit blacklist"])
    assert result.exit_code == 0
    assert "no index yet; indexing seeds/ into index/" in result.stderr
    assert OPEN_SESAME in result.stdout
    assert (in_tmp_project / "index" / "CURRENT").is_file()
    again = runner.invoke(search_app, ["social credit blacklist"])
    assert again.stderr == ""  # up to date: no rebuild


def test_search_rebuilds_when_seeds_change(runner, in_tmp_project):
    runner.invoke(app, ["index"])
    new = in_tmp_project / "seeds" / "005_new.txt"
    new.write_text(
        "Panda Diplomacy Returns\n\nTwo giant pandas arrived at the zoo on loan from China.\n"
    )
    future = os.path.getmtime(in_tmp_project / "index" / "CURRENT") + 5
    os.utime(new, (future, future))
    result = runner.invoke(search_app, ["giant pandas"])
    assert "seeds/ changed since the last build" in result.stderr
    assert "Panda Diplomacy Returns" in result.stdout


def test_index_command_reports_counts(runner, in_tmp_project):
    result = runner.invoke(app, ["index", "seeds"])
    assert result.exit_code == 0
    assert result.stdout.startswith(
        "Indexed 21 articles (20 distinct, 1 duplicate cluster) from 5 files in "
    )
    data = json.loads(runner.invoke(app, ["index", "seeds", "--json"]).stdout)
    assert (data["articles"], data["distinct_articles"], data["files"]) == (21, 20, 5)


def test_readme_first_command_end_to_end(tmp_path):
    """The README's main job, as a user runs it: a real process, in a fresh folder with seeds/."""
    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    exe = shutil.which("search")
    cmd = (
        [exe]
        if exe
        else [sys.executable, "-c", "from searchkit.cli import search_main; search_main()"]
    )
    env = {k: v for k, v in os.environ.items() if k not in ("SEARCHKIT_INDEX", "NO_COLOR")}
    env["PYTHONPATH"] = str(ROOT)  # the code under test, even when another copy is installed
    done = subprocess.run(
        [*cmd, "social credit blacklist"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[3] == f" 1. {OPEN_SESAME}"
    assert "Manya Koetse" in lines[4]
    assert "blacklist" in lines[5]
    assert "(+1 similar copy" in lines[6]
    assert done.stdout.count(OPEN_SESAME) == 1
    assert done.stderr.count("\n") == 2  # the one-time build notice: two lines, no traceback


def test_bad_query_in_a_real_process_prints_no_traceback(tmp_path, seed_store):
    env = {**os.environ, "SEARCHKIT_INDEX": str(seed_store.path), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "searchkit", "search", "(broken"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr == "searchkit: error: unbalanced parentheses in query: '(' without ')'\n"


QUERY_PATH_CHECK = """
import sys
from searchkit.cli import search_main
sys.argv = ["search", "social credit blacklist"]
try:
    search_main()
except SystemExit:
    pass
# numpy is not on the list since the query engine scores with it (issue 12): its import is
# 0.11 s of a cold search (docs/benchmarks.md, "The NumPy query engine").
heavy = ("bs4", "lxml", "trafilatura", "charset_normalizer", "starlette", "uvicorn", "jinja2",
         "jieba")
print("heavy:", *sorted(m for m in heavy if m in sys.modules), file=sys.stderr)
"""


def test_a_search_imports_nothing_heavy(tmp_path, seed_store):
    """Start-up time: the query path loads none of the extraction, dedup or web stacks (NumPy,
    which it scores with, is the one heavy import it makes)."""
    env = {**os.environ, "SEARCHKIT_INDEX": str(seed_store.path), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", QUERY_PATH_CHECK],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "Open Sesame" in done.stdout
    assert done.stderr.splitlines()[-1] == "heavy:"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search"], "Missing argument 'QUERY...'. (see `python -m searchkit search --help`)"),
        (["search", "x", "--limit", "0"], "Invalid value for '--limit' / '-n': 0 is not in"),
        (["index", "--max-size", "0"], "the size cap must be at least 1 byte"),
        (["bogus"], "No such command 'bogus'. (see `python -m searchkit --help`)"),
    ],
)
def test_usage_errors_are_one_line_with_exit_2(tmp_path, args, message):
    """The README's promise, checked on the real entry point (CliRunner bypasses it)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SEARCHKIT_INDEX": str(tmp_path / "ix")}
    done = subprocess.run(
        [sys.executable, "-m", "searchkit", *args],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("searchkit: error: ")
    assert message in done.stderr
    assert not (tmp_path / "ix").exists()


def test_titles_link_to_the_original_on_a_terminal_and_pages_cannot_forge_links():
    from searchkit.render import Style

    style = Style(True)
    assert style.finish(style.link("Title", "https://example.com/a")) == (
        "\x1b]8;;https://example.com/a\x1b\\Title\x1b]8;;\x1b\\"
    )
    assert style.finish(style.link("Title", "javascript:alert(1)")) == "Title"
    assert Style(False).finish(Style(False).link("Title", "https://example.com/")) == "Title"
    # a page writing the marker characters into its title gets no link: it cannot know the token
    forged = "\ufdd4" + "0" * 16 + "https://evil.example\ufdd5" + "0" * 16 + "click\ufdd6"
    assert "\x1b]8" not in style.finish(style.bold(forged))
