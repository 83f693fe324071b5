"""Security posture audits: collectors read each AWS API once into an inventory, small pure checks
judge it, frameworks (data files) map requirements to checks, scores and trends follow."""
