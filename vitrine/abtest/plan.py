"""What a simulated A/B test can compare, and how much traffic it may send (no heavy imports: the
CLI's help reads these)."""

# arm → (the service's ranking, whether the page also shows designs for the shopper)
ARMS = {"popularity": ("popularity", False), "als": ("als", False), "multimodal": ("multimodal", False),
        "multimodal+designs": ("multimodal", True)}
MAX_VISITS = 100_000  # per arm: the traffic is bounded in count as well as in time (--minutes)
