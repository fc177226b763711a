"""Plugins that extend the book through rolo's hooks without a remote (watcher, exporters, normalisers)."""
