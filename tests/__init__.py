"""The test suite (a package, so `tests.conftest` is ours whatever else is installed)."""
