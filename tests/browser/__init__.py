"""The web console in a real browser (Debian's Chromium through Playwright).

A package, so that its one browser closes when its tests are done (see conftest.py).
"""
