"""`python -m sim compare`: scenarios from comma lists of config-group options, one side-by-side
table whose numbers are those of single runs, and one figure."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

import sim
from sim.cli import main as cli
from sim.studies import compare

SHORT = "end_year=2036"


def test_comma_lists_expand_into_the_product_of_scenarios():
    chosen = compare.scenarios(["policy=baseline,weee_65", "plants=eu_announced,eu_expanded", SHORT])
    assert [s.name for s in chosen] == [
        "policy=baseline, plants=eu_announced", "policy=baseline, plants=eu_expanded",
        "policy=weee_65, plants=eu_announced", "policy=weee_65, plants=eu_expanded"]
    assert all(s.overrides[0] == SHORT for s in chosen)


def test_a_comma_list_of_values_names_its_key():
    chosen = compare.scenarios(["segments.ev_traction.liberation_rate=0.15,0.5", "policy.rate_changes=[]"])
    assert [s.name for s in chosen] == ["segments.ev_traction.liberation_rate=0.15",
                                        "segments.ev_traction.liberation_rate=0.5"]
    assert chosen[1].overrides == ("policy.rate_changes=[]", "segments.ev_traction.liberation_rate=0.5")


def test_without_a_comma_list_every_policy_is_compared_baseline_first():
    chosen = compare.scenarios([SHORT])
    names = [s.name for s in chosen]
    assert names[0] == "baseline"
    assert {"elv_motor_removal", "weee_65", "scrap_export_ban", "licence_2025",
            "heavy_ree_embargo", "magnet_mandate"} <= set(names)


def test_side_by_side_table_holds_the_numbers_of_single_runs(tmp_path):
    code = compare.main(["policy=baseline,scrap_export_ban", SHORT, "--out", str(tmp_path), "--no-figure"])
    assert code == 0
    table = pd.read_csv(tmp_path / "compare.csv").set_index("scenario")
    markdown = (tmp_path / "compare.md").read_text()
    assert list(table.index) == ["baseline", "scrap_export_ban"]
    assert "| indicator | baseline | scrap_export_ban |" in markdown
    for policy in table.index:
        kpis = sim.run(sim.load_config(overrides=[f"policy={policy}", SHORT])).kpis.set_index("year")
        for column in ("recycled_content_target_scope", "recycled_content_post_consumer"):
            # shares in percent, as compare.md shows them
            assert table.at[policy, f"{column}_2030_pct"] == pytest.approx(100 * kpis.at[2030, column], rel=1e-6)
            assert f"{100 * kpis.at[2030, column]:.2f} %" in markdown
        assert table.at[policy, "binding_constraint_2030"] == kpis.at[2030, "binding_constraint"]
    assert table.at["scrap_export_ban", "scrap_export_t_2030"] == 0 < table.at["baseline", "scrap_export_t_2030"]


def test_compare_writes_one_figure(tmp_path):
    pytest.importorskip("matplotlib")
    compare.main(["policy=baseline,magnet_mandate", SHORT, "--out", str(tmp_path)])
    assert (tmp_path / "compare.png").read_bytes().startswith(b"\x89PNG")


def command(monkeypatch, *args: str) -> int:
    """The exit status of `python -m sim <args>`, run in this process."""
    monkeypatch.setattr(sys, "argv", ["sim", *args])
    with pytest.raises(SystemExit) as done:
        cli.main()
    return done.value.code


def test_a_bad_option_is_one_line_and_exit_code_2(tmp_path, capsys, monkeypatch):
    code = command(monkeypatch, "compare", "policy=baseline,weee_65", "policy.mandate_share=2", "--out", str(tmp_path))
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("config error: policy.mandate_share") and "\n" not in err
    assert not (tmp_path / "compare.csv").exists()


def test_an_unknown_option_is_one_line_and_exit_code_2(tmp_path, capsys, monkeypatch):
    assert command(monkeypatch, "compare", "policy=baseline,no_such_policy", "--out", str(tmp_path)) == 2
    err = capsys.readouterr().err.strip()
    assert "no_such_policy" in err and "\n" not in err


def test_python_m_sim_dispatches_compare(tmp_path):
    finished = subprocess.run([sys.executable, "-m", "sim", "compare", "policy=baseline,weee_65", SHORT,
                               "--out", str(tmp_path / "cmp"), "--no-figure"],
                              cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    assert (tmp_path / "cmp" / "compare.csv").is_file()
    assert "| indicator | baseline | weee_65 |" in finished.stdout


def test_a_range_is_one_scenario_per_value(tmp_path):
    """`compare 'target.year=range(2030,2032)'` is the sweep `python -m sim -m` would run: target
    years 2030 and 2031, not two halves of the text split at its comma."""
    chosen = compare.scenarios(["target.year=range(2030,2032)", SHORT])
    assert [s.overrides for s in chosen] == [(SHORT, "target.year=2030"), (SHORT, "target.year=2031")]

    assert compare.main(["target.year=range(2030,2032)", SHORT, "--out", str(tmp_path), "--no-figure"]) == 0

    table = pd.read_csv(tmp_path / "compare.csv").set_index("scenario")
    assert list(table.index) == ["target.year=2030", "target.year=2031"]
    for year in (2030, 2031):
        kpis = sim.run(sim.load_config([SHORT, f"target.year={year}"])).kpis.set_index("year")
        column = f"recycled_content_target_scope_{year}_pct"
        assert table.at[f"target.year={year}", column] == pytest.approx(100 * kpis.at[year, column[:-9]], rel=1e-6)
        assert table.at[f"target.year={year}", f"target_met_{year}"] == ("yes" if kpis.at[year, "target_met"] else "no")
