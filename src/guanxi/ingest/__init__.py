"""Ingest: imports of customers, orders and interactions from CSV and XLSX exports.

One import is a pipeline (:mod:`guanxi.ingest.pipeline` runs it), one module
per stage: ``readers`` (read) → ``mapping`` and ``presets`` (map) → ``parsing``,
``rows``, ``batches`` and ``parallel`` (parse) → ``matching`` (match) →
``importers/`` (write, through the customers and commerce apps' bulk writers) →
``report``. The web wizard's steps are in ``jobs`` and ``runs`` (the task);
``services`` is the app's face.
"""
