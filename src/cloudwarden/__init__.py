"""CloudWarden: an open-source on-call partner for AWS accounts."""

__version__ = "0.1.0"
