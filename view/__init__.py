"""The HTML view of predictions: :mod:`~sourcetag.view.render` builds the page (its style sheet and script in
:mod:`~sourcetag.view.assets`), :mod:`~sourcetag.view.browser` opens it in headless Chromium to check it and take
a screenshot."""
