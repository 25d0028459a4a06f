"""Display names of product segments for figures and reports; a segment of one's own scenario that is
not listed reads as its key with spaces."""

from __future__ import annotations

SEGMENT_NAMES = {
    "ev_traction": "EV traction motors",
    "phev_traction": "plug-in hybrid traction motors",
    "full_hybrid_traction": "full-hybrid traction motors",
    "car_auxiliary": "car auxiliary motors",
    "wind_onshore_dd": "wind onshore, direct drive",
    "wind_onshore_geared": "wind onshore, geared PM",
    "wind_offshore_dd": "wind offshore, direct drive",
    "wind_offshore_geared": "wind offshore, geared PM",
    "industrial_motors": "industrial motors",
    "medical_imaging": "MRI scanners",
    "robotics": "industrial robots",
    "pumps_hvac": "pumps and HVAC",
    "heat_pumps": "heat pumps",
    "audio": "audio equipment",
    "hdd": "hard disk drives",
    "ebike": "e-bike motors",
    "consumer_electronics": "consumer electronics",
    "other_applications": "other applications",
    "all": "not tied to a segment",
}


def segment_name(segment: str) -> str:
    return SEGMENT_NAMES.get(segment, segment.replace("_", " "))
