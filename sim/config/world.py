"""Several regions in one run (conf/world/): which regions, China's export pool and the scrap and
separated-oxide trade between them, validated into frozen parameters; each region's own config is composed and validated
as a single-region run would be, and its errors name the region in the key."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from omegaconf import OmegaConf

from .compose import load_config, parameters
from .errors import ConfigError
from .parameters import Params
from .series import AnchorSeries
from .values import NAME, _series, _share, parse_quantity

#: where a region's scrap exports can go besides the other regions of the run
OUTSIDE = "rest_of_world"


@dataclass(frozen=True)
class ChinaPool:
    """China's magnet exports to the regions of the run, one pool shared by destination.

    Each region asks China for `china_share` of its primary supply; the pool delivers what is asked
    while it lasts (`capacity` None: as much as asked), cut by `cut_share` from `cut_from` on; when
    it binds, destinations share it in proportion to `weights` times what they ask (the rest of the
    region's primary supply comes from elsewhere and is not limited)."""

    china_share: dict[str, AnchorSeries]
    capacity: AnchorSeries | None  # kg/yr
    weights: dict[str, float]
    cut_share: float
    cut_from: int


@dataclass(frozen=True)
class World:
    """The regions of a coupled run (codes in run order) with their parameters, the pool and the trade."""

    name: str
    regions: dict[str, Params]
    pool: ChinaPool
    trade: dict[str, dict[str, AnchorSeries]]  # exporter -> destination region -> share of its scrap exports
    # exporter -> destination region -> share of the separated oxide of its long loop
    oxide_trade: dict[str, dict[str, AnchorSeries]]


def split_overrides(overrides: Iterable[str], regions: Iterable[str]) -> tuple[list[str], dict[str, list[str]],
                                                                              list[str]]:
    """(world overrides, overrides per region, overrides for every region): `world=...` and
    `world.*` go to the world; `<region>.<key>=...` to that region (prefix dropped); the rest to all."""
    regions = list(regions)
    world, common = [], []
    own: dict[str, list[str]] = {r: [] for r in regions}
    for item in overrides:
        key = item.lstrip("+~").split("=", 1)[0]
        head = key.split(".", 1)[0]
        if head == "world":
            world.append(item)
        elif head in own and "." in key:
            prefix = item[: len(item) - len(item.lstrip("+~"))]
            own[head].append(prefix + item.lstrip("+~")[len(head) + 1:])
        else:
            common.append(item)
    return world, own, common


def world_names(overrides: Iterable[str]) -> list[str]:
    """The region codes the chosen world file lists (before the regions are composed)."""
    return list(_world_section(overrides)["regions"])


def _world_section(overrides: Iterable[str]) -> Mapping:
    world, _, _ = split_overrides(overrides, [])
    choice = [o for o in world if o.split("=", 1)[0] == "world"]
    rest = [o for o in world if o not in choice]
    cfg = load_config([f"+world={choice[-1].split('=', 1)[1] if choice else 'allied'}", *rest])
    section = OmegaConf.to_container(cfg.world, resolve=True)
    if not isinstance(section, Mapping):
        raise ConfigError("world", section, "a mapping (regions, china_pool, trade)")
    return section


def load_world(overrides: Iterable[str] = ()) -> World:
    """Compose and validate a coupled run: `world=allied` (the default) and its keys (`world.*`),
    `<region>.<key>=...` for one region, any other override for every region."""
    overrides = list(overrides)
    section = _world_section(overrides)
    known = {"name", "regions", "china_pool", "trade", "oxide_trade"}
    for key in section:
        if key not in known:
            raise ConfigError(f"world.{key}", section[key], f"a known key (allowed here: {', '.join(sorted(known))})")
    codes = section.get("regions")
    if not isinstance(codes, list) or not codes or any(not isinstance(c, str) or not NAME.match(c) for c in codes):
        raise ConfigError("world.regions", codes, "a list of region options (conf/region/), e.g. [eu, us, japan]")
    if len(set(codes)) != len(codes):
        raise ConfigError("world.regions", codes, "each region once")
    _, own, common = split_overrides(overrides, codes)
    regions = {code: _region(code, [*common, *own[code]]) for code in codes}
    return World(name=str(section.get("name", "world")), regions=regions,
                 pool=_pool(section.get("china_pool") or {}, codes),
                 trade=_trade(section.get("trade") or {}, codes, "world.trade"),
                 oxide_trade=_trade(section.get("oxide_trade") or {}, codes, "world.oxide_trade"))


def _region(code: str, overrides: list[str]) -> Params:
    """A region's parameters as its single-region run composes them; errors name the region."""
    try:
        params = parameters(load_config([f"region={code}", *overrides]))
    except ConfigError as error:
        key = error.key if error.key.startswith(f"{code}.") else f"{code}.{error.key}"
        raise ConfigError(key, error.value, error.expected) from None
    if params.region.code != code:
        raise ConfigError(f"{code}.region.code", params.region.code, f"{code!r}, the region option it is run as")
    return params


def _pool(values: Mapping, codes: list[str]) -> ChinaPool:
    known = {"china_share", "capacity", "weights", "cut"}
    for key in values:
        if key == "licences":  # one place for licences, in both modes: the destination's own policy
            raise ConfigError("world.china_pool.licences", values[key],
                              "no licences here: China's licences by destination are each region's "
                              "policy.licences (e.g. us.policy.licences=[...] or us.policy=licence_2025)")
        if key not in known:
            raise ConfigError(f"world.china_pool.{key}", values[key],
                              f"a known key (allowed here: {', '.join(sorted(known))})")
    shares = values.get("china_share") or {}
    _only_regions("world.china_pool.china_share", shares, codes)
    china_share = {c: _series(f"world.china_pool.china_share.{c}", shares.get(c, 0.0), _share, ceiling=1.0)
                   for c in codes}
    capacity = values.get("capacity")
    if capacity is not None:
        capacity = _series("world.china_pool.capacity", capacity,
                           lambda k, v: _nonnegative(k, parse_quantity(k, v, "kg/yr")))
    weights = values.get("weights") or {}
    _only_regions("world.china_pool.weights", weights, codes)
    parsed = {c: _nonnegative(f"world.china_pool.weights.{c}", weights.get(c, 1.0)) for c in codes}
    cut = values.get("cut") or {}
    for key in cut:
        if key not in ("share", "from"):
            raise ConfigError(f"world.china_pool.cut.{key}", cut[key], "a known key (allowed here: from, share)")
    cut_from = cut.get("from", 0)
    if isinstance(cut_from, bool) or not isinstance(cut_from, int):
        raise ConfigError("world.china_pool.cut.from", cut_from, "a year (integer)")
    return ChinaPool(china_share, capacity, parsed, _share("world.china_pool.cut.share", cut.get("share", 0.0)),
                     cut_from)


#: what each trade key shares out, and where the part not sent to a region goes
TRADED = {"world.trade": ("scrap exports", f"go to {OUTSIDE}"),
          "world.oxide_trade": ("separated oxide (long-loop output)",
                                "stays in its own metal and alloy making")}


def _trade(values: Mapping, codes: list[str], name: str) -> dict[str, dict[str, AnchorSeries]]:
    """Dated shares by exporter and destination region (`name`: world.trade or world.oxide_trade),
    at most 1 in sum for each exporter and year."""
    what, rest = TRADED[name]
    _only_regions(name, values, codes)
    trade = {}
    for exporter in codes:
        row = values.get(exporter) or {}
        key = f"{name}.{exporter}"
        if not isinstance(row, Mapping):
            raise ConfigError(key, row, f"a mapping of destination regions to shares of its {what}")
        for destination in row:
            if destination not in codes or destination == exporter:
                others = ", ".join(c for c in codes if c != exporter)
                raise ConfigError(f"{key}.{destination}", row[destination],
                                  f"a destination among the other regions ({others}); what is not sent to them "
                                  f"{rest}")
        trade[exporter] = {d: _series(f"{key}.{d}", row[d], _share, ceiling=1.0) for d in row}
        years = sorted({y for s in trade[exporter].values() for y in s.years})
        for year in years:
            total = sum(float(s.at(year)) for s in trade[exporter].values())
            if total > 1.0 + 1e-9:
                raise ConfigError(key, dict(row), f"shares that sum to at most 1 in every year ({total:g} in {year:g})")
    return trade


def _only_regions(key: str, values, codes: list[str]) -> None:
    if not isinstance(values, Mapping):
        raise ConfigError(key, values, f"a mapping of regions ({', '.join(codes)}) to values")
    for name in values:
        if name not in codes:
            raise ConfigError(f"{key}.{name}", values[name], f"one of the regions of the run ({', '.join(codes)})")


def _nonnegative(key: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ConfigError(key, value, "a number >= 0")
    return float(value)
