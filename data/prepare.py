"""Build (`python data/prepare.py build`) or validate (`python data/prepare.py check`) the corpus.

The logic lives in `sourcetag.training.corpus`; see `data/README.md` and `data/datasheet.md`.
"""

from sourcetag.training.corpus import main

raise SystemExit(main())
