"""Alert intake (SNS, later EventBridge and polling) and notification channels."""
