"""searchkit: local full-text search for saved web articles.

The pipeline, one module per stage:
``sources`` (find files) -> ``extract`` (decode) -> ``segment`` (split pages into articles, strip
boilerplate, lift metadata) -> ``dedup`` (cluster copies) -> ``indexing`` + ``store`` (Whoosh index,
published atomically) -> ``search`` (ranked, collapsed results) -> ``cli`` / ``web``.
"""

__version__ = "0.1.0"
