"""Test support: a local stand-in for GitHub's REST API, real git repos, event payloads."""
