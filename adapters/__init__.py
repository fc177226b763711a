"""Adapters: one package per remote CRM, each a pluggy plugin registered through the `rolo` entry points."""
