"""`python -m roost.inbox.classify.evaluate [path] [--mistakes] [--speed]`: print the
accuracy table for the labelled evaluation set (see `evaluation.py`)."""

from roost.inbox.classify.evaluation import main

if __name__ == "__main__":
    raise SystemExit(main())
