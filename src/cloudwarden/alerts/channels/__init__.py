"""Delivery channels (WhatsApp, Slack, email, SNS) behind one interface: `base.Channel`.

Each module sends one message to one recipient and turns a provider's refusal into a
`base.DeliveryFailed` that says whether to retry; `configs` holds what a channel needs to run.
"""
