"""Evidence collectors: one per source, each get (AWS calls only) -> transform (pure)."""
