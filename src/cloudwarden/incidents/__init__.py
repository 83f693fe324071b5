"""Incidents: the investigate flow (alarm -> evidence -> diagnosis -> stored incident)."""
