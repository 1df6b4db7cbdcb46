"""Ingest: files on disk -> decoded pages -> articles (discover, decode, read in parallel, split)."""
