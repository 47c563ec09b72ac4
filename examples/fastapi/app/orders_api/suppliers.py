"""Supplier quotes: asks every supplier at once (asyncio.gather) and keeps the cheapest."""
import asyncio

# Simulated suppliers: (name, latency in seconds, price factor in percent).
SUPPLIERS = [("north", 0.03, 104), ("south", 0.05, 97), ("east", 0.02, 110)]


async def ask(name, latency, factor, unit_price, quantity):
    await asyncio.sleep(latency)
    if quantity > 50 and name == "east":
        return None  # east does not ship bulk orders
    return {"supplier": name, "total": unit_price * quantity * factor // 100}


async def best_quote(unit_price, quantity):
    answers = await asyncio.gather(*(ask(n, lat, f, unit_price, quantity) for n, lat, f in SUPPLIERS))
    offers = [answer for answer in answers if answer is not None]
    offers.sort(key=lambda offer: offer["total"])
    return {"best": offers[0], "offers": len(offers)}
