"""dal-bot: implements, verifies and reports on generated DynamoDB data-access layers."""

__version__ = '0.1.0'
