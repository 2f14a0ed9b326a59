"""clerk: a meeting secretariat for partnership boards, run by email and chat."""

__version__ = "0.1.0"


def version() -> str:
    """The version installed (from the distribution's metadata), else this source tree's."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("clerk")
    except PackageNotFoundError:
        return __version__
