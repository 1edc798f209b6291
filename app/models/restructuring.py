"""Пеня: exemptions; реструктуризація боргу: agreements and their instalments (issue 10 items 4–5)."""

__all__: list[str] = []
