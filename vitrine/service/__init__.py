"""The HTTP service: the store, the fitted recommender and the studio behind a JSON API."""
