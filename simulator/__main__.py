"""`python -m simulator [--host H] [--port P] [--seed N] [--time-scale X]`."""

from __future__ import annotations

import argparse
import logging

from simulator.config import SimulatorConfig
from simulator.server import DEFAULT_HOST, DEFAULT_PORT, serve_forever


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m simulator", description="Run the NemoVideo simulator.")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-scale", type=float, default=SimulatorConfig.demo().time_scale)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    serve_forever(args.host, args.port, SimulatorConfig.demo(seed=args.seed, time_scale=args.time_scale))


if __name__ == "__main__":
    main()
