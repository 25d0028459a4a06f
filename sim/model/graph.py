"""The flow graph, declared once: every node (kind, label, place in the chain) and every allowed flow.

The ledger refuses a flow the graph does not declare; the balance check, the KPIs, the Sankey, the
summary and the README's node list read the graph instead of naming nodes themselves.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

SOURCE, STAGE, STORE, SINK = "source", "stage", "store", "sink"
KINDS = {
    SOURCE: "material enters the system here",
    STAGE: "transforms or passes material on (a stock only while work is in progress)",
    STORE: "holds material from one period to the next",
    SINK: "material leaves the system here; its stock is what it has received",
}


@dataclass(frozen=True)
class Node:
    """A node of the graph. `name` is the ledger's name of it (and its name in the tables).

    `order` is its place along the chain (the Sankey column); nodes of the same order are shown in
    the order they are declared. `loss`: a sink where material is lost to recycling (not a use).
    A coupled run of several regions will add a `region` field here, part of what names a node.
    """

    name: str
    kind: str
    label: str
    order: int
    meaning: str
    loss: bool = False

    @property
    def balanced(self) -> bool:
        """Whether the mass-balance check holds the node to inflow - outflow = change of stock."""
        return self.kind in (STAGE, STORE)


@dataclass(frozen=True)
class PlantNode:
    """A node declared once per plant of a route: its name is `<route>:<plant>`."""

    route: str
    kind: str
    label: str  # with {plant}
    order: int
    meaning: str

    def name(self, plant: str) -> str:
        return f"{self.route}:{plant}"

    def node(self, plant: str) -> Node:
        return Node(self.name(plant), self.kind, self.label.format(plant=plant), self.order, self.meaning)

    def owns(self, name: str) -> bool:
        return name.startswith(f"{self.route}:")


# --- the nodes ---------------------------------------------------------------------------------

CHINA = "china"
REST_OF_WORLD = "rest_of_world"
#: the source node of each origin of primary supply (sim.config.values.ORIGINS)
ORIGIN_NODES = {"china": CHINA, "rest_of_world": REST_OF_WORLD}
STOCKPILE = "stockpile"
PRIMARY_SUPPLY = "primary_supply"
SCRAP_IMPORT = "scrap_import"
OXIDE_IMPORT = "oxide_import"
OXIDE_EXPORT = "oxide_export"
IN_USE = "in_use"
END_OF_LIFE = "end_of_life"
COLLECTION = "collection"
UNCOLLECTED = "uncollected"
DISMANTLING = "dismantling"
SHREDDER_LOSS = "shredder_loss"
SCRAP_STORE = "scrap_store"
SCRAP_EXPORT = "scrap_export"
METAL_ALLOY_MAKING = "metal_alloy_making"
MAGNET_MAKING = "magnet_making"
BONDED_MAKING = "bonded_making"
MAGNET_IMPORTS = "magnet_imports"
PRODUCT_IMPORTS = "product_imports"
PROCESS_LOSS = "process_loss"
RECYCLED_EXPORT = "recycled_export"
MARKET = "market"
OTHER_USES = "other_uses"

HPMS = PlantNode("hpms", STAGE, "HPMS {plant}", 5,
                 "an HPMS plant: hydrogen processing of scrap to powder; material in running vessels")
LONG_LOOP = PlantNode("long_loop", STAGE, "long loop {plant}", 5,
                      "a long-loop plant: hydrometallurgical separation of the rare earths of scrap (oxides "
                      "by element); iron, boron and the unrecovered rest are process loss")
#: the plant node of each route (plants.<plant>.route)
PLANT_NODES = {"hpms": HPMS, "long_loop": LONG_LOOP}

#: every node in declaration order; plant nodes stand where their template is
NODES: tuple[Node | PlantNode, ...] = (
    Node(IN_USE, STORE, "products in use", 0, "the installed base: magnets in products in use, by cohort"),
    Node(END_OF_LIFE, STORE, "discarded", 1, "products at end of use, hoarded until they are discarded"),
    Node(COLLECTION, STAGE, "to collection", 2, "discarded products, collected or not"),
    Node(UNCOLLECTED, SINK, "not collected", 3, "discarded products that are not collected", loss=True),
    Node(DISMANTLING, STAGE, "dismantled", 3,
         "collected products waiting for dismantling capacity; their magnets are liberated or shredded"),
    Node(SCRAP_IMPORT, SOURCE, "imported scrap", 3, "pre-consumer scrap imported into the scrap store"),
    Node(SHREDDER_LOSS, SINK, "shredded, not liberated", 4, "magnets lost in shredding", loss=True),
    Node(SCRAP_STORE, STORE, "scrap store", 4, "magnet scrap by origin, in two grades, waiting for plants"),
    HPMS,
    LONG_LOOP,
    Node(SCRAP_EXPORT, SINK, "scrap exported", 5, "scrap exported out of the region", loss=True),
    Node(OXIDE_EXPORT, SINK, "separated oxide exported", 6,
         "separated rare earths of the long loop sold to another region of a coupled run (world.oxide_trade)",
         loss=True),
    Node(OXIDE_IMPORT, SOURCE, "imported separated oxide", 5,
         "separated rare earths bought from another region's long loop in a coupled run (world.oxide_trade)"),
    Node(METAL_ALLOY_MAKING, STAGE, "metal and alloy making", 6,
         "separated rare earths made into metal and alloy for magnet making, up to its capacity; a backlog waits"),
    Node(CHINA, SOURCE, "from China", 5, "primary supply from China (every form), under its export licences"),
    Node(REST_OF_WORLD, SOURCE, "from the rest of the world", 5, "primary supply from outside China (every form)"),
    Node(STOCKPILE, STORE, "stockpile", 6,
         "strategic stockpile of heavy rare earths: bought while supply is free, released into magnet "
         "making when licensed supply falls short"),
    Node(PRIMARY_SUPPLY, STAGE, "primary oxide and metal", 6,
         "primary oxide, metal and alloy for magnet making in the region, by origin; passes straight on"),
    Node(MAGNET_MAKING, STAGE, "magnet making in the region", 7,
         "sintered magnets made in the region from recycled inputs first (HPMS powder re-sintered, recycled "
         "alloy), then primary feed; swarf is traded to the scrap store; recycled inputs wait here"),
    Node(BONDED_MAKING, STAGE, "bonded magnet making", 7,
         "bonded and hot-deformed magnets from HPMS powder, for uses other than traction and wind grades; "
         "powder waits here"),
    Node(MAGNET_IMPORTS, STAGE, "imported magnets", 7, "magnets imported into the region, by origin; pass straight on"),
    Node(PRODUCT_IMPORTS, STAGE, "magnets in imported products", 7,
         "magnets inside products imported into the region, by origin; pass straight on"),
    Node(PROCESS_LOSS, SINK, "process loss", 8, "losses of plants and magnet making", loss=True),
    Node(RECYCLED_EXPORT, SINK, "recycled material exported", 8,
         "recycled inputs that region-made magnets could not absorb, sold out of the region "
         "(industry.unabsorbed: export)", loss=True),
    Node(MARKET, STAGE, "market", 8, "new magnets for demand, from where they come to the uses they go to"),
    Node(OTHER_USES, SINK, "other uses", 9, "magnets for uses not modelled as segments"),
)

#: every allowed flow (from, to); a plant template stands for each of its plants. Flows will be
#: split by element (Nd, Pr, Dy, Tb, ...) as an axis of the ledger's arrays, not as more flows.
FLOWS: tuple[tuple[str | PlantNode, str | PlantNode], ...] = (
    *((origin, form) for origin in (CHINA, REST_OF_WORLD)
      for form in (PRIMARY_SUPPLY, MAGNET_IMPORTS, PRODUCT_IMPORTS, STOCKPILE)),
    (STOCKPILE, MAGNET_MAKING),  # heavy rare earths released into magnet making
    (PRIMARY_SUPPLY, MAGNET_MAKING),
    (MAGNET_MAKING, MARKET),  # region-made sintered magnets
    (BONDED_MAKING, MARKET),  # region-made bonded magnets
    (MAGNET_IMPORTS, MARKET),
    (PRODUCT_IMPORTS, MARKET),
    (MARKET, IN_USE),
    (MARKET, OTHER_USES),
    (IN_USE, END_OF_LIFE),  # the EoL arising
    (END_OF_LIFE, COLLECTION),
    (COLLECTION, UNCOLLECTED),
    (COLLECTION, DISMANTLING),
    (DISMANTLING, SHREDDER_LOSS),
    (DISMANTLING, SCRAP_STORE),
    (MAGNET_MAKING, SCRAP_STORE),  # traded swarf
    (SCRAP_IMPORT, SCRAP_STORE),
    (SCRAP_STORE, SCRAP_EXPORT),
    (SCRAP_STORE, HPMS),
    (HPMS, MAGNET_MAKING),  # powder to re-sinter
    (HPMS, BONDED_MAKING),
    (HPMS, PROCESS_LOSS),
    (SCRAP_STORE, LONG_LOOP),
    (LONG_LOOP, METAL_ALLOY_MAKING),  # separated rare earths
    (METAL_ALLOY_MAKING, OXIDE_EXPORT),  # separated rare earths sold to another region, before metal making
    (OXIDE_IMPORT, METAL_ALLOY_MAKING),  # and bought from one
    (LONG_LOOP, PROCESS_LOSS),
    (METAL_ALLOY_MAKING, MAGNET_MAKING),
    (METAL_ALLOY_MAKING, PROCESS_LOSS),
    (MAGNET_MAKING, PROCESS_LOSS),
    (MAGNET_MAKING, RECYCLED_EXPORT),
    (BONDED_MAKING, PROCESS_LOSS),
    (BONDED_MAKING, RECYCLED_EXPORT),
)


class UndeclaredFlowError(RuntimeError):
    """A flow between two nodes that the graph does not connect: a bug, not a user mistake."""


class FlowGraph:
    """The graph of one scenario: the declared nodes with the plant templates made per plant."""

    def __init__(self, plants: Iterable[tuple[str, str]] = ()):
        """plants : (name, route) of each plant, in the order the config lists them."""
        plants = list(plants)
        self.nodes: tuple[Node, ...] = tuple(
            node for declared in NODES
            for node in ([declared] if isinstance(declared, Node) else
                         [declared.node(name) for name, route in plants if PLANT_NODES[route] is declared]))
        self._by_name = {node.name: node for node in self.nodes}
        self.flows: tuple[tuple[str, str], ...] = tuple(
            (s, d) for src, dst in FLOWS for s in self._names(src, plants) for d in self._names(dst, plants))
        self._allowed = frozenset(self.flows)

    @staticmethod
    def _names(node: str | PlantNode, plants) -> list[str]:
        if isinstance(node, str):
            return [node]
        return [node.name(name) for name, route in plants if PLANT_NODES[route] is node]

    def __getitem__(self, name: str) -> Node:
        return self._by_name[name]

    def __contains__(self, name: str) -> bool:
        return name in self._by_name

    def of_kind(self, *kinds: str) -> tuple[str, ...]:
        return tuple(node.name for node in self.nodes if node.kind in kinds)

    @property
    def balanced(self) -> tuple[str, ...]:
        """Nodes that hold a stock and must balance (stages and stores)."""
        return tuple(node.name for node in self.nodes if node.balanced)

    @property
    def sinks(self) -> tuple[str, ...]:
        return self.of_kind(SINK)

    @property
    def losses(self) -> tuple[str, ...]:
        """Sinks where material is lost to recycling, in chain order."""
        return tuple(node.name for node in self.nodes if node.loss)

    def receivers(self, src: str) -> tuple[str, ...]:
        """Nodes that `src` may send material to."""
        return tuple(d for s, d in self.flows if s == src)

    def senders(self, dst: str) -> tuple[str, ...]:
        """Nodes that may send material to `dst`."""
        return tuple(s for s, d in self.flows if d == dst)

    def position(self, name: str) -> int:
        """Place of a node in declaration order (which follows the chain)."""
        return self.nodes.index(self._by_name[name])

    def require(self, src: str, dst: str) -> None:
        """Raise UndeclaredFlowError unless the graph declares the flow src -> dst."""
        if (src, dst) not in self._allowed:
            raise UndeclaredFlowError(f"flow {src!r} -> {dst!r} is not declared in the flow graph "
                                      "(sim/model/graph.py)")


def flow_graph(params) -> FlowGraph:
    """The flow graph of a scenario (validated parameters)."""
    return _graph_of(tuple((plant.name, plant.route) for plant in params.plants))


@functools.lru_cache(maxsize=64)  # the futures of an exploration share their plants; a graph never changes
def _graph_of(plants: tuple[tuple[str, str], ...]) -> FlowGraph:
    return FlowGraph(plants)


def plant_node(plant) -> str:
    """The node name of a plant (a config Plant): `hpms:<name>` or `long_loop:<name>`."""
    return PLANT_NODES[plant.route].name(plant.name)


def markdown() -> str:
    """The README's node list: every declared node with its kind, meaning and where it sends material."""
    lines = ["| node | kind | meaning | flows to |", "| --- | --- | --- | --- |"]
    for node in NODES:
        declared = node if isinstance(node, PlantNode) else node.name  # as FLOWS names it
        name = f"{node.route}:<plant>" if isinstance(node, PlantNode) else node.name
        targets = [d for s, d in FLOWS if s == declared]
        shown = ", ".join(f"`{d.route}:<plant>`" if isinstance(d, PlantNode) else f"`{d}`" for d in targets)
        lines.append(f"| `{name}` | {node.kind} | {node.meaning} | {shown or '-'} |")
    return "\n".join(lines)
