"""Display names of product segments for figures and reports; a segment of one's own scenario that is
not listed reads as its key with spaces."""

from __future__ import annotations

SEGMENT_NAMES = {
    "ev_traction": "EV traction motors",
    "hybrid_traction": "hybrid traction motors",
    "car_auxiliary": "car auxiliary motors",
    "wind_onshore_dd": "wind onshore, direct drive",
    "wind_onshore_ms": "wind onshore, medium speed",
    "wind_offshore_dd": "wind offshore, direct drive",
    "wind_offshore_ms": "wind offshore, medium speed",
    "industrial_motors": "industrial motors",
    "hdd": "hard disk drives",
    "ebike": "e-bike motors",
    "consumer_electronics": "consumer electronics",
    "all": "not tied to a segment",
}


def segment_name(segment: str) -> str:
    return SEGMENT_NAMES.get(segment, segment.replace("_", " "))
