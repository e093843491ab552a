"""Reading and cleaning documents."""
