"""Simulated online A/B tests: shoppers whose true preferences are known visit the running
service over HTTP, each in one arm, and click and buy by a choice model (docs/abtest.md)."""
