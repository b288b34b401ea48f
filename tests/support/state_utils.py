"""
``__utils__`` for a state module under test: the real shared return shape of
_utils/state_return.py, keyed as Salt's loader keys it (``state_return.<function>``).
"""

import inspect

from _utils import state_return


def state_return_utils():
    """Every public function of _utils/state_return.py as ``state_return.<name>``."""
    return {
        f"state_return.{name}": func
        for name, func in vars(state_return).items()
        if inspect.isfunction(func) and not name.startswith("_")
    }
