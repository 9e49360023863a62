"""The risk dashboard: weak spots in who holds access and how accounts are kept, each
with the page where it is fixed."""
