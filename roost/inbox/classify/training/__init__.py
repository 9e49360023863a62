"""Training and measuring the classifier's model on public data (see SOURCES.md).

Needs the `train` extra (scikit-learn, vaderSentiment); nothing here runs at serve time.
"""
