"""``python -m partner_attribution``: the command line."""

from partner_attribution.cli import main

main()
