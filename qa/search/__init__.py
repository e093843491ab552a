"""Finding passages: keyword, dense and fused ranking, and highlighting."""
