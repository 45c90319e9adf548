"""The ``penmotor`` command (placeholder: being written)."""


def main(argv=None) -> int:
    raise SystemExit("penmotor CLI is being written")
