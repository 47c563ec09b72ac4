"""The FastAPI application: run it with `uvicorn orders_api.main:app --workers N`."""
import asyncio
import logging
import os
import time
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import BackgroundTasks, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from orders_api import store, suppliers

log = logging.getLogger("uvicorn.error")  # uvicorn configures and prints this one


@asynccontextmanager
async def lifespan(app):
    # Runs in every worker process: at start, and again on a graceful stop (SIGTERM).
    await asyncio.to_thread(store.init_db)
    app.state.started = time.time()
    app.state.served = 0
    log.info("worker %d ready", os.getpid())
    yield
    log.info("worker %d stopping after %d requests", os.getpid(), app.state.served)


app = FastAPI(title="orders", lifespan=lifespan)


class OrderIn(BaseModel):
    sku: Annotated[str, Field(min_length=2, max_length=20, pattern=r"^[a-z]+$")]
    quantity: Annotated[int, Field(ge=1, le=100)]
    customer: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]


@app.middleware("http")
async def count_requests(request: Request, call_next):
    request.app.state.served += 1
    return await call_next(request)


@app.exception_handler(store.OutOfStock)
async def out_of_stock(request: Request, error: store.OutOfStock):
    return JSONResponse(status_code=409, content={"error": "out of stock", "sku": error.sku, "available": error.available})


async def send_receipt(order_id: int, customer: str):
    # A background task: runs in the worker after the response went out.
    await asyncio.sleep(0.05)  # the mail server
    status = "sent" if not customer.endswith("@invalid") else "bounced"
    await asyncio.to_thread(store.mark_receipt, order_id, status)


@app.get("/healthz")
async def healthz():
    return {"ok": True}


@app.get("/whoami")
async def whoami(request: Request):
    return {"pid": os.getpid(), "served": request.app.state.served}


@app.get("/items")
async def items():
    return await asyncio.to_thread(store.list_items)


async def find_item(sku: str):
    item = await asyncio.to_thread(store.get_item, sku)
    if item is None:
        raise HTTPException(status_code=404, detail=f"no item {sku}")
    return item


@app.get("/items/{sku}")
async def item(sku: str):
    return await find_item(sku)


@app.get("/quote")
async def quote(sku: str, quantity: Annotated[int, Query(ge=1, le=1000)] = 1):
    found = await find_item(sku)
    return {"sku": sku, "quantity": quantity, **await suppliers.best_quote(found["unit_price"], quantity)}


@app.post("/orders", status_code=201)
async def create_order(order: OrderIn, background: BackgroundTasks):
    found = await find_item(order.sku)
    order_id = await asyncio.to_thread(
        store.place_order, order.sku, order.quantity, order.customer, found["unit_price"]
    )
    background.add_task(send_receipt, order_id, order.customer)
    return {"id": order_id, "total": found["unit_price"] * order.quantity, "receipt": "pending"}


@app.get("/orders/{order_id}")
async def get_order(order_id: int):
    found = await asyncio.to_thread(store.get_order, order_id)
    if found is None:
        raise HTTPException(status_code=404, detail=f"no order {order_id}")
    return found
