"""Report sections, one module per concern, each with ``build(ctx) -> Section | None``."""
