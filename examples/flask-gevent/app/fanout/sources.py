"""The upstream "sources" the service aggregates: simulated with gevent.sleep, as a slow network call would be."""
import gevent

PRICES = {"alpha": 120, "beta": 95, "gamma": 130, "delta": 101, "epsilon": 99}


class SourceError(Exception):
    """An upstream answered with an error."""


def fetch(name, delay):
    gevent.sleep(delay)  # yields to the other greenlets, like a socket read would
    if name == "broken":
        raise SourceError(f"source {name} failed")
    if name == "slow":
        gevent.sleep(delay * 20)
    return {"source": name, "price": PRICES.get(name, 100)}


def fan_out(names, delay, deadline):
    """Asks every source at once; collects answers, failures and the ones that missed the deadline."""
    jobs = {name: gevent.spawn(fetch, name, delay) for name in names}
    gevent.joinall(list(jobs.values()), timeout=deadline)
    answers, failed, late = [], [], []
    for name, job in jobs.items():
        if not job.ready():
            job.kill(block=False)
            late.append(name)
        elif job.successful():
            answers.append(job.value)
        else:
            failed.append({"source": name, "error": str(job.exception)})
    return answers, failed, late
