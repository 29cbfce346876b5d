"""dlclaims: the claims of a deep-learning exam, measured.

Nothing happens on import: the experiments register themselves when
:func:`dlclaims.core.registry.load_all` imports them.
"""

__version__ = "0.1.0"
