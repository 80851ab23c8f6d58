"""``salad report``: loading eval results, the Markdown/HTML report, fits and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from salad.analysis.regression import accuracy_analysis
from salad.cli.main import main
from salad.core.errors import SaladError
from salad.reporting import load_results, markdown_summary, write_report

from .conftest import REPO
from .helpers.eval_results import scaling_history, training_block, write_eval_results

VOICES = ("piper:joe", "festival:ked_diphone")


def _scores(speech_drop=0.0, text_drop=0.0) -> dict:
    return {
        "openbookqa": {
            "teacher_text": (0.283, 0.217), "student_text": (0.27 - text_drop, 0.21),
            "student_speech@piper:joe": (0.25 - speech_drop, 0.2),
            "student_speech@festival:ked_diphone": (0.24, 0.19),
            "cascade@piper:joe": (0.26, 0.2)},
        "piqa": {
            "teacher_text": (0.6, 0.58), "student_text": (0.59 - text_drop, 0.57),
            "student_speech@piper:joe": (0.55 - speech_drop, 0.54)},
    }


def _run(tmp_path, name, speech_drop=0.0, text_drop=0.0, E=0.2, forgetting=0.01, n_hist=6):
    history = scaling_history(np.geomspace(1e3, 1e6, n_hist), E=E, B=30.0, beta=0.5,
                              forgetting=forgetting)
    write_eval_results(tmp_path / name, name, _scores(speech_drop, text_drop), voices=VOICES,
                       training=training_block(history),
                       skipped={("openbookqa", "student_speech@piper:joe"): 2})
    return tmp_path / name


def _three_runs(tmp_path):
    return [_run(tmp_path, "a", 0.0, 0.0, E=0.2, forgetting=0.01),
            _run(tmp_path, "b", 0.03, 0.02, E=0.25, forgetting=0.03),
            _run(tmp_path, "c", 0.05, 0.01, E=0.3, forgetting=0.02)]


def _md_row(md: str, first_cells: str) -> str:
    rows = [line for line in md.splitlines() if line.startswith(f"| {first_cells} |")]
    assert rows, f"no row starting with {first_cells!r}"
    return rows[0]


# --- loading ---------------------------------------------------------------------------------

def test_load_accepts_run_dir_eval_dir_and_file(tmp_path):
    run = _run(tmp_path, "mini-alpha1")
    for source in (run, run / "eval", run / "eval" / "results.json"):
        results = load_results(source)
        assert results.label == "mini-alpha1"
        assert results.main_voice == "piper:joe"
        assert results.score("openbookqa", "teacher_text") == pytest.approx(0.283)
        assert results.score("openbookqa", "teacher_text", "acc") == pytest.approx(0.217)
        assert np.isnan(results.score("piqa", "cascade@piper:joe"))


def test_load_finds_the_only_checkpoint_eval_or_asks(tmp_path):
    write_eval_results(tmp_path / "tmp", "run@initial", _scores())
    (tmp_path / "run").mkdir()
    (tmp_path / "tmp" / "eval").rename(tmp_path / "run" / "eval-initial")
    assert load_results(tmp_path / "run").label == "run@initial"
    write_eval_results(tmp_path / "tmp", "run@step100", _scores())
    (tmp_path / "tmp" / "eval").rename(tmp_path / "run" / "eval-step100")
    with pytest.raises(SaladError, match=r"several evaluations.*eval-initial, .*eval-step100"):
        load_results(tmp_path / "run")


def test_load_missing_path_names_it(tmp_path):
    with pytest.raises(SaladError, match="nowhere"):
        load_results(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SaladError, match=r"empty.*no eval results"):
        load_results(tmp_path / "empty")


def test_load_wrong_schema_and_missing_field_name_path_and_field(tmp_path):
    path = write_eval_results(tmp_path / "r", "r", _scores())
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "schema": "salad.eval.v0"}))
    with pytest.raises(SaladError, match=r"results\.json: schema is 'salad\.eval\.v0'"):
        load_results(path)
    del data["benchmarks"][1]["modes"]["student_text"]["acc"]
    path.write_text(json.dumps(data))
    with pytest.raises(SaladError) as err:
        load_results(tmp_path / "r")
    assert str(path) in str(err.value)
    assert "benchmarks[1] (piqa).modes['student_text']: missing field 'acc'" in str(err.value)
    path.write_text("{not json")
    with pytest.raises(SaladError, match=r"results\.json:1: not valid JSON"):
        load_results(path)


# --- Markdown and HTML -----------------------------------------------------------------------

def test_markdown_tables_have_the_numbers(tmp_path):
    written = write_report([_run(tmp_path, "a"), _run(tmp_path, "b", speech_drop=0.03)],
                           tmp_path / "out")
    md = written["markdown"].read_text()
    # per-run table: acc_norm / acc per mode, cascade WER, gaps with CI (fixture CI is +-0.04)
    assert _md_row(md, "openbookqa | 100") == (
        "| openbookqa | 100 | .283 / .217 | .270 / .210 | .250 / .200 | .240 / .190 "
        "| .260 / .200 | .061 | +.013 [-.027, +.053] | +.033 [-.007, +.073] "
        "| +.043 [+.003, +.083] | +.023 [-.017, +.063] |")
    assert _md_row(md, "mean | 200") == (
        "| mean | 200 | .442 / .398 | .430 / .390 | .400 / .370 | .240 / .190 | .260 / .200 "
        "| .061 | +.011 | +.041 | +.043 | +.023 |")
    # side by side: teacher, student text, speech x2, cascade, gap for each run
    header = _md_row(md, "benchmark | a: teacher text")
    assert header.count("|") == 14 and "b: gap" in header
    assert _md_row(md, "piqa | .600") == (
        "| piqa | .600 | .590 | .550 | n/a | n/a | +.050 [+.010, +.090] "
        "| .600 | .590 | .520 | n/a | n/a | +.080 [+.040, +.120] |")
    assert _md_row(md, "mean | .442") == (
        "| mean | .442 | .430 | .400 | .240 | .260 | +.041 "
        "| .442 | .430 | .370 | .240 | .260 | +.071 |")
    assert "openbookqa student_speech@piper:joe: 2 of 100 items skipped" in md
    assert _md_row(md, "a | 0.2300 | 0.0100 | 1,000,000 | 7").endswith("final |")
    summary = json.loads(written["summary"].read_text())
    cells = summary["comparison"]["rows"][0]["runs"]["b"]
    assert cells["speech_main"] == pytest.approx(0.22)
    assert cells["gap_ci95"] == pytest.approx([0.023, 0.103])
    assert summary["analysis"] is None


def test_html_is_self_contained_and_escaped(tmp_path):
    run = _run(tmp_path, "r")
    data = json.loads((run / "eval" / "results.json").read_text())
    (run / "eval" / "results.json").write_text(json.dumps({**data, "label": "<b>x&y</b>"}))
    written = write_report([run], tmp_path / "out")
    page = written["html"].read_text()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "&lt;b&gt;x&amp;y&lt;/b&gt;" in page and "<b>x&y</b>" not in page
    assert page.count("<table>") == page.count("</table>") >= 4
    assert "<td>.283 / .217</td>" in page
    assert page.count('src="data:image/png;base64,') == len(written["plots"]) >= 4
    assert "plots/" not in page  # no links to files outside the page
    for png in written["plots"]:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_same_label_or_file_stem_keeps_runs_apart(tmp_path):
    for name, label in (("r1", "x y"), ("r2", "x<y"), ("r3", "x y")):
        write_eval_results(tmp_path / name, label, _scores())
    written = write_report([tmp_path / "r1", tmp_path / "r2", tmp_path / "r3"], tmp_path / "o")
    names = sorted(p.name for p in written["plots"] if p.name.startswith("accuracy_"))
    assert names == ["accuracy_x_y-2.png", "accuracy_x_y.png", "accuracy_x_y_2.png"]
    assert "| benchmark | x y: teacher text |" in written["markdown"].read_text()
    assert "x y#2: gap" in written["markdown"].read_text()


def test_missing_modes_and_untrained_run_read_as_na(tmp_path):
    write_eval_results(tmp_path / "base", "base",
                       {"openbookqa": {"teacher_text": (0.283, 0.217)}}, voices=[])
    written = write_report([tmp_path / "base", _run(tmp_path, "a")], tmp_path / "out")
    md = written["markdown"].read_text()
    assert "| base | n/a | n/a | n/a | 0 | no Stage I history |" in md
    assert "base: no Stage I history in the results" in md
    assert _md_row(md, "openbookqa | .283").startswith(
        "| openbookqa | .283 | n/a | n/a | n/a | n/a | n/a | .283 | .270 | .250 |")
    assert "| openbookqa | 100 | .283 / .217 |" in md.splitlines()  # base: teacher text only
    json.loads(written["summary"].read_text(), parse_constant=lambda c: pytest.fail(c))


def test_results_dicts_as_salad_eval_returns_them(tmp_path):
    path = write_eval_results(tmp_path / "r", "r", {"piqa": {
        "teacher_text": (0.6, 0.58), "student_text": (0.59, 0.57)}}, voices=[])
    data = json.loads(path.read_text())
    data["benchmarks"][0]["gaps"]["student_text"] = {
        "value": float("nan"), "ci95": [float("nan"), float("nan")], "n": 0}
    assert markdown_summary(data)[-1] == "| piqa | 100 | .600 / .580 | .590 / .570 | n/a |"
    written = write_report([data], tmp_path / "out")
    assert "| piqa | 100 | .600 / .580 |" in written["markdown"].read_text()
    assert not (tmp_path / "out" / "plots" / "gaps.png").exists()  # no speech gap to plot
    del data["metric"]
    with pytest.raises(SaladError, match="<results of r>: missing field 'metric'"):
        write_report([data], tmp_path / "out2")


# --- scaling fit and cross-run analysis --------------------------------------------------------

def test_scaling_section_recovers_known_law(tmp_path):
    written = write_report([_run(tmp_path, "a", E=0.2), _run(tmp_path, "short", n_hist=3)],
                           tmp_path / "out")
    summary = json.loads(written["summary"].read_text())
    fit = summary["runs"][0]["scaling"]
    assert fit["status"] == "fitted"
    assert fit["fit"]["E"] == pytest.approx(0.2, rel=1e-2)
    assert fit["fit"]["beta"] == pytest.approx(0.5, rel=1e-2)
    md = written["markdown"].read_text()
    assert _md_row(md, "a | 0.2000").endswith("| 6 |")
    assert ("short: not enough points for a fit: 3 history point(s) with tokens > 0, "
            "need at least 4.") in md
    assert (tmp_path / "out" / "plots" / "scaling_a.png").is_file()
    assert not (tmp_path / "out" / "plots" / "scaling_short.png").exists()


def test_scaling_fit_failure_is_reported_not_raised(tmp_path, monkeypatch):
    from salad.reporting import fits

    def broken(tokens, misalignment):
        raise RuntimeError("Optimal parameters not found")

    monkeypatch.setattr(fits, "fit_scaling_law", broken)
    md = write_report([_run(tmp_path, "a")], tmp_path / "out")["markdown"].read_text()
    assert "a: the fit failed: Optimal parameters not found." in md


def test_cross_run_analysis_for_three_runs_matches_direct_call(tmp_path):
    written = write_report(_three_runs(tmp_path), tmp_path / "out")
    md = written["markdown"].read_text()
    assert "## Across runs: what explains accuracy" in md
    assert "rest on 3 runs only" in md
    runs = [load_results(p) for p in (tmp_path / "a", tmp_path / "b", tmp_path / "c")]
    speech = [np.mean([r.score(b, "student_speech@piper:joe") for b in ("openbookqa", "piqa")])
              for r in runs]
    text = [np.mean([r.score(b, "student_text") for b in ("openbookqa", "piqa")]) for r in runs]
    direct = accuracy_analysis(speech, text, [r.training_end("misalignment") for r in runs],
                               [r.training_end("forgetting") for r in runs])
    stats = json.loads(written["summary"].read_text())["analysis"]["stats"]
    assert stats["speech_acc~log_M: R2"] == pytest.approx(direct["speech_acc~log_M: R2"])
    assert stats["text_acc~F: LOO R2"] == pytest.approx(direct["text_acc~F: LOO R2"])
    assert f"| speech_acc~log_M: R2 | {direct['speech_acc~log_M: R2']:.3f} |" in md
    assert (tmp_path / "out" / "plots" / "analysis_scatter.png").is_file()


def test_cross_run_analysis_says_what_is_undefined(tmp_path):
    runs = [_run(tmp_path, name, drop, 0.0, E=E, forgetting=f)
            for name, drop, E, f in (("a", 0.0, 0.2, 0.01), ("b", 0.03, 0.25, 0.03),
                                     ("c", 0.05, 0.3, 0.02), ("d", 0.02, 0.22, 0.04))]
    three = write_report(runs[:3], tmp_path / "three")
    stats = json.loads(three["summary"].read_text())["analysis"]["stats"]
    assert stats["text_acc~F: R2"] is None and stats["text_acc~F: LOO R2"] is None
    assert stats["speech_acc: partial R2 of log_M given F"] is None
    assert stats["speech_acc~log_M: R2"] > 0.9
    md = three["markdown"].read_text()
    assert "Text accuracy is the same in every run" in md
    assert "With 3 runs the model with both predictors fits every run exactly" in md
    four = json.loads(write_report(runs, tmp_path / "four")["summary"].read_text())
    assert four["analysis"]["stats"]["speech_acc: partial R2 of log_M given F"] is not None


def test_no_cross_run_analysis_for_two_runs(tmp_path):
    written = write_report(_three_runs(tmp_path)[:2], tmp_path / "out")
    assert "Across runs" not in written["markdown"].read_text()
    assert not (tmp_path / "out" / "plots" / "analysis_scatter.png").exists()


# --- CLI -------------------------------------------------------------------------------------

def test_cli_report_writes_files(tmp_path, capsys):
    a, b, c = _three_runs(tmp_path)
    out = tmp_path / "report"
    assert main(["report", str(a), str(b / "eval"), str(c / "eval" / "results.json"),
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| openbookqa | 100 | .283 / .217 |" in printed
    assert "![" not in printed
    for name in ("report.md", "report.html", "summary.json", "plots/gaps.png"):
        assert (out / name).is_file(), name
        assert str(out / name.split("/")[0]) in printed


def test_cli_report_bad_path_fails_cleanly(tmp_path, capsys):
    assert main(["report", str(tmp_path / "missing-run"), "--out", str(tmp_path / "o")]) == 1
    assert "missing-run" in capsys.readouterr().err


def test_cli_report_does_not_import_torch(tmp_path):
    run = _run(tmp_path, "a")
    code = ("import sys; from salad.cli.main import main; "
            f"rc = main(['report', {str(run)!r}, '--out', {str(tmp_path / 'out')!r}]); "
            "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH', rc)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=REPO)
    assert out.stdout.strip().endswith("NO-TORCH 0"), out.stdout[-300:]
