"""What each short-lived process runs: ten small steps, chosen by the bits of its number.

Process n runs step i when bit i of n is set, so the first 1,024 processes each execute a different set of lines:
every data file differs, and the harvest's combine merges each one (coverage.py skips a data file identical to
one it already read).
"""

from __future__ import annotations


def step0(value: int) -> int:
    """One small step."""
    return value + 1


def step1(value: int) -> int:
    """One small step."""
    return value * 3


def step2(value: int) -> int:
    """One small step."""
    return value - 7


def step3(value: int) -> int:
    """One small step."""
    return value ^ 0x55


def step4(value: int) -> int:
    """One small step."""
    return value // 2


def step5(value: int) -> int:
    """One small step."""
    return value + len(str(value))


def step6(value: int) -> int:
    """One small step."""
    return abs(value) % 1000


def step7(value: int) -> int:
    """One small step."""
    return value << 1


def step8(value: int) -> int:
    """One small step."""
    return sum(int(d) for d in str(abs(value)))


def step9(value: int) -> int:
    """One small step."""
    return -value


STEPS = (step0, step1, step2, step3, step4, step5, step6, step7, step8, step9)


def run(number: int) -> int:
    """Runs the steps whose bit is set in the number, in order, on the number itself."""
    value = number
    for bit, step in enumerate(STEPS):
        if number >> bit & 1:
            value = step(value)
    return value
