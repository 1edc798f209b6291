"""Рахунки на оплату: the background builds of a period's invoices (issue 9 §2)."""

__all__: list[str] = []
