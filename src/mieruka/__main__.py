"""Allow `python -m mieruka`."""
from mieruka.cli import main

if __name__ == "__main__":  # not again in a worker process that multiprocessing spawns
    main()
