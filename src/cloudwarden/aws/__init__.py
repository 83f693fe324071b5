"""Everything that talks to a customer's AWS account goes through this package."""
