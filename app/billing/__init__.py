"""The billing engine: plain Python, data in → charge lines out (no Flask, no session)."""
