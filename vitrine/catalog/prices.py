"""The bound every price is checked against: above it is a mistake in the data, whoever sends it
(an importer's row, the API, the storefront's filters, a launch)."""

MAX_PRICE = 10_000_000
