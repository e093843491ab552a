"""The index on disk: embedding, tokenizing, building, loading and its manifest."""
