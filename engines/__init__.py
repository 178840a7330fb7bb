"""Execution engines for `sourcetag predict` beyond the local one (Ray)."""
