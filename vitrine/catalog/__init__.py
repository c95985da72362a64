"""The shop's data: the Fashion-MNIST catalog, simulated shoppers, the store and importers."""
