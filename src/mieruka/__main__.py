"""Allow `python -m mieruka`."""
from mieruka.cli import main

main()
