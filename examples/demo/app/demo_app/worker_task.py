"""The report program that /report runs in a subprocess."""
import json
import sys

from demo_app import inventory


def summary():
    in_stock = sorted(item for item, count in inventory.STOCK.items() if count > 0)
    return {"kind": "summary", "in_stock": in_stock}


def detail():
    return {"kind": "detail", "stock": dict(inventory.STOCK)}  # demo: not-hit


def main(argv):
    kind = argv[1] if len(argv) > 1 else "summary"
    if kind == "summary":
        report = summary()
    elif kind == "detail":
        report = detail()  # demo: not-hit
    else:
        sys.stderr.write("unknown report %s\n" % kind)
        return 2
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
