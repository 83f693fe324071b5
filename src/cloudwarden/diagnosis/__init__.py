"""The diagnosis engine: a pure function from an EvidenceBundle to ranked root causes."""
