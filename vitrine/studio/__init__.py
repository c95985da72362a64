"""Generation inside recommendation: pictures and audiences for products the catalog does not have.

Sits above diffusion, evaluate and recommend and uses only their public functions.
"""
