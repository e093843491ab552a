"""Composing the answer from the passages found: sentences, lists, glosses."""
