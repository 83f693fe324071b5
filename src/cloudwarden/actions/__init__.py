"""Remediations a customer can opt in to."""
