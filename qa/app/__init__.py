"""What people run: the service, the command line, the page and the evaluation."""
