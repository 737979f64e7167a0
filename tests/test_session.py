"""Session files: save → load gives back the same run; bad files are refused in one line."""

from __future__ import annotations

import json

import pytest

from engine.files import session
from engine.run.runner import RunConfig, execute
from engine.workload import build_workload


@pytest.fixture(scope="module")
def results():
    wl = build_workload(["fail", "sleep"], 2, {"n": "1000", "seconds": "0.05"})
    return [execute(RunConfig(wl, b, workers=2)) for b in ("sequential", "thread-pool")]


def test_round_trip_gives_identical_records_and_samples(tmp_path, results):
    path = str(tmp_path / "s.json")
    session.save(path, results, "compare")
    loaded = session.load(path)
    assert loaded.kind == "compare" and loaded.machine == results[0].machine
    for orig, back in zip(results, loaded.runs):
        assert back.backend == orig.backend and back.workers == orig.workers
        assert back.wall_s == pytest.approx(orig.wall_s, abs=1e-12)
        for a, b in zip(orig.records, back.records):
            assert (b.id, b.name, b.status, b.worker, b.cpu_s, b.result, b.error) == \
                   (a.id, a.name, a.status, a.worker, a.cpu_s, a.result, a.error)
            assert b.started == orig.rel(a.started) and b.finished == orig.rel(a.finished)
        assert [s.per_core for s in back.samples] == [s.per_core for s in orig.samples]
        assert [s.t for s in back.samples] == [orig.rel(s.t) for s in orig.samples]
        assert back.stats.ok == orig.stats.ok and back.stats.failed == orig.stats.failed
        assert back.stats.busy_s == pytest.approx(orig.stats.busy_s)


def test_saving_never_overwrites_silently(tmp_path, results):
    path = tmp_path / "s.json"
    path.write_text("precious")
    with pytest.raises(FileExistsError):
        session.save(str(path), results)
    assert path.read_text() == "precious"


def _valid(results) -> dict:
    from engine.files.export import document

    return json.loads(json.dumps(document(results, results[0].machine)))


def _mutations(results):
    def drop(keys):
        def f(d):
            target = d
            for k in keys[:-1]:
                target = target[k]
            del target[keys[-1]]
            return d
        return f

    def put(keys, value):
        def f(d):
            target = d
            for k in keys[:-1]:
                target = target[k]
            target[keys[-1]] = value
            return d
        return f

    return [
        ("newer schema", put(["schema"], 99), "newer CoreScope"),
        ("no machine", drop(["machine"]), "missing 'machine'"),
        ("no runs", put(["runs"], []), "holds no runs"),
        ("runs not a list", put(["runs"], {}), "'runs' should be list"),
        ("task without start", drop(["runs", 0, "tasks", 0, "start_s"]), None),
        ("task without id", drop(["runs", 0, "tasks", 0, "id"]), "task 1: missing 'id'"),
        ("bad status", put(["runs", 0, "tasks", 0, "status"], "exploded"), "unknown status"),
        ("string time", put(["runs", 0, "tasks", 0, "cpu_s"], "fast"), "'cpu_s' should be"),
        ("backwards task", put(["runs", 0, "tasks", 0, "end_s"], -1.0), "ends before"),
        ("bad per_core", put(["runs", 0, "cpu", "samples", 0, "per_core"], ["x"]),
         "per_core must hold percentages"),
        ("unknown kind", put(["kind"], "movie"), "unknown session kind"),
        ("run not an object", put(["runs", 0], 5), "run 1: expected an object"),
    ]


def test_each_damaged_field_is_named(results):
    for label, mutate, expected in _mutations(results):
        data = mutate(_valid(results))
        if expected is None:  # an optional field: still loads
            session.parse(json.dumps(data))
            continue
        with pytest.raises(session.SessionError) as err:
            session.parse(json.dumps(data), "f.json")
        assert expected in str(err.value), label
        assert "\n" not in str(err.value)


@pytest.mark.parametrize("content,expected", [
    ("", "is empty"),
    ('{"app": "corescope", "schema": 1, "runs": [', "truncated"),
    ("[1, 2, 3]", "not a CoreScope session"),
    ('{"name": "some other tool"}', "not a CoreScope session"),
    ("\x00\x01binary", "not valid JSON"),
])
def test_corrupt_truncated_and_foreign_files(tmp_path, content, expected):
    path = tmp_path / "f.json"
    path.write_text(content)
    with pytest.raises(session.SessionError) as err:
        session.load(str(path))
    assert expected in str(err.value)


def test_a_binary_file_is_refused(tmp_path):
    path = tmp_path / "f.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(session.SessionError, match="not a text file"):
        session.load(str(path))
