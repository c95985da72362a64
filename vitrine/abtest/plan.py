"""What a simulated A/B test can compare, and how much traffic it may send (no heavy imports: the
CLI's help reads these)."""

# arm → (the service's ranking, whether the page also shows designs for the shopper, the pictures its
# items show: "photos" only, an item without one showing its text; or "previews" where there is no photo)
ARMS = {"popularity": ("popularity", False, "photos"), "als": ("als", False, "photos"),
        "multimodal": ("multimodal", False, "photos"), "multimodal+designs": ("multimodal", True, "photos"),
        "multimodal+previews": ("multimodal", False, "previews")}
DEFAULT_ARMS = ("popularity", "als", "multimodal", "multimodal+designs")  # the previews arm needs a shop with
# items without photos, and previews made for them
MAX_VISITS = 100_000  # per arm: the traffic is bounded in count as well as in time (--minutes)
