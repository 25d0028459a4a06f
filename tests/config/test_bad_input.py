"""A catalogue of bad input: each case, through the Python API (and a representative subset through
`python -m sim`), is a one-line ConfigError naming the key it is about, exit status 2 on the command
line, and no output left behind."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import DictConfig, OmegaConf, open_dict

import sim
from sim.config import parameter_table as table

EV = "segments.ev_traction"
PLANT = "plants.heraeus_bitterfeld"
CHANGE = "{year: 2030, segment: ev_traction, key: collection_rate, value: 0.9}"


def edit(path: str, value):
    """An edit of the composed config as a container: set `path` (dotted) to `value`, which may hold
    what the command line cannot express (NaN or boolean anchor keys, Python objects)."""
    def apply(container: dict) -> None:
        *parents, last = path.split(".")
        for part in parents:
            container = container[part]
        container[last] = value
    return apply


#: id -> (overrides, edit of the composed config or None, the key the message must name)
CASES: dict[str, tuple[tuple[str, ...], object, str]] = {}


def case(name: str, key: str, *overrides: str, change=None) -> None:
    assert name not in CASES, name
    CASES[name] = (overrides, change, key)


def refused(key: str, *values: str, given: tuple[str, ...] = ()) -> None:
    """A case for each value: `key=value` (after the overrides `given`) is refused naming `key`."""
    for value in values:
        case(f"{key}={value}", key, *given, f"{key}={value}")


# --- top level ------------------------------------------------------------------------------------
refused("start_year", "abc", "1700", "2025.5", "true")
refused("end_year", "2020", "soon")
refused("history_start", "2030")
refused("mode", "fast")
refused("replications", "0", "-1", "1.5", "many", "10000000", given=("mode=stochastic",))
case("replications above a lowered bound", "replications", "mode=stochastic", "replications=20",
     "max_replications=10")
refused("max_replications", "0")
refused("seed", "-1", "abc", "1.5")
refused("steps_per_year", "0")
case("unknown top-level key", "colour", "+colour=red")
refused("end_yaer", "2040")

# --- a segment ------------------------------------------------------------------------------------
refused(f"{EV}.placed_on_market", "-5", "lots")
refused(f"{EV}.placed_on_market.2030", "-1", "abc")
case("placed_on_market anchor not in the series", f"{EV}.placed_on_market.2031",
     f"{EV}.placed_on_market.2031=5")
case("placed_on_market anchor year text", f"{EV}.placed_on_market.soon", f"{EV}.placed_on_market={{soon: 5}}")
case("placed_on_market anchor merged as a number beside its text", f"{EV}.placed_on_market.2030",
     f"{EV}.placed_on_market={{2030: 5}}")
case("anchor added beside an anchor", f"{EV}.placed_on_market.2030", change=edit(
    f"{EV}.placed_on_market", {2025: 1.0, 2030: 2.0, "2030": 3.0}))
case("anchor 2030.0 beside 2030", f"{EV}.placed_on_market.2030.0", change=edit(
    f"{EV}.placed_on_market", {"2030": 2.0, "2030.0": 3.0}))
for label, year in (("NaN last", math.nan), ("infinite", math.inf), ("minus infinite", -math.inf),
                    ("boolean", True)):
    case(f"anchor year {label}", f"{EV}.collection_rate.{year}", change=edit(
        f"{EV}.collection_rate", {2025: 0.1, year: 0.9}))
case("anchor year NaN first", f"{EV}.collection_rate.nan", change=edit(
    f"{EV}.collection_rate", {math.nan: 0.9, 2025: 0.1}))
case("anchor year None", f"{EV}.collection_rate.None", change=edit(f"{EV}.collection_rate", {None: 0.9}))
refused(f"{EV}.magnet_per_unit", "'1.5 m'", "'-1 kg'", "'0 kg'", "5", "'5 kg/yr'", "heavy")
refused(f"{EV}.magnet_share", "1.5", "-0.1", "abc", "nan", "inf")
refused(f"{EV}.lifetime.distribution", "gamma")
refused(f"{EV}.lifetime.shape", "-1")
refused(f"{EV}.lifetime.scale", "5", "'-3 yr'", "'3 kg'")
case("lifetime extra parameter", f"{EV}.lifetime.mean", f"+{EV}.lifetime.mean='12 yr'")
refused(f"{EV}.lifetime", "12")
case("lifetime normal without std", f"{EV}.lifetime.std",
     change=edit(f"{EV}.lifetime", {"distribution": "normal", "mean": "12 yr"}))
case("hoarding unknown distribution", f"{EV}.hoarding.distribution",
     f"{EV}.hoarding={{distribution: forever}}")
refused(f"{EV}.collection_rate", "1.2", "-0.1", "high", "nan", "[0.1", "${nosuch}")
case("collection_rate anchor above 1", f"{EV}.collection_rate.2030", f"{EV}.collection_rate={{2030: 1.5}}")
refused(f"+{EV}.collection_rate", "0.1")
refused(f"{EV}.liberation_rate", "2", "-1")
refused(f"{EV}.short_loop_share", "2", "-0.5", "half")
refused(f"{EV}.dismantling_capacity", "'5 kg'", "'-5 t/yr'")
refused(f"{EV}.in_target_scope", "maybe")
refused(f"{EV}.composition", "{Nd: 0.5, FeCo: 0.2}")
case("composition unknown element", f"{EV}.composition.Xx", f"{EV}.composition={{Xx: 1.0}}")
case("composition share above 1", f"{EV}.composition.Nd", f"{EV}.composition={{Nd: 1.5, FeCo: -0.5}}")
refused(f"{EV}.colection_rate", "0.5")
case("segment key under a segment the config lacks", "segments.scooters", "segments.scooters.collection_rate=0.5")
case("segment name with a dash", "segments.e-bike", change=edit("segments.e-bike", {}))
case("no segments", "segments", change=edit("segments", {}))

# --- a plant --------------------------------------------------------------------------------------
refused(f"{PLANT}.route", "magic")
refused(f"{PLANT}.capacity", "'5 kg'", "'-5 t/yr'", "500")
refused(f"{PLANT}.capacity.2024", "'600 kg'")
case("capacity anchor year boolean", f"{PLANT}.capacity.True", change=edit(f"{PLANT}.capacity", {True: "5 t/yr"}))
refused(f"{PLANT}.vessels", "0", "1.5", "-2", "many")
refused(f"{PLANT}.batch_size", "'0 kg'", "'5 m'", "400")
refused(f"{PLANT}.cycle_time", "'8 kg'", "'0 h'", "8")
refused(f"{PLANT}.cycle_time_cv", "-1")
refused(f"{PLANT}.availability", "0", "1.5", "-0.2")
case("mtbf without mttr", f"{PLANT}.mttr", f"{PLANT}.mtbf='100 h'")
case("mttr without unit", f"{PLANT}.mttr", f"{PLANT}.mtbf='100 h'", f"{PLANT}.mttr=5")
refused(f"{PLANT}.campaign_length", "'1 kg'")
refused(f"{PLANT}.accepts", "[long_loop_only]", "[gold]")
refused(f"{PLANT}.yield", "0", "1.5", "-0.1")
refused(f"{PLANT}.yield_sd", "-0.1", "0.25")
case("plant yield_sd beyond the bound of a high yield", f"{PLANT}.yield_sd", f"{PLANT}.yield=0.99",
     f"{PLANT}.yield_sd=0.08")
refused(f"{PLANT}.vesels", "3")
case("misspelt plant name", "plants.heraeus_bitterfel", "plants.heraeus_bitterfel.vessels=3")
case("plants not a mapping", "plants", change=edit("plants", [1, 2]))

# --- market, scrap store, industry ----------------------------------------------------------------
refused("market.other_uses", "'5 kg'")
refused("industry.magnet_making.capacity", "'-1 t/yr'")
refused("industry.magnet_making.swarf_share", "1.0", "1.5", "-0.1")
refused("scrap_store.export_share", "2")
case("export_share anchor above 1", "scrap_store.export_share.2030", "scrap_store.export_share={2030: 2}")
refused("scrap_store.imported_scrap", "'5 kg'")
refused("scrap_store.swarf_short_loop_share", "-1")
refused("industry.bonded_making.yield", "0", "1.5")
refused("industry.magnet_making.yield_sd", "0.5", "small")
refused("industry.magnet_making.in_house_share", "2")

# --- policy, target, output -----------------------------------------------------------------------
refused("policy.name", "5")
refused("policy.allocation", "random")
refused("policy.export_ban_year", "soon", "2030.5")
refused("policy.rate_changes", "5")
case("rate change missing value", "policy.rate_changes.0",
     "policy.rate_changes=[{year: 2030, segment: ev_traction, key: collection_rate}]")
case("rate change extra field", "policy.rate_changes.0",
     "policy.rate_changes=[{year: 2030, segment: all, key: collection_rate, value: 0.9, note: x}]")
case("rate change unknown rate", "policy.rate_changes.0.key",
     "policy.rate_changes=[{year: 2030, segment: all, key: export_share, value: 0.9}]")
case("rate change unknown segment", "policy.rate_changes.0.segment",
     "policy.rate_changes=[{year: 2030, segment: scooters, key: collection_rate, value: 0.9}]")
case("rate change value above 1", "policy.rate_changes.0.value",
     "policy.rate_changes=[{year: 2030, segment: all, key: collection_rate, value: 1.9}]")
case("rate change year text", "policy.rate_changes.0.year",
     "policy.rate_changes=[{year: soon, segment: all, key: collection_rate, value: 0.9}]")
case("rate change segment a number", "policy.rate_changes.0.segment",
     "policy.rate_changes=[{year: 2030, segment: 5, key: collection_rate, value: 0.9}]")
case("two changes of one rate in one year", "policy.rate_changes.1.year",
     f"policy.rate_changes=[{CHANGE}, {{year: 2030, segment: all, key: collection_rate, value: 0.5}}]")
case("added change of a policy's rate in the same year", "policy.added_rate_changes.0.year", "policy=combined",
     "policy.added_rate_changes=[{year: 2029, segment: ev_traction, key: liberation_rate, value: 0.9}]")
case("added change of an unknown segment", "policy.added_rate_changes.0.segment",
     "policy.added_rate_changes=[{year: 2031, segment: bikes, key: collection_rate, value: 0.9}]")
case("supply shock end before start", "policy.supply_shocks.0.end",
     "policy.supply_shocks=[{start: 2030, end: 2029, availability: 0.5}]")
case("supply shock availability above 1", "policy.supply_shocks.0.availability",
     "policy.supply_shocks=[{start: 2030, end: 2031, availability: 2}]")
case("supply shock missing end", "policy.supply_shocks.0", "policy.supply_shocks=[{start: 2030, availability: 0.5}]")
case("supply shock start infinite", "policy.supply_shocks.0.start",
     "policy.supply_shocks=[{start: -inf, end: 2031, availability: 0.5}]")
EMBARGO = "{elements: [Dy, Tb], forms: [magnets], from: '2028-01', months: 6, approval_share: 0}"
refused("policy.licences.0.from", "2028-13", "soon", given=("policy=heavy_ree_embargo",))
case("licence to before from", "policy.licences.0.to",
     "policy.licences=[{elements: [Dy], forms: [magnets], from: '2028-05', to: '2028-03', approval_share: 0}]")
case("licence months and to", "policy.licences.0.months",
     "policy.licences=[{elements: [Dy], forms: [magnets], from: '2028-01', to: '2028-03', months: 2, "
     "approval_share: 0}]")
case("licence unknown form", "policy.licences.0.forms",
     "policy.licences=[{elements: [Dy], forms: [rotors], from: '2028-01', approval_share: 0}]")
case("licence unknown element", "policy.licences.0.elements",
     "policy.licences=[{elements: [Sm], forms: [magnets], from: '2028-01', approval_share: 0}]")
refused("policy.licences.0.origin", "usa", given=("policy=heavy_ree_embargo",))
refused("policy.licences.0.approval_share", "1.5", given=("policy=heavy_ree_embargo",))
refused("policy.licences.0.delay", "-3 day", "3 kg", given=("policy=licence_2025",))
case("licence missing approval share", "policy.licences.0.approval_share",
     "policy.licences=[{elements: [Dy], forms: [magnets], from: '2028-01'}]")
case("licence unknown field", "policy.licences.0.quota", f"policy.licences=[{EMBARGO[:-1]}, quota: 5}}]")
case("licence window ends before start_year", "policy.licences.0.windows.0.to", "policy=licence_2025",
     "start_year=2026")
refused("policy.licences.0.windows.0.approval_share", "2", given=("policy=licence_2025",))
case("licence exempt unknown form", "policy.licences.0.exempt.rotors", "policy=licence_2025",
     "+policy.licences.0.exempt.rotors=2025-09-16")
refused("policy.licences.0.exempt.magnets_in_products", "2025-09-31", given=("policy=licence_2025",))
# a list item is named by its number, as Hydra's override grammar addresses it
refused("policy.licences.0.approval_share", "${nosuch}", given=("policy=licence_2025",))
refused("policy.licences.1.approval_share", "0.5", given=("policy=licence_2025",))
refused("policy.licences.first.approval_share", "0.5", given=("policy=licence_2025",))
refused("policy.licences.first", "0.5", given=("policy=licence_2025",))
refused("policy.rate_changes.0.value", "0.5")
refused("policy.licences.0.cancel_share", "1.5", given=("policy=licence_2025",))
refused("supply.rest_of_world_make_up", "1.2")
refused("policy.stockpile.size_months", "-1")
refused("policy.stockpile.fill_months", "0")
refused("policy.stockpile.elements", "[Dy, Sm]")
refused("policy.stockpile.fill_from", "2025")
refused("supply.china_share.magnets", "1.2")
case("unknown supply form", "supply.china_share.rotors", "+supply.china_share.rotors=0.5")
refused("policy.mandate_share", "2")
refused("policy.mandate_from", "soon")
refused("target.share", "2")
refused("target.year", "2100")
refused("target.metric", "vibes")
refused("target.label", "5")
case("grade mix of an unknown grade", f"{EV}.grade_mix.XH", f"{EV}.grade_mix={{XH: 1.0, SH: 0, UH: 0, EH: 0}}")
refused(f"{EV}.grade_mix", "{SH: 0.5, UH: 0.4, EH: 0}", "UH")
case("grade mix share above 1", f"{EV}.grade_mix.SH", f"{EV}.grade_mix={{SH: 1.5}}")
case("grade without dy_tb", "grades.XH.dy_tb", "+grades.XH={gbd_factor: 0.3}")
refused("grades.SH.dy_tb", "4")
refused("grades.UH.gbd_factor", "1.3")
case("misspelt grade key", "grades.SH.dytb", "+grades.SH.dytb=0.04")
# grades, segments and plants are mappings by name: a number in place of a name is refused
refused("grades.0.dy_tb", "-0.1")
refused("grades.0", "5")
refused("segments.0.collection_rate", "0.5")
refused("plants.0.vessels", "3")
refused(f"{EV}.gbd_share", "1.2")
refused(f"{EV}.magnet_free_share", "lots")
case("rate change of gbd share above 1", "policy.rate_changes.0.value",
     "policy.rate_changes=[{year: 2030, segment: ev_traction, key: gbd_share, value: 2}]")
refused("output.figures", "maybe")
refused("output.sankey_year", "2000")
refused("output.parquet", "3")
refused("output.figure", "false")

# --- config groups --------------------------------------------------------------------------------
for group in ("policy", "plants", "region", "target"):
    case(f"unknown {group} option", group, f"{group}=nosuch")
refused("nosuchgroup", "foo")


GROUPS = ("policy", "plants", "region", "target")
PARSER = OverridesParser.create()


@pytest.fixture(scope="module")
def default_config():
    return sim.load_config()


def composed(overrides: tuple[str, ...], base) -> object:
    """The config the overrides give. Plain `key=value` edits below a mapping the default config
    has are applied to one composed copy, as a user of the API edits a DictConfig (OmegaConf.update
    with Hydra's parsed value and the merge Hydra itself does), which is much faster than composing
    again; everything else (config groups, +keys, misspelt names, grammar) goes through
    sim.load_config."""
    parsed = []
    for override in overrides:
        key = override.partition("=")[0]
        parent, _, name = key.rpartition(".")
        documented = isinstance(OmegaConf.select(base, parent), DictConfig) and table.children(
            tuple(parent.split(".")) if parent else ()).get(name) is not None
        if key.startswith(("+", "~")) or key in GROUPS or not (OmegaConf.select(base, key) is not None or documented):
            return sim.load_config(list(overrides))
        try:
            parsed.append((key, PARSER.parse_override(override).value()))
        except Exception:  # a grammar error: sim.load_config reports it
            return sim.load_config(list(overrides))
    cfg = base.copy()
    with open_dict(cfg):  # Hydra merges an override's mapping into the key's mapping
        for key, value in parsed:
            OmegaConf.update(cfg, key, value, merge=True)
    return cfg


@pytest.mark.parametrize("overrides, change, key", CASES.values(), ids=list(CASES))
def test_bad_input_through_the_api(overrides, change, key, default_config, tmp_path, monkeypatch):
    """sim.load_config + sim.run raise one ConfigError whose one-line message names the key."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(sim.ConfigError) as raised:
        cfg = composed(overrides, default_config)
        if change is not None:
            container = OmegaConf.to_container(cfg)
            change(container)
            cfg = container
        sim.run(cfg, workers=1)

    message = str(raised.value)
    assert "\n" not in message
    assert raised.value.key == key, message
    assert message.startswith(f"config error: {key} = "), message
    assert list(tmp_path.iterdir()) == []


API_CALLS = {
    "run of a list": (lambda: sim.run([1, 2, 3]), "config"),
    "run of a text": (lambda: sim.run("policy=combined"), "config"),
    "run of None": (lambda: sim.run(None), "config"),
    "parameters of a number": (lambda: sim.parameters(5), "config"),
    "load_config of a text": (lambda: sim.load_config("policy=combined"), "overrides"),
    "load_config of a missing directory": (lambda: sim.load_config(config_dir="no/such/dir"), "--config-dir"),
}


@pytest.mark.parametrize("call, key", API_CALLS.values(), ids=list(API_CALLS))
def test_bad_calls_of_the_api(call, key, tmp_path, monkeypatch):
    """Arguments of the wrong kind are a ConfigError too, not an AttributeError from deep inside."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(sim.ConfigError) as raised:
        call()
    assert raised.value.key == key and "\n" not in str(raised.value)
    assert list(tmp_path.iterdir()) == []


def test_a_yaml_syntax_error_names_the_file_and_line(tmp_path):
    """A YAML syntax error in a config group of the user's own directory names the file and line."""
    (tmp_path / "policy").mkdir()
    (tmp_path / "policy" / "mine.yaml").write_text("name: mine\nrate_changes: [{year: 2030\nallocation: x\n")

    with pytest.raises(sim.ConfigError) as raised:
        sim.load_config(["policy=mine"], config_dir=tmp_path)

    assert raised.value.key.startswith(f"{tmp_path / 'policy' / 'mine.yaml'}:")
    assert raised.value.expected == "valid YAML" and "\n" not in str(raised.value)


def test_the_catalogue_is_large():
    assert len(CASES) + len(API_CALLS) + 1 >= 120


#: bad input in a list item: (overrides, a good value of the key the message names)
LIST_ITEMS = {
    "licence share": (("policy=licence_2025", "policy.licences.0.approval_share=2"), "0.5"),
    "licence window share": (("policy=licence_2025", "policy.licences.0.windows.0.approval_share=2"), "0.5"),
    "licence share interpolation": (("policy=licence_2025", "policy.licences.0.approval_share=${nosuch}"), "0.5"),
    "licence from, list given whole": (
        ("policy.licences=[{elements: [Dy], forms: [magnets], from: soon, approval_share: 0}]",), "2028-01"),
    "rate change value": (("policy.rate_changes=[{year: 2030, segment: all, key: collection_rate, value: 1.9}]",),
                          "0.9"),
    "supply shock end": (("policy.supply_shocks=[{start: 2030, end: 2029, availability: 0.5}]",), "2031"),
}


@pytest.mark.parametrize("overrides, good", LIST_ITEMS.values(), ids=list(LIST_ITEMS))
def test_the_key_named_for_a_list_item_is_one_the_command_line_sets(overrides, good):
    """The key a message names for a list item (policy.licences.0.approval_share) is in the form of
    Hydra's override grammar: given back with a good value, it mends that very item."""
    with pytest.raises(sim.ConfigError) as raised:
        sim.parameters(sim.load_config(list(overrides)))
    key = raised.value.key

    sim.parameters(sim.load_config([*overrides, f"{key}={good}"]))


def test_a_grade_by_number_is_refused_saying_how_to_name_it():
    """Grades are a mapping by name (ordered by dy_tb, not by the file): grades.0.dy_tb is refused
    naming that key and the value, with how to name a grade; by name the same value is refused
    as any bad share is."""
    with pytest.raises(sim.ConfigError) as by_number:
        sim.parameters(sim.load_config(["grades.0.dy_tb=-0.1"]))
    with pytest.raises(sim.ConfigError) as by_name:
        sim.parameters(sim.load_config(["grades.N.dy_tb=-0.1"]))

    assert (by_number.value.key, by_number.value.value) == ("grades.0.dy_tb", -0.1)
    assert by_number.value.expected == "a grade named, not numbered: grades.<grade>.dy_tb with <grade> one of " \
                                       "N, M, H, SH, UH, EH"
    assert (by_name.value.key, by_name.value.value, by_name.value.expected) == \
        ("grades.N.dy_tb", -0.1, "a share in [0, 1]")


#: a representative subset through the command line: (overrides, key)
CLI_CASES = {
    "validation": (("plants.heraeus_bitterfeld.vessels=0",), "plants.heraeus_bitterfeld.vessels"),
    "anchor year edit": (("segments.ev_traction.placed_on_market.2030=-1",),
                         "segments.ev_traction.placed_on_market.2030"),
    "unknown option": (("policy=nosuch",), "policy"),
    "misspelt key": (("segments.ev_traction.colection_rate=0.5",), "segments.ev_traction.colection_rate"),
    "override grammar": (("segments.ev_traction.collection_rate=[0.1",), "segments.ev_traction.collection_rate"),
    "interpolation": (("policy.name=${nosuch}",), "policy.name"),
    "yield_sd": (("industry.magnet_making.yield_sd=0.5",), "industry.magnet_making.yield_sd"),
    "list item": (("policy=licence_2025", "policy.licences.0.approval_share=2"), "policy.licences.0.approval_share"),
    "grade by number": (("grades.0.dy_tb=-0.1",), "grades.0.dy_tb"),
    "replications": (("mode=stochastic", "replications=10000000"), "replications"),
    "run directory under a file": (("hydra.run.dir=blocker/run",), "hydra.run.dir"),
}


@pytest.mark.parametrize("overrides, key", CLI_CASES.values(), ids=list(CLI_CASES))
def test_bad_input_through_the_command_line(overrides, key, tmp_path):
    """python -m sim: exit status 2, one line on stderr naming the key, no traceback, nothing written."""
    (tmp_path / "blocker").write_text("a file where the run directory would go\n")

    finished = subprocess.run([sys.executable, "-m", "sim", *overrides], cwd=tmp_path, capture_output=True,
                              text=True, timeout=120)

    assert finished.returncode == 2, finished.stderr
    lines = finished.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in finished.stderr, finished.stderr
    assert lines[0].startswith(f"config error: {key} = "), lines[0]
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["blocker"]


def test_a_yaml_syntax_error_in_a_config_directory_is_one_line(tmp_path):
    """python -m sim --config-dir DIR with a YAML error in DIR: one line naming the file and line."""
    conf = tmp_path / "conf" / "policy"
    conf.mkdir(parents=True)
    (conf / "mine.yaml").write_text("name: mine\nrate_changes: [{year: 2030\nallocation: x\n")

    finished = subprocess.run([sys.executable, "-m", "sim", "--config-dir", str(tmp_path / "conf"), "policy=mine"],
                              cwd=tmp_path, capture_output=True, text=True, timeout=120)

    assert finished.returncode == 2, finished.stderr
    assert finished.stderr.strip().startswith(f"config error: {conf / 'mine.yaml'}:"), finished.stderr
    assert len(finished.stderr.strip().splitlines()) == 1
