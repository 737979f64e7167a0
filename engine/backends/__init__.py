"""The concurrency backends: one module per way of running tasks, behind one registry.

Lives here: ``base`` (the ``Backend`` contract and ``Availability``), ``registry`` (every
backend by name), one module per backend (``sequential``, ``threads``, ``thread_pool``,
``processes``, ``process_pool``, ``mp_pool``, ``asyncio_loop``, ``interpreters``,
``joblib_loky``, ``dask_cluster``), ``start_methods`` (spawn and forkserver, never fork under
Qt), and the plumbing the process backends share: ``_socket_events`` (one connection per
worker, so a killed worker can never wedge the engine), ``_child`` (bounded joins and
shutdowns), ``dask_connect``, ``dask_remote`` and ``scheduler_address`` for clusters.

Backends may import the engine's core (``engine.records``, ``engine.workload``,
``engine.worker``, ``engine.tasks``); never the run thread, ``engine.figures``,
``engine.files``, the CLI or Qt. Kept free of imports: workers import this package.
"""
