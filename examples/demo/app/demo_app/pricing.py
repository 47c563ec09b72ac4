"""Prices with a bulk discount."""

PRICES = {"book": 1200, "pen": 150, "lamp": 4500}
BULK_QUANTITY = 10
BULK_DISCOUNT_PERCENT = 15


def quote(item, quantity):
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    unit = PRICES[item]
    total = unit * quantity
    discount = 0
    if quantity >= BULK_QUANTITY:
        discount = total * BULK_DISCOUNT_PERCENT // 100
    return {"item": item, "quantity": quantity, "total": total - discount, "discount": discount}


def price_list(currency):
    if currency != "EUR":  # demo: not-hit
        raise ValueError("only EUR prices are kept")  # demo: not-hit
    return dict(PRICES)  # demo: not-hit
