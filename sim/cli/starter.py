"""`python -m sim init DIR`: a starter set of one's own scenario (a region, a plant build-out, a
policy), commented, which runs as written with `python -m sim --config-dir DIR ...`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

README = """\
# My NdFeB scenario

Config groups of your own, used beside the project's (conf/ of the package): every file here is an
option of its group, named by its file name. Run them with --config-dir on any command:

    python -m sim --config-dir {dir} region=my_region plants=my_plants policy=my_policy
    python -m sim compare --config-dir {dir} region=my_region plants=my_plants policy=baseline,my_policy
    python -m sim --config-dir {dir} -m region=my_region plants=my_plants segments.ev_traction.collection_rate=0.6,0.8

From Python: sim.load_config(["region=my_region", "plants=my_plants"], config_dir="{dir}").
The project's options (region=eu, plants=eu_announced, policy=combined, ...) stay available; any
option can be copied from conf/ into this directory and edited. Every key and its unit is listed
in the README's config reference.
"""

REGION = """\
# @package _global_
# A small region of my own: three segments. Replace the series with your region's data and cite
# your sources beside each value. Values here are illustrative, scaled from the project's EU
# region (conf/region/eu.yaml), whose comments give the sources.
defaults:
  - override /target: none          # no target; or e.g. region_made_2030, or target.share=0.04 on the command line
region:
  code: my_region                   # names the region in tables and keys (letters, digits and _)
  name: my region                   # as the outputs name it in a sentence
  label: My region                  # in titles
segments:
  ev_traction:                      # battery-electric cars, traction motor
    placed_on_market:               # units per year; linear between anchors, flat outside
      2010: 0
      2020: 100000
      2030: 600000
      2050: 900000
    magnet_per_unit: 1.5 kg         # NdFeB per motor
    magnet_share: 0.92              # share of units with NdFeB motors
    lifetime: {distribution: weibull, shape: 3.0, scale: 16.8 yr}
    collection_rate: 0.6            # end-of-life vehicles reaching authorised treatment
    liberation_rate: 0.15           # magnets removed before shredding
    in_target_scope: true           # counted in the recycled-content target
    composition: {Nd: 0.23, Pr: 0.07, Dy: 0.02, Tb: 0.0, B: 0.01, FeCo: 0.67}
  wind_onshore_dd:                  # direct-drive wind generators, units are MW
    placed_on_market: {2007: 0, 2020: 300, 2030: 500, 2050: 600}
    magnet_per_unit: 650 kg/MW
    magnet_share: 1.0
    lifetime: {distribution: weibull, shape: 4.0, scale: 24.3 yr}
    collection_rate: 0.95
    liberation_rate: 0.8
    in_target_scope: true
    composition: {Nd: 0.21, Pr: 0.06, Dy: 0.04, Tb: 0.0, B: 0.01, FeCo: 0.68}
  hdd:                              # hard disk drives, in 3.5-inch equivalents
    placed_on_market: {1995: 3000000, 2010: 10000000, 2025: 3000000, 2050: 1000000}
    magnet_per_unit: 20 g
    magnet_share: 1.0
    lifetime: {distribution: weibull, shape: 2.0, scale: 6.8 yr}
    hoarding: {distribution: lognormal, mean: 2 yr, std: 1.5 yr}   # delay between end of use and discard
    collection_rate: 0.4
    liberation_rate: 0.3
    short_loop_share: 0.7           # share fit for HPMS; the rest needs the long loop
    in_target_scope: false
    composition: {Nd: 0.24, Pr: 0.05, Dy: 0.012, Tb: 0.0, B: 0.01, FeCo: 0.688}

market:
  other_uses: {2025: 1000 t/yr, 2035: 2000 t/yr}      # magnet demand outside the segments

scrap_store:
  export_share: {2025: 0.5, 2030: 0.2}                 # share of scrap sold outside the region
  imported_scrap: 0 t/yr
  swarf_short_loop_share: 0.0

industry:                           # the value chain: recycled material enters only magnets made here
  magnet_making: {capacity: {2025: 200 t/yr, 2030: 500 t/yr}, swarf_share: 0.25}
  metal_alloy_making: {capacity: 50 t/yr}
  bonded_making: {capacity: 0 t/yr}
"""

PLANTS = """\
# @package _global_
# A plant build-out of my own: one HPMS plant and one long-loop plant. Capacities are feed in t/yr;
# the zero anchor before a start keeps a plant shut until it opens (series are flat outside anchors).
plants:
  my_hpms_plant:
    route: hpms                     # hydrogen processing of magnet scrap, then re-sintering
    capacity: {2026: 0 t/yr, 2027: 300 t/yr, 2030: 800 t/yr}
    vessels: 2
    batch_size: 400 kg
    cycle_time: 8 h
  my_long_loop_plant:
    route: long_loop                # hydrometallurgy to oxides, then new magnets
    capacity: {2027: 0 t/yr, 2028: 500 t/yr}
    accepts: [long_loop_only, short_loop]
    yield: 0.8
"""

POLICY = """\
# @package policy
# A policy of my own: motors removed before shredding from 2029 and a scrap export ban from 2028.
name: my_policy
allocation: proportional            # or preferential: recycled magnets to the target scope first
export_ban_year: 2028
rate_changes:
  - {year: 2029, segment: ev_traction, key: liberation_rate, value: 0.7}
supply_shocks: []                   # e.g. [{start: 2028, end: 2029, availability: 0.5}]
licences: []                        # export-licence regimes, e.g. as in policy/heavy_ree_embargo.yaml
stockpile: {size_months: 0}         # e.g. {size_months: 3, fill_from: '2025-01'}
mandate_share: null                 # e.g. 0.2 with mandate_from: 2030
"""

#: file -> text of the starter set
FILES = {"README.md": README, "region/my_region.yaml": REGION, "plants/my_plants.yaml": PLANTS,
         "policy/my_policy.yaml": POLICY}
#: the overrides that select the starter set
OVERRIDES = ("region=my_region", "plants=my_plants", "policy=my_policy")


def write_starter(directory: Path) -> list[Path]:
    """Write the starter set into `directory`; FileExistsError if any of its files exists."""
    directory = Path(directory)
    existing = [directory / name for name in FILES if (directory / name).exists()]
    if existing:
        raise FileExistsError(f"{existing[0]} exists; choose a new directory (nothing was written)")
    written = []
    for name, text in FILES.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.format(dir=directory) if name == "README.md" else text)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim init",
                                     description="Write a commented starter set of config groups of your own.")
    parser.add_argument("directory", type=Path, help="directory to create (or an empty one)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        written = write_starter(args.directory)
    except FileExistsError as error:
        print(error, file=sys.stderr)
        return 2
    print("\n".join(str(path) for path in written))
    print(f"run it: python -m sim --config-dir {args.directory} {' '.join(OVERRIDES)}")
    return 0
