"""GETs a URL until every expected word has been in an answer (scripts/k8s-smoke.sh).

    python3 probe.py URL [EXPECTED...]

Prints each distinct answer; exits 1 when an expected word is still missing after 60 attempts (a Service
balances at random between its pods, so one of two is missed 60 times in a row with odds of 1 in 10^18).
"""

import sys
import urllib.request

ATTEMPTS = 60


def main(url: str, expected: list[str]) -> int:
    """Returns the exit status: 0 when every expected word was seen (or, with none, one answer came)."""
    answers: set[str] = set()
    for _ in range(ATTEMPTS):
        with urllib.request.urlopen(url, timeout=10) as response:
            answer = response.read().decode().strip()
        if answer not in answers:
            answers.add(answer)
            print(f"  {url} -> {answer}")
        missing = [word for word in expected if not any(word in seen for seen in answers)]
        if not missing:
            return 0
    print(f"  {url}: no answer from {', '.join(missing)} in {ATTEMPTS} requests", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
