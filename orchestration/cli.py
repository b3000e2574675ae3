"""The `csw` command line (filled in by the foundation work)."""


def main() -> None:
    raise SystemExit("csw: not wired yet")
