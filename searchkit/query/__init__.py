"""Query: a query string -> ranked, de-duplicated results (parse, match, rank, facets, snippets)."""
