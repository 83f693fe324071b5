"""One module per evidence source. Each declares the IAM actions its `get` uses."""
