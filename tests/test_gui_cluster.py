"""A Dask cluster reached by address, from the window: live host CPU, the Compare page on the
same cluster, and a saved run that replays its hosts."""

from __future__ import annotations

import socket

import psutil
import pytest
from conftest_gui import choose_workload, make_window

pytestmark = pytest.mark.gui
pytest.importorskip("distributed")

RUN_TIMEOUT_MS = 120_000


def test_a_cluster_by_address_shows_its_hosts_and_compares_on_it(qtbot, tmp_path, dask_cluster):
    from PySide6.QtCore import Qt

    window = make_window(qtbot, tmp_path)
    window.show()
    # Long enough (about 1.5 s) for several host-CPU rounds even on a loaded machine.
    choose_workload(window, "primes", {"n": "400000"}, 6, 2, backend="dask")
    window.workload.scheduler_edit.setText(dask_cluster)
    window.workload.scheduler_edit.editingFinished.emit()
    assert window.workload.problem is None
    host = window.plots.host_cpu
    assert not host.isVisible()  # nothing to show before a cluster run

    with qtbot.waitSignal(window.run_done, timeout=RUN_TIMEOUT_MS) as done:
        qtbot.mouseClick(window.run_box.run_button, Qt.MouseButton.LeftButton)
    result = done.args[0]
    assert result.ok and result.scheduler == dask_cluster and result.host_samples
    # This machine is the cluster's one host here: a band of its cores, its two workers.
    assert host.isVisible()
    cores = psutil.cpu_count(logical=True)
    assert host.rows == cores
    assert f"{socket.gethostname()} (this machine): {cores} core" in host.legend_text()
    workers = {(r.worker.host, r.worker.pid) for r in result.records}
    # Each cluster worker's curve holds CPU readings taken on its host, not just its name.
    assert all(len(window.worker_cpu.series[w]) >= 2 for w in workers)
    # Busy, not idle (a generous bound: a shared CI machine may give the workers little).
    assert max(window.worker_cpu.sum_series.v.data) > 10
    summary = window.summary.plain_text()
    assert "of the cluster's hosts ≈" in summary and f"of {cores} cores busy" in summary
    assert "connected to a running cluster" in summary

    # The Compare page runs its dask step on the same cluster, and says so.
    view = window.compare_view
    dask_item = next(view.backends.item(i) for i in range(view.backends.count())
                     if view.backends.item(i).text().startswith("dask"))
    assert dask_item.text() == f"dask @ {dask_cluster}"
    view.backends.set_checked(["sequential", "dask"])
    with qtbot.waitSignal(window.sequence_done, timeout=RUN_TIMEOUT_MS) as compared:
        qtbot.mouseClick(view.compare_button, Qt.MouseButton.LeftButton)
    seq, on_cluster = compared.args[0]
    assert seq.scheduler is None and on_cluster.scheduler == dask_cluster
    assert on_cluster.host_samples and on_cluster.ok
    # Its CPU strip shows the cluster host's cores, where its work ran.
    from gui.plots.style import short_host

    strip = view.rows[1].strip
    assert strip.samples == on_cluster.host_samples
    assert strip.axis.labels == [f"{short_host(socket.gethostname())} {i}" for i in range(cores)]
    assert view.rows[0].strip.axis.labels == [f"core {i}" for i in range(cores)]

    # A local run hides the hosts again.
    window.workload.select_backend("thread-pool")
    with qtbot.waitSignal(window.run_done, timeout=RUN_TIMEOUT_MS):
        window.start_run()
    assert not host.isVisible()

    # A saved cluster run reopens with its hosts, without a cluster.
    path = str(tmp_path / "cluster.json")
    from engine.files import session

    session.save(path, [result])
    window.files.open_path(path)
    assert host.isVisible() and host.rows == cores
    assert all(len(window.worker_cpu.series[w]) >= 2 for w in workers)
    # (No process is left behind either: the cluster is the fixture's, and the suite's
    # leftover check runs after the fixture has ended it.)
