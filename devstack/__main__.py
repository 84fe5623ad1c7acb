"""python -m devstack: start the whole stack (what `make run` does after installing)."""

from devstack.stack import StackConfig, run

if __name__ == "__main__":
    raise SystemExit(run(StackConfig.from_env()))
