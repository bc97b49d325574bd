"""Datasets: what they hold, how they are built from raw records, and how they are published.

What they hold is :mod:`.selection`; how raw OpenAlex records become their tables,
:mod:`.normalise`; how they are built and published, :mod:`.builder`.

Sources of records (the API, snapshot files, the demo generator) live in :mod:`fetchers` and hand
raw records to :class:`~biblio.dataset.builder.DatasetBuilder`; nothing here imports them.
"""
