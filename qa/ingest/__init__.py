"""Reading documents: decoding, cleaning, the corpus, chunking and text normalisation."""
