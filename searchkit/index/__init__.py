"""Index: articles -> a published Whoosh generation (schema, segment writer, generations, manifest)."""
