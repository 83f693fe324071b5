"""Ways alarms reach CloudWarden."""
