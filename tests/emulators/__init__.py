"""Tests of the in-process API emulators (a package, so its conftest does not shadow tests/conftest.py)."""
