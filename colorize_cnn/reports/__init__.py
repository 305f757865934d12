"""The reports that the experiment scripts call: one module per report, each importing the
library and ``tables`` (the writers and the one dict of column titles), never another report.
Nothing in the library imports this wing."""
