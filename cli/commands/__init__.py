"""The commands of ``sourcetag``, one module each, in one pattern (after spaCy's ``spacy/cli/``).

Each module has ``HELP`` (its line in ``sourcetag --help``), ``parse(argv)``, which builds the command's parser and
reads the arguments (usage errors exit with 2 there), and ``run(args)``, which calls the library and returns the
exit code. :mod:`sourcetag.main` finds them by name in :data:`COMMANDS` and turns every user error into one line on
standard error. Modules import nothing heavy at import time, so that ``sourcetag --help`` does not load torch.
"""

COMMANDS = ("train", "evaluate", "predict", "view")
"""The command names, each the name of its module here, in the order ``sourcetag --help`` lists them."""
