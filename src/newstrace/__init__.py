"""newstrace: trace news articles to their sources, with evidence.

The public Python API is the same code the CLI calls::

    from newstrace import scan, align
    result = scan(["path/to/articles"])
"""

import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = ["__version__"]
