"""The JSON API: the same shapes as the CLI's --json, the OpenAPI description, health and stats."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from searchkit.cli import app as cli_app
from searchkit.cli import search_app

OPEN_SESAME = "Open Sesame: Social Credit in China as Gate to Punitive Measures and Personal Perks"


@pytest.fixture()
def cli_env(web_store, monkeypatch):
    monkeypatch.setenv("SEARCHKIT_INDEX", str(web_store.path))


def test_search_returns_the_cli_json_shape(client, runner, cli_env):
    api = client.get("/api/search", params={"q": "social credit blacklist"})
    assert api.status_code == 200
    assert api.headers["content-type"] == "application/json"
    cli = runner.invoke(search_app, ["social credit blacklist", "--json"])
    assert cli.exit_code == 0
    assert api.json() == json.loads(cli.stdout)
    top = api.json()["hits"][0]
    assert top["title"] == OPEN_SESAME
    assert "<mark>blacklist</mark>" in top["snippet"]
    assert [d["source"] for d in top["duplicates"]] == ["corpus/003_2ea9e9789186997a.txt"]


def test_search_paging_limit_and_filters_match_the_cli(client, runner, cli_env):
    api = client.get(
        "/api/search",
        params={"q": "china", "limit": 3, "page": 2, "since": "2018", "until": "2019-06"},
    ).json()
    cli = runner.invoke(
        search_app,
        ["china", "--json", "--limit", "3", "--page", "2", "--since", "2018", "--until", "2019-06"],
    )
    assert api == json.loads(cli.stdout)
    assert [h["rank"] for h in api["hits"]] == [4, 5, 6]
    by_author = client.get(
        "/api/search", params=[("q", "china"), ("author", "Brydon Brancart")]
    ).json()
    assert [h["authors"] for h in by_author["hits"]] == [["Brydon Brancart"]]
    by_site = client.get(
        "/api/search", params={"q": "internet", "site": "The New York Times"}
    ).json()
    assert {h["site"] for h in by_site["hits"]} == {"The New York Times"}


def test_search_past_the_last_page_is_empty_not_an_error(client):
    data = client.get("/api/search", params={"q": "china", "page": 50}).json()
    assert data["total"] > 0 and data["hits"] == [] and data["page"] == 50


def test_article_matches_show_json(client, runner, cli_env):
    hit = client.get("/api/search", params={"q": "social credit blacklist"}).json()["hits"][0]
    api = client.get(f"/api/articles/{hit['id']}")
    assert api.status_code == 200
    cli = runner.invoke(cli_app, ["show", hit["id"], "--json"])
    assert api.json() == json.loads(cli.stdout)
    assert api.json()["title"] == OPEN_SESAME
    assert api.json()["text"].startswith("Chinese social credit system has become a hot topic")


def test_unknown_article_is_a_json_404(client):
    response = client.get("/api/articles/0123456789ab")
    assert response.status_code == 404
    assert response.json() == {"error": "no article with id '0123456789ab'", "status": 404}


def test_stats_match_stats_json(client, runner, cli_env):
    api = client.get("/api/stats").json()
    cli = json.loads(runner.invoke(cli_app, ["stats", "--json"]).stdout)
    assert api == cli
    assert api["articles"] == 24 and api["distinct_articles"] == 22 and api["sources"] == 8


def test_healthz(client, web_store):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "built_at": web_store.meta()["built_at"]}


def test_healthz_and_api_answer_503_without_an_index(tmp_path):
    from starlette.testclient import TestClient

    from searchkit.index.generations import IndexStore
    from searchkit.web.app import create_app

    app = create_app(IndexStore(tmp_path / "nothing-here"))
    with TestClient(app, base_url="http://localhost") as c:
        for url in ("/healthz", "/api/search?q=china", "/api/stats"):
            response = c.get(url)
            assert response.status_code == 503, url
            assert response.json()["error"].startswith("no index at ")
        page = c.get("/?q=china")
        assert page.status_code == 503
        assert "The index is not available" in page.text


# --- the OpenAPI description ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def openapi(client) -> dict:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.json()


def _validator(openapi: dict, name: str) -> Draft202012Validator:
    resource = Resource.from_contents(openapi, default_specification=DRAFT202012)
    registry = Registry().with_resource("urn:searchkit", resource)
    schema = {"$ref": f"urn:searchkit#/components/schemas/{name}"}
    return Draft202012Validator(schema, registry=registry)


def test_openapi_lists_every_endpoint(openapi):
    assert openapi["openapi"].startswith("3.1")
    assert set(openapi["paths"]) == {
        "/api/search",
        "/api/articles/{id}",
        "/api/articles/{id}/similar",
        "/api/stats",
        "/healthz",
    }
    names = {p["name"] for p in openapi["paths"]["/api/search"]["get"]["parameters"]}
    assert names == {
        "q",
        "page",
        "limit",
        "sort",
        "author",
        "site",
        "category",
        "year",
        "since",
        "until",
        "correct",
    }


@pytest.mark.parametrize(
    ("url", "schema"),
    [
        ("/api/search?q=social+credit+blacklist", "SearchResults"),
        ("/api/search?q=zanzibar", "SearchResults"),
        ("/api/search?q=xylophone", "SearchResults"),
        ("/api/search?q=sesme+credt&sort=newest", "SearchResults"),
        ("/api/stats", "Stats"),
        ("/healthz", "Health"),
        ("/api/articles/0123456789ab", "Error"),
        ("/api/search?q=%22open", "Error"),
    ],
)
def test_responses_follow_the_openapi_schemas(client, openapi, url, schema):
    data = client.get(url).json()
    errors = list(_validator(openapi, schema).iter_errors(data))
    assert errors == [], errors[0].message if errors else ""


def test_article_response_follows_its_schema(client, openapi, hostile_id):
    data = client.get(f"/api/articles/{hostile_id}").json()
    assert list(_validator(openapi, "Article").iter_errors(data)) == []
    similar = client.get(f"/api/articles/{hostile_id}/similar").json()
    assert list(_validator(openapi, "Similar").iter_errors(similar)) == []


# --- facets, filters, sort, spelling, more like this (the search-quality features) -----------------

FACET_PARAMS = {"site": "site", "author": "author", "year": "year", "category": "category"}


def test_search_returns_facets_with_counts(client):
    data = client.get("/api/search", params={"q": "china"}).json()
    assert set(data["facets"]) == {"site", "author", "year", "category"}
    sites = {f["value"]: f["count"] for f in data["facets"]["site"]}
    assert sites["Whatsonweibo"] >= 5
    counts = [f["count"] for f in data["facets"]["author"]]
    assert counts == sorted(counts, reverse=True)
    assert data["sort"] == "relevance" and data["corrected"] is None


@pytest.mark.parametrize("facet", ["site", "author", "year", "category"])
def test_filtering_by_a_facet_value_finds_as_many_as_it_counted(client, facet):
    data = client.get("/api/search", params={"q": "china"}).json()
    for value in data["facets"][facet][:3]:
        narrowed = client.get(
            "/api/search", params={"q": "china", FACET_PARAMS[facet]: value["value"], "limit": 100}
        ).json()
        assert narrowed["total"] == value["count"] == len(narrowed["hits"]), value
        if facet == "site":
            assert {h["site"] for h in narrowed["hits"]} == {value["value"]}
        if facet == "author":
            assert all(value["value"] in h["authors"] for h in narrowed["hits"])


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_date_sorts_order_by_date(client, sort):
    data = client.get("/api/search", params={"q": "china", "sort": sort, "limit": 100}).json()
    assert data["sort"] == sort
    dates = [h["date"] for h in data["hits"] if h["date"]]
    assert len(dates) >= 5
    assert dates == sorted(dates, reverse=sort == "newest")


def test_misspelled_query_is_corrected(client):
    data = client.get("/api/search", params={"q": "sesme credt"}).json()
    assert data["query"] == "sesme credt"
    assert data["corrected"] == "sesame credit"
    titles = [h["title"] for h in data["hits"]]
    assert "Insights into Sesame Credit & Top 5 Ways to Use a High Sesame Score" in titles
    assert OPEN_SESAME in titles
    typed = client.get("/api/search", params={"q": "sesme credt", "correct": "0"}).json()
    assert typed["corrected"] is None and typed["correct"] is False and typed["hits"] == []


def test_similar_articles(client):
    hit = client.get("/api/search", params={"q": "social credit blacklist"}).json()["hits"][0]
    response = client.get(f"/api/articles/{hit['id']}/similar")
    assert response.status_code == 200
    data = response.json()
    assert data["id"] == hit["id"]
    titles = [h["title"] for h in data["hits"]]
    assert titles[0] == "Insights into Sesame Credit & Top 5 Ways to Use a High Sesame Score"
    ids = {h["id"] for h in data["hits"]}
    assert hit["id"] not in ids and hit["duplicates"][0]["id"] not in ids  # not itself or a copy
    assert len(client.get(f"/api/articles/{hit['id']}/similar?limit=2").json()["hits"]) == 2


def test_similar_errors(client):
    assert client.get("/api/articles/0123456789ab/similar").status_code == 404
    bad = client.get("/api/articles/..%2F..%2Fetc/similar")
    assert bad.status_code in (400, 404)
    hit = client.get("/api/search", params={"q": "sesame"}).json()["hits"][0]
    for limit in ("0", "101", "<script>", "1.5"):
        response = client.get(f"/api/articles/{hit['id']}/similar", params={"limit": limit})
        assert response.status_code == 400
        assert response.json()["error"].startswith("limit must be a whole number")
