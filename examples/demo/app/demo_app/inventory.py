"""Stock levels kept in memory per process."""

STOCK = {"book": 12, "pen": 0, "lamp": 3}


def lookup(item):
    if item not in STOCK:
        return None
    return STOCK[item]


def restock(item, quantity):
    STOCK[item] = STOCK.get(item, 0) + quantity  # demo: not-hit
    return {"item": item, "stock": STOCK[item]}  # demo: not-hit
