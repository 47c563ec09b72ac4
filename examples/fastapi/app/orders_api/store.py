"""SQLite storage shared by every uvicorn worker of the container (one file, WAL journal)."""
import os
import sqlite3
import time
from contextlib import closing

CATALOG = {
    "pen": ("Ballpoint pen", 150, 500),
    "book": ("Notebook", 1200, 40),
    "lamp": ("Desk lamp", 3500, 3),
}


class OutOfStock(Exception):
    """Raised when an order asks for more than the stock."""

    def __init__(self, sku, available):
        super().__init__(sku)
        self.sku = sku
        self.available = available


def database_path():
    return os.path.join(os.environ.get("DATA_DIR", "/tmp/orders-api"), "orders.sqlite3")


def connect():
    connection = sqlite3.connect(database_path(), timeout=10)
    connection.row_factory = sqlite3.Row
    return connection


def init_db():
    os.makedirs(os.path.dirname(database_path()), exist_ok=True)
    with closing(connect()) as db, db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE IF NOT EXISTS items (sku TEXT PRIMARY KEY, name TEXT, unit_price INTEGER, stock INTEGER)")
        db.execute(
            "CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY AUTOINCREMENT, sku TEXT, quantity INTEGER,"
            " total INTEGER, customer TEXT, receipt TEXT NOT NULL DEFAULT 'pending', created REAL)"
        )
        db.executemany(
            "INSERT OR IGNORE INTO items VALUES (?, ?, ?, ?)",
            [(sku, name, price, stock) for sku, (name, price, stock) in CATALOG.items()],
        )


def list_items():
    with closing(connect()) as db:
        return [dict(row) for row in db.execute("SELECT * FROM items ORDER BY sku")]


def get_item(sku):
    with closing(connect()) as db:
        row = db.execute("SELECT * FROM items WHERE sku = ?", (sku,)).fetchone()
    return dict(row) if row else None


def place_order(sku, quantity, customer, unit_price):
    with closing(connect()) as db, db:
        updated = db.execute(
            "UPDATE items SET stock = stock - ? WHERE sku = ? AND stock >= ?", (quantity, sku, quantity)
        ).rowcount
        if not updated:
            available = db.execute("SELECT stock FROM items WHERE sku = ?", (sku,)).fetchone()[0]
            raise OutOfStock(sku, available)
        cursor = db.execute(
            "INSERT INTO orders (sku, quantity, total, customer, created) VALUES (?, ?, ?, ?, ?)",
            (sku, quantity, unit_price * quantity, customer, time.time()),
        )
        return cursor.lastrowid


def get_order(order_id):
    with closing(connect()) as db:
        row = db.execute("SELECT * FROM orders WHERE id = ?", (order_id,)).fetchone()
    return dict(row) if row else None


def mark_receipt(order_id, status):
    with closing(connect()) as db, db:
        db.execute("UPDATE orders SET receipt = ? WHERE id = ?", (status, order_id))
