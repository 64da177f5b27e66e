"""Perception and language model providers (see :mod:`memory_core.providers.registry`).

Importing this package is cheap: provider modules and their runtimes load only when a role is asked for.
"""

from memory_core.providers.base import LLMError, ProviderError
from memory_core.providers.registry import ROLES, ProviderRegistry, effective_threads

__all__ = ["LLMError", "ProviderError", "ProviderRegistry", "ROLES", "effective_threads"]
