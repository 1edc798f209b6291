"""Placeholder: replaced by the demo town generator."""


class DemoError(Exception):
    pass


def load_demo(accounts=None, seed=2026, if_empty=False):
    raise DemoError("not yet")
