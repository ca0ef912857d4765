"""Package data: small JSON files (fitted combiner weights). No code."""
